"""A small seeded round for the report tests: typical organisations, one much worse on
governance, one much better on partnership, and one too small to show anything."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from survey.models import Organisation, SurveyRound
from survey.services.responses import store_response
from survey.services.rounds import questionnaire_for
from tests.survey.stored import publish

PAYLOAD = '=HYPERLINK("http://evil.example")<script>alert(1)</script>'


@dataclass
class Seeded:
    survey_round: SurveyRound
    typical: list[Organisation]
    worse: Organisation
    better: Organisation
    tiny: Organisation


def seed_responses(
    db: Any,
    survey_round: SurveyRound,
    organisation: Organisation,
    group: str,
    count: int,
    score_for: Any,
) -> None:
    """``count`` submitted responses from ``group``; ``score_for(item, i)`` gives each answer
    (an int, "dk" for don't know, or None to skip)."""
    questionnaire = questionnaire_for(survey_round)
    items = [item for item in questionnaire.items if item.kind == "scale" and item.shown_to(group)]
    for i in range(count):
        answers = {
            item.id: {"dont_know": True} if value == "dk" else {"score": value}
            for item in items
            if (value := score_for(item, i)) is not None
        }
        store_response(survey_round.id, organisation.id, group, answers)
    publish(survey_round)  # results pages and files read the round's latest release
    db.session.commit()


def _typical(item: Any, i: int) -> int | str:
    # 3 in 5 positive, 1 in 5 neutral, 1 in 5 negative; the odd don't know
    return "dk" if i % 11 == 10 else (5, 4, 4, 3, 2)[i % 5]


@pytest.fixture
def seeded(db: Any, make_round: Any, make_organisation: Any) -> Seeded:
    survey_round = make_round()
    typical = [make_organisation(code=f"0{n}T") for n in range(1, 5)]
    worse = make_organisation(code="05W", name=PAYLOAD)
    better = make_organisation(code="06B")
    tiny = make_organisation(code="07S")
    for organisation in [*typical, worse, better]:
        if organisation is worse:

            def score(item: Any, i: int) -> int | str:
                return (2, 1, 2, 3)[i % 4] if item.domain == "governance" else _typical(item, i)

        elif organisation is better:

            def score(item: Any, i: int) -> int | str:
                return (5, 5, 4, 5)[i % 4] if item.domain == "partnership" else _typical(item, i)

        else:
            score = _typical
        seed_responses(db, survey_round, organisation, "gp_practice", 32, score)
        seed_responses(db, survey_round, organisation, "nhs_provider", 8, score)
    # a group below the threshold: hidden (and the GP practices with it, by subtraction)
    seed_responses(db, survey_round, typical[0], "healthwatch", 2, _typical)
    seed_responses(db, survey_round, tiny, "gp_practice", 3, _typical)
    return Seeded(survey_round, typical, worse, better, tiny)
