"""Tests for analysis.local.analyse_local_questions against independent recomputations.

The reference values here never come from analysis code: counts are recounted in
plain Python, Wilson limits come from statsmodels (no FPC), from the Wilson-FPC
formula written out below, from the finite-population score equation solved with
scipy, and from the published table of Newcombe (1998a).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import optimize, stats
from statsmodels.stats.proportion import proportion_confint

from analysis import (
    LocalQuestionTable,
    RoundResponses,
    analyse_local_questions,
    analyse_round,
)

Z = stats.norm.ppf(0.975)


def wilson_fpc_reference(k: int, n: int, big_n: int) -> tuple[float, float]:
    """Wilson score limits with n replaced by n_eff = n(N-1)/(N-n) (statistics.md section 4).

    Written out from Newcombe (1998a) method 3: centre (p + z^2/2m)/(1 + z^2/m),
    half-width z/(1 + z^2/m) sqrt(pq/m + z^2/4m^2), with m = n_eff; a census
    (n == N) leaves no sampling error.
    """
    p = k / n
    if n >= big_n:
        return p, p
    m = n * (big_n - 1) / (big_n - n)
    centre = (p + Z * Z / (2 * m)) / (1 + Z * Z / m)
    half = Z / (1 + Z * Z / m) * math.sqrt(p * (1 - p) / m + Z * Z / (4 * m * m))
    return centre - half, centre + half


def one_question(
    positive: int, other: int, dont_know: int = 0, not_asked: int = 0, score: float = 5.0
) -> tuple[np.ndarray, np.ndarray]:
    """A single question's column: ``positive`` answers of ``score``, ``other`` answers of 1."""
    column = [score] * positive + [1.0] * other + [np.nan] * (dont_know + not_asked)
    dk = [False] * (positive + other) + [True] * dont_know + [False] * not_asked
    return np.array(column)[:, None], np.array(dk)[:, None]


def random_local_round(seed: int) -> dict[str, object]:
    """Several organisations, each with its own local questions asked of all its respondents."""
    rng = np.random.default_rng(seed)
    n_orgs = 4
    org = rng.integers(0, n_orgs, 160)
    question_org = np.array([0, 0, 1, 2, 2, 2, 3])
    scores = rng.integers(1, 6, (org.size, question_org.size)).astype(float)
    u = rng.random(scores.shape)
    dk = u < 0.12
    skipped = (u >= 0.12) & (u < 0.17)
    not_asked = org[:, None] != question_org[None, :]
    dk &= ~not_asked
    scores[dk | skipped | not_asked] = np.nan
    respondents = np.bincount(org, minlength=n_orgs)
    invited = respondents[question_org] + rng.integers(0, 15, question_org.size)
    return {
        "scores": scores,
        "dont_know": dk,
        "question_labels": [f"Local {i}" for i in range(question_org.size)],
        "positive_threshold": np.array([4, 4, 5, 4, 3, 4, 4], dtype=float),
        "negative_threshold": np.array([2, 2, 2, 1, 2, 2, 2], dtype=float),
        "invited": invited,
        "threshold": 5,
    }


def plain_recount(scores: np.ndarray, dk: np.ndarray, pos_t, neg_t) -> list[dict[str, float]]:
    """Per question, counts and mean from Python lists (no vectorised code)."""
    out = []
    for q in range(scores.shape[1]):
        given = [float(s) for s in scores[:, q].tolist() if not math.isnan(s)]
        n_dk = int(sum(bool(v) for v in dk[:, q].tolist()))
        n = len(given)
        out.append(
            {
                "n": n,
                "k": sum(1 for s in given if s >= pos_t[q]),
                "neg": sum(1 for s in given if s <= neg_t[q]),
                "dk": n_dk,
                "mean": sum(given) / n if n else math.nan,
            }
        )
    return out


