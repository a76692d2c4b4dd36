"""The packed answers migration (c4f7a9d2e813): answer rows into one packed value per response,
and back, losing nothing.

On the demo data (three years of both questionnaires, with a local question added): the whole
analysis of every round, the local questions' results and the microdata export are the same
after going down to answer rows and up again, and the answer rows the downgrade writes are the
answers that were stored. Answer rows written as the old code wrote them come up as the same
answers. Both on SQLite and, with TEST_DATABASE_URL, on a fresh PostgreSQL database.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import downgrade, upgrade

from survey.demo import seed_demo
from survey.extensions import db
from survey.models import LocalQuestion, Response, SurveyRound
from survey.services.microdata import microdata as anonymous_responses
from survey.services.responses import stored_answers
from survey.services.results.arrays import analyse
from survey.services.results.local import local_results
from survey.services.rounds import questionnaire_for

pytestmark = pytest.mark.db

BEFORE = "9a2b7c4e1d05"


def _add_local_question() -> None:
    """A local question for one organisation of this year's round, answered by most of its
    respondents (the demo has none), so the migration carries local answers too."""
    survey_round = db.session.scalars(
        sa.select(SurveyRound).order_by(SurveyRound.year.desc(), SurveyRound.id)
    ).first()
    assert survey_round is not None
    responses = db.session.scalars(
        sa.select(Response).where(Response.round_id == survey_round.id).order_by(Response.id)
    ).all()
    organisation_id = responses[0].organisation_id
    db.session.add(
        LocalQuestion(
            round_id=survey_round.id,
            organisation_id=organisation_id,
            item_id="local_1",
            text="Our urgent care plan is working.",
            scale="agreement",
        )
    )
    mine = [r for r in responses if r.organisation_id == organisation_id]
    for number, response in enumerate(mine[:-1]):
        local = {"dont_know": True} if number % 5 == 4 else {"score": 1 + number % 5}
        response.other_answers = {**(response.other_answers or {}), "local_1": local}
    db.session.commit()


def _everything() -> dict[int, tuple[dict[str, Any], Any, bytes]]:
    """Per round: the engine's whole results table, local questions' results, microdata."""
    db.session.expire_all()
    out = {}
    for survey_round in db.session.scalars(sa.select(SurveyRound).order_by(SurveyRound.id)):
        item_ids = [item.id for item in questionnaire_for(survey_round).items]
        out[survey_round.id] = (
            analyse(survey_round).to_dict(),
            local_results(survey_round),
            anonymous_responses(survey_round, item_ids, "the same release").data,
        )
    return out


def _answer_rows() -> dict[str, dict[str, dict[str, Any]]]:
    """What the answer table holds, response -> item -> answer as it was saved."""
    rows = db.session.execute(
        sa.text("SELECT response_id, item_id, score, dont_know, text FROM answer")
    )
    answers: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for response_id, item_id, score, dont_know, text in rows:
        if dont_know:
            answers[response_id][item_id] = {"dont_know": True}
        elif score is not None:
            answers[response_id][item_id] = {"score": score}
        else:
            answers[response_id][item_id] = {"text": text}
    db.session.commit()
    return dict(answers)


def _stored() -> dict[str, dict[str, Any]]:
    db.session.expire_all()
    return {r.id: stored_answers(r) for r in db.session.scalars(sa.select(Response))}


def test_the_demo_analysis_is_the_same_after_going_down_to_answer_rows_and_up(
    migrating_app: Flask,
) -> None:
    upgrade()
    seed_demo(seed=11, today=date(2026, 12, 4))
    db.session.commit()
    _add_local_question()
    before, stored = _everything(), _stored()
    assert sum(len(results) for _table, results, _csv in before.values()) == 1
    assert len(stored) > 2000

    db.session.remove()  # end the read: the migration must see, and lock, the tables itself
    downgrade(revision=BEFORE)
    assert _answer_rows() == {key: value for key, value in stored.items() if value}
    db.session.remove()
    upgrade()

    after = _everything()
    assert _stored() == stored
    assert after.keys() == before.keys()
    for round_id, (table, local, microdata) in before.items():
        again, local_again, microdata_again = after[round_id]
        assert again.keys() == table.keys()
        for column, values in table.items():
            np.testing.assert_array_equal(again[column], values, err_msg=f"{round_id} {column}")
        assert local_again == local
        assert microdata_again == microdata


def test_answer_rows_as_the_old_code_wrote_them_come_up_as_the_same_answers(
    migrating_app: Flask,
) -> None:
    upgrade(revision=BEFORE)
    definition = (Path(__file__).parents[2] / "questionnaires/bundled/ccg-360.yaml").read_text()
    connection = db.session.connection()
    connection.execute(
        sa.text(
            "INSERT INTO organisation (id, code, name, kind, region) "
            "VALUES (1, 'A', 'A', 'ccg', 'R')"
        )
    )
    connection.execute(
        sa.text(
            "INSERT INTO survey_round (id, year, title, questionnaire_id, questionnaire_version,"
            " questionnaire_definition, opens_on, closes_on, status, suppression_threshold,"
            " comment_threshold, reminder_days_after_invitation, reminder_days_before_close,"
            " reminder_limit, auto_fieldwork, retention_days, created_at) VALUES (1, 2026, 't',"
            " 'ccg-360', 1, :definition, '2026-01-01', '2026-02-01', 'closed', 5, 10, '[]', '[]',"
            " 3, false, 90, '2026-01-01 00:00:00')"
        ),
        {"definition": definition},
    )
    written = {
        "r-scores": {
            "overall_relationship": {"score": 5},
            "lead_clear_vision": {"dont_know": True},
            "comment_does_well": {"text": "Listens."},
            "local_1": {"score": 2},
        },
        "r-local-only": {"local_1": {"dont_know": True}},
        "r-nothing": {},
    }
    for response_id, answers in written.items():
        connection.execute(
            sa.text(
                "INSERT INTO response (id, round_id, organisation_id, stakeholder_group)"
                " VALUES (:id, 1, 1, 'gp_practice')"
            ),
            {"id": response_id},
        )
        for item_id, value in answers.items():
            connection.execute(
                sa.text(
                    "INSERT INTO answer (response_id, item_id, score, dont_know, text)"
                    " VALUES (:response, :item, :score, :dont_know, :text)"
                ),
                {
                    "response": response_id,
                    "item": item_id,
                    "score": value.get("score"),
                    "dont_know": bool(value.get("dont_know")),
                    "text": value.get("text"),
                },
            )
    db.session.commit()
    db.session.remove()

    upgrade()

    assert _stored() == written
    packed = db.session.get_one(Response, "r-scores")
    columns = [
        item.id for item in questionnaire_for(db.session.get_one(SurveyRound, 1)).scale_items
    ]
    assert packed.format_version == 1 and len(packed.scale_answers) == len(columns)
    assert packed.scale_answers[columns.index("overall_relationship")] == 5
    assert packed.scale_answers[columns.index("lead_clear_vision")] == 255
    assert sa.inspect(db.engine).has_table("answer") is False
