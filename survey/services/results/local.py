"""Local questions' results for the report: read from the database, suppressed like the rest."""

from __future__ import annotations

import math

from sqlalchemy import select

from analysis import wilson
from survey.extensions import db
from survey.models import Answer, LocalQuestion, Response, SurveyRound
from survey.reports.report import LocalResult
from survey.services.rounds import questionnaire_for


def local_results(survey_round: SurveyRound) -> dict[int, list[LocalResult]]:
    """Per organisation id, its local questions' % positive with 95% Wilson interval.

    A question answered (with a scale answer) by fewer than the round's threshold carries no
    numbers. Counts only: organisation-level totals, no breakdown that could be subtracted.
    """
    questionnaire = questionnaire_for(survey_round)
    questions = db.session.scalars(
        select(LocalQuestion)
        .where(LocalQuestion.round_id == survey_round.id)
        .order_by(LocalQuestion.organisation_id, LocalQuestion.position, LocalQuestion.id)
    ).all()
    if not questions:
        return {}
    answers = db.session.execute(
        select(Response.organisation_id, Answer.item_id, Answer.score)
        .join(Response, Response.id == Answer.response_id)
        .where(
            Response.round_id == survey_round.id,
            Answer.item_id.in_({q.item_id for q in questions}),
            Answer.score.is_not(None),
        )
    ).all()
    scores: dict[tuple[int, str], list[int]] = {}
    for organisation_id, item_id, score in answers:
        if score is not None:
            scores.setdefault((organisation_id, item_id), []).append(score)
    out: dict[int, list[LocalResult]] = {}
    for question in questions:
        scale = questionnaire.scales.get(question.scale)
        given = scores.get((question.organisation_id, question.item_id), [])
        n = len(given)
        if scale is None or n < survey_round.suppression_threshold:
            result = LocalResult(question.text, None, None, None, None)
        else:
            positive = sum(1 for s in given if s in scale.positive_scores)
            low, high = wilson(positive, n)
            result = LocalResult(
                question.text,
                n,
                positive / n,
                None if math.isnan(float(low)) else float(low),
                None if math.isnan(float(high)) else float(high),
            )
        out.setdefault(question.organisation_id, []).append(result)
    return out