# Newcombe RG (1998a) Stat Med 17:857-872, Table I, method 3 (Wilson score, no
# continuity correction); the same rows are checked for analysis.wilson.
NEWCOMBE_1998A_WILSON = [
    (81, 263, (0.2553, 0.3662)),
    (15, 148, (0.0624, 0.1605)),
    (0, 20, (0.0000, 0.1611)),
    (1, 29, (0.0061, 0.1718)),
]


@pytest.mark.parametrize(("x", "n", "expected"), NEWCOMBE_1998A_WILSON)
def test_without_fpc_matches_newcombe_1998a_table_1(x, n, expected):
    scores, dk = one_question(x, n - x)
    table = analyse_local_questions(
        scores, dk, ["q"], 4, 2, [n], threshold=5, finite_population=False
    )
    low, high = float(table.positive_low[0]), float(table.positive_high[0])
    assert (round(low, 4), round(high, 4)) == expected
    assert table.positive[0] == pytest.approx(x / n, rel=1e-15)


@pytest.mark.parametrize("seed", range(8))
def test_without_fpc_matches_statsmodels_wilson(seed):
    args = random_local_round(seed)
    table = analyse_local_questions(**args, finite_population=False)
    counts = plain_recount(
        args["scores"], args["dont_know"], args["positive_threshold"], args["negative_threshold"]
    )
    for q, c in enumerate(counts):
        assert c["n"] >= 5, "fixture should keep every question publishable"
        # statsmodels 0.14/0.15 proportion_confint(method="wilson"), z = norm.ppf(0.975).
        low, high = proportion_confint(c["k"], c["n"], alpha=0.05, method="wilson")
        assert table.positive_low[q] == pytest.approx(low, rel=1e-10, abs=1e-13)
        assert table.positive_high[q] == pytest.approx(high, rel=1e-10, abs=1e-13)


@pytest.mark.parametrize("seed", range(8))
def test_fpc_matches_the_wilson_formula_on_effective_n(seed):
    args = random_local_round(seed)
    table = analyse_local_questions(**args)
    counts = plain_recount(
        args["scores"], args["dont_know"], args["positive_threshold"], args["negative_threshold"]
    )
    for q, c in enumerate(counts):
        low, high = wilson_fpc_reference(c["k"], c["n"], int(args["invited"][q]))
        assert table.positive_low[q] == pytest.approx(low, rel=1e-10, abs=1e-12)
        assert table.positive_high[q] == pytest.approx(high, rel=1e-10, abs=1e-12)


@pytest.mark.parametrize(("k", "n", "big_n"), [(3, 10, 50), (12, 30, 43), (7, 8, 9)])
def test_fpc_limits_solve_the_finite_population_score_equation(k, n, big_n):
    # Each limit p solves (phat - p)^2 = z^2 p (1 - p) / n * (N - n) / (N - 1): the score
    # test under sampling without replacement (Cochran 1977, ch. 3), solved numerically.
    scores, dk = one_question(k, n - k)
    table = analyse_local_questions(scores, dk, ["q"], 4, 2, [big_n], threshold=5)
    phat = k / n

    def score_gap(p: float) -> float:
        return (phat - p) ** 2 - Z * Z * p * (1 - p) / n * (big_n - n) / (big_n - 1)

    low = optimize.brentq(score_gap, 1e-12, phat, xtol=1e-14)
    high = optimize.brentq(score_gap, phat, 1 - 1e-12, xtol=1e-14)
    assert table.positive_low[0] == pytest.approx(low, abs=1e-10)
    assert table.positive_high[0] == pytest.approx(high, abs=1e-10)


def test_fpc_width_table_from_statistics_brief():
    # statistics.md section 4 table (derived there, no published source): n = 30,
    # N = 43, p = 0.5 gives a Wilson-FPC width of 0.20.
    scores, dk = one_question(15, 15)
    table = analyse_local_questions(scores, dk, ["q"], 4, 2, [43], threshold=5)
    assert round(float(table.positive_high[0] - table.positive_low[0]), 2) == 0.20


