"""Tests for analysis.tables.analyse_round: numbers, suppression, benchmark, trend."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis import ALL_STAKEHOLDERS, RoundResponses, RoundTable, analyse_round, benjamini_hochberg
from analysis.intervals import mean_interval, wilson

FLOAT_COLUMNS = [f.name for f in dataclasses.fields(RoundTable) if f.type == "FloatArray"]


def _true_item_n(resp: RoundResponses, org: int, group: int | None, item: int) -> int:
    sel = resp.organisation == org
    if group is not None:
        sel &= resp.group == group
    return int(np.sum(~np.isnan(resp.scores[sel, item])))


def _domain_scores(
    resp: RoundResponses, rows: np.ndarray, domain: int
) -> tuple[np.ndarray, np.ndarray]:
    """Respondent domain scores and positive shares by the half rule (reference version)."""
    cols = np.flatnonzero(resp.item_domain == domain)
    scores, shares = [], []
    for r in np.flatnonzero(rows):
        x = resp.scores[r, cols]
        answered = ~np.isnan(x)
        asked = answered | resp.dont_know[r, cols]
        if answered.sum() >= 1 and 2 * answered.sum() >= asked.sum():
            scores.append(x[answered].mean())
            shares.append(np.mean(x[answered] >= 4))
    return np.asarray(scores), np.asarray(shares)


@pytest.fixture
def resp(make_round) -> RoundResponses:
    return make_round(seed=1, n_orgs=6, n_groups=4, n_responses=400)


@pytest.fixture
def table(resp):
    return analyse_round(resp)


def test_table_shape_and_row_order(resp, table):
    n_units = len(resp.domain_labels) + resp.n_items
    assert len(table) == 6 * 5 * n_units
    first = table.filter(organisation="O0", group=ALL_STAKEHOLDERS)
    assert first.unit.tolist() == ["D0", "D1", "Q0", "Q1", "Q2", "Q3", "Q4", "Q5"]
    assert first.level.tolist() == ["domain"] * 2 + ["item"] * 6
    assert first.domain.tolist() == ["D0", "D1", "D0", "D1", "D0", "D1", "D0", "D1"]
    assert table.group[: 5 * n_units : n_units].tolist() == [
        ALL_STAKEHOLDERS,
        "G0",
        "G1",
        "G2",
        "G3",
    ]
    assert set(table.organisation_kind[table.organisation == "O1"]) == {"Direct"}


def test_item_rows_match_direct_computation(resp, table):
    checked = 0
    for row in table.filter(level="item", suppressed=False).rows():
        if row["n"] == 0:
            continue
        o = resp.organisation_labels.index(row["organisation"])
        i = resp.item_labels.index(row["unit"])
        sel = resp.organisation == o
        if row["group"] != ALL_STAKEHOLDERS:
            g = resp.group_labels.index(row["group"])
            sel = sel & (resp.group == g)
            population = resp.invited[o, g]
        else:
            # the questionnaire routes the last group away from the last domain
            routed = [g for g in range(4) if not (g == 3 and i % 2 == 1)]
            population = resp.invited[o, routed].sum()
        x = resp.scores[sel, i]
        x = x[~np.isnan(x)]
        assert row["n"] == x.size
        assert row["n_invited"] == population
        assert row["positive"] == pytest.approx(np.mean(x >= 4))
        assert row["negative"] == pytest.approx(np.mean(x <= 2))
        low, high = wilson(int(np.sum(x >= 4)), x.size, population=population)
        assert row["positive_low"] == pytest.approx(low, abs=1e-12)
        assert row["positive_high"] == pytest.approx(high, abs=1e-12)
        ref = mean_interval(x, population=population)
        assert row["mean"] == pytest.approx(ref.mean)
        np.testing.assert_allclose(
            [row["mean_low"], row["mean_high"]], [ref.low, ref.high], atol=1e-9
        )
        n_dk = int(np.sum(resp.dont_know[sel, i]))
        assert row["dont_know"] == pytest.approx(n_dk / (x.size + n_dk))
        checked += 1
    assert checked > 50


def test_domain_rows_use_respondent_scores_and_half_rule(resp, table):
    checked = 0
    for row in table.filter(level="domain", suppressed=False).rows():
        if row["n"] == 0:
            continue
        o = resp.organisation_labels.index(row["organisation"])
        d = resp.domain_labels.index(row["unit"])
        sel = resp.organisation == o
        if row["group"] != ALL_STAKEHOLDERS:
            sel = sel & (resp.group == resp.group_labels.index(row["group"]))
        scores, shares = _domain_scores(resp, sel, d)
        assert row["n"] == scores.size
        assert row["mean"] == pytest.approx(scores.mean())
        assert row["positive"] == pytest.approx(shares.mean())
        ref = mean_interval(scores, population=row["n_invited"])
        np.testing.assert_allclose(
            [row["mean_low"], row["mean_high"]], [ref.low, ref.high], atol=1e-9
        )
        assert row["positive_low"] <= row["positive"] <= row["positive_high"]
        checked += 1
    assert checked > 10


def test_half_rule_drops_a_respondent_with_mostly_dont_know(make_round):
    resp = make_round(seed=2)
    scores = resp.scores.copy()
    dk = resp.dont_know.copy()
    cols = np.flatnonzero(resp.item_domain == 0)  # three items
    scores[0, cols] = [5.0, np.nan, np.nan]
    dk[0, cols] = [False, True, True]
    changed = dataclasses.replace(resp, scores=scores, dont_know=dk)
    table = analyse_round(changed, threshold=3)
    org = resp.organisation_labels[resp.organisation[0]]
    sel = changed.organisation == changed.organisation[0]
    scores_ref, _ = _domain_scores(changed, sel, 0)
    row = next(table.filter(organisation=org, group=ALL_STAKEHOLDERS, unit="D0").rows())
    assert row["n"] == scores_ref.size


def _assert_no_recovery_by_subtraction(resp: RoundResponses, table, k: int) -> None:
    """For every organisation x unit: hidden groups are none, or >= 2 groups (non-empty,
    or routed to the unit: a routed group's 0 is information too) with >= k respondents
    together, or the all row is hidden too."""
    n_groups = len(resp.group_labels)
    n_units = len(resp.domain_labels) + resp.n_items
    sup = table.suppressed.reshape(len(resp.organisation_labels), n_groups + 1, n_units)
    for o in range(len(resp.organisation_labels)):
        for u in range(n_units):
            true_n = []
            for g in range(n_groups):
                if u < len(resp.domain_labels):
                    sel = (resp.organisation == o) & (resp.group == g)
                    true_n.append(_domain_scores(resp, sel, u)[0].size)
                else:
                    true_n.append(_true_item_n(resp, o, g, u - len(resp.domain_labels)))
            true_n = np.asarray(true_n)
            routed = np.array(
                [np.any(resp.routing[g][resp.item_domain == u]) for g in range(n_groups)]
                if u < len(resp.domain_labels)
                else resp.routing[:, u - len(resp.domain_labels)]
            )
            hidden = sup[o, 1:, u] & ((true_n > 0) | routed)
            # Primary cells are always hidden.
            assert np.all(sup[o, 1:, u][(true_n > 0) & (true_n < k)])
            if sup[o, 0, u]:
                assert true_n.sum() < k
                continue
            assert not hidden.any() or (hidden.sum() >= 2 and true_n[hidden].sum() >= k)


def test_suppression_cannot_be_undone_by_subtraction(resp, table):
    _assert_no_recovery_by_subtraction(resp, table, 5)
    assert table.suppressed.any()  # the fixture does exercise suppression


def test_suppressed_rows_carry_no_numbers(table):
    hidden = table.filter(suppressed=True)
    assert len(hidden) > 0
    for name in FLOAT_COLUMNS:
        assert np.isnan(getattr(hidden, name)).all(), name
    assert not hidden.bench_significant.any() and not hidden.prev_significant.any()
    assert not hidden.comments_visible.any()


def test_benchmark_is_built_only_from_published_cells_of_the_same_kind(resp, table):
    n_units = len(resp.domain_labels) + resp.n_items
    shape = (6, 5, n_units)
    n = np.nan_to_num(table.n.reshape(shape))
    shown = ~table.suppressed.reshape(shape)
    bench_n = table.bench_n.reshape(shape)
    kinds = resp.organisation_kind
    for o in range(6):
        others = (kinds == kinds[o]) & (np.arange(6) != o)
        expected = np.where(shown[others], n[others], 0).sum(axis=0)
        has = ~np.isnan(bench_n[o])
        np.testing.assert_array_equal(bench_n[o][has], expected[has])
        assert has.any()


def test_benchmark_proportion_for_an_item_all_row(resp, table):
    row = next(table.filter(organisation="O2", group=ALL_STAKEHOLDERS, unit="Q0").rows())
    # O0 and O4 are the other organisations of kind 0; their all rows are published.
    pool = table.filter(organisation=["O0", "O4"], group=ALL_STAKEHOLDERS, unit="Q0")
    assert not pool.suppressed.any()
    positives = np.sum(pool.positive * pool.n)
    assert row["bench_positive"] == pytest.approx(positives / pool.n.sum())
    assert row["bench_diff"] == pytest.approx(row["positive"] - row["bench_positive"])
    assert row["bench_diff_low"] <= row["bench_diff"] <= row["bench_diff_high"]


def test_bh_flags_follow_adjusted_p_values_per_family(table):
    np.testing.assert_array_equal(table.bench_significant, table.bench_p_adjusted <= 0.05)
    fam = table.filter(organisation="O3", group=ALL_STAKEHOLDERS)
    reject, adjusted = benjamini_hochberg(fam.bench_p)
    np.testing.assert_allclose(fam.bench_p_adjusted, adjusted, equal_nan=True)
    np.testing.assert_array_equal(fam.bench_significant, reject)


def test_previous_round_is_matched_by_labels(make_round):
    labels = ("Q0", "Q1", "Q2", "Q3", "Q4", "Q5-new")
    cur = make_round(seed=5, item_labels=labels)
    prev = make_round(seed=6, n_responses=280, shift=-0.3)
    table = analyse_round(cur, prev)
    prev_table = analyse_round(prev)
    new = table.filter(unit="Q5-new")
    assert np.isnan(new.prev_n).all() and np.isnan(new.prev_diff).all()
    cur_rows = table.filter(unit="Q1", suppressed=False)
    ref = prev_table.filter(unit="Q1")
    ref_n = {(r["organisation"], r["group"]): r["n"] for r in ref.rows()}
    ref_pos = {(r["organisation"], r["group"]): r["positive"] for r in ref.rows()}
    for r in cur_rows.rows():
        if r["n"] == 0:
            continue
        key = (r["organisation"], r["group"])
        np.testing.assert_equal(r["prev_n"], ref_n[key])
        np.testing.assert_equal(r["prev_positive"], ref_pos[key])
        if not np.isnan(r["prev_positive"]):
            assert r["prev_diff"] == pytest.approx(r["positive"] - r["prev_positive"])
            assert r["prev_diff_low"] <= r["prev_diff"] <= r["prev_diff_high"]
            assert 0 <= r["prev_p"] <= 1
    np.testing.assert_array_equal(table.prev_significant, table.prev_p_adjusted <= 0.05)


def test_without_previous_round_trend_columns_are_nan(table):
    assert np.isnan(table.prev_diff).all() and not table.prev_significant.any()


def test_finite_population_switch_widens_intervals(resp, table):
    plain = analyse_round(resp, finite_population=False)
    ok = ~np.isnan(table.positive_low) & (table.n < table.n_invited)
    assert np.all(
        plain.positive_high[ok] - plain.positive_low[ok]
        >= table.positive_high[ok] - table.positive_low[ok] - 1e-12
    )


def test_threshold_ten_suppresses_more(resp, table):
    strict = analyse_round(resp, threshold=10)
    assert strict.suppressed.sum() > table.suppressed.sum()
    _assert_no_recovery_by_subtraction(resp, strict, 10)


def test_comments_visible_uses_comment_threshold(table):
    np.testing.assert_array_equal(
        table.comments_visible, (np.nan_to_num(table.n) >= 10) & ~table.suppressed
    )


def test_zero_response_cells_show_no_responses_not_zero_percent(make_round):
    resp = make_round(seed=3, n_orgs=3)
    keep = resp.organisation != 2
    resp = dataclasses.replace(
        resp,
        scores=resp.scores[keep],
        dont_know=resp.dont_know[keep],
        organisation=resp.organisation[keep],
        group=resp.group[keep],
    )
    empty = analyse_round(resp).filter(organisation="O2")
    assert (empty.n == 0).all() and not empty.suppressed.any()
    assert np.isnan(empty.positive).all() and np.isnan(empty.mean).all()


def test_table_is_read_only_and_iterable(table):
    with pytest.raises(ValueError, match="read-only"):
        table.positive[0] = 1.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        table.positive = table.negative  # type: ignore[misc]
    row = next(table.rows())
    assert set(row) == set(table.columns())
    assert isinstance(row["organisation"], str) and isinstance(row["suppressed"], bool)
    assert len(table.filter(mask=table.level == "domain")) == 6 * 5 * 2
    with pytest.raises(ValueError, match="unknown column 'colour'"):
        table.filter(colour="red")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda r: {"scores": np.where(r.dont_know, 3.0, r.scores)},
            r"scores must be NaN where dont_know is True, got 3\.0",
        ),
        (lambda r: {"invited": r.invited * 0}, r"invited must be >= responses.*got invited=0"),
        (
            lambda r: {"group": r.group + 10},
            r"group codes must index group_labels \(0\.\.3\), got 1[0-3]",
        ),
        (
            lambda r: {"group_labels": ("G0", "G1", "G2", ALL_STAKEHOLDERS)},
            r"must not contain the reserved 'All stakeholders'",
        ),
        (
            lambda r: {"item_labels": ("Q0",) * 6},
            r"item_labels must be unique, got duplicates \['Q0'\]",
        ),
        (
            lambda r: {"positive_threshold": 2.0},
            r"negative_threshold must be below positive_threshold, got 2\.0 >= 2\.0",
        ),
        (lambda r: {"scores": r.scores[:, :2]}, r"dont_know must have shape \(\d+, 2\)"),
    ],
)
def test_round_responses_validation_quotes_bad_values(resp, change, message):
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(resp, **change(resp))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"threshold": 2}, r"threshold must be an integer >= 3, got 2"),
        ({"comment_threshold": 0}, r"comment_threshold must be an integer >= 3, got 0"),
        ({"confidence": 95}, r"confidence must be in \(0, 1\), got 95"),
        ({"q": 0}, r"q must be in \(0, 1\), got 0"),
    ],
)
def test_analyse_round_rejects_bad_options(resp, kwargs, message):
    with pytest.raises(ValueError, match=message):
        analyse_round(resp, **kwargs)


@given(
    seed=st.integers(0, 10_000),
    n_orgs=st.integers(2, 5),
    n_groups=st.integers(1, 5),
    n_responses=st.integers(5, 200),
    k=st.integers(3, 8),
)
@settings(
    max_examples=40,
    deadline=None,
    # make_round is a stateless factory, safe to share between examples.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
def test_property_random_rounds_are_safe_and_well_formed(
    make_round, seed, n_orgs, n_groups, n_responses, k
):
    resp = make_round(seed=seed, n_orgs=n_orgs, n_groups=n_groups, n_responses=n_responses)
    table = analyse_round(resp, threshold=k)
    _assert_no_recovery_by_subtraction(resp, table, k)
    shown = ~np.isnan(table.positive_low)
    assert np.all(
        (0 <= table.positive_low[shown]) & (table.positive_low[shown] <= table.positive[shown])
    )
    assert np.all(
        (table.positive[shown] <= table.positive_high[shown]) & (table.positive_high[shown] <= 1)
    )
    has_mean = ~np.isnan(table.mean_low)
    assert np.all(table.mean_low[has_mean] <= table.mean[has_mean])
    assert np.all(table.mean[has_mean] <= table.mean_high[has_mean])
    shown_n = ~table.suppressed & (np.nan_to_num(table.n) > 0)
    assert np.all(table.n[shown_n] >= k)
