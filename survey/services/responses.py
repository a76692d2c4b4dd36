"""Answers: saving drafts, submitting exactly once, discarding drafts.

Drafts and submitted responses are sealed (``survey.services.sealing``); a submit puts the
response into the pending store, and only the release step (``survey.services.releases``)
writes it into the response store, with others, in random order, in a transaction of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import delete, insert, select, update

from survey.extensions import affected_rows, db
from survey.models import (
    Invitation,
    InvitationStatus,
    PartialAnswers,
    PendingResponse,
    Response,
    SurveyRound,
)
from survey.services.errors import AlreadySubmitted, InputError
from survey.services.links import Link
from survey.services.packing import (
    FORMAT_VERSION,
    STORABLE_SCORES,
    StoredAnswer,
    pack,
    scale_columns,
    unpack,
)
from survey.services.round_questionnaire import questionnaire_for
from survey.services.sealing import seal, unseal

_OPEN_STATUSES = (InvitationStatus.ISSUED, InvitationStatus.STARTED)


def draft_for(invitation: Invitation) -> PartialAnswers | None:
    return invitation.draft


def _draft_purpose(invitation_id: int) -> str:
    return f"draft:{invitation_id}"


def saved_answers(invitation: Invitation) -> dict[str, StoredAnswer]:
    """The answers saved so far on ``invitation`` (empty when there is no draft)."""
    draft = draft_for(invitation)
    if draft is None:
        return {}
    return unseal(draft.sealed, purpose=_draft_purpose(invitation.id))


def unsealed_draft(link: Link) -> dict[str, StoredAnswer]:
    """The answers saved so far on a link's invitation, as its pages read it."""
    if link.sealed_draft is None:
        return {}
    return unseal(link.sealed_draft, purpose=_draft_purpose(link.invitation_id))


def save_answers(
    invitation: Invitation, answers: Mapping[str, StoredAnswer], resume_section: int
) -> PartialAnswers:
    """Store a page's answers in the invitation's draft and note where to resume."""
    if invitation.status not in _OPEN_STATUSES:
        raise AlreadySubmitted("this survey link has already been used to submit a response")
    sealed = _sealed_draft(invitation.id, saved_answers(invitation), answers)
    draft = draft_for(invitation)
    if draft is None:
        draft = PartialAnswers(invitation_id=invitation.id, sealed=sealed)
        invitation.draft = draft
    draft.sealed = sealed
    draft.resume_section = resume_section
    if invitation.status is InvitationStatus.ISSUED:
        invitation.status = InvitationStatus.STARTED
    db.session.flush()
    return draft


def save_page(link: Link, answers: Mapping[str, StoredAnswer], resume_section: int) -> None:
    """``save_answers`` for a respondent page, in one statement: ``link`` is as
    ``links.lock_link`` read it, after the lock that marked it started."""
    if link.status is not InvitationStatus.STARTED:
        raise AlreadySubmitted("this survey link has already been used to submit a response")
    sealed = _sealed_draft(link.invitation_id, unsealed_draft(link), answers)
    values = {"sealed": sealed, "resume_section": resume_section}
    if link.sealed_draft is None:
        db.session.execute(
            insert(PartialAnswers).values(invitation_id=link.invitation_id, **values)
        )
    else:
        db.session.execute(
            update(PartialAnswers)
            .where(PartialAnswers.invitation_id == link.invitation_id)
            .values(**values)
        )


def _sealed_draft(
    invitation_id: int, saved: dict[str, StoredAnswer], answers: Mapping[str, StoredAnswer]
) -> bytes:
    """The draft of ``saved`` answers with a page's ``answers`` over them, sealed."""
    saved.update({item_id: dict(value) for item_id, value in answers.items()})
    return seal(saved, purpose=_draft_purpose(invitation_id))


def pending_purpose(round_id: int) -> str:
    return f"pending:{round_id}"


def submit_response(invitation: Invitation, expected_items: Iterable[str]) -> PendingResponse:
    """Seal the draft as one pending response and mark the invitation completed, atomically.

    Everything is checked before anything is written, so a refused submit stores nothing. The
    status change is a conditional UPDATE, so of two concurrent submits of one link exactly one
    changes a row; the other raises ``AlreadySubmitted`` having changed nothing. Only answers to
    ``expected_items`` (the items this stakeholder was shown) are kept; blank open-text answers
    are dropped. The response reaches results only when a release takes it from the pending store.
    """
    if invitation.status not in _OPEN_STATUSES:
        raise AlreadySubmitted("this survey link has already been used to submit a response")
    draft = draft_for(invitation)
    kept = _answers_to_keep(saved_answers(invitation), expected_items)
    if not kept:
        raise InputError("there are no answers to submit")
    for item_id, value in kept.items():
        _check_storable(item_id, value)
    claimed = db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.status.in_(_OPEN_STATUSES))
        .values(status=InvitationStatus.COMPLETED)
        .execution_options(synchronize_session=False)
    )
    if affected_rows(claimed) != 1:
        raise AlreadySubmitted("this survey link has already been used to submit a response")
    payload = {
        "organisation_id": invitation.organisation_id,
        "group": invitation.stakeholder.group,
        "answers": kept,
    }
    pending = PendingResponse(
        round_id=invitation.round_id,
        sealed=seal(payload, purpose=pending_purpose(invitation.round_id)),
    )
    db.session.add(pending)
    if draft is not None:
        db.session.delete(draft)
    db.session.flush()
    db.session.refresh(invitation)
    return pending


def _check_storable(item_id: str, value: StoredAnswer) -> None:
    """Refuse, at submit, an answer the response store would refuse at release: a release that
    failed on one response would hold back every other response in its batch."""
    score = value.get("score")
    if value.get("dont_know") or "text" in value:
        return
    if isinstance(score, bool) or not isinstance(score, int) or score not in STORABLE_SCORES:
        raise InputError(f"the answer to {item_id} is not a score from 1 to 10: {score!r}")


def store_response(
    round_id: int, organisation_id: int, group: str, answers: Mapping[str, StoredAnswer]
) -> Response:
    """Write one anonymous response with its answers (the response store's only writer),
    packed in the round's questionnaire's item order (``survey.services.packing``)."""
    columns = scale_columns(questionnaire_for(db.session.get_one(SurveyRound, round_id)))
    packed = pack(answers, columns)
    response = Response(
        round_id=round_id,
        organisation_id=organisation_id,
        stakeholder_group=group,
        format_version=FORMAT_VERSION,
        scale_answers=packed.scale_answers,
        other_answers=packed.other_answers,
    )
    db.session.add(response)
    return response


def stored_answers(response: Response) -> dict[str, StoredAnswer]:
    """A stored response's answers, item id -> answer, as they were submitted."""
    columns = scale_columns(questionnaire_for(db.session.get_one(SurveyRound, response.round_id)))
    return unpack(response.scale_answers, response.other_answers, columns)


def _answers_to_keep(
    saved: Mapping[str, StoredAnswer], expected_items: Iterable[str]
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
    db.session.expire(invitation, ["draft"])  # the bulk delete bypassed the relationship


def discard_drafts(survey_round: SurveyRound) -> int:
    """Delete every unsubmitted draft of a round (at close); returns how many."""
    ids = select(Invitation.id).where(Invitation.round_id == survey_round.id)
    result = db.session.execute(delete(PartialAnswers).where(PartialAnswers.invitation_id.in_(ids)))
    for loaded in list(db.session.identity_map.values()):
        if isinstance(loaded, Invitation) and loaded.round_id == survey_round.id:
            db.session.expire(loaded, ["draft"])  # the bulk delete bypassed the relationship
    return affected_rows(result)
