"""Reminders: who is due, one email each with the same links rebuilt from their nonces."""

from __future__ import annotations

from datetime import date, timedelta
from email.header import decode_header, make_header
from typing import Any

from sqlalchemy import select, update

from survey.mail import deliver_due
from survey.models import Invitation, OutboxMessage, Stakeholder
from survey.models.types import utcnow
from survey.services.audit import COMMAND_LINE
from survey.services.invitations import reissue_link, revoke
from survey.services.reminders import plan_reminders, schedule_days, send_reminders, set_schedule
from tests.survey.answering import save_answers
from tests.survey.helpers import links_in, read_outbox
from tests.survey.mail.helpers import queue_invitations
from tests.survey.stored import submit_released

TODAY = date.today()


def _invited_days_ago(db: Any, days: int) -> None:
    db.session.execute(update(Stakeholder).values(invited_at=utcnow() - timedelta(days=days)))
    db.session.commit()


def _stakeholder(db: Any, email: str) -> Stakeholder:
    return db.session.scalars(select(Stakeholder).where(Stakeholder.email == email)).one()


def test_schedule_days_count_from_invitation_and_back_from_closing(make_round) -> None:
    survey_round = make_round(opens_on=date(2030, 3, 1), closes_on=date(2030, 3, 31))
    assert (
        survey_round.reminder_days_after_invitation,
        survey_round.reminder_days_before_close,
    ) == ([7, 14], [2])
    assert schedule_days(survey_round, date(2030, 3, 1)) == [
        date(2030, 3, 8),
        date(2030, 3, 15),
        date(2030, 3, 29),
    ]
    # invited late: only days after the invitation and not after closing remain
    assert schedule_days(survey_round, date(2030, 3, 26)) == [date(2030, 3, 29)]
    assert schedule_days(survey_round, date(2030, 3, 30)) == []


def test_a_due_reminder_repeats_the_invitation_links_that_still_work(
    app, db, client, make_round, make_organisation
) -> None:
    survey_round = make_round()
    first, second = make_organisation(), make_organisation()
    links = queue_invitations(db, survey_round, [first.id, second.id], 1)
    assert plan_reminders(survey_round, TODAY) == []  # invited today: nothing due
    _invited_days_ago(db, 8)

    [plan] = plan_reminders(survey_round, TODAY)

    assert plan.number == 1 and plan.due_on == TODAY - timedelta(days=1)
    assert sorted(link for _name, link in plan.links) == sorted(links.values())
    for _name, link in plan.links:
        assert client.get(link.removeprefix("http://localhost")).status_code == 200


def test_reminders_leave_out_completed_opted_out_bounced_and_revoked(
    app, db, make_round, make_organisation
) -> None:
    survey_round = make_round()
    first, second = make_organisation(), make_organisation()
    links = queue_invitations(db, survey_round, [first.id, second.id], 5)
    _invited_days_ago(db, 8)
    by_email = {s.email: s for s in db.session.scalars(select(Stakeholder))}
    invitations = {
        (i.stakeholder.email, i.organisation_id): i for i in db.session.scalars(select(Invitation))
    }
    # person0: completed one of two -> reminded about the other only
    done = invitations[("person0@example.org", first.id)]
    save_answers(done, {"overall_relationship": {"score": 4}}, resume_section=2)
    submit_released(done, ["overall_relationship"])
    # person1: completed both -> nothing to remind
    for organisation in (first, second):
        finished = invitations[("person1@example.org", organisation.id)]
        save_answers(finished, {"overall_relationship": {"score": 5}}, resume_section=2)
        submit_released(finished, ["overall_relationship"])
    by_email["person2@example.org"].opted_out_at = utcnow()
    by_email["person3@example.org"].undeliverable_at = utcnow()
    # person4: one revoked, one started -> reminded about the started one
    revoke(COMMAND_LINE, invitations[("person4@example.org", first.id)])
    save_answers(
        invitations[("person4@example.org", second.id)], {"overall_relationship": {"score": 3}}, 2
    )
    db.session.commit()

    planned = {plan.email: plan for plan in plan_reminders(survey_round, TODAY)}

    assert sorted(planned) == ["person0@example.org", "person4@example.org"]
    assert [link for _n, link in planned["person0@example.org"].links] == [
        links[invitations[("person0@example.org", second.id)].id]
    ]
    assert [link for _n, link in planned["person4@example.org"].links] == [
        links[invitations[("person4@example.org", second.id)].id]
    ]


