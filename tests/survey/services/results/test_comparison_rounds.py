"""Which rounds an account may compare organisations in, from stored answers, no request.

Covers :mod:`survey.services.results.comparison_rounds`: managers and assessors are offered
every round with responses of the kind asked for; a commissioner only the rounds that asked
about their own organisation, and only its kind; an unknown round or kind, or a round or kind a
commissioner may not compare, is refused (the page answers 404).
"""

from __future__ import annotations

from typing import Any

import pytest

from survey.models import Invitation
from survey.services.results.comparison_rounds import (
    comparable_rounds,
    round_to_compare,
    rounds_for_kind,
)
from tests.survey.answering import save_answers
from tests.survey.stored import submit_released


def _respond(
    db: Any, make_invitation: Any, survey_round: Any, organisation: Any, group: str = "gp_practice"
) -> None:
    issued = make_invitation(survey_round=survey_round, organisation=organisation, group=group)
    invitation = db.session.get(Invitation, issued.invitation.id)
    save_answers(invitation, {"overall_relationship": {"score": 4}}, resume_section=1)
    submit_released(invitation, ["overall_relationship"])
    db.session.commit()


@pytest.fixture
def rounds(db: Any, make_round: Any, make_organisation: Any, make_invitation: Any) -> Any:
    """Three ICB rounds (one without answers) and a direct-commissioning round; the ICB 01A is
    answered about in 2038, only invited in 2039 and not asked about in 2040 (02B is)."""
    older = make_round(year=2038)
    without_answers = make_round(year=2039)
    latest = make_round(year=2040)
    direct = make_round(year=2040, questionnaire="direct-commissioning-360")
    icb = make_organisation(code="01A")
    other = make_organisation(code="02B")
    team = make_organisation(code="Y01", kind="direct")
    _respond(db, make_invitation, older, icb)
    _respond(db, make_invitation, latest, other)
    make_invitation(survey_round=without_answers, organisation=icb)
    _respond(db, make_invitation, direct, team, group="primary_care_contractor")
    return older, without_answers, latest, direct, icb


def test_the_rounds_offered_for_each_kind_of_organisation(rounds: Any, make_user: Any) -> None:
    older, _without_answers, latest, direct, _icb = rounds
    assert rounds_for_kind("ccg") == [latest, older]
    assert rounds_for_kind("direct") == [direct]
    for user in (make_user(role="manager"), make_user(role="assessor", region="London")):
        assert comparable_rounds(user, "ccg") == [latest, older]
        assert comparable_rounds(user, "direct") == [direct]
        assert round_to_compare(user, None, None) == (latest, "ccg")
        assert round_to_compare(user, None, "direct") == (direct, "direct")
        # a round given decides the kind
        assert round_to_compare(user, direct.id, "ccg") == (direct, "direct")


def test_a_commissioner_compares_only_rounds_that_asked_about_their_organisation(
    rounds: Any, make_user: Any
) -> None:
    older, without_answers, latest, direct, icb = rounds
    commissioner = make_user(role="commissioner", organisation=icb)
    assert comparable_rounds(commissioner, "ccg") == [older]  # 2040 did not ask about 01A
    assert comparable_rounds(commissioner, "direct") == []
    assert round_to_compare(commissioner, None, None) == (older, "ccg")
    assert round_to_compare(commissioner, older.id, "ccg") == (older, "ccg")
    for round_id, kind in (
        (latest.id, None),  # another organisation's round
        (direct.id, None),  # another kind's round
        (without_answers.id, None),  # asked about 01A, but nobody answered: nothing to compare
        (None, "direct"),
        (999_999, None),
    ):
        with pytest.raises(LookupError):
            round_to_compare(commissioner, round_id, kind)


def test_an_unknown_round_or_kind_is_refused(rounds: Any, make_user: Any) -> None:
    manager = make_user(role="manager")
    for round_id, kind in ((999_999, None), (None, "nonsense")):
        with pytest.raises(LookupError):
            round_to_compare(manager, round_id, kind)
