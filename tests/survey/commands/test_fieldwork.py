"""``assure360 fieldwork`` and the reminder dry run: who would get what and when, no link."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from survey.models import OutboxMessage, SurveyRound
from tests.survey.fieldwork_helpers import add_pending, invited_days_ago
from tests.survey.mail.helpers import queue_invitations

TODAY = date.today()


def _assert_no_link(output: str, links: dict[int, str]) -> None:
    assert "http" not in output and "/s/" not in output, output
    for link in links.values():
        assert link.rsplit("/", 1)[-1] not in output, output


def test_the_reminder_dry_run_names_people_and_organisations_and_no_link(
    app, db, runner: Any, make_round, make_organisation
) -> None:
    survey_round = make_round()
    organisation = make_organisation()
    links = queue_invitations(db, survey_round, [organisation.id], 2)
    invited_days_ago(db, survey_round, 8)

    result = runner.invoke(args=["reminders", "send", str(survey_round.id), "--dry-run"])

    assert result.exit_code == 0, result.output
    due = TODAY - timedelta(days=1)
    assert (
        f"person0@example.org  (gp_practice) reminder 1, due {due}: {organisation.name}"
        in result.output
    )
    assert "2 reminder(s) would be queued; nothing was queued" in result.output
    _assert_no_link(result.output, links)
    assert (
        db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.kind == "reminder")) is None
    )


def test_fieldwork_plan_shows_each_day_without_links_and_queues_nothing(
    app, db, runner: Any, make_round, make_organisation
) -> None:
    survey_round = make_round()
    organisation = make_organisation()
    links = queue_invitations(db, survey_round, [organisation.id], 1)
    invited_days_ago(db, survey_round, 8)
    add_pending(db, survey_round, [organisation.id], 1, "late")
    queued = db.session.scalars(select(OutboxMessage.id)).all()

    result = runner.invoke(args=["fieldwork", "plan", str(survey_round.id), "--days", "30"])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert f"{TODAY}  invitations: 1 email(s)" in lines
    assert f"    late0@example.org  (gp_practice) invitation: {organisation.name}" in lines
    assert f"{TODAY}  reminders: 1 email(s)" in lines
    assert f"{survey_round.closes_on + timedelta(1)}  close the round (links stop working)" in lines
    assert "nothing was queued" in lines[-1]
    _assert_no_link(result.output, links)
    assert db.session.scalars(select(OutboxMessage.id)).all() == queued


def test_fieldwork_auto_off_is_stored_and_the_plan_says_so(
    app, db, runner: Any, make_round
) -> None:
    survey_round = make_round(status="draft")
    result = runner.invoke(args=["fieldwork", "auto", str(survey_round.id), "off"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get_one(SurveyRound, survey_round.id).auto_fieldwork is False

    plan = runner.invoke(args=["fieldwork", "plan", str(survey_round.id)])
    assert "automatic fieldwork is off for this round" in plan.output
