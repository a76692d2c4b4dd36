"""Answers: saving drafts, submitting exactly once, and the anonymous microdata export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import delete, select, update

from survey.errors import AlreadySubmitted, InputError
from survey.extensions import db
from survey.models import (
    Answer,
    Invitation,
    InvitationStatus,
    Organisation,
    PartialAnswers,
    Response,
    SurveyRound,
)
from survey.models.types import utcnow

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

    The status change is a conditional UPDATE, so of two concurrent submits of one link exactly
    one changes a row; the other raises ``AlreadySubmitted`` and its transaction stores nothing.
    Only answers to ``expected_items`` (the items this stakeholder was shown) are kept; blank
    open-text answers are dropped.
    """
    claimed = db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.status.in_(_OPEN_STATUSES))
        .values(status=InvitationStatus.COMPLETED)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise AlreadySubmitted("this survey link has already been used to submit a response")
    draft = draft_for(invitation)
    saved = dict(draft.answers) if draft is not None else {}
    expected = list(expected_items)
    kept = {
        item_id: saved[item_id]
        for item_id in expected
        if item_id in saved
        and not ("text" in saved[item_id] and not str(saved[item_id]["text"]).strip())
    }
    if not kept:
        raise InputError("there are no answers to submit")
    response = Response(
        round_id=invitation.round_id,
        organisation_id=invitation.organisation_id,
        stakeholder_group=invitation.stakeholder.group,
    )
    db.session.add(response)
    db.session.flush()
    db.session.execute(
        Answer.__table__.insert(),
        [_answer_row(response.id, item_id, value) for item_id, value in kept.items()],
    )
    if draft is not None:
        db.session.delete(draft)
    db.session.flush()
    db.session.refresh(invitation)
    return response


def discard_draft(invitation: Invitation) -> None:
    db.session.execute(delete(PartialAnswers).where(PartialAnswers.invitation_id == invitation.id))


def discard_drafts(survey_round: SurveyRound) -> int:
    """Delete every unsubmitted draft of a round (at close); returns how many."""
    ids = select(Invitation.id).where(Invitation.round_id == survey_round.id)
    result = db.session.execute(delete(PartialAnswers).where(PartialAnswers.invitation_id.in_(ids)))
    return int(result.rowcount or 0)


def export_responses_csv(survey_round: SurveyRound, item_ids: list[str]) -> bytes:
    """Anonymous microdata: one row per response, one column per item.

    Scores are numbers, "don't know" is ``DK``, blank means not answered or not shown. Rows come
    in random-key order, which says nothing about when anyone answered. Cells that a spreadsheet
    would run as a formula are prefixed with a quote.
    """
    rows = db.session.execute(
        select(Response.id, Organisation.code, Organisation.kind, Response.stakeholder_group)
        .join(Organisation, Organisation.id == Response.organisation_id)
        .where(Response.round_id == survey_round.id)
        .order_by(Response.id)
    ).all()
    answers: dict[str, dict[str, str]] = {row[0]: {} for row in rows}
    for response_id, item_id, score, dont_know, text in db.session.execute(
        select(Answer.response_id, Answer.item_id, Answer.score, Answer.dont_know, Answer.text)
        .join(Response)
        .where(Response.round_id == survey_round.id)
    ):
        answers[response_id][item_id] = (
            "DK" if dont_know else (str(score) if score is not None else text or "")
        )
    local_ids = sorted({item for values in answers.values() for item in values} - set(item_ids))
    columns = item_ids + local_ids
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["response", "year", "organisation", "kind", "stakeholder_group", *columns])
    for number, (response_id, code, kind, group) in enumerate(rows, start=1):
        values = answers[response_id]
        writer.writerow(
            [
                number,
                survey_round.year,
                code,
                kind.value,
                group,
                *(neutralise(values.get(c, "")) for c in columns),
            ]
        )
    return buffer.getvalue().encode("utf-8-sig")


def neutralise(cell: str) -> str:
    """Stop a spreadsheet running a cell as a formula (OWASP CSV injection advice)."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell
