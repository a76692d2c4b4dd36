"""The scheduler's jobs: invitations on the opening day, the day's reminders, scheduled interim
results releases, the close; each claimed once per round and day, audited as the system, and
left alone when switched off."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from survey.extensions import begin_write
from survey.mail.worker import run_fieldwork
from survey.models import AuditEvent, OutboxMessage, RoundStatus, ScheduledRun
from survey.services.audit import COMMAND_LINE
from survey.services.jobs import JOBS, job_named, last_runs, run_job, set_automatic
from survey.services.publication import publish_results
from tests.survey.fieldwork_helpers import add_pending, invited_days_ago
from tests.survey.mail.helpers import queue_invitations

TODAY = date.today()


def _outbox(db, kind: str) -> list[str]:
    return sorted(
        db.session.scalars(select(OutboxMessage.recipient).where(OutboxMessage.kind == kind))
    )


def _audited(db, action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_on_the_opening_day_the_round_opens_and_invitations_go_once(
    app, db, make_round, make_organisation
) -> None:
    survey_round = make_round(status="draft", opens_on=TODAY, closes_on=TODAY + timedelta(21))
    emails = add_pending(db, survey_round, [make_organisation().id], 3, "new")

    assert run_fieldwork("test-worker", TODAY) == 1  # opened and invited
    assert run_fieldwork("test-worker", TODAY) == 1  # now open: today's reminders (none due)
    assert run_fieldwork("test-worker", TODAY) == 0
    assert run_fieldwork("test-worker", TODAY + timedelta(days=1)) == 1  # that day's reminders

    db.session.refresh(survey_round)
    assert survey_round.status is RoundStatus.OPEN
    assert _outbox(db, "invitation") == emails
    [opened] = _audited(db, "round.open")
    [scheduled] = _audited(db, "scheduler.invitations")
    assert opened.channel == scheduled.channel == "system"
    assert scheduled.detail == {"day": TODAY.isoformat(), "emails": 3, "invitations": 3}
    assert [run.job for run in last_runs(survey_round)] == ["reminders", "reminders", "invitations"]


def test_a_draft_whose_opening_day_is_to_come_is_left_alone(app, db, make_round) -> None:
    survey_round = make_round(status="draft", opens_on=TODAY + timedelta(days=3))
    assert run_fieldwork("test-worker", TODAY) == 0
    db.session.refresh(survey_round)
    assert survey_round.status is RoundStatus.DRAFT


def test_the_days_reminders_go_once_however_often_the_worker_loops(
    app, db, make_round, make_organisation
) -> None:
    survey_round = make_round()
    queue_invitations(db, survey_round, [make_organisation().id], 4)
    invited_days_ago(db, survey_round, 8)

    ran = [run_fieldwork("test-worker", TODAY) for _ in range(3)]

    assert sum(ran) == 2  # the invitations (none left pending) and the reminders, once each
    assert len(_outbox(db, "reminder")) == 4
    [audited] = _audited(db, "scheduler.reminders")
    assert audited.detail["emails"] == 4


def test_the_round_closes_after_its_closing_day(app, db, make_round) -> None:
    survey_round = make_round(opens_on=TODAY - timedelta(days=30), closes_on=TODAY)
    assert run_fieldwork("test-worker", TODAY) == 2  # invitations and reminders: still open
    db.session.refresh(survey_round)
    assert survey_round.status is RoundStatus.OPEN

    assert run_fieldwork("test-worker", TODAY + timedelta(days=1)) == 1
    assert run_fieldwork("test-worker", TODAY + timedelta(days=2)) == 0
    db.session.refresh(survey_round)
    assert survey_round.status is RoundStatus.CLOSED
    assert len(_audited(db, "round.close")) == 1


def test_switched_off_the_worker_does_nothing_for_the_round(
    app, db, make_round, make_organisation
) -> None:
    survey_round = make_round(status="draft", opens_on=TODAY)
    add_pending(db, survey_round, [make_organisation().id], 2, "held")
    begin_write()
    set_automatic(COMMAND_LINE, survey_round, False)
    db.session.commit()

    assert run_fieldwork("test-worker", TODAY) == 0
    db.session.refresh(survey_round)
    assert survey_round.status is RoundStatus.DRAFT and _outbox(db, "invitation") == []
    assert _audited(db, "round.auto_fieldwork")[0].detail == {"on": False}


def test_a_run_claimed_by_another_worker_cannot_be_claimed_again(app, db, make_round) -> None:
    survey_round = make_round(opens_on=TODAY - timedelta(days=30), closes_on=TODAY - timedelta(1))
    close = job_named("close")
    db.session.add(
        ScheduledRun(job="close", round_id=survey_round.id, day=survey_round.closes_on, worker="a")
    )
    db.session.commit()

    begin_write()
    with pytest.raises(IntegrityError):
        run_job(close, survey_round, TODAY, "b")
    db.session.rollback()
    db.session.refresh(survey_round)
    assert survey_round.status is RoundStatus.OPEN  # nothing of the second run was kept


def test_every_job_has_a_distinct_name_and_label() -> None:
    assert len({job.name for job in JOBS}) == len({job.label for job in JOBS}) == len(JOBS)


def test_scheduled_interim_results_are_published_every_so_many_days_once(
    app, db, make_round
) -> None:
    opened = TODAY - timedelta(days=14)
    survey_round = make_round(
        opens_on=opened, closes_on=TODAY + timedelta(days=14), interim_release_every_days=7
    )
    ran = [run_fieldwork("test-worker", opened + timedelta(days=day)) for day in (13, 14, 14, 15)]
    releases = _audited(db, "results.release")
    # day 13 and 15: reminders only; day 14 (twice): one release, claimed once
    assert [event.detail["kind"] for event in releases] == ["interim"]
    assert releases[0].channel == "system" and ran == [2, 2, 0, 1]
    assert [run.job for run in last_runs(survey_round) if run.job == "release"] == ["release"]


def test_no_scheduled_release_the_day_after_a_managers_own(app, db, make_round) -> None:
    survey_round = make_round(opens_on=TODAY - timedelta(days=7), interim_release_every_days=7)
    publish_results(COMMAND_LINE, survey_round)
    db.session.commit()
    run_fieldwork("test-worker", TODAY)
    assert [event.channel for event in _audited(db, "results.release")] == ["cli"]
