"""Tests for analysis.intervals against published values and independent implementations."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from analysis.intervals import clopper_pearson, mean_interval, newcombe_difference, wilson

# Newcombe RG (1998a) Stat Med 17:857-872, Table I: method 3 (Wilson score, no
# continuity correction) and method 5 (Clopper-Pearson "exact").  The same
# figures are asserted by the R package propint's tests.
NEWCOMBE_1998A = [
    # x, n, Wilson (low, high), Clopper-Pearson (low, high)
    (81, 263, (0.2553, 0.3662), (0.2527, 0.3676)),
    (15, 148, (0.0624, 0.1605), (0.0578, 0.1617)),
    (0, 20, (0.0000, 0.1611), (0.0000, 0.1684)),
    (1, 29, (0.0061, 0.1718), (0.0009, 0.1776)),
]

# Newcombe RG (1998b) Stat Med 17:873-890, Table II, method 10 (hybrid score).
# (a) and (b) are also asserted to 1e-4 by R propint's tests.
NEWCOMBE_1998B = [
    (56, 70, 48, 80, (0.0524, 0.3339)),
    (9, 10, 3, 10, (0.1705, 0.8090)),
    (6, 7, 2, 7, (0.0582, 0.8062)),
    (5, 56, 0, 29, (-0.0381, 0.1926)),
    (0, 10, 0, 20, (-0.1611, 0.2775)),
    (0, 10, 0, 10, (-0.2775, 0.2775)),
    (10, 10, 0, 20, (0.6791, 1.0000)),
    (10, 10, 0, 10, (0.6075, 1.0000)),
]


@pytest.mark.parametrize(("x", "n", "expected", "_cp"), NEWCOMBE_1998A)
def test_wilson_matches_newcombe_1998a_table_1(x, n, expected, _cp):
    low, high = wilson(x, n)
    assert (round(low, 4), round(high, 4)) == expected


@pytest.mark.parametrize(("x", "n", "_w", "expected"), NEWCOMBE_1998A)
def test_clopper_pearson_matches_newcombe_1998a_table_1(x, n, _w, expected):
    low, high = clopper_pearson(x, n)
    assert (round(low, 4), round(high, 4)) == expected


@pytest.mark.parametrize(("s1", "n1", "s2", "n2", "expected"), NEWCOMBE_1998B)
def test_newcombe_difference_matches_newcombe_1998b_table_2(s1, n1, s2, n2, expected):
    low, high = newcombe_difference(s1, n1, s2, n2)
    assert (round(low, 4), round(high, 4)) == expected


def test_wilson_fpc_census_collapses_to_the_estimate():
    # statistics.md section 4 ("fpc_wilson_census_7_9_9"): n == N leaves no sampling error.
    low, high = wilson(7, 9, population=9)
    assert low == pytest.approx(7 / 9, abs=1e-12)
    assert high == pytest.approx(7 / 9, abs=1e-12)


def test_wilson_fpc_equals_wilson_on_effective_n():
    # Derived (statistics.md section 4): Wilson-FPC is Wilson with n replaced by
    # n(N-1)/(N-n) and the observed proportion kept.  3/10 of N = 50: n_eff = 12.25.
    z = stats.norm.ppf(0.975)
    p, m = 0.3, 10 * 49 / 40
    centre = (p + z * z / (2 * m)) / (1 + z * z / m)
    half = z / (1 + z * z / m) * np.sqrt(p * (1 - p) / m + z * z / (4 * m * m))
    low, high = wilson(3, 10, population=50)
    assert low == pytest.approx(centre - half, abs=1e-12)
    assert high == pytest.approx(centre + half, abs=1e-12)


def test_wilson_fpc_width_table_from_statistics_brief():
    # statistics.md section 4 table (derived there): n = 30, N = 43, p = 0.5:
    # widths 0.34 (Wilson) and 0.20 (Wilson-FPC).
    lo, hi = wilson(15, 30)
    flo, fhi = wilson(15, 30, population=43)
    assert round(hi - lo, 2) == 0.34
    assert round(fhi - flo, 2) == 0.20


def test_wilson_uses_exact_normal_quantile_not_1_96():
    z = 1.959963984540054
    low, high = wilson(5, 10)
    assert high - 0.5 == pytest.approx(
        z / (1 + z * z / 10) * np.sqrt(0.025 + z * z / 400), rel=1e-12
    )
    assert low == pytest.approx(1 - high, abs=1e-15)


@pytest.mark.parametrize("func", [wilson, clopper_pearson])
def test_empty_base_gives_nan_not_an_error(func):
    low, high = func(0, 0)
    assert np.isnan(low) and np.isnan(high)
    lows, highs = func(np.array([0, 0, 1]), np.array([0, 5, 5]))
    assert np.isnan(lows[0]) and not np.isnan(lows[1:]).any()


@pytest.mark.parametrize("func", [wilson, clopper_pearson])
@pytest.mark.parametrize("n", [1, 5, 30, 1000])
def test_boundaries_are_exactly_zero_and_one(func, n):
    assert func(0, n).low == 0.0
    assert func(n, n).high == 1.0
    assert 0 < func(0, n).high < 1
    assert 0 < func(n, n).low < 1


def test_wilson_fpc_boundaries_are_exact_too():
    assert wilson(0, 5, population=8).low == 0.0
    assert wilson(5, 5, population=8).high == 1.0


def test_newcombe_difference_nan_when_a_base_is_empty():
    low, high = newcombe_difference(0, 0, 3, 10)
    assert np.isnan(low) and np.isnan(high)


def test_broadcasting_scalar_n_against_array_successes():
    lows, highs = wilson(np.arange(6), 5)
    assert lows.shape == (6,)
    assert np.all(np.diff(lows) > 0) and np.all(np.diff(highs) > 0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"successes": 6, "n": 5}, r"successes must be between 0 and n, got successes=6\.0"),
        ({"successes": -1, "n": 5}, r"successes=-1\.0"),
        ({"successes": 1, "n": -5}, r"n must be >= 0, got -5\.0"),
        ({"successes": 1, "n": 5, "confidence": 1.5}, r"confidence must be in \(0, 1\), got 1\.5"),
        ({"successes": 1, "n": 5, "confidence": 0}, r"got 0"),
        ({"successes": 1, "n": 5, "population": 4}, r"population must be >= n.*population=4\.0"),
    ],
)
def test_wilson_rejects_bad_arguments_quoting_them(kwargs, message):
    with pytest.raises(ValueError, match=message):
        wilson(**kwargs)


def test_clopper_pearson_rejects_bad_confidence():
    with pytest.raises(ValueError, match=r"got 'x'"):
        clopper_pearson(1, 2, confidence="x")


# --- cross-checks against statsmodels on a few thousand random inputs -------------

RNG_SEED = 20240501


def _random_counts(size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    n = rng.integers(1, 200, size)
    x = rng.integers(0, n + 1)
    return x, n


@pytest.mark.parametrize("confidence", [0.8, 0.95, 0.99])
def test_wilson_agrees_with_statsmodels(confidence):
    x, n = _random_counts(3000, np.random.default_rng(RNG_SEED))
    low, high = wilson(x, n, confidence=confidence)
    ref_low, ref_high = proportion_confint(x, n, alpha=1 - confidence, method="wilson")
    np.testing.assert_allclose(low, ref_low, atol=1e-10)
    np.testing.assert_allclose(high, ref_high, atol=1e-10)


def test_clopper_pearson_agrees_with_statsmodels_beta():
    x, n = _random_counts(3000, np.random.default_rng(RNG_SEED + 1))
    low, high = clopper_pearson(x, n)
    ref_low, ref_high = proportion_confint(x, n, alpha=0.05, method="beta")
    np.testing.assert_allclose(low, ref_low, atol=1e-10)
    np.testing.assert_allclose(high, ref_high, atol=1e-10)


def test_clopper_pearson_agrees_with_scipy_binomtest_exact():
    rng = np.random.default_rng(RNG_SEED + 2)
    x, n = _random_counts(200, rng)
    for xi, ni in zip(x, n, strict=True):
        ci = stats.binomtest(int(xi), int(ni)).proportion_ci(method="exact")
        low, high = clopper_pearson(xi, ni)
        assert low == pytest.approx(ci.low, abs=1e-10)
        assert high == pytest.approx(ci.high, abs=1e-10)


def test_newcombe_difference_agrees_with_statsmodels_newcomb():
    # statsmodels' 'newcomb' method matches Newcombe's Table II; its 'score'
    # method is buggy for differences (statistics.md section 9) and is not used.
    rng = np.random.default_rng(RNG_SEED + 3)
    s1, n1 = _random_counts(3000, rng)
    s2, n2 = _random_counts(3000, rng)
    low, high = newcombe_difference(s1, n1, s2, n2)
    ref_low, ref_high = confint_proportions_2indep(s1, n1, s2, n2, method="newcomb", compare="diff")
    np.testing.assert_allclose(low, ref_low, atol=1e-10)
    np.testing.assert_allclose(high, ref_high, atol=1e-10)


# --- property tests ----------------------------------------------------------------

counts = st.integers(min_value=1, max_value=500).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
)


@given(counts, st.integers(min_value=0, max_value=500), st.sampled_from([0.8, 0.9, 0.95, 0.99]))
@settings(max_examples=300, deadline=None)
def test_wilson_within_unit_interval_contains_estimate_and_fpc_narrower(xn, extra, conf):
    x, n = xn
    big_n = n + extra
    low, high = wilson(x, n, confidence=conf)
    flow, fhigh = wilson(x, n, confidence=conf, population=big_n)
    p = x / n
    assert 0.0 <= low <= p <= high <= 1.0
    assert 0.0 <= flow <= p <= fhigh <= 1.0
    # Narrower (or equal at the boundary limits) with the FPC.
    assert flow >= low - 1e-12 and fhigh <= high + 1e-12
    if extra > 0 and 0 < x < n:
        assert fhigh - flow < high - low


@given(counts)
@settings(max_examples=200, deadline=None)
def test_clopper_pearson_contains_estimate(xn):
    x, n = xn
    low, high = clopper_pearson(x, n)
    assert 0.0 <= low <= x / n <= high <= 1.0


@pytest.mark.parametrize("n", [1, 5, 20, 46, 300])
def test_clopper_pearson_zero_successes_closed_form(n):
    # With x = 0 the exact upper limit solves (1 - U)^n = alpha/2 (Clopper & Pearson 1934).
    assert clopper_pearson(0, n).high == pytest.approx(1 - 0.025 ** (1 / n), rel=1e-12)


@given(counts, counts)
@settings(max_examples=300, deadline=None)
def test_newcombe_difference_within_bounds_and_contains_estimate(a, b):
    (s1, n1), (s2, n2) = a, b
    low, high = newcombe_difference(s1, n1, s2, n2)
    d = s1 / n1 - s2 / n2
    assert -1.0 <= low <= d <= high <= 1.0


# --- means ---------------------------------------------------------------------------


def _sample_with_moments(n: int, mean: float, sd: float) -> np.ndarray:
    z = np.random.default_rng(7).normal(size=n)
    z = (z - z.mean()) / z.std(ddof=1)
    return mean + sd * z


def test_mean_interval_reproduces_lohr_agsrs_example():
    # Lohr, Sampling: Design and Analysis (ch. 2, agsrs: SRS of n = 300 of N = 3078
    # US counties, acres devoted to farms in 1992): mean 297,897.05, SE 18,898.43
    # and 95% t(299) CI (260,706.26, 335,087.84); R survey / SAS SURVEYMEANS agree.
    n, big_n, se = 300, 3078, 18898.434
    sd = se / np.sqrt((1 - n / big_n) / n)
    values = _sample_with_moments(n, 297897.05, sd)
    mean, low, high = mean_interval(values, population=big_n)
    assert mean == pytest.approx(297897.05, abs=1e-6)
    assert low == pytest.approx(260706.26, abs=0.02)
    assert high == pytest.approx(335087.84, abs=0.02)


def test_mean_interval_reproduces_lohr_proportion_standard_error():
    # Lohr ch. 2: 153 of the 300 sampled counties have fewer than 200,000 acres in
    # farms; with N = 3078 the estimated SE of the proportion is 0.0275 (the
    # estimator form (1 - n/N) p q / (n - 1), statistics.md section 9 item 5).
    values = np.r_[np.ones(153), np.zeros(147)]
    mean, low, high = mean_interval(values, population=3078)
    se = (high - mean) / stats.t.ppf(0.975, 299)
    assert mean == pytest.approx(0.51)
    assert round(se, 4) == 0.0275


def test_mean_interval_reproduces_samplingbook_proportion_se():
    # R samplingbook (Sprop): 3 of n = 10 with N = 50 gives SE 0.1366.
    values = np.r_[np.ones(3), np.zeros(7)]
    mean, low, high = mean_interval(values, population=50)
    se = (high - mean) / stats.t.ppf(0.975, 9)
    assert round(se, 4) == 0.1366


def test_mean_interval_agrees_with_scipy_ttest_without_fpc():
    rng = np.random.default_rng(RNG_SEED + 4)
    for _ in range(200):
        n = int(rng.integers(2, 60))
        x = rng.integers(1, 6, n).astype(float)
        if np.all(x == x[0]):
            continue
        ref = stats.ttest_1samp(x, 0.0).confidence_interval(0.9)
        mean, low, high = mean_interval(x, confidence=0.9)
        assert low == pytest.approx(ref.low, rel=1e-10)
        assert high == pytest.approx(ref.high, rel=1e-10)


def test_mean_interval_ignores_nan():
    assert tuple(mean_interval([4.0, np.nan, 2.0])) == tuple(mean_interval([4.0, 2.0]))
    assert mean_interval([4.0, np.nan, 2.0]).n == 2


def test_mean_interval_edge_cases():
    empty = mean_interval([])
    assert np.isnan(empty.mean) and np.isnan(empty.low) and empty.n == 0
    one = mean_interval([3.0])
    assert one.mean == 3.0 and np.isnan(one.low) and np.isnan(one.high)
    flat = mean_interval([4.0, 4.0, 4.0])  # no variation: not estimable, not [4, 4]
    assert flat.mean == 4.0 and np.isnan(flat.low) and np.isnan(flat.high)
    census = mean_interval([4.0, 4.0, 5.0], population=3)
    assert (census.low, census.high) == (census.mean, census.mean)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"values": [[1.0, 2.0]]}, r"values must be 1-D, got shape \(1, 2\)"),
        (
            {"values": [1.0, 2.0, 3.0], "population": 2},
            r"population must be >= the number of values \(3\), got 2",
        ),
        ({"values": [1.0, 2.0], "confidence": -0.1}, r"got -0\.1"),
    ],
)
def test_mean_interval_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        mean_interval(**kwargs)


@given(
    st.lists(st.integers(min_value=1, max_value=5), min_size=2, max_size=60),
    st.integers(min_value=0, max_value=100),
)
@settings(max_examples=200, deadline=None)
def test_mean_interval_fpc_is_narrower_and_contains_mean(scores, extra):
    x = np.asarray(scores, dtype=float)
    plain = mean_interval(x)
    fpc = mean_interval(x, population=len(x) + extra)
    if np.isnan(plain.low):
        assert np.all(x == x[0])
        return
    assert plain.low <= plain.mean <= plain.high
    assert fpc.low <= fpc.mean <= fpc.high
    assert fpc.high - fpc.low <= plain.high - plain.low + 1e-12
