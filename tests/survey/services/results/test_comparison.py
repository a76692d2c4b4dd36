"""Organisations compared on one domain (the national view), from stored answers, no request.

Covers :mod:`survey.services.results.comparison`: the national figure pools every published
organisation (whatever the viewer may see, never a suppressed one), the rows are only the
organisations the viewer may see, each row is a hand count with its funnel position against
textbook control limits, the table's sort orders (rows without a number last), an unknown or
unanswered domain, no round at all, and which rounds are offered per kind of organisation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pytest
from scipy.stats import norm

from survey.models import Invitation, Organisation, SurveyRound
from survey.services.responses import save_answers
from survey.services.results.comparison import compare, rounds_for_kind
from tests.survey.stored import publish, submit_released

ITEM = "overall_relationship"
#: positives of ten answers (scores 5 and 1) about each published organisation
POSITIVES = {"01A": 10, "02B": 2, "03C": 6}
NATIONAL = sum(POSITIVES.values()) / 30


def _respond(
    db: Any,
    make_invitation: Any,
    survey_round: Any,
    organisation: Any,
    score: int,
    group: str = "gp_practice",
) -> None:
    issued = make_invitation(survey_round=survey_round, organisation=organisation, group=group)
    invitation = db.session.get(Invitation, issued.invitation.id)
    save_answers(invitation, {ITEM: {"score": score}}, resume_section=1)
    submit_released(invitation, [ITEM])
    db.session.commit()


@dataclass
class National:
    survey_round: SurveyRound
    organisations: dict[str, Organisation]


@pytest.fixture
def national(db: Any, make_round: Any, make_organisation: Any, make_invitation: Any) -> National:
    survey_round = make_round(year=2040, suppression_threshold=5, comment_threshold=10)
    orgs = {
        code: make_organisation(code=code, name=name, region=region)
        for code, name, region in (
            ("01A", "NHS Alpha ICB", "Midlands"),
            ("02B", "NHS Beta ICB", "Midlands"),
            ("03C", "NHS Charlie ICB", "London"),
            ("04D", "NHS Delta ICB", "Midlands"),  # two answers: suppressed
            ("05E", "NHS Echo ICB", "Midlands"),  # invited, nobody answered
            ("06F", "NHS Foxtrot ICB", "London"),  # not in the round
        )
    }
    for code, positives in POSITIVES.items():
        for index in range(10):
            _respond(db, make_invitation, survey_round, orgs[code], 5 if index < positives else 1)
    for _ in range(2):
        _respond(db, make_invitation, survey_round, orgs["04D"], 5)
    make_invitation(survey_round=survey_round, organisation=orgs["05E"])
    publish(survey_round)
    db.session.commit()
    return National(survey_round, orgs)


def _compare(user: Any, national: National, **overrides: Any) -> Any:
    arguments: dict[str, Any] = {
        "survey_round": national.survey_round,
        "kind": "ccg",
        "region": None,
        "domain": "overall",
        "sort": "positive",
        "descending": True,
    }
    arguments.update(overrides)
    return compare(user, **arguments)


def _codes(comparison: Any) -> list[str]:
    return [row.organisation.code for row in comparison.rows]


def test_the_national_figure_pools_every_published_organisation(
    national: National, make_user: Any
) -> None:
    viewers = [
        make_user(role="manager"),
        make_user(role="assessor", region="Midlands"),
        make_user(role="assessor", region="London"),
        make_user(role="commissioner", organisation=national.organisations["02B"]),
    ]
    for user in viewers:
        comparison = _compare(user, national)
        # 30 published answers; Delta's two (hidden) are not in it
        assert comparison.national_n == 30, user.role
        assert math.isclose(comparison.national, NATIONAL), user.role
    assert comparison.provenance.round_title == national.survey_round.title


def test_the_rows_are_the_organisations_the_viewer_may_see(
    national: National, make_user: Any
) -> None:
    manager = _compare(make_user(role="manager"), national)
    assert sorted(_codes(manager)) == ["01A", "02B", "03C", "04D", "05E"]  # not Foxtrot
    assert manager.regions == ["London", "Midlands"]
    london = _compare(make_user(role="manager"), national, region="London")
    assert _codes(london) == ["03C"]

    assessor = _compare(make_user(role="assessor", region="Midlands"), national)
    assert sorted(_codes(assessor)) == ["01A", "02B", "04D", "05E"]
    assert assessor.regions == ["Midlands"]
    elsewhere = _compare(make_user(role="assessor", region="Midlands"), national, region="London")
    assert elsewhere.rows == [] and elsewhere.regions == ["Midlands"]

    own = national.organisations["02B"]
    for role in ("commissioner", "viewer"):
        mine = _compare(make_user(role=role, organisation=own), national)
        assert _codes(mine) == ["02B"] and mine.regions == ["Midlands"]
    # none of them is an organisation of the other kind
    assert _compare(make_user(role="manager"), national, kind="direct").rows == []


def test_each_row_is_a_hand_count_with_its_funnel_position(
    national: National, make_user: Any
) -> None:
    comparison = _compare(make_user(role="manager"), national)
    rows = {row.organisation.code: row for row in comparison.rows}

    def position(p: float, n: int) -> str:
        # Spiegelhalter (2005): p0 +- z sqrt(p0 (1 - p0) / n), 95% inside 99.8%
        for confidence, name in ((0.998, "99.8%"), (0.95, "95%")):
            half = norm.ppf(0.5 + confidence / 2) * math.sqrt(NATIONAL * (1 - NATIONAL) / n)
            if p > min(NATIONAL + half, 1.0):
                return f"above {name}"
            if p < max(NATIONAL - half, 0.0):
                return f"below {name}"
        return "within"

    for code, positives in POSITIVES.items():
        row = rows[code]
        assert row.n == 10 and not row.suppressed
        assert math.isclose(row.positive, positives / 10)
        assert math.isclose(row.difference, positives / 10 - NATIONAL)
        assert row.low <= row.positive <= row.high
        assert row.position == position(positives / 10, 10)
    # all ten of Alpha positive is above the 95% limit; Beta's two are below it
    assert (rows["01A"].position, rows["02B"].position, rows["03C"].position) == (
        "above 95%",
        "below 95%",
        "within",
    )
    hidden, silent = rows["04D"], rows["05E"]
    assert hidden.suppressed and math.isnan(hidden.n) and math.isnan(hidden.positive)
    assert hidden.position == "" and not hidden.bench_significant
    assert not silent.suppressed and silent.n == 0 and math.isnan(silent.positive)
    assert silent.position == ""
    assert comparison.svg.startswith("<svg")
    assert "Funnel plot, Overall relationship" in comparison.svg


#: (sort, descending) -> the order of the rows
ORDERS = {
    ("positive", True): ["01A", "03C", "02B", "04D", "05E"],
    ("positive", False): ["02B", "03C", "01A", "04D", "05E"],
    ("difference", True): ["01A", "03C", "02B", "04D", "05E"],
    # equal bases stay in name order; Echo's 0 is a number, Delta's hidden base is not
    ("n", True): ["01A", "02B", "03C", "05E", "04D"],
    ("n", False): ["05E", "01A", "02B", "03C", "04D"],
    ("name", False): ["01A", "02B", "03C", "04D", "05E"],
    ("name", True): ["05E", "04D", "03C", "02B", "01A"],
    ("region", False): ["03C", "01A", "02B", "04D", "05E"],
}


def test_the_table_sorts_with_rows_without_a_number_last(
    national: National, make_user: Any
) -> None:
    manager = make_user(role="manager")
    for (sort, descending), expected in ORDERS.items():
        comparison = _compare(manager, national, sort=sort, descending=descending)
        assert _codes(comparison) == expected, (sort, descending)
        assert (comparison.sort, comparison.descending) == (sort, descending)


def test_an_unknown_or_unanswered_domain(national: National, make_user: Any) -> None:
    manager = make_user(role="manager")
    unknown = _compare(manager, national, domain="no_such_domain")
    assert unknown.domain == "overall" and math.isclose(unknown.national, NATIONAL)
    assert list(unknown.domains)[:2] == ["overall", "clinical_quality"]
    assert unknown.domains["governance"] == "4. Robust governance"

    # nobody answered a governance item: no national figure, no positions, no chart
    governance = _compare(manager, national, domain="governance")
    assert governance.domain == "governance"
    assert math.isnan(governance.national) and governance.national_n == 0
    assert governance.svg == ""
    assert all(row.position == "" and math.isnan(row.positive) for row in governance.rows)


def test_without_a_round_there_is_nothing_to_compare(
    db: Any, make_round: Any, make_organisation: Any, make_user: Any
) -> None:
    make_organisation(code="01A", region="Midlands")
    comparison = compare(
        make_user(role="manager"),
        survey_round=None,
        kind="ccg",
        region=None,
        domain="overall",
        sort="positive",
        descending=True,
    )
    assert comparison.rows == [] and comparison.rounds == [] and comparison.provenance is None
    assert math.isnan(comparison.national) and comparison.svg == ""
    assert comparison.regions == ["Midlands"]


def test_the_rounds_offered_for_each_kind_of_organisation(
    db: Any, make_round: Any, make_organisation: Any, make_invitation: Any
) -> None:
    older = make_round(year=2038)
    without_answers = make_round(year=2039)
    latest = make_round(year=2040)
    direct = make_round(year=2040, questionnaire="direct-commissioning-360")
    icb = make_organisation(code="01A")
    team = make_organisation(code="Y01", kind="direct")
    _respond(db, make_invitation, older, icb, 4)
    _respond(db, make_invitation, latest, icb, 4)
    make_invitation(survey_round=without_answers, organisation=icb)
    _respond(db, make_invitation, direct, team, 4, group="primary_care_contractor")

    assert rounds_for_kind("ccg") == [latest, older]
    assert rounds_for_kind("direct") == [direct]
