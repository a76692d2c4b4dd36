"""Tests for analysis.reliability: Cronbach's alpha and Feldt's interval."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from analysis import RoundResponses
from analysis.reliability import (
    WHOLE_ROUND,
    cronbach_alpha,
    domain_reliability,
    feldt_interval,
)

# 15 respondents x 3 items; alpha = 0.547752808988764, the value asserted in the
# public test suite of the tci-stats package (anthropedia/tci-stats, test/__init__.py).
TCI_DATA = [
    [3, 4, 5],
    [3, 4, 6],
    [2, 3, 4],
    [4, 4, 4],
    [5, 5, 5],
    [3, 3, 2],
    [5, 2, 3],
    [4, 1, 2],
    [3, 4, 2],
    [4, 4, 3],
    [1, 2, 3],
    [3, 2, 1],
    [3, 5, 4],
    [3, 4, 3],
    [4, 3, 4],
]


def test_cronbach_alpha_reproduces_published_test_value():
    assert cronbach_alpha(TCI_DATA) == pytest.approx(0.547752808988764, abs=1e-12)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        # Hand-checkable cases from the same tci-stats suite, whose small examples
        # list each item's scores as a row (e.g. items (3,4,5) and (3,4,6):
        # 2 * (1 - (1 + 7/3) / (19/3)) = 0.947368...).
        ([[1, 2, 3], [1, 2, 3]], 1.0),
        ([[3, 4, 5], [3, 4, 6]], 0.9473684211),
        ([[1, 1, 1], [1, 2, 3], [1, 3, 5]], 0.6666666667),
    ],
)
def test_cronbach_alpha_small_published_cases(data, expected):
    # Transpose to our layout: respondents as rows.
    assert cronbach_alpha(np.asarray(data, dtype=float).T) == pytest.approx(expected, abs=1e-9)


# pingouin 0.7.0's docstring examples of cronbach_alpha, which it says match R
# psych::alpha (raphaelvallat/pingouin, pingouin/reliability.py, on its data sets
# pingouin/datasets/cronbach_alpha.csv and cronbach_wide_missing.csv, transcribed here).
#: 15 subjects x 10 Likert items (1-7): alpha 0.5917188485995826, Feldt 95% CI (0.195, 0.84)
PINGOUIN_LIKERT = [
    [3, 2, 4, 1, 4, 5, 1, 4, 3, 2],
    [5, 4, 6, 3, 5, 1, 2, 5, 5, 5],
    [7, 3, 5, 5, 6, 4, 3, 3, 6, 5],
    [2, 4, 3, 3, 2, 2, 2, 6, 6, 3],
    [6, 5, 6, 5, 4, 4, 4, 6, 7, 5],
    [1, 2, 3, 4, 2, 5, 2, 3, 5, 2],
    [4, 3, 5, 3, 5, 2, 1, 2, 4, 3],
    [2, 4, 4, 3, 7, 2, 2, 4, 6, 5],
    [6, 5, 5, 5, 1, 6, 5, 2, 3, 2],
    [5, 4, 6, 4, 3, 5, 3, 1, 7, 2],
    [4, 3, 5, 2, 5, 3, 2, 3, 4, 1],
    [4, 2, 3, 2, 5, 3, 4, 2, 3, 4],
    [5, 5, 6, 2, 3, 3, 2, 4, 4, 5],
    [6, 5, 5, 4, 2, 2, 1, 4, 6, 5],
    [4, 3, 5, 5, 3, 1, 3, 2, 3, 4],
]
_ = np.nan
#: 12 subjects x 11 binary items, three with a missing answer; after listwise deletion
#: (psych::alpha(use="complete.obs")) alpha is 0.8016949152542373 on the 9 complete rows
PINGOUIN_MISSING = [
    [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
    [1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0],
    [_, 0, 1, 1, _, 1, 1, 1, 1, 0, 0],
    [1, 1, 1, 0, 1, 1, 0, 1, 1, 0, 0],
    [1, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0],
    [0, 1, _, 0, 1, 1, 1, 1, 0, 0, 0],
    [1, 1, 1, 1, 0, 0, 1, 0, 0, 0, 0],
    [1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0],
    [0, 1, 0, 1, 1, 0, 0, 0, 0, 1, 0],
    [1, 0, 0, 1, 0, 1, 0, 0, _, 0, 0],
    [1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0],
    [1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0],
]


def test_cronbach_alpha_and_feldt_reproduce_the_pingouin_r_psych_examples():
    assert cronbach_alpha(PINGOUIN_LIKERT) == pytest.approx(0.5917188485995826, abs=1e-12)
    low, high = feldt_interval(0.5917188485995826, 15, 10)
    assert (round(low, 3), round(high, 3)) == (0.195, 0.840)
    assert cronbach_alpha(PINGOUIN_MISSING) == pytest.approx(0.8016949152542373, abs=1e-12)
    # pingouin prints (0.581, 0.933) for this one, but it takes n = 12, the rows before the
    # listwise deletion (its code reads the shape first); the same formula on its inputs
    # agrees, and ours uses the 9 complete cases alpha was computed from
    low, high = feldt_interval(0.8016949152542373, 12, 11)
    assert (round(low, 3), round(high, 3)) == (0.581, 0.933)


def test_cronbach_alpha_uses_complete_cases():
    data = np.asarray(TCI_DATA, dtype=float)
    with_missing = np.vstack([data, [np.nan, 1.0, 5.0], [2.0, np.nan, np.nan]])
    assert cronbach_alpha(with_missing) == pytest.approx(cronbach_alpha(data), abs=1e-12)


def test_cronbach_alpha_nan_cases():
    assert np.isnan(cronbach_alpha([[1.0, 2.0], [np.nan, 3.0]]))  # one complete case
    assert np.isnan(cronbach_alpha([[2.0, 2.0], [2.0, 2.0]]))  # no variance


@pytest.mark.parametrize(
    ("data", "message"),
    [([1.0, 2.0], r"must be 2-D.*got shape \(2,\)"), ([[1.0], [2.0]], r"at least 2 items, got 1")],
)
def test_cronbach_alpha_rejects_bad_shapes(data, message):
    with pytest.raises(ValueError, match=message):
        cronbach_alpha(data)


def test_feldt_interval_reproduces_reference_value():
    # Feldt (1965) / Feldt, Woodruff & Salih (1987) F interval for alpha = .85,
    # k = 7 items, n = 89: 0.7971-0.8932 (statistics.md section 9 item 6; Bonett's
    # approximation in R statpsych::ci.cronbach prints 0.7971-0.8931).
    low, high = feldt_interval(0.85, 89, 7)
    assert (round(low, 4), round(high, 4)) == (0.7971, 0.8932)


def test_feldt_interval_matches_direct_f_quantiles():
    rng = np.random.default_rng(21)
    for _ in range(500):
        a = float(rng.uniform(-0.5, 0.99))
        n = int(rng.integers(3, 500))
        k = int(rng.integers(2, 30))
        conf = float(rng.choice([0.9, 0.95, 0.99]))
        g = 1 - conf
        d1, d2 = n - 1, (n - 1) * (k - 1)
        low, high = feldt_interval(a, n, k, conf)
        assert low == pytest.approx(1 - (1 - a) * stats.f.ppf(1 - g / 2, d1, d2), abs=1e-10)
        assert high == pytest.approx(1 - (1 - a) * stats.f.ppf(g / 2, d1, d2), abs=1e-10)
        assert low < a < high


def test_feldt_interval_nan_alpha():
    low, high = feldt_interval(float("nan"), 20, 4)
    assert np.isnan(low) and np.isnan(high)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((1.0, 20, 4), r"alpha must be < 1, got 1\.0"),
        ((0.8, 1, 4), r"n_respondents must be an integer >= 2, got 1"),
        ((0.8, 20, 1), r"n_items must be an integer >= 2, got 1"),
        ((0.8, 20.5, 4), r"got 20\.5"),
    ],
)
def test_feldt_interval_rejects_bad_arguments(args, message):
    with pytest.raises(ValueError, match=message):
        feldt_interval(*args)


# -- domain_reliability: every organisation and the whole round at once ----------------------


def _alpha_by_hand(x: np.ndarray) -> tuple[int, float]:
    """Complete cases and alpha from the item-variance formula, written out with numpy."""
    complete = x[~np.isnan(x).any(axis=1)]
    n, k = complete.shape
    item_variances = sum(np.var(complete[:, j], ddof=1) for j in range(k))
    total_variance = np.var(complete.sum(axis=1), ddof=1)
    return n, k / (k - 1) * (1 - item_variances / total_variance)


def test_domain_reliability_matches_the_formula_per_organisation_and_pooled(make_round):
    responses = make_round(seed=5, n_orgs=4, n_items=8, n_domains=2, n_responses=400)
    result = domain_reliability(responses, threshold=5)
    assert len(result) == (4 + 1) * 2
    for row in result.rows():
        cols = responses.item_domain == responses.domain_labels.index(row["domain"])
        if row["scope"] == WHOLE_ROUND:
            x = responses.scores[:, cols]
        else:
            org = responses.organisation_labels.index(row["scope"])
            x = responses.scores[responses.organisation == org][:, cols]
        n, alpha = _alpha_by_hand(x)
        assert row["n_items"] == 4 and row["n"] == n and not row["suppressed"]
        assert row["alpha"] == pytest.approx(alpha, abs=1e-12)
        d1, d2 = n - 1, (n - 1) * 3
        assert row["alpha_low"] == pytest.approx(1 - (1 - alpha) * stats.f.ppf(0.975, d1, d2))
        assert row["alpha_high"] == pytest.approx(1 - (1 - alpha) * stats.f.ppf(0.025, d1, d2))
    # the "don't know" answers, skips and the routed-out group leave the complete cases
    assert np.all(result.of(WHOLE_ROUND).n < 400)


def test_domain_reliability_reproduces_the_published_value_and_suppresses_small_bases():
    data = np.asarray(TCI_DATA, dtype=float)
    # one organisation with the 15 published respondents, one with 3 complete cases
    small = np.array([[1.0, 2.0, 2.0], [3.0, 3.0, 4.0], [5.0, 4.0, 5.0], [np.nan, 1.0, 1.0]])
    scores = np.vstack([data, small])
    responses = RoundResponses(
        scores=scores,
        dont_know=np.isnan(scores),
        item_labels=("a", "b", "c"),
        item_domain=np.zeros(3, dtype=np.int64),
        domain_labels=("trust",),
        organisation=np.array([0] * 15 + [1] * 4),
        organisation_labels=("BIG", "SMALL"),
        organisation_kind=np.zeros(2, dtype=np.int64),
        group=np.zeros(19, dtype=np.int64),
        group_labels=("gp",),
        invited=np.array([[15], [4]]),
    )
    result = domain_reliability(responses, threshold=5)
    big, small_row, pooled = result.rows()
    assert big["scope"] == "BIG" and big["n"] == 15
    assert big["alpha"] == pytest.approx(0.547752808988764, abs=1e-12)
    assert (big["alpha_low"], big["alpha_high"]) == pytest.approx(
        tuple(feldt_interval(0.547752808988764, 15, 3))
    )
    assert small_row["suppressed"] and all(
        np.isnan(small_row[c]) for c in ("n", "alpha", "alpha_low", "alpha_high")
    )
    assert pooled["scope"] == WHOLE_ROUND and pooled["n"] == 18 and not pooled["suppressed"]
    assert pooled["alpha"] == pytest.approx(_alpha_by_hand(scores)[1], abs=1e-12)


def test_domain_reliability_not_estimable_cases():
    scores = np.array([[3.0, 3.0, 4.0]] * 6)  # no variation; the third item is its own domain
    responses = RoundResponses(
        scores=scores,
        dont_know=np.zeros(scores.shape, dtype=bool),
        item_labels=("a", "b", "c"),
        item_domain=np.array([0, 0, 1]),
        domain_labels=("flat", "single"),
        organisation=np.zeros(6, dtype=np.int64),
        organisation_labels=("ORG",),
        organisation_kind=np.zeros(1, dtype=np.int64),
        group=np.zeros(6, dtype=np.int64),
        group_labels=("gp",),
        invited=np.array([[6]]),
    )
    flat, single = list(domain_reliability(responses).of("ORG").rows())
    assert flat["n"] == 6 and np.isnan(flat["alpha"]) and np.isnan(flat["alpha_low"])
    assert single["n_items"] == 1 and np.isnan(single["alpha"])
    with pytest.raises(ValueError, match="threshold must be an integer >= 3"):
        domain_reliability(responses, threshold=2)


def _one_domain_round(scores: np.ndarray, organisation: list[int], labels: tuple[str, ...]):
    k = scores.shape[1]
    return RoundResponses(
        scores=scores,
        dont_know=np.isnan(scores),
        item_labels=tuple(f"q{j}" for j in range(k)),
        item_domain=np.zeros(k, dtype=np.int64),
        domain_labels=("binary",),
        organisation=np.asarray(organisation),
        organisation_labels=labels,
        organisation_kind=np.zeros(len(labels), dtype=np.int64),
        group=np.zeros(len(organisation), dtype=np.int64),
        group_labels=("gp",),
        invited=np.array([[organisation.count(o)] for o in range(len(labels))]),
    )


def test_domain_reliability_drops_incomplete_responses_as_r_psych_complete_obs_does():
    data = np.asarray(PINGOUIN_MISSING, dtype=float)
    responses = _one_domain_round(data, [0] * 12, ("ORG",))
    [row] = list(domain_reliability(responses).of("ORG").rows())
    assert row["n"] == 9 and row["n_items"] == 11
    assert row["alpha"] == pytest.approx(0.8016949152542373, abs=1e-12)
    # Feldt on the complete cases: n - 1 = 8 and 8 x 10 degrees of freedom
    factor = 1 - 0.8016949152542373
    assert row["alpha_low"] == pytest.approx(1 - factor * stats.f.ppf(0.975, 8, 80), abs=1e-12)
    assert row["alpha_high"] == pytest.approx(1 - factor * stats.f.ppf(0.025, 8, 80), abs=1e-12)


def test_of_selects_scopes_keeping_the_table_order():
    data = np.asarray(PINGOUIN_LIKERT, dtype=float)
    responses = _one_domain_round(data, [0] * 5 + [1] * 5 + [2] * 5, ("A", "B", "C"))
    result = domain_reliability(responses)
    assert list(result.scope) == ["A", "B", "C", WHOLE_ROUND]
    assert list(result.of(WHOLE_ROUND, "B").scope) == ["B", WHOLE_ROUND]
    [pooled] = list(result.of(WHOLE_ROUND).rows())
    assert pooled["alpha"] == pytest.approx(0.5917188485995826, abs=1e-12)
    assert len(result.of("no such organisation")) == 0
