"""Local questions' results, for the dashboard and every report and export alike.

Each organisation's local questions are asked of all its stakeholders and reported for the
organisation as a whole (never by group, so nothing can be subtracted). The statistics are the
engine's (:func:`analysis.analyse_local_questions`: Wilson with the finite population correction
on the organisation's invited stakeholders, the round's suppression threshold), computed here
once for the round.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select

from analysis import analyse_local_questions
from survey.extensions import db
from survey.models import LocalQuestion, Organisation, Response, SurveyRound
from survey.services.packing import StoredAnswer
from survey.services.results.arrays import OtherAnswers, invited_rows
from survey.services.rounds import questionnaire_for


@dataclass(frozen=True)
class LocalResult:
    """One local question's result; every number is None when suppressed or unanswered."""

    item_id: str
    text: str
    n: int | None
    positive: float | None
    positive_low: float | None
    positive_high: float | None
    negative: float | None
    dont_know: float | None
    mean: float | None
    suppressed: bool

    @property
    def shown(self) -> bool:
        return self.positive is not None


def _number(value: object) -> float | None:
    number = float(value)  # type: ignore[arg-type]
    return None if np.isnan(number) else number


def _answers_to(
    survey_round: SurveyRound, organisation_ids: set[int]
) -> Sequence[tuple[int, dict[str, StoredAnswer]]]:
    """The other answers of the responses about ``organisation_ids``."""
    rows = db.session.execute(
        select(Response.organisation_id, Response.other_answers).where(
            Response.round_id == survey_round.id,
            Response.organisation_id.in_(organisation_ids),
            Response.other_answers.is_not(None),
        )
    )
    return [(org_id, answers) for org_id, answers in rows]


def local_results(
    survey_round: SurveyRound, others: OtherAnswers | None = None
) -> dict[str, list[LocalResult]]:
    """Per organisation code, its local questions' results in the order they are asked (from
    the round's ``others`` answers when already read)."""
    asked = db.session.execute(
        select(LocalQuestion, Organisation.code)
        .join(Organisation, Organisation.id == LocalQuestion.organisation_id)
        .where(LocalQuestion.round_id == survey_round.id)
        .order_by(Organisation.code, LocalQuestion.position, LocalQuestion.id)
    ).all()
    questions = [question for question, _code in asked]
    if not questions:
        return {}
    column = {(q.organisation_id, q.item_id): index for index, q in enumerate(questions)}
    asking = {q.organisation_id for q in questions}
    answered = others.answers if others is not None else _answers_to(survey_round, asking)
    respondents: list[list[tuple[int, StoredAnswer]]] = []
    for organisation_id, answers in answered:
        # an answer under another organisation's question id is not this question's
        local_answers = [
            (column[(organisation_id, item_id)], answer)
            for item_id, answer in answers.items()
            if (organisation_id, item_id) in column and "text" not in answer
        ]
        if local_answers:
            respondents.append(local_answers)
    scores = np.full((len(respondents), len(questions)), np.nan)
    dont_know = np.zeros(scores.shape, dtype=bool)
    for at, local_answers in enumerate(respondents):
        for where, answer in local_answers:
            if answer.get("dont_know"):
                dont_know[at, where] = True
            elif "score" in answer:
                scores[at, where] = answer["score"]
    invited: dict[int, int] = defaultdict(int)
    for organisation_id, _group, count in invited_rows(survey_round):
        invited[organisation_id] += int(count)
    scales = questionnaire_for(survey_round).scales
    table = analyse_local_questions(
        scores,
        dont_know,
        [q.item_id for q in questions],
        positive_threshold=[min(scales[q.scale].positive_scores) for q in questions],
        negative_threshold=[max(scales[q.scale].negative_scores) for q in questions],
        invited=[invited[q.organisation_id] for q in questions],
        threshold=survey_round.suppression_threshold,
    )
    out: dict[str, list[LocalResult]] = {}
    for (question, code), row in zip(asked, table.rows(), strict=True):
        n = _number(row["n"])
        out.setdefault(code, []).append(
            LocalResult(
                item_id=question.item_id,
                text=question.text,
                n=None if n is None else int(n),
                positive=_number(row["positive"]),
                positive_low=_number(row["positive_low"]),
                positive_high=_number(row["positive_high"]),
                negative=_number(row["negative"]),
                dont_know=_number(row["dont_know"]),
                mean=_number(row["mean"]),
                suppressed=bool(row["suppressed"]),
            )
        )
    return out
