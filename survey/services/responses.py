"""Answers: saving drafts, submitting exactly once, discarding drafts.

Drafts and submitted responses are sealed (``survey.services.sealing``); a submit puts the
response into the pending store, and only the release step (``survey.services.releases``)
writes it into the response store, with others, in random order, in a transaction of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import insert, update

from survey.extensions import affected_rows, db
from survey.models import (
    Invitation,
    InvitationStatus,
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
_USED = "this survey link has already been used to submit a response"


def draft_purpose(invitation_id: int) -> str:
    return f"draft:{invitation_id}"


def unsealed_draft(link: Link) -> dict[str, StoredAnswer]:
    """The answers saved so far on a link's invitation (empty before the first save)."""
    if link.sealed_draft is None:
        return {}
    return unseal(link.sealed_draft, purpose=draft_purpose(link.invitation_id))


def _update_open_invitation(link: Link, **values: object) -> None:
    """Write ``values`` into the link's invitation if it is still open, or ``AlreadySubmitted``
    having written nothing: the status condition is what makes a submit happen once."""
    if link.status not in _OPEN_STATUSES:
        raise AlreadySubmitted(_USED)
    written = db.session.execute(
        update(Invitation)
        .where(Invitation.id == link.invitation_id, Invitation.status.in_(_OPEN_STATUSES))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if affected_rows(written) != 1:
        raise AlreadySubmitted(_USED)


def save_page(link: Link, answers: Mapping[str, StoredAnswer], resume_section: int) -> None:
    """Store a page's ``answers`` over the link's draft, note where to resume and mark the
    invitation started, in one statement; ``link`` is as ``links.lock_link`` read it."""
    saved = unsealed_draft(link)
    saved.update({item_id: dict(value) for item_id, value in answers.items()})
    _update_open_invitation(
        link,
        status=InvitationStatus.STARTED,
        sealed_draft=seal(saved, purpose=draft_purpose(link.invitation_id)),
        resume_section=resume_section,
    )


def pending_purpose(round_id: int) -> str:
    return f"pending:{round_id}"


def submit_response(link: Link, expected_items: Iterable[str]) -> None:
    """Seal the link's draft as one pending response and mark its invitation completed, its
    draft cleared, atomically: two statements after ``links.lock_link``.

    Everything is checked before anything is written, so a refused submit stores nothing. The
    status change is a conditional UPDATE, so of two concurrent submits of one link exactly one
    changes a row; the other raises ``AlreadySubmitted`` having changed nothing. Only answers to
    ``expected_items`` (the items this stakeholder was shown) are kept; blank open-text answers
    are dropped. The response reaches results only when a release takes it from the pending store.
    """
    if link.status not in _OPEN_STATUSES:
        raise AlreadySubmitted(_USED)
    kept = _answers_to_keep(unsealed_draft(link), expected_items)
    if not kept:
        raise InputError("there are no answers to submit")
    for item_id, value in kept.items():
        _check_storable(item_id, value)
    _update_open_invitation(
        link, status=InvitationStatus.COMPLETED, sealed_draft=None, resume_section=None
    )
    payload = {"organisation_id": link.organisation_id, "group": link.group, "answers": kept}
    db.session.execute(
        insert(PendingResponse).values(
            round_id=link.round_id, sealed=seal(payload, purpose=pending_purpose(link.round_id))
        )
    )


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
    invitation.sealed_draft = None
    invitation.resume_section = None


def discard_drafts(survey_round: SurveyRound) -> int:
    """Delete every unsubmitted draft of a round (at close); returns how many."""
    result = db.session.execute(
        update(Invitation)
        .where(Invitation.round_id == survey_round.id, Invitation.sealed_draft.is_not(None))
        .values(sealed_draft=None, resume_section=None)
    )
    return affected_rows(result)
