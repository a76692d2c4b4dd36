"""Rounds for the scheduler's tests: stakeholders with pending invitations, invited days ago."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import update

from survey.models import Invitation, Stakeholder, SurveyRound
from survey.models.types import utcnow


def add_pending(
    db: Any, survey_round: SurveyRound, organisation_ids: list[int], count: int, prefix: str
) -> list[str]:
    """``count`` stakeholders with a pending invitation per organisation; returns addresses."""
    emails = []
    for number in range(count):
        stakeholder = Stakeholder(
            round_id=survey_round.id,
            email=f"{prefix}{number}@example.org",
            name=f"Person {number}",
            group="gp_practice",
        )
        db.session.add(stakeholder)
        db.session.flush()
        emails.append(stakeholder.email)
        for organisation_id in organisation_ids:
            db.session.add(
                Invitation(
                    round_id=survey_round.id,
                    stakeholder_id=stakeholder.id,
                    organisation_id=organisation_id,
                )
            )
    db.session.commit()
    return emails


def invited_days_ago(db: Any, survey_round: SurveyRound, days: int) -> None:
    db.session.execute(
        update(Stakeholder)
        .where(Stakeholder.round_id == survey_round.id)
        .values(invited_at=utcnow() - timedelta(days=days))
    )
    db.session.commit()