@pytest.mark.parametrize("seed", range(8))
def test_counts_shares_and_mean_match_a_plain_recount(seed):
    args = random_local_round(seed)
    table = analyse_local_questions(**args)
    counts = plain_recount(
        args["scores"], args["dont_know"], args["positive_threshold"], args["negative_threshold"]
    )
    assert table.question.tolist() == args["question_labels"]
    for q, c in enumerate(counts):
        assert table.n[q] == c["n"]
        assert table.positive[q] == pytest.approx(c["k"] / c["n"], rel=1e-15)
        assert table.negative[q] == pytest.approx(c["neg"] / c["n"], rel=1e-15)
        # Don't know is on the base of everyone who answered: scale answers + DK.
        assert table.dont_know[q] == pytest.approx(c["dk"] / (c["n"] + c["dk"]), rel=1e-15)
        assert table.mean[q] == pytest.approx(c["mean"], rel=1e-12)
        assert not table.suppressed[q]


def test_dont_know_is_excluded_from_the_base():
    # 4 positive of 6 scale answers; 3 don't know do not count in n.
    scores, dk = one_question(4, 2, dont_know=3, not_asked=5)
    table = analyse_local_questions(
        scores, dk, ["q"], 4, 2, [20], threshold=5, finite_population=False
    )
    assert table.n[0] == 6
    assert table.positive[0] == pytest.approx(4 / 6)
    assert table.dont_know[0] == pytest.approx(3 / 9)
    low, high = proportion_confint(4, 6, alpha=0.05, method="wilson")
    assert (table.positive_low[0], table.positive_high[0]) == pytest.approx((low, high))


def test_positive_and_negative_use_the_engine_thresholds_inclusively():
    # Scores exactly at a threshold count: positive is >= 4, negative is <= 2.
    scores = np.array([[4.0], [4.0], [3.0], [2.0], [2.0], [1.0], [5.0]])
    table = analyse_local_questions(
        scores, np.zeros(scores.shape, bool), ["q"], [4], [2], [7], threshold=5
    )
    assert table.positive[0] == pytest.approx(3 / 7)
    assert table.negative[0] == pytest.approx(3 / 7)


@pytest.mark.parametrize("finite_population", [True, False])
def test_no_one_positive_gives_a_lower_limit_of_exactly_zero(finite_population):
    scores, dk = one_question(0, 8)
    table = analyse_local_questions(
        scores, dk, ["q"], 4, 2, [20], threshold=5, finite_population=finite_population
    )
    assert table.positive[0] == 0.0
    assert table.positive_low[0] == 0.0
    assert 0.0 < table.positive_high[0] < 1.0
    expected = (
        wilson_fpc_reference(0, 8, 20)[1]
        if finite_population
        else proportion_confint(0, 8, alpha=0.05, method="wilson")[1]
    )
    assert table.positive_high[0] == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("finite_population", [True, False])
def test_everyone_positive_gives_an_upper_limit_of_exactly_one(finite_population):
    scores, dk = one_question(8, 0)
    table = analyse_local_questions(
        scores, dk, ["q"], 4, 2, [20], threshold=5, finite_population=finite_population
    )
    assert table.positive[0] == 1.0
    assert table.positive_high[0] == 1.0
    assert 0.0 < table.positive_low[0] < 1.0
    expected = (
        wilson_fpc_reference(8, 8, 20)[0]
        if finite_population
        else proportion_confint(8, 8, alpha=0.05, method="wilson")[0]
    )
    assert table.positive_low[0] == pytest.approx(expected, rel=1e-10)


def test_census_collapses_the_interval_to_the_estimate():
    # n == N: every invited stakeholder answered, so there is no sampling error.
    scores, dk = one_question(7, 2)
    table = analyse_local_questions(scores, dk, ["q"], 4, 2, [9], threshold=5)
    assert table.positive_low[0] == pytest.approx(7 / 9, abs=1e-12)
    assert table.positive_high[0] == pytest.approx(7 / 9, abs=1e-12)


