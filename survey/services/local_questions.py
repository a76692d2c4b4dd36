"""Local questions: the few items an assessed organisation adds to its own stakeholders' survey."""

from __future__ import annotations

from sqlalchemy import func, select

from survey.extensions import db
from survey.models import LocalQuestion, Organisation, Response, RoundStatus, SurveyRound
from survey.services import audit
from survey.services.errors import InputError
from survey.services.organisations import organisation_by_code
from survey.services.rounds import questionnaire_for

MAX_TEXT = 500


def local_questions(round_id: int, organisation_id: int) -> list[LocalQuestion]:
    """One organisation's local questions in a round, in the order they are asked."""
    query = (
        select(LocalQuestion)
        .where(LocalQuestion.round_id == round_id, LocalQuestion.organisation_id == organisation_id)
        .order_by(LocalQuestion.position, LocalQuestion.id)
    )
    return list(db.session.scalars(query))


def add_local_question(
    actor: audit.Actor, survey_round: SurveyRound, organisation_code: str, text: str, scale: str
) -> LocalQuestion:
    """Add a question for one organisation's stakeholders, within the questionnaire's rules.

    Only before anyone has answered about the organisation: every respondent of a cell must have
    been asked the same questions, or the question's base would mean nothing.
    """
    organisation = organisation_by_code(organisation_code)
    block = questionnaire_for(survey_round).local_questions
    text = " ".join(text.split())
    if survey_round.status is RoundStatus.CLOSED:
        raise InputError(f"round {survey_round.id} is closed")
    if not text or len(text) > MAX_TEXT:
        raise InputError(f"the question must have 1 to {MAX_TEXT} characters")
    if scale not in block.scales:
        raise InputError(
            f"local questions use one of these scales: {', '.join(block.scales)}; got {scale!r}"
        )
    existing = local_questions(survey_round.id, organisation.id)
    if len(existing) >= block.max_items:
        raise InputError(
            f"{organisation.name} already has the most local questions allowed ({block.max_items})"
        )
    answered = db.session.scalar(
        select(func.count())
        .select_from(Response)
        .where(Response.round_id == survey_round.id, Response.organisation_id == organisation.id)
    )
    if answered:
        raise InputError(
            f"stakeholders have already answered about {organisation.name}: its questions are fixed"
        )
    number = max((int(q.item_id.removeprefix("local_")) for q in existing), default=0) + 1
    question = LocalQuestion(
        round_id=survey_round.id,
        organisation_id=organisation.id,
        item_id=f"local_{number}",
        text=text,
        scale=scale,
        position=number,
    )
    db.session.add(question)
    db.session.flush()
    audit.record(
        actor,
        "local_question.add",
        target=f"round:{survey_round.id}",
        organisation=organisation.code,
        item=question.item_id,
    )
    return question


def round_local_questions(survey_round: SurveyRound) -> list[tuple[LocalQuestion, Organisation]]:
    """The round's local questions with their organisations, by organisation."""
    query = (
        select(LocalQuestion, Organisation)
        .join(Organisation, Organisation.id == LocalQuestion.organisation_id)
        .where(LocalQuestion.round_id == survey_round.id)
        .order_by(Organisation.code, LocalQuestion.position)
    )
    return [(question, organisation) for question, organisation in db.session.execute(query)]
