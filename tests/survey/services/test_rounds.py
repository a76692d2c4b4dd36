"""Rounds as a service: creating them (and what is refused), opening, the round's own
questionnaire, last year's round, lookups (closing: test_closing.py)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

import questionnaires
from survey.models import AuditEvent, RoundStatus, SurveyRound
from survey.services.audit import COMMAND_LINE
from survey.services.errors import InputError, NotFound
from survey.services.rounds import (
    create_round,
    get_round,
    group_names,
    previous_round,
    questionnaire_for,
)

OPENS = date(2031, 3, 1)
CLOSES = date(2031, 3, 31)


def _create(**overrides: Any) -> SurveyRound:
    values: dict[str, Any] = {
        "year": 2031,
        "questionnaire": "ccg-360",
        "opens_on": OPENS,
        "closes_on": CLOSES,
    }
    values.update(overrides)
    return create_round(COMMAND_LINE, **values)


def _count(db: Any, model: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)))


def _actions(db: Any) -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_a_new_round_is_a_draft_with_its_own_copy_of_the_questionnaire(db) -> None:
    survey_round = _create()
    db.session.commit()

    bundled = questionnaires.load("ccg-360")
    assert survey_round.status is RoundStatus.DRAFT
    assert survey_round.title == f"{bundled.title} 2031"
    assert (survey_round.questionnaire_id, survey_round.questionnaire_version) == ("ccg-360", 1)
    assert (survey_round.suppression_threshold, survey_round.comment_threshold) == (5, 10)
    assert questionnaire_for(survey_round).items == bundled.items
    [entry] = db.session.scalars(select(AuditEvent)).all()
    assert (entry.action, entry.target, entry.detail) == (
        "round.create",
        f"round:{survey_round.id}",
        {"year": 2031},
    )
    titled = _create(questionnaire="direct-commissioning-360", title="Direct 2031 pilot")
    assert titled.title == "Direct 2031 pilot"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"opens_on": CLOSES, "closes_on": OPENS},
            r"the round closes \(2031-03-01\) before it opens \(2031-03-31\)",
        ),
        (
            {"suppression_threshold": 6, "comment_threshold": 5},
            r"comment threshold \(5\) must not be below the suppression threshold \(6\)",
        ),
        ({"questionnaire": "no-such-questionnaire"}, "no-such-questionnaire"),
    ],
)
def test_a_round_that_cannot_work_is_refused_and_nothing_is_stored(db, overrides, message) -> None:
    with pytest.raises(InputError, match=message):
        _create(**overrides)
    assert _count(db, SurveyRound) == 0 and _count(db, AuditEvent) == 0


def test_a_threshold_below_the_disclosure_floor_is_refused_at_creation(db) -> None:
    """The analysis engine refuses to suppress with fewer than 3 (analysis.MIN_THRESHOLD), so
    a round created with 2 could never show results: the service must say so up front."""
    with pytest.raises(InputError, match="threshold"):
        _create(suppression_threshold=2, comment_threshold=2)
    assert _count(db, SurveyRound) == 0


def test_one_round_per_year_and_questionnaire(db) -> None:
    first = _create()
    db.session.commit()

    with pytest.raises(InputError, match=f"already a 2031 round of ccg-360 \\(round {first.id}\\)"):
        _create(opens_on=date(2031, 6, 1), closes_on=date(2031, 6, 30))

    assert _count(db, SurveyRound) == 1
    other = _create(questionnaire="direct-commissioning-360")  # same year, other questionnaire
    later = _create(year=2032)
    assert {other.id, later.id}.isdisjoint({first.id})


def test_group_names_are_the_rounds_own_groups_in_questionnaire_order(db) -> None:
    ccg = group_names(_create())
    direct = group_names(_create(questionnaire="direct-commissioning-360"))

    # the order and names of stakeholder_groups in questionnaires/bundled/*.yaml
    assert list(ccg)[:3] == ["gp_practice", "health_wellbeing_board", "local_authority"]
    assert ccg["gp_practice"] == "GP member practices" and len(ccg) == 10
    assert list(direct)[0] == "primary_care_contractor" and "gp_practice" not in direct
    assert direct["nhs_provider"] == "Other NHS providers" != ccg["nhs_provider"]


def test_a_round_keeps_its_questionnaire_when_the_file_changes_later(db, tmp_path: Path) -> None:
    source = (Path(questionnaires.__file__).parent / "bundled" / "ccg-360.yaml").read_text()
    file = tmp_path / "local-360.yaml"
    file.write_text(
        source.replace("id: ccg-360", "id: local-360", 1).replace(
            "title: Commissioner 360° stakeholder survey", "title: Before the edit", 1
        )
    )
    survey_round = _create(questionnaire=str(file))
    db.session.commit()
    file.write_text(file.read_text().replace("title: Before the edit", "title: After the edit"))

    assert survey_round.questionnaire_id == "local-360"
    assert survey_round.title == "Before the edit 2031"
    assert questionnaire_for(get_round(survey_round.id)).title == "Before the edit"


def test_previous_round_is_last_year_of_the_same_questionnaire(db) -> None:
    this_year = _create(year=2031)
    last_year = _create(year=2030, opens_on=date(2030, 3, 1), closes_on=date(2030, 3, 31))
    _create(year=2029, opens_on=date(2029, 3, 1), closes_on=date(2029, 3, 31))
    other_kind = _create(
        year=2030,
        questionnaire="direct-commissioning-360",
        opens_on=date(2030, 3, 1),
        closes_on=date(2030, 3, 31),
    )

    assert previous_round(this_year).id == last_year.id
    assert previous_round(get_round(other_kind.id)) is None  # no direct round in 2029
    assert previous_round(_create(year=2033)) is None  # 2032 is missing: no trend


def test_get_round_names_an_unknown_id(db) -> None:
    survey_round = _create()
    assert get_round(survey_round.id) is survey_round
    with pytest.raises(NotFound, match=f"no survey round with id {survey_round.id + 1}"):
        get_round(survey_round.id + 1)