def test_invited_below_n_is_raised_to_n():
    # Invitations purged or missing: no one answers without being asked, so N >= n.
    scores, dk = one_question(7, 2)
    floored = analyse_local_questions(scores, dk, ["q"], 4, 2, [3], threshold=5)
    census = analyse_local_questions(scores, dk, ["q"], 4, 2, [9], threshold=5)
    assert floored.positive_low[0] == census.positive_low[0]
    assert floored.positive_high[0] == census.positive_high[0]


def test_a_base_below_the_threshold_hides_every_number():
    scores, dk = one_question(3, 1, dont_know=4)
    table = analyse_local_questions(scores, dk, ["q"], 4, 2, [10], threshold=5)
    assert table.suppressed[0]
    for column in ("n", "positive", "positive_low", "positive_high", "negative"):
        assert np.isnan(getattr(table, column)[0]), column
    assert np.isnan(table.dont_know[0]) and np.isnan(table.mean[0])


def test_a_base_at_the_threshold_is_published():
    scores, dk = one_question(3, 2)
    table = analyse_local_questions(scores, dk, ["q"], 4, 2, [10], threshold=5)
    assert not table.suppressed[0]
    assert table.n[0] == 5 and table.positive[0] == pytest.approx(0.6)


def test_a_question_with_no_scale_answers_shows_zero_and_is_not_suppressed():
    scores, dk = one_question(0, 0, dont_know=2, not_asked=3)
    table = analyse_local_questions(scores, dk, ["q"], 4, 2, [10], threshold=5)
    assert table.n[0] == 0
    assert not table.suppressed[0]
    for column in ("positive", "positive_low", "positive_high", "negative", "mean"):
        assert np.isnan(getattr(table, column)[0]), column
    # Two don't knows are fewer than k people asked: the share stays hidden.
    assert np.isnan(table.dont_know[0])


def test_all_dont_know_is_shown_once_k_people_were_asked():
    # The engine's rule for an all-"don't know" cell: % don't know needs k people asked.
    scores, dk = one_question(0, 0, dont_know=5)
    table = analyse_local_questions(scores, dk, ["q"], 4, 2, [10], threshold=5)
    assert table.n[0] == 0 and not table.suppressed[0]
    assert table.dont_know[0] == 1.0
    assert np.isnan(table.positive[0])


def test_agrees_with_the_round_engine_for_one_organisation_and_group():
    # Consistency (not an independent reference): a local question is reported like the
    # "All stakeholders" row of an item for the organisation's whole population.
    args = random_local_round(3)
    scores, dk = args["scores"][:, :2], args["dont_know"][:, :2]
    asked = ~np.all(np.isnan(scores) & ~dk, axis=1)  # organisation 0's respondents
    scores, dk = scores[asked], dk[asked]
    invited = int(args["invited"][0])
    local = analyse_local_questions(scores, dk, ["a", "b"], [4, 4], [2, 2], [invited, invited], 5)
    responses = RoundResponses(
        scores=scores,
        dont_know=dk,
        item_labels=("a", "b"),
        item_domain=np.zeros(2, dtype=np.int64),
        domain_labels=("local",),
        organisation=np.zeros(len(scores), dtype=np.int64),
        organisation_labels=("O0",),
        organisation_kind=np.zeros(1, dtype=np.int64),
        group=np.zeros(len(scores), dtype=np.int64),
        group_labels=("G0",),
        invited=np.array([[invited]]),
    )
    rows = analyse_round(responses, threshold=5).filter(level="item", group="All stakeholders")
    for column in ("n", "positive", "positive_low", "positive_high", "negative", "dont_know"):
        np.testing.assert_array_equal(getattr(local, column), getattr(rows, column))
    np.testing.assert_allclose(local.mean, rows.mean, rtol=1e-15)
    np.testing.assert_array_equal(local.suppressed, rows.suppressed)


