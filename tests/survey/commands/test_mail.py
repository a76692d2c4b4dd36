"""The delivery and fieldwork commands: help, and sending through a real SMTP server."""

from __future__ import annotations

from typing import Any

import pytest
from flask import current_app

from survey.models import OutboxStatus
from tests.smtp import SmtpSink
from tests.survey.mail.helpers import queue_invitations, statuses

COMMANDS = [
    ("mail", "worker"),
    ("mail", "bounces"),
    ("mail", "send"),
    ("reminders", "send"),
    ("round", "reminders"),
    ("round", "status"),
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_delivery_command_explains_itself(runner: Any, command: tuple[str, ...]) -> None:
    result = runner.invoke(args=[*command, "--help"])
    assert result.exit_code == 0
    usage, _, description = result.output.partition("\n\n")
    assert usage.startswith("Usage:")
    assert len(description.split("\n\n")[0].strip()) > 20


def test_mail_send_delivers_the_outbox_over_smtp(
    app, db, runner, smtp_sink: SmtpSink, make_round, make_organisation
) -> None:
    current_app.config.update(smtp_sink.config())  # commands run in the db fixture's app context
    queue_invitations(db, make_round(), [make_organisation().id], 7)

    result = runner.invoke(args=["mail", "send", "--limit", "5"])

    assert result.exit_code == 0, result.output
    assert "5 sent" in result.output
    assert statuses(db) == {OutboxStatus.SENT: 5, OutboxStatus.QUEUED: 2}, result.output
    assert len(smtp_sink.received()) == 5, result.output
    assert "2 sent" in runner.invoke(args=["mail", "send"]).output
    assert len(set(smtp_sink.outbox_ids())) == 7


def test_invitations_issue_sends_with_a_progress_bar(
    app, db, runner, smtp_sink: SmtpSink, make_round, make_organisation
) -> None:
    from survey.models import Invitation, Stakeholder

    current_app.config.update(smtp_sink.config())  # commands run in the db fixture's app context
    survey_round, organisation = make_round(), make_organisation()
    for number in range(3):
        stakeholder = Stakeholder(
            round_id=survey_round.id, email=f"p{number}@example.org", name="P", group="gp_practice"
        )
        db.session.add(stakeholder)
        db.session.flush()
        db.session.add(
            Invitation(
                round_id=survey_round.id,
                stakeholder_id=stakeholder.id,
                organisation_id=organisation.id,
            )
        )
    db.session.commit()

    result = runner.invoke(args=["invitations", "issue", str(survey_round.id)])

    assert result.exit_code == 0, result.output
    assert "sending" in result.output and "3 sent" in result.output
    assert sorted(m["To"] for m in smtp_sink.received()) == [
        "p0@example.org",
        "p1@example.org",
        "p2@example.org",
    ]
