"""Tests for analysis.compare: Benjamini-Hochberg, Newcombe p-values, Welch."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.multitest import multipletests

from analysis.compare import _bh_grouped, benjamini_hochberg, newcombe_pvalue, welch_difference
from analysis.intervals import _newcombe_from_limits, _wilson_arrays, newcombe_difference

# Benjamini Y, Hochberg Y (1995) JRSS-B 57:289-300, section 4: the 15 p-values of
# the myocardial infarction example.  At q = 0.05 the BH procedure rejects the
# four smallest (Bonferroni-type procedures reject three).
BH_1995 = [
    0.0001,
    0.0004,
    0.0019,
    0.0095,
    0.0201,
    0.0278,
    0.0298,
    0.0344,
    0.0459,
    0.3240,
    0.4262,
    0.5719,
    0.6528,
    0.7590,
    1.0000,
]
# Adjusted p-values, derived by hand from min_{j>=i} min(1, 15 p_(j) / j).
BH_1995_ADJUSTED = [
    0.0015,
    0.0030,
    0.0095,
    0.0356,
    0.0603,
    0.0639,
    0.0639,
    0.0645,
    0.0765,
    0.4860,
    0.5812,
    0.7149,
    0.7532,
    0.8132,
    1.0000,
]


def test_bh_reproduces_benjamini_hochberg_1995_example():
    reject, adjusted = benjamini_hochberg(BH_1995, q=0.05)
    assert reject.tolist() == [True] * 4 + [False] * 11
    np.testing.assert_array_equal(np.round(adjusted, 4), BH_1995_ADJUSTED)


def test_bh_is_invariant_to_input_order():
    rng = np.random.default_rng(3)
    perm = rng.permutation(15)
    reject, adjusted = benjamini_hochberg(np.asarray(BH_1995)[perm])
    ref_reject, ref_adjusted = benjamini_hochberg(BH_1995)
    np.testing.assert_array_equal(reject, ref_reject[perm])
    np.testing.assert_allclose(adjusted, ref_adjusted[perm])


def test_bh_excludes_nan_from_the_family():
    p = [0.01, np.nan, 0.04, np.nan, 0.03]
    reject, adjusted = benjamini_hochberg(p)
    ref_reject, ref_adjusted, _, _ = multipletests([0.01, 0.04, 0.03], method="fdr_bh")
    assert np.isnan(adjusted[[1, 3]]).all() and not reject[[1, 3]].any()
    np.testing.assert_allclose(adjusted[[0, 2, 4]], ref_adjusted)
    np.testing.assert_array_equal(reject[[0, 2, 4]], ref_reject)


def test_bh_all_nan_and_empty():
    reject, adjusted = benjamini_hochberg([np.nan, np.nan])
    assert not reject.any() and np.isnan(adjusted).all()
    reject, adjusted = benjamini_hochberg([])
    assert reject.shape == (0,) and adjusted.shape == (0,)


def test_bh_keeps_shape():
    reject, adjusted = benjamini_hochberg(np.full((2, 3), 0.01))
    assert reject.shape == adjusted.shape == (2, 3) and reject.all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"p_values": [0.1, 1.2]}, r"p_values must be in \[0, 1\], got 1\.2"),
        ({"p_values": [0.1], "q": 0}, r"q must be in \(0, 1\), got 0"),
        ({"p_values": [0.1], "q": 1.5}, r"got 1\.5"),
    ],
)
def test_bh_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        benjamini_hochberg(**kwargs)


@pytest.mark.parametrize("q", [0.01, 0.05, 0.1, 0.2])
def test_bh_agrees_with_statsmodels_on_random_families(q):
    rng = np.random.default_rng(11)
    for _ in range(300):
        m = int(rng.integers(1, 80))
        # A mix of nulls and small p-values, with ties.
        p = np.where(rng.random(m) < 0.3, rng.random(m) * 0.01, rng.random(m)).round(4)
        reject, adjusted = benjamini_hochberg(p, q=q)
        ref_reject, ref_adjusted, _, _ = multipletests(p, alpha=q, method="fdr_bh")
        np.testing.assert_array_equal(reject, ref_reject)
        np.testing.assert_allclose(adjusted, ref_adjusted, atol=1e-12)


def test_bh_agrees_with_scipy_false_discovery_control():
    p = np.random.default_rng(5).random(500) ** 3
    _, adjusted = benjamini_hochberg(p)
    np.testing.assert_allclose(adjusted, stats.false_discovery_control(p, method="bh"), atol=1e-12)


def test_grouped_bh_equals_bh_per_family():
    rng = np.random.default_rng(12)
    p = rng.random(400) ** 2
    p[rng.random(400) < 0.1] = np.nan
    family = rng.integers(0, 17, 400)
    reject, adjusted = _bh_grouped(p, family, 0.05)
    for f in np.unique(family):
        sel = family == f
        ref_reject, ref_adjusted = benjamini_hochberg(p[sel])
        np.testing.assert_array_equal(reject[sel], ref_reject)
        np.testing.assert_allclose(adjusted[sel], ref_adjusted, atol=1e-12)


# --- Newcombe p-value -------------------------------------------------------------


def test_newcombe_pvalue_inverts_the_interval():
    # At confidence 1 - p the interval's limit nearest 0 is 0, for Table II (a).
    p = newcombe_pvalue(56, 70, 48, 80)
    z = stats.norm.isf(p / 2)
    conf = 2 * stats.norm.cdf(z) - 1
    low, _ = newcombe_difference(56, 70, 48, 80, confidence=conf)
    assert low == pytest.approx(0.0, abs=1e-8)
    # And it sits between the 95% and 99% decisions: (a) excludes 0 at 95%.
    assert 0.0 < p < 0.05


def test_newcombe_pvalue_agrees_with_interval_decisions_on_random_inputs():
    rng = np.random.default_rng(13)
    n1 = rng.integers(1, 80, 3000)
    n2 = rng.integers(1, 2000, 3000)
    s1 = rng.integers(0, n1 + 1)
    s2 = rng.integers(0, n2 + 1)
    big_n1 = n1 + rng.integers(0, 40, 3000)
    p = newcombe_pvalue(s1, n1, s2, n2, population1=big_n1)
    low, high = newcombe_difference(s1, n1, s2, n2, population1=big_n1)
    excludes_zero = (low > 0) | (high < 0)
    decided = np.abs(p - 0.05) > 1e-6  # away from the knife edge
    np.testing.assert_array_equal((p < 0.05)[decided], excludes_zero[decided])


def test_newcombe_pvalue_limit_touches_zero_on_random_inputs():
    rng = np.random.default_rng(14)
    n1 = rng.integers(2, 60, 300)
    n2 = rng.integers(2, 500, 300)
    s1 = rng.integers(0, n1 + 1)
    s2 = rng.integers(0, n2 + 1)
    p = newcombe_pvalue(s1, n1, s2, n2)
    for i in np.flatnonzero((p > 1e-9) & (p < 1)):
        conf = 1.0 - p[i]
        a = _wilson_arrays(np.float64(s1[i]), np.float64(n1[i]), conf, None)
        b = _wilson_arrays(np.float64(s2[i]), np.float64(n2[i]), conf, None)
        low, high = _newcombe_from_limits(*a, *b)
        limit = low if a[0] > b[0] else high
        assert abs(limit) < 1e-6


def test_newcombe_pvalue_special_cases():
    assert newcombe_pvalue(3, 5, 6, 10) == 1.0
    assert np.isnan(newcombe_pvalue(0, 0, 3, 10))
    # Symmetric in the order of the samples.
    assert newcombe_pvalue(9, 10, 3, 10) == pytest.approx(newcombe_pvalue(3, 10, 9, 10), rel=1e-9)
    # Two censuses that differ: no sampling error at all.
    assert newcombe_pvalue(9, 10, 3, 10, population1=10, population2=10) == 0.0


@given(
    st.integers(1, 60).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
    st.integers(1, 60).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
)
@settings(max_examples=200, deadline=None)
def test_newcombe_pvalue_is_a_probability(a, b):
    p = newcombe_pvalue(a[0], a[1], b[0], b[1])
    assert 0.0 <= p <= 1.0


# --- Welch ---------------------------------------------------------------------------


def test_welch_difference_agrees_with_scipy():
    rng = np.random.default_rng(15)
    for _ in range(200):
        x = rng.integers(1, 6, int(rng.integers(3, 50))).astype(float)
        y = rng.integers(1, 6, int(rng.integers(3, 500))).astype(float)
        if x.std() == 0 or y.std() == 0:
            continue
        ref = stats.ttest_ind(x, y, equal_var=False)
        ci = ref.confidence_interval(0.95)
        d, low, high, p = welch_difference(x, y)
        assert d == pytest.approx(x.mean() - y.mean(), abs=1e-12)
        assert low == pytest.approx(ci.low, rel=1e-9)
        assert high == pytest.approx(ci.high, rel=1e-9)
        assert p == pytest.approx(ref.pvalue, rel=1e-9)


def test_welch_difference_fpc_narrows_and_census_on_both_sides_is_nan():
    x = np.array([1.0, 2, 3, 4, 5, 4])
    y = np.array([2.0, 3, 4, 5, 5, 5, 3])
    plain = welch_difference(x, y)
    fpc = welch_difference(x, y, population1=8, population2=9)
    assert fpc.high - fpc.low < plain.high - plain.low
    both = welch_difference(x, y, population1=6, population2=7)
    assert np.isnan(both.pvalue)


def test_welch_difference_rejects_small_population():
    with pytest.raises(ValueError, match=r"population for values1 must be >= 3, got 2"):
        welch_difference([1.0, 2.0, 3.0], [1.0, 2.0], population1=2)