def test_sending_queues_one_email_each_and_respects_the_schedule_and_the_maximum(
    app, db, make_round, make_organisation
) -> None:
    survey_round = make_round(
        opens_on=TODAY - timedelta(days=20), closes_on=TODAY + timedelta(days=30)
    )
    organisation = make_organisation()
    queue_invitations(db, survey_round, [organisation.id], 3)
    _invited_days_ago(db, 8)
    set_schedule(COMMAND_LINE, survey_round, after_invitation=[7, 9, 11], before_close=[], limit=2)
    db.session.commit()

    report = send_reminders(COMMAND_LINE, survey_round, TODAY)
    db.session.commit()
    assert (report.emails, report.invitations) == (3, 3)
    assert (
        send_reminders(COMMAND_LINE, survey_round, TODAY).emails == 0
    )  # not twice for one schedule day
    assert plan_reminders(survey_round, TODAY + timedelta(days=1)) != []  # day 9 is due
    assert send_reminders(COMMAND_LINE, survey_round, TODAY + timedelta(days=1)).emails == 3
    db.session.commit()
    assert plan_reminders(survey_round, TODAY + timedelta(days=3)) == []  # the maximum is 2
    reminders = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "reminder")
    ).all()
    assert len(reminders) == 6
    assert all(m.unsubscribe_url and "/s/opt-out/" in m.unsubscribe_url for m in reminders)
    assert {s.reminders_sent for s in db.session.scalars(select(Stakeholder))} == {2}


def test_reminders_carry_a_reissued_link_and_the_old_one_is_dead(
    app, db, client, make_round, make_organisation
) -> None:
    survey_round = make_round()
    links = queue_invitations(db, survey_round, [make_organisation().id], 1)
    [(invitation_id, old_link)] = links.items()
    with app.test_request_context():
        new_link = reissue_link(COMMAND_LINE, db.session.get(Invitation, invitation_id))
        db.session.commit()
    _invited_days_ago(db, 8)

    [plan] = plan_reminders(survey_round, TODAY)

    assert [link for _n, link in plan.links] == [new_link] and new_link != old_link
    assert client.get(new_link.removeprefix("http://localhost")).status_code == 200
    assert client.get(old_link.removeprefix("http://localhost")).status_code == 404


def test_a_changed_secret_key_drops_links_it_cannot_rebuild(
    app, db, make_round, make_organisation
) -> None:
    survey_round = make_round()
    queue_invitations(db, survey_round, [make_organisation().id], 1)
    _invited_days_ago(db, 8)
    from survey.extensions import db as session_db

    with app.app_context():
        fresh = session_db.session.get(type(survey_round), survey_round.id)
        assert len(plan_reminders(fresh, TODAY)) == 1
        app.config["SECRET_KEY"] = "a-new-key"
        assert plan_reminders(fresh, TODAY) == []  # no link to send, so no reminder


def test_reminders_command_dry_run_lists_and_queues_nothing_then_sends(
    app, db, runner, make_round, make_organisation, tmp_path
) -> None:
    survey_round = make_round()
    links = queue_invitations(db, survey_round, [make_organisation().id], 2)
    with app.app_context():
        deliver_due(app.config)  # the invitations
    _invited_days_ago(db, 8)

    dry = runner.invoke(args=["reminders", "send", str(survey_round.id), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "2 reminder(s) would be queued" in dry.output
    for link in links.values():  # a dry run is read and pasted: never a working link in it
        assert link.rsplit("/", 1)[-1] not in dry.output
    assert "http" not in dry.output
    assert (
        db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reminder")).all()
        == []
    )

    sent = runner.invoke(args=["reminders", "send", str(survey_round.id)])
    assert sent.exit_code == 0, sent.output
    assert "2 reminder(s) covering 2 invitation(s) queued" in sent.output
    assert "2 sent" in sent.output
    reminders = [
        m
        for m in read_outbox(tmp_path / "outbox")
        if str(make_header(decode_header(m["Subject"]))).startswith("Reminder")
    ]
    assert len(reminders) == 2
    assert sorted(link for m in reminders for link in links_in(m)) == sorted(links.values())
    assert all(m["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click" for m in reminders)


def test_round_reminders_command_shows_and_changes_the_schedule(runner, db, make_round) -> None:
    survey_round = make_round()
    shown = runner.invoke(args=["round", "reminders", str(survey_round.id)])
    assert shown.exit_code == 0 and "[7, 14]" in shown.output and "[2]" in shown.output
    changed = runner.invoke(
        args=[
            "round",
            "reminders",
            str(survey_round.id),
            "--after",
            "5,10",
            "--before",
            "3,1",
            "--max",
            "4",
        ]
    )
    assert changed.exit_code == 0, changed.output
    db.session.refresh(survey_round)
    assert survey_round.reminder_days_after_invitation == [5, 10]
    assert survey_round.reminder_days_before_close == [3, 1]
    assert survey_round.reminder_limit == 4
    bad = runner.invoke(args=["round", "reminders", str(survey_round.id), "--after", "0"])
    assert bad.exit_code == 1 and "at least 1" in bad.output
    assert runner.invoke(args=["round", "reminders", "999"]).exit_code == 1
