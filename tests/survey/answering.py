"""Answering as a stakeholder's requests would, for tests that hold an invitation (ORM) rather
than a link: its link is built from the ORM, apart from the one query the pages use
(``survey.services.links``), and the answer services are called with it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import func, select

from survey.extensions import db
from survey.models import Invitation
from survey.services import responses
from survey.services.links import Link
from survey.services.packing import StoredAnswer
from survey.services.round_questionnaire import questionnaire_for
from survey.services.sealing import unseal


def link_of(invitation: Invitation) -> Link:
    """The link of ``invitation`` as its pages would read it."""
    survey_round = invitation.survey_round
    return Link(
        invitation.id,
        invitation.round_id,
        invitation.organisation_id,
        invitation.status,
        invitation.stakeholder.group,
        invitation.organisation.name,
        survey_round.title,
        survey_round.closes_on,
        survey_round.suppression_threshold,
        survey_round.comment_threshold,
        questionnaire_for(survey_round),
        tuple((q.item_id, q.text, q.scale) for q in invitation.local_questions),
        invitation.sealed_draft,
        invitation.resume_section,
    )


def save_answers(
    invitation: Invitation, answers: Mapping[str, StoredAnswer], resume_section: int
) -> None:
    """Save a page's ``answers`` in the invitation's draft (``responses.save_page``)."""
    responses.save_page(link_of(invitation), answers, resume_section)
    db.session.expire(invitation)


def submit_response(invitation: Invitation, expected_items: Iterable[str]) -> None:
    """Submit the invitation's draft (``responses.submit_response``)."""
    responses.submit_response(link_of(invitation), expected_items)
    db.session.expire(invitation)


def saved_answers(invitation: Invitation) -> dict[str, Any]:
    """The answers the invitation's draft holds now, opened as the pages open them."""
    db.session.refresh(invitation)
    if invitation.sealed_draft is None:
        return {}
    return unseal(invitation.sealed_draft, purpose=responses.draft_purpose(invitation.id))


def count_drafts() -> int:
    """How many invitations hold a saved draft."""
    drafts = select(func.count()).where(Invitation.sealed_draft.is_not(None))
    return int(db.session.scalar(drafts) or 0)
