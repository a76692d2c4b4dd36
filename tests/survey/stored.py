"""What tests need to read results: submitted responses moved through the release step.

A submit leaves a response sealed in the pending store; results, exports and the response
store see it only after a release (``survey.services.releases``). Tests about what a stored
response holds release on purpose, as the round's close or the worker does.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from survey.models import Invitation, PendingResponse, Response, SurveyRound
from survey.services.releases import release_pending
from survey.services.responses import saved_answers, stored_answers, submit_response


def release_all(db: Any) -> int:
    """Release every round's pending responses (in the test's own transaction, committed)."""
    round_ids = set(db.session.scalars(select(PendingResponse.round_id)))
    released = sum(
        release_pending(db.session.get(SurveyRound, round_id), everything=True)
        for round_id in round_ids
    )
    db.session.commit()
    return released


def submit_released(invitation: Invitation, expected_items: Iterable[str]) -> None:
    """Submit as the stakeholder would, then release the round's pending responses."""
    submit_response(invitation, expected_items)
    release_pending(invitation.survey_round, everything=True)


def draft_answers(db: Any, invitation: Invitation | int) -> dict[str, Any]:
    """The answers an invitation's draft holds now (opened as the app opens them)."""
    invitation_id = invitation if isinstance(invitation, int) else invitation.id
    db.session.expire_all()
    return saved_answers(db.session.get_one(Invitation, invitation_id))


def answers_stored(db: Any) -> list[dict[str, Any]]:
    """Every stored response's answers, item id -> answer (in random-key order)."""
    return [
        stored_answers(response)
        for response in db.session.scalars(select(Response).order_by(Response.id))
    ]
