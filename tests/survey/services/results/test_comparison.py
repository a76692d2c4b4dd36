"""Organisations compared on one domain (the national view), from stored answers, no request.

Covers :mod:`survey.services.results.comparison`: the national figure pools every published
organisation (whatever the viewer may see, never a suppressed one), the rows are only the
organisations the viewer may see, each row is a hand count with its funnel limits and position
recomputed here (finite population correction, Spiegelhalter's overdispersion check), the
viewer's own or a selected organisation highlighted, an item compared instead of its domain,
the table's sort orders (rows without a number last), an unknown or unanswered domain, and no
round at all; and a commissioner's view: every published organisation's point, only their own
named, their own row and the counts by position (test_comparison_rounds.py: which rounds).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from scipy.stats import chi2, norm

from survey.models import Invitation, Organisation, SurveyRound
from survey.services.results.comparison import UNNAMED, compare
from tests.survey.answering import save_answers
from tests.survey.stored import publish, submit_released

ITEM = "overall_relationship"
#: positives of ten answers (scores 5 and 1) about each published organisation
POSITIVES = {"01A": 10, "02B": 2, "03C": 6}
NATIONAL = sum(POSITIVES.values()) / 30
#: each published organisation invited 15 (ten answered): the finite population correction
INVITED = 15


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
        for _ in range(INVITED - 10):
            make_invitation(survey_round=survey_round, organisation=orgs[code])
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
        assert _codes(mine) == ["02B"] and mine.regions == []  # no region to choose
    # none of them is an organisation of the other kind
    assert _compare(make_user(role="manager"), national, kind="direct").rows == []


def _funnel_by_hand() -> dict[str, tuple[float, float, float, str]]:
    """Each published organisation's effective base, 95% limits and position, without the engine.

    The overall domain's score is the mean of respondents' shares of positive answers (here 1 or
    0).  Its design-based variance s^2 / n gives Korn & Graubard's n* = min(n, p q / var) (9 for
    shares of 0 and 1 with ddof = 1; 10 when all agree), and the finite population correction
    m = n* (N - 1) / (N - n).  z = (p - p0) / sqrt(p0 q0 / m); phi = mean of the z-scores
    Winsorised at their 10% and 90% quantiles (Spiegelhalter 2005); the limits are inflated by
    sqrt(phi) when 3 phi exceeds chi-squared(3)'s upper 5% point.
    """
    bases, values = {}, {}
    for code, positives in POSITIVES.items():
        shares = np.array([1.0] * positives + [0.0] * (10 - positives))
        p = shares.mean()
        var = shares.var(ddof=1) / 10
        n_star = 10.0 if var == 0 else min(10.0, p * (1 - p) / var)
        bases[code] = n_star * (INVITED - 1) / (INVITED - 10)
        values[code] = p
    p0q0 = NATIONAL * (1 - NATIONAL)
    z = np.array([(values[c] - NATIONAL) / math.sqrt(p0q0 / bases[c]) for c in POSITIVES])
    low, high = np.quantile(z, [0.1, 0.9])
    phi = float(np.mean(np.clip(z, low, high) ** 2))
    factor = math.sqrt(phi) if 3 * phi > chi2.ppf(0.95, 3) else 1.0
    result = {}
    for code, value in values.items():
        se = factor * math.sqrt(p0q0 / bases[code])
        position = "within"
        for confidence, name in ((0.95, "95%"), (0.998, "99.8%")):
            half = norm.ppf(0.5 + confidence / 2) * se
            if value > NATIONAL + half:
                position = f"above {name}"
            if value < NATIONAL - half:
                position = f"below {name}"
        half_95 = norm.ppf(0.975) * se
        limits = (max(NATIONAL - half_95, 0.0), min(NATIONAL + half_95, 1.0))
        result[code] = (bases[code], *limits, position)
    return result


def test_each_row_is_a_hand_count_with_its_funnel_limits_and_position(
    national: National, make_user: Any
) -> None:
    comparison = _compare(make_user(role="manager"), national)
    rows = {row.organisation.code: row for row in comparison.rows}
    expected = _funnel_by_hand()
    for code, positives in POSITIVES.items():
        row = rows[code]
        assert row.n == 10 and not row.suppressed
        assert math.isclose(row.positive, positives / 10)
        assert math.isclose(row.difference, positives / 10 - NATIONAL)
        assert row.low <= row.positive <= row.high
        base, low, high, position = expected[code]
        assert math.isclose(row.n_eff, base), code
        assert math.isclose(row.limit_low, low) and math.isclose(row.limit_high, high), code
        assert row.position == position, code
    # three organisations as far apart as Alpha's 100% and Beta's 20% are overdispersed: the
    # limits are widened and the page says so
    check = comparison.overdispersion
    assert check is not None and check.count == 3 and check.inflated
    assert "widened by the square root of phi" in comparison.dispersion
    assert f"phi = {check.phi:.2f}" in comparison.dispersion
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


def test_the_viewers_own_or_a_selected_organisation_is_highlighted(
    national: National, make_user: Any
) -> None:
    own = _compare(
        make_user(role="commissioner", organisation=national.organisations["02B"]), national
    )
    assert [(r.organisation.code, r.highlight) for r in own.rows] == [("02B", "your organisation")]
    assert own.highlighted == "NHS Beta ICB" and "NHS Beta ICB (your organisation)" in own.svg
    selected = _compare(make_user(role="manager"), national, highlight="01a")
    marks = {r.organisation.code: r.highlight for r in selected.rows}
    assert marks == {"01A": "selected", "02B": "", "03C": "", "04D": "", "05E": ""}
    assert selected.selected == "01A" and "NHS Alpha ICB (selected)" in selected.svg
    assert _compare(make_user(role="manager"), national).highlighted == ""
    # an assessor cannot highlight (or have the page repeat) an organisation of another region
    assessor = make_user(role="assessor", region="Midlands")
    elsewhere = _compare(assessor, national, highlight="03C")
    assert elsewhere.selected is None and all(r.highlight == "" for r in elsewhere.rows)


def _by_value(points: list[dict[str, Any]]) -> list[tuple[float, float]]:
    return sorted((p["n_eff"], p["positive"]) for p in points)


def test_a_commissioner_sees_every_organisations_point_but_only_their_own_named(
    national: National, make_user: Any
) -> None:
    manager = _compare(make_user(role="manager"), national)
    beta = national.organisations["02B"]
    for role in ("commissioner", "viewer"):
        user = make_user(role=role, organisation=beta)
        # asking to highlight another organisation changes nothing
        for highlight in (None, "01A", "01a", "03C", "04D"):
            mine = _compare(user, national, highlight=highlight)
            assert not mine.named and mine.selected is None
            assert [(r.organisation.code, r.highlight) for r in mine.rows] == [
                ("02B", "your organisation")
            ]
            # the published organisations' points (Delta's are hidden, Echo has none) ...
            assert _by_value(mine.points) == _by_value(manager.points)
            labels = sorted(p["label"] for p in mine.points)
            assert labels == [UNNAMED, UNNAMED, "NHS Beta ICB"]  # ... but only Beta named
            assert [p["highlight"] for p in mine.points if p["label"] == "NHS Beta ICB"] == [
                "your organisation"
            ]
            # in order of value, not of code or name
            assert [(p["n_eff"], p["positive"]) for p in mine.points] == _by_value(mine.points)
            for other in ("Alpha", "Charlie", "Delta", "Echo", "01A", "03C", "04D", "05E"):
                assert other not in mine.svg, (role, highlight, other)
            assert "(selected)" not in mine.svg
            assert "NHS Beta ICB (your organisation)" in mine.svg
            assert mine.highlighted == "NHS Beta ICB"
    # the counts by position are those of the hand-computed funnel
    positions = [position for *_, position in _funnel_by_hand().values()]
    counts = _compare(make_user(role="commissioner", organisation=beta), national).counts
    assert counts is not None and counts.total == 3
    assert counts.above == sum(p.startswith("above") for p in positions)
    assert counts.below == sum(p.startswith("below") for p in positions)
    assert counts.within == positions.count("within")


def test_a_suppressed_commissioner_sees_the_others_unnamed_and_no_point_of_their_own(
    national: National, make_user: Any
) -> None:
    delta = make_user(role="commissioner", organisation=national.organisations["04D"])
    mine = _compare(delta, national, highlight="02B")
    [row] = mine.rows
    assert row.organisation.code == "04D" and row.suppressed and row.position == ""
    assert [p["label"] for p in mine.points] == [UNNAMED] * 3 and mine.highlighted == ""
    assert "Beta" not in mine.svg and "Delta" not in mine.svg


def test_a_commissioner_compares_nothing_in_a_round_that_did_not_ask_about_them(
    national: National, make_user: Any, make_round: Any
) -> None:
    other = make_round(year=2041)
    beta = make_user(role="commissioner", organisation=national.organisations["02B"])
    nothing = _compare(beta, national, survey_round=other)
    assert nothing.survey_round is None and nothing.rows == [] and nothing.points == []
    assert nothing.svg == ""


def test_an_item_is_compared_with_the_binomial_base_corrected_for_the_population(
    national: National, make_user: Any
) -> None:
    comparison = _compare(make_user(role="manager"), national, item=ITEM)
    assert comparison.item == ITEM and comparison.items[ITEM].startswith("Overall")
    assert comparison.unit_label == comparison.items[ITEM]
    # an item's effective base is n (N - 1) / (N - n) = 10 * 14 / 5, whatever the answers
    published = [r for r in comparison.rows if r.position]
    assert sorted(r.organisation.code for r in published) == ["01A", "02B", "03C"]
    assert all(math.isclose(r.n_eff, 28.0) for r in published)
    assert f"Funnel plot, {comparison.items[ITEM]}" in comparison.svg
    # an item of another domain is not offered here: the domain score is compared instead
    assert _compare(make_user(role="manager"), national, item="no_such_item").item is None