def test_rows_are_dicts_of_python_scalars_and_labels_may_repeat():
    scores = np.column_stack([one_question(4, 2)[0], one_question(1, 1, dont_know=4)[0]])
    dk = np.isnan(scores)
    table = analyse_local_questions(scores, dk, ["Same wording", "Same wording"], 4, 2, [9, 9], 5)
    rows = list(table.rows())
    assert len(table) == 2 and len(rows) == 2
    assert rows[0]["question"] == "Same wording" and rows[1]["question"] == "Same wording"
    assert rows[0]["n"] == 6.0 and isinstance(rows[0]["n"], float)
    assert rows[1]["suppressed"] is True and math.isnan(rows[1]["positive"])
    assert set(rows[0]) == set(LocalQuestionTable.columns())


def test_columns_are_read_only():
    scores, dk = one_question(4, 2)
    table = analyse_local_questions(scores, dk, ["q"], 4, 2, [9], threshold=5)
    with pytest.raises(ValueError, match="read-only"):
        table.positive[0] = 0.0


def test_no_questions_gives_an_empty_table():
    table = analyse_local_questions(np.empty((4, 0)), np.empty((4, 0), bool), [], 4, 2, [], 5)
    assert len(table) == 0 and list(table.rows()) == []


GOOD = {
    "scores": np.array([[5.0, 1.0], [4.0, np.nan], [2.0, 3.0]]),
    "dont_know": np.array([[False, False], [False, True], [False, False]]),
    "question_labels": ["a", "b"],
    "positive_threshold": [4, 4],
    "negative_threshold": [2, 2],
    "invited": [5, 5],
    "threshold": 5,
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"scores": np.array([5.0, 4.0])}, r"scores must be 2-D \(responses x questions\)"),
        (
            {"scores": np.array([[5.0, 1.0], [4.0, np.nan], [np.inf, 3.0]])},
            r"scores must be finite or NaN, got inf",
        ),
        ({"dont_know": np.zeros((3, 3), bool)}, r"dont_know must have shape \(3, 2\)"),
        (
            {"dont_know": np.array([[True, False], [False, True], [False, False]])},
            r"scores must be NaN where dont_know is True, got 5\.0",
        ),
        ({"question_labels": ["a"]}, r"question_labels must have 2 entries.*got 1"),
        ({"question_labels": "ab"}, r"question_labels must be a sequence of labels, got 'ab'"),
        (
            {"positive_threshold": [4, 4, 4]},
            r"positive_threshold must be a number or have shape \(2,\), got shape \(3,\)",
        ),
        ({"negative_threshold": [2, np.nan]}, r"negative_threshold must not be NaN"),
        (
            {"negative_threshold": [2, 4]},
            r"negative_threshold must be below positive_threshold, got 4\.0 >= 4\.0",
        ),
        ({"invited": [5]}, r"invited must have shape \(2,\), got \(1,\)"),
        ({"invited": [5, -1]}, r"invited must hold integers >= 0, got -1\.0"),
        ({"invited": [5, 2.5]}, r"invited must hold integers >= 0, got 2\.5"),
        ({"invited": [np.nan, 5]}, r"invited must hold integers >= 0, got nan"),
        ({"invited": ["x", 5]}, r"invited must be numeric, got \['x', 5\]"),
        ({"threshold": 2}, r"threshold must be an integer >= 3, got 2"),
        ({"threshold": 4.5}, r"threshold must be an integer >= 3, got 4\.5"),
        ({"confidence": 95}, r"confidence must be in \(0, 1\), got 95"),
    ],
)
def test_bad_input_is_rejected_quoting_the_value(change, message):
    with pytest.raises(ValueError, match=message):
        analyse_local_questions(**{**GOOD, **change})
