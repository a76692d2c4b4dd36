"""The scheduler's dry run: who gets which email on which day, and never a link."""

from __future__ import annotations

from datetime import date, timedelta

from survey.mail.worker import run_fieldwork
from survey.services.schedule_plan import fieldwork_status, plan_fieldwork
from tests.survey.fieldwork_helpers import add_pending, invited_days_ago
from tests.survey.mail.helpers import queue_invitations

TODAY = date.today()


def test_a_draft_round_is_planned_from_its_opening_day_to_its_close(
    app, db, make_round, make_organisation
) -> None:
    opens = TODAY + timedelta(days=2)
    survey_round = make_round(status="draft", opens_on=opens, closes_on=opens + timedelta(20))
    organisation = make_organisation()
    add_pending(db, survey_round, [organisation.id], 2, "new")

    plan = plan_fieldwork(survey_round, TODAY, days=30)

    runs = [(run.day, run.job, len(run.emails)) for run in plan]
    # the default schedule: 7 and 14 days after the invitation, 2 days before the close
    assert runs == [
        (opens, "invitations", 2),
        (opens + timedelta(7), "reminders", 2),
        (opens + timedelta(14), "reminders", 2),
        (opens + timedelta(18), "reminders", 2),
        (opens + timedelta(21), "close", 0),
    ]
    first = plan[0].emails[0]
    assert (first.email, first.group, first.organisations) == (
        "new0@example.org",
        "gp_practice",
        (organisation.name,),
    )
    assert [email.reminder for run in plan[1:4] for email in run.emails[:1]] == [1, 2, 3]
    assert plan[2].emails[0].due_on == opens + timedelta(14)
    assert "http" not in repr(plan)


def test_the_plan_counts_reminders_already_sent_and_stops_at_the_limit(
    app, db, make_round, make_organisation
) -> None:
    survey_round = make_round()
    links = queue_invitations(db, survey_round, [make_organisation().id], 1)
    invited_days_ago(db, survey_round, 8)
    run_fieldwork("test-worker", TODAY)  # today's reminder goes

    plan = plan_fieldwork(survey_round, TODAY, days=30)

    reminders = [(run.day, run.emails[0].reminder) for run in plan if run.job == "reminders"]
    invited = TODAY - timedelta(days=8)
    assert reminders == [(invited + timedelta(14), 2), (survey_round.closes_on - timedelta(2), 3)]
    for link in links.values():
        assert link not in repr(plan) and link.rsplit("/", 1)[-1] not in repr(plan)


def test_the_round_page_line_names_the_next_runs_and_the_last(
    app, db, make_round, make_organisation
) -> None:
    survey_round = make_round(status="draft", opens_on=TODAY, closes_on=TODAY + timedelta(21))
    add_pending(db, survey_round, [make_organisation().id], 1, "new")
    before = fieldwork_status(survey_round, TODAY)
    assert before.automatic and before.last == []
    day = TODAY.strftime("%-d %B %Y")
    assert before.next_line().startswith(f"invitations on {day}, reminders on ")

    run_fieldwork("test-worker", TODAY)

    after = fieldwork_status(survey_round, TODAY)
    assert after.next_on["invitations"] is None
    assert [run.job for run in after.last] == ["invitations"]
    assert after.next_line().endswith(
        f"closes at the end of {(TODAY + timedelta(21)).strftime('%-d %B %Y')}"
    )


def test_the_round_page_names_the_next_scheduled_interim_release(app, db, make_round) -> None:
    opened = TODAY - timedelta(days=3)
    survey_round = make_round(
        opens_on=opened, closes_on=opened + timedelta(days=20), interim_release_every_days=7
    )
    status = fieldwork_status(survey_round, TODAY)
    assert status.next_on["release"] == opened + timedelta(days=7)
    day = (opened + timedelta(days=7)).strftime("%-d %B %Y")
    assert f"interim results released on {day}" in status.next_line()
    # none after the close, and none for a round without the schedule
    assert fieldwork_status(survey_round, opened + timedelta(days=15)).next_on["release"] is None
    unscheduled = make_round(opens_on=opened)
    assert fieldwork_status(unscheduled, TODAY).next_on["release"] is None
