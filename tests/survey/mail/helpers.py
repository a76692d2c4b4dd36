"""Helpers for delivery tests: queue many invitations, deliver with the real app's sessions."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import func, select

from survey.mail import deliver_due
from survey.mail.sender import DeliveryReport
from survey.models import Invitation, OutboxMessage, OutboxStatus, Stakeholder, SurveyRound
from survey.services.audit import COMMAND_LINE
from survey.services.invitations import issue_invitations
from tests.smtp import SmtpSink


def queue_invitations(
    db: Any,
    survey_round: SurveyRound,
    organisation_ids: list[int],
    count: int,
    *,
    prefix: str = "person",
) -> dict[int, str]:
    """``count`` stakeholders, each invited to assess every organisation; returns the links."""
    for number in range(count):
        stakeholder = Stakeholder(
            round_id=survey_round.id,
            email=f"{prefix}{number}@example.org",
            name=f"Person {number}",
            group="gp_practice",
        )
        db.session.add(stakeholder)
        db.session.flush()
        for organisation_id in organisation_ids:
            db.session.add(
                Invitation(
                    round_id=survey_round.id,
                    stakeholder_id=stakeholder.id,
                    organisation_id=organisation_id,
                )
            )
    db.session.flush()
    report = issue_invitations(COMMAND_LINE, survey_round)
    db.session.commit()
    return report.links


def smtp_config(app: Flask, sink: SmtpSink, **extra: Any) -> dict[str, Any]:
    return {**app.config, **sink.config(), **extra}


def deliver(app: Flask, sink: SmtpSink, **kwargs: Any) -> DeliveryReport:
    """Run the sender as a command would: in an application context of the served app."""
    with app.app_context():
        return deliver_due(smtp_config(app, sink), **kwargs)


def statuses(db: Any) -> dict[OutboxStatus, int]:
    return {
        status: count
        for status, count in db.session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        )
    }
