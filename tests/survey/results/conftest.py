"""A small seeded round for the results pages: three organisations in two regions, all roles."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask

from survey.models import LocalQuestion, Organisation, SurveyRound
from tests.survey.respond.live import LiveServer, serve

# the respondent pages' browser fixtures, for test_browser.py here
from tests.survey.respond.test_browser import (  # noqa: F401
    axe_source,
    browser,
    open_session,
)
from tests.survey.stored import publish, respond

#: the items every seeded response answers (the overall section), and a comment
ITEMS = [
    "overall_relationship",
    "overall_involved_enough",
    "overall_know_contact",
    "overall_concerns_heard",
]
COMMENT = "comment_does_well"


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    yield from serve(app)


@dataclass
class Seeded:
    survey_round: SurveyRound
    alpha: Organisation  # Midlands, 6 GP practices + 1 local authority, a local question
    beta: Organisation  # Midlands, 5 GP practices, a local question answered by 2
    gamma: Organisation  # London, 5 GP practices
    empty: Organisation  # Midlands, invited but nobody answered


@pytest.fixture
def answer(db: Any, make_invitation: Callable[..., Any]) -> Callable[..., None]:
    """Submit one response through the respondent services.

    ``answers`` is item id -> stored value.
    """

    def submit(
        survey_round: SurveyRound, organisation: Organisation, group: str, answers: dict[str, dict]
    ) -> None:
        respond(db, make_invitation, survey_round, organisation, answers, group)

    return submit


def _scored(score: int, comment: str | None = None, local: int | None = None) -> dict[str, dict]:
    answers: dict[str, dict] = {item: {"score": score} for item in ITEMS}
    if comment:
        answers[COMMENT] = {"text": comment}
    if local is not None:
        answers["local_1"] = {"score": local}
    return answers


@pytest.fixture
def seeded(
    db: Any, make_round: Any, make_organisation: Any, make_invitation: Any, answer: Any
) -> Seeded:
    survey_round = make_round(suppression_threshold=5, comment_threshold=5)
    alpha = make_organisation(code="01A", name="NHS Alpha ICB", region="Midlands")
    beta = make_organisation(code="02B", name="NHS Beta ICB", region="Midlands")
    gamma = make_organisation(code="03C", name="NHS Gamma ICB", region="London")
    empty = make_organisation(code="04D", name="NHS Delta ICB", region="Midlands")
    for org, text in (
        (alpha, "Do you agree with how local services are planned?"),
        (beta, "Is the new hub working?"),
    ):
        db.session.add(
            LocalQuestion(
                round_id=survey_round.id,
                organisation_id=org.id,
                item_id="local_1",
                text=text,
                scale="agreement",
            )
        )
    db.session.commit()
    # Alpha: GP practices 5, 5, 4, 2, 1, don't know (3 of 5 with a view positive);
    # one local authority.
    for index, score in enumerate((5, 5, 4, 2, 1)):
        answer(
            survey_round,
            alpha,
            "gp_practice",
            _scored(score, comment=f"Alpha comment number {index}", local=4 if index < 4 else 1),
        )
    answer(survey_round, alpha, "gp_practice", {item: {"dont_know": True} for item in ITEMS})
    answer(
        survey_round,
        alpha,
        "local_authority",
        _scored(3, comment="A lone council officer wrote this"),
    )
    for index, score in enumerate((4, 4, 4, 4, 2)):
        answer(survey_round, beta, "gp_practice", _scored(score, local=5 if index < 2 else None))
    for score in (5, 5, 5, 4, 1):
        answer(survey_round, gamma, "gp_practice", _scored(score))
    make_invitation(survey_round=survey_round, organisation=empty, group="gp_practice")
    publish(survey_round)  # results as of now, with the organisation nobody answered for
    db.session.commit()
    return Seeded(survey_round, alpha, beta, gamma, empty)
