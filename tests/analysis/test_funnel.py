"""Funnel plot statistics: control limits, z-scores and Spiegelhalter's overdispersion check.

The limits are recomputed here without the engine: by the hand formula, and by inverting the
Wilson interval (scipy's ``binomtest(...).proportion_ci(method="wilson")``) - a point is outside
the 95% limits exactly when its own Wilson interval excludes the target.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from analysis import (
    RoundResponses,
    analyse_round,
    funnel_compare,
    funnel_limits,
    funnel_z_scores,
    overdispersion,
)

Z95 = stats.norm.ppf(0.975)
Z998 = stats.norm.ppf(0.999)


def _fpc_base(n: float, invited: float) -> float:
    """n (N - 1) / (N - n), Cochran (1977) ch. 3, written out."""
    return n * (invited - 1) / (invited - n)


def test_limits_are_the_hand_formula_with_the_finite_population_correction() -> None:
    # 20 of 33 invited answered: m = 20 * 32 / 13 = 49.2308; target 0.7
    m = _fpc_base(20, 33)
    assert m == pytest.approx(49.230769, abs=1e-6)
    low, high = funnel_limits(0.7, m)
    half = Z95 * math.sqrt(0.7 * 0.3 / 49.230769)  # 1.959964 * 0.065312 = 0.128009
    assert (low, high) == pytest.approx((0.7 - half, 0.7 + half), abs=1e-9)
    assert half == pytest.approx(0.128009, abs=1e-6)
    _, high_998 = funnel_limits(0.7, m, confidence=0.998)
    assert high_998 == pytest.approx(0.7 + 3.090232 * math.sqrt(0.21 / m), abs=1e-6)
    # Without the correction (a very large invited population) the 95% limits are wider.
    wide_low, wide_high = funnel_limits(0.7, 20.0)
    assert wide_high - wide_low > high - low > 0


def test_a_point_is_outside_exactly_when_its_wilson_interval_excludes_the_target() -> None:
    target = 0.62
    for n in (5, 12, 30, 57):
        low, high = funnel_limits(target, float(n))
        for k in range(n + 1):
            ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
            excludes = not (ci.low <= target <= ci.high)
            outside = not (low <= k / n <= high)
            assert outside is excludes, (n, k)


def test_limits_at_the_edges() -> None:
    low, high = funnel_limits(0.5, np.array([0.0, math.inf, math.nan, 1.0]))
    assert math.isnan(low[0]) and math.isnan(high[2])
    assert (low[1], high[1]) == (0.5, 0.5)  # a census has no sampling error
    assert (low[3], high[3]) == (0.0, 1.0)  # clipped to [0, 1]
    inflated = funnel_limits(0.5, 40.0, phi=4.0)
    plain = funnel_limits(0.5, 40.0)
    assert inflated.high - 0.5 == pytest.approx(2 * (plain.high - 0.5))
    for bad in ({"target": 0.0}, {"target": 1.5}, {"phi": 0.5}, {"confidence": 1.0}):
        arguments = {"target": 0.5, "n_effective": 10.0, **bad}
        with pytest.raises(ValueError, match=repr(next(iter(bad.values())))):
            funnel_limits(**arguments)
    with pytest.raises(ValueError, match="-3"):
        funnel_limits(0.5, -3.0)


def test_z_scores() -> None:
    z = funnel_z_scores([0.8, 0.5, 0.6, 0.7, math.nan], [25.0, 25.0, math.inf, math.inf, 9.0], 0.5)
    assert z[0] == pytest.approx(0.3 / math.sqrt(0.25 / 25))  # 3.0
    assert z[1] == 0.0 and z[2] == math.inf and z[3] == math.inf and math.isnan(z[4])


def test_overdispersion_on_a_worked_example() -> None:
    # Ten z-scores, sorted.  Linear sample quantiles: the 10% one is z(1) + 0.9 (z(2) - z(1))
    # = -3 + 0.9 * 2 = -1.2; the 90% one is z(9) + 0.1 (z(10) - z(9)) = 1.5 + 0.1 * 4.5 = 1.95.
    z = np.array([-3.0, -1.0, -0.5, 0.0, 0.2, 0.4, 0.8, 1.0, 1.5, 6.0])
    winsorised = [-1.2, -1.0, -0.5, 0.0, 0.2, 0.4, 0.8, 1.0, 1.5, 1.95]
    phi = sum(v * v for v in winsorised) / 10  # 10.5825 / 10
    result = overdispersion(z)
    assert result.phi == pytest.approx(phi) and result.phi == pytest.approx(1.05825)
    assert result.count == 10 and result.statistic == pytest.approx(10.5825)
    assert result.p_value == pytest.approx(stats.chi2.sf(10.5825, 10))
    assert not result.inflated and result.factor == 1.0  # chi-squared on 10 df: p = 0.39


def test_overdispersion_recovers_a_known_phi_in_a_simulation() -> None:
    # z ~ N(0, phi).  Winsorising a normal at its 10% and 90% points c = +/-1.2816 leaves
    # E[z_w^2] = phi * ((2 F(c) - 1) - 2 c f(c) + 2 c^2 (1 - F(c))) = 0.6793 phi: the
    # Winsorised estimate is deliberately conservative (Spiegelhalter 2005b).
    c = stats.norm.ppf(0.9)
    kappa = (2 * stats.norm.cdf(c) - 1) - 2 * c * stats.norm.pdf(c) + 2 * c * c * 0.1
    rng = np.random.default_rng(20051185)
    for phi in (1.0, 3.0):
        z = rng.normal(0.0, math.sqrt(phi), 40_000)
        assert overdispersion(z).phi == pytest.approx(kappa * phi, rel=0.03)
    overdispersed = overdispersion(rng.normal(0.0, 2.0, 60))
    assert overdispersed.inflated and overdispersed.factor == math.sqrt(overdispersed.phi)
    assert not overdispersion(rng.normal(0.0, 1.0, 60)).inflated


def test_overdispersion_ignores_missing_and_census_points_and_needs_two() -> None:
    assert overdispersion([1.0, math.nan, math.inf]).count == 1
    assert not overdispersion([3.0]).inflated and math.isnan(overdispersion([]).phi)
    with pytest.raises(ValueError, match="0.6"):
        overdispersion([1.0, 2.0], trim=0.6)


def test_funnel_compare_places_each_point_against_its_own_limits() -> None:
    # Organisations at m = 50 around 0.5: 95% half-width 0.1386, 99.8% 0.2185; twelve more
    # on the target keep the Winsorised phi at 0.25, so the limits are not inflated.
    positive = [0.5, 0.65, 0.30, 0.20, math.nan, *[0.5] * 12]
    result = funnel_compare(positive, [50.0] * 17, 0.5)
    assert result.overdispersion.phi == pytest.approx(0.25)
    assert not result.overdispersion.inflated
    assert list(result.position[:5]) == ["within", "above 95%", "below 95%", "below 99.8%", ""]
    assert result.high_95[0] == pytest.approx(0.5 + Z95 * math.sqrt(0.25 / 50))
    assert result.low_998[0] == pytest.approx(0.5 - Z998 * math.sqrt(0.25 / 50))


def test_funnel_compare_inflates_the_limits_when_organisations_are_overdispersed() -> None:
    rng = np.random.default_rng(7)
    m = rng.uniform(20, 200, 80)
    positive = np.clip(0.6 + rng.normal(0, 0.15, 80), 0, 1)  # far more spread than 0.24 / m
    result = funnel_compare(positive, m, 0.6)
    check = result.overdispersion
    z = (positive - 0.6) / np.sqrt(0.24 / m)
    low, high = np.quantile(z, [0.1, 0.9])
    assert check.phi == pytest.approx(np.mean(np.clip(z, low, high) ** 2))
    assert check.inflated and check.phi > 1 + 2 * math.sqrt(2 / 80)
    half = Z95 * np.sqrt(check.phi * 0.24 / m)
    np.testing.assert_allclose(result.high_95, np.clip(0.6 + half, 0, 1))
    outside = (positive > result.high_95) | (positive < result.low_95)
    assert outside.mean() < 0.5  # inflated limits hold most organisations


def test_the_round_table_carries_the_effective_base_of_each_interval() -> None:
    # One organisation, one group of 10 invited, two items in one domain, 6 respondents.
    answers = np.array([[5, 4], [4, 5], [2, 1], [5, 5], [1, 2], [2, 1]], dtype=float)
    responses = RoundResponses(
        scores=answers,
        dont_know=np.zeros(answers.shape, dtype=bool),
        item_labels=("q1", "q2"),
        item_domain=np.zeros(2, dtype=np.int64),
        domain_labels=("d1",),
        organisation=np.zeros(6, dtype=np.int64),
        organisation_labels=("A",),
        organisation_kind=np.zeros(1, dtype=np.int64),
        group=np.zeros(6, dtype=np.int64),
        group_labels=("gp",),
        invited=np.array([[10]]),
    )
    table = analyse_round(responses, threshold=5).filter(group="All stakeholders")
    by_unit = {row["unit"]: row for row in table.rows()}
    assert by_unit["q1"]["positive_n_eff"] == pytest.approx(_fpc_base(6, 10))  # 13.5
    # Domain: shares of positive answers per respondent, their variance s^2 / n, Korn &
    # Graubard's n* = min(n, p q / var), then the same correction.
    shares = np.array([1.0, 1.0, 0.0, 1.0, 0.0, 0.0])
    p = shares.mean()
    n_star = min(6.0, p * (1 - p) / (shares.var(ddof=1) / 6))
    assert n_star == pytest.approx(5.0)  # 0.25 / (0.3 / 6)
    assert by_unit["d1"]["positive_n_eff"] == pytest.approx(n_star * 9 / 4)
