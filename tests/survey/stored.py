"""What tests need to read results: submitted responses moved through the release step.

A submit leaves a response sealed in the pending store; the response store sees it only after
a release (``survey.services.releases``), and results pages and files only after results are
published (``survey.services.publication``). These helpers do both, as a round's close does.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from survey.models import Invitation, PendingResponse, Response, RoundStatus, SurveyRound
from survey.services.audit import COMMAND_LINE
from survey.services.publication import publish_results
from survey.services.releases import release_pending
from survey.services.responses import stored_answers
from tests.survey.answering import save_answers, saved_answers, submit_response


def publish(survey_round: SurveyRound) -> None:
    """Publish the round's results as they stand: an interim release, or the close release."""
    kind = "close" if survey_round.status is RoundStatus.CLOSED else "interim"
    publish_results(COMMAND_LINE, survey_round, kind=kind)


def release_all(db: Any) -> int:
    """Release every round's pending responses and publish each round's results (in the
    test's own transaction, committed)."""
    round_ids = set(db.session.scalars(select(PendingResponse.round_id)))
    released = 0
    for round_id in sorted(round_ids):
        survey_round = db.session.get_one(SurveyRound, round_id)
        released += release_pending(survey_round, everything=True)
        publish(survey_round)
    db.session.commit()
    return released


def submit_released(invitation: Invitation, expected_items: Iterable[str]) -> None:
    """Submit as the stakeholder would, then release the round's pending responses and
    publish its results, so that results pages show the response."""
    submit_response(invitation, expected_items)
    release_pending(invitation.survey_round, everything=True)
    publish(invitation.survey_round)


def respond(
    db: Any,
    make_invitation: Any,
    survey_round: SurveyRound,
    organisation: Any,
    answers: dict[str, dict[str, Any]],
    group: str = "gp_practice",
) -> Any:
    """One stakeholder of ``group`` at ``organisation`` answers ``answers`` (item id -> stored
    value) and submits; released and published (:func:`submit_released`), committed. Returns
    what ``make_invitation`` made (the invitation and its link)."""
    issued = make_invitation(survey_round=survey_round, organisation=organisation, group=group)
    invitation = db.session.get_one(Invitation, issued.invitation.id)
    save_answers(invitation, answers, resume_section=1)
    submit_released(invitation, list(answers))
    db.session.commit()
    return issued


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
