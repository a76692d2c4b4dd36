"""Answers: saving drafts, submitting exactly once, discarding drafts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import delete, insert, select, update

from survey.extensions import affected_rows, db
from survey.models import (
    Answer,
    Invitation,
    InvitationStatus,
    PartialAnswers,
    Response,
    SurveyRound,
)
from survey.models.types import utcnow
from survey.services.errors import AlreadySubmitted, InputError

#: a saved answer: {"score": 4} | {"dont_know": True} | {"text": "..."}
StoredAnswer = Mapping[str, Any]

_OPEN_STATUSES = (InvitationStatus.ISSUED, InvitationStatus.STARTED)


def draft_for(invitation: Invitation) -> PartialAnswers | None:
    return db.session.get(PartialAnswers, invitation.id)


def save_answers(
    invitation: Invitation, answers: Mapping[str, StoredAnswer], resume_section: int
) -> PartialAnswers:
    """Store a page's answers in the invitation's draft and note where to resume."""
    if invitation.status not in _OPEN_STATUSES:
        raise AlreadySubmitted("this survey link has already been used to submit a response")
    draft = draft_for(invitation)
    if draft is None:
        draft = PartialAnswers(invitation_id=invitation.id, answers={})
        db.session.add(draft)
    merged = dict(draft.answers or {})
    merged.update({item_id: dict(value) for item_id, value in answers.items()})
    draft.answers = merged
    draft.resume_section = resume_section
    if invitation.status is InvitationStatus.ISSUED:
        invitation.status = InvitationStatus.STARTED
        invitation.started_at = utcnow()
    db.session.flush()
    return draft


def _answer_row(response_id: str, item_id: str, value: StoredAnswer) -> dict[str, Any]:
    if value.get("dont_know"):
        return {
            "response_id": response_id,
            "item_id": item_id,
            "score": None,
            "dont_know": True,
            "text": None,
        }
    if "score" in value:
        return {
            "response_id": response_id,
            "item_id": item_id,
            "score": int(value["score"]),
            "dont_know": False,
            "text": None,
        }
    return {
        "response_id": response_id,
        "item_id": item_id,
        "score": None,
        "dont_know": False,
        "text": str(value["text"]),
    }


def submit_response(invitation: Invitation, expected_items: Iterable[str]) -> Response:
    """Store the draft as one anonymous response and mark the invitation completed, atomically.

    Everything is checked before anything is written, so a refused submit stores nothing. The
    status change is a conditional UPDATE, so of two concurrent submits of one link exactly one
    changes a row; the other raises ``AlreadySubmitted`` having changed nothing. Only answers to
    ``expected_items`` (the items this stakeholder was shown) are kept; blank open-text answers
    are dropped.
    """
    if invitation.status not in _OPEN_STATUSES:
        raise AlreadySubmitted("this survey link has already been used to submit a response")
    draft = draft_for(invitation)
    kept = _answers_to_keep(dict(draft.answers) if draft is not None else {}, expected_items)
    if not kept:
        raise InputError("there are no answers to submit")
    claimed = db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.status.in_(_OPEN_STATUSES))
        .values(status=InvitationStatus.COMPLETED)
        .execution_options(synchronize_session=False)
    )
    if affected_rows(claimed) != 1:
        raise AlreadySubmitted("this survey link has already been used to submit a response")
    response = store_response(
        invitation.round_id, invitation.organisation_id, invitation.stakeholder.group, kept
    )
    if draft is not None:
        db.session.delete(draft)
    db.session.flush()
    db.session.refresh(invitation)
    return response


def store_response(
    round_id: int, organisation_id: int, group: str, answers: Mapping[str, StoredAnswer]
) -> Response:
    """Write one anonymous response with its answers (the response store's only writer)."""
    response = Response(round_id=round_id, organisation_id=organisation_id, stakeholder_group=group)
    db.session.add(response)
    db.session.flush()
    db.session.execute(
        insert(Answer),
        [_answer_row(response.id, item_id, value) for item_id, value in answers.items()],
    )
    return response


def _answers_to_keep(
    saved: dict[str, Any], expected_items: Iterable[str]
) -> dict[str, StoredAnswer]:
    def blank(value: StoredAnswer) -> bool:
        return "text" in value and not str(value["text"]).strip()

    return {
        item_id: saved[item_id]
        for item_id in expected_items
        if item_id in saved and not blank(saved[item_id])
    }


def discard_draft(invitation: Invitation) -> None:
    db.session.execute(delete(PartialAnswers).where(PartialAnswers.invitation_id == invitation.id))


def discard_drafts(survey_round: SurveyRound) -> int:
    """Delete every unsubmitted draft of a round (at close); returns how many."""
    ids = select(Invitation.id).where(Invitation.round_id == survey_round.id)
    result = db.session.execute(delete(PartialAnswers).where(PartialAnswers.invitation_id.in_(ids)))
    return affected_rows(result)
