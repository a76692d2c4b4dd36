"""The finite population of every cell comes from the questionnaire's routing.

The "All stakeholders" N of a unit is the invited count summed over the groups the
questionnaire routes to it, answered or not; a unit's response rate never exceeds 100%;
and the "all" row never reveals that a hidden group it was asked gave no answers.
Expected values are recomputed here (Wilson score interval with n replaced by
n(N-1)/(N-n)), never by calling the engine.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from analysis import ALL_STAKEHOLDERS, RoundResponses, analyse_round

Z = norm.ppf(0.975)


def _wilson_fpc(x: int, n: int, big_n: int) -> tuple[float, float]:
    p = x / n
    n_eff = n * (big_n - 1) / (big_n - n)
    centre = (p + Z * Z / (2 * n_eff)) / (1 + Z * Z / n_eff)
    half = Z / (1 + Z * Z / n_eff) * np.sqrt(p * (1 - p) / n_eff + Z * Z / (4 * n_eff**2))
    return centre - half, centre + half


def _round(scores: np.ndarray, group: list[int], invited: list[int], routing) -> RoundResponses:
    scores = np.asarray(scores, dtype=float)
    dont_know = np.isnan(scores) & np.asarray(routing)[group]
    return RoundResponses(
        scores=scores,
        dont_know=dont_know,
        item_labels=("Q0", "Q1"),
        item_domain=np.array([0, 0]),
        domain_labels=("D",),
        organisation=np.zeros(len(group), dtype=np.int64),
        organisation_labels=("O",),
        organisation_kind=np.array([0]),
        group=np.asarray(group, dtype=np.int64),
        group_labels=("gp", "provider", "regulator"),
        invited=np.array([invited]),
        routing=np.asarray(routing, dtype=bool),
    )


def _row(table, group: str, unit: str) -> dict[str, object]:
    rows = list(table.filter(group=group, unit=unit).rows())
    assert len(rows) == 1
    return rows[0]


def test_a_routed_silent_group_is_in_the_population():
    # gp answers both items; provider is asked Q0 only and nobody in it answered;
    # regulator is asked Q1 only.  Invited: gp 30, provider 7, regulator 4.
    rng = np.random.default_rng(3)
    gp = rng.integers(1, 6, (20, 2)).astype(float)
    regulator = np.column_stack((np.full(6, np.nan), rng.integers(1, 6, 6)))
    scores = np.vstack((gp, regulator))
    group = [0] * 20 + [2] * 6
    routing = [[True, True], [True, False], [False, True]]
    table = analyse_round(_round(scores, group, [30, 7, 6], routing), threshold=5)

    q0 = _row(table, ALL_STAKEHOLDERS, "Q0")
    assert q0["n_invited"] == 30 + 7  # the silent provider group counts
    x = int(np.sum(gp[:, 0] >= 4))
    low, high = _wilson_fpc(x, 20, 37)
    assert q0["positive"] == pytest.approx(x / 20)
    assert (q0["positive_low"], q0["positive_high"]) == pytest.approx((low, high), abs=1e-12)
    assert q0["response_rate"] == pytest.approx(20 / 37)

    q1 = _row(table, ALL_STAKEHOLDERS, "Q1")
    assert q1["n_invited"] == 30 + 6  # provider was not asked Q1
    assert q1["response_rate"] == pytest.approx(26 / 36)
    answers = np.concatenate((gp[:, 1], regulator[:, 1]))
    low, high = _wilson_fpc(int(np.sum(answers >= 4)), 26, 36)
    assert (q1["positive_low"], q1["positive_high"]) == pytest.approx((low, high), abs=1e-12)

    domain = _row(table, ALL_STAKEHOLDERS, "D")
    assert domain["n_invited"] == 30 + 7 + 6  # each group is asked some item of D


def test_response_rates_never_exceed_100_percent(make_round):
    for seed in range(5):
        table = analyse_round(make_round(seed=seed), threshold=3)
        rates = table.response_rate[~np.isnan(table.response_rate)]
        assert rates.size > 0
        assert np.all(rates <= 1.0)


def test_the_all_row_does_not_reveal_that_a_hidden_group_said_nothing():
    # Q1 is asked of the regulator group only; its 2 respondents are below k = 5
    # and both said "don't know" on Q1.  Publishing "All stakeholders: n = 0" on Q1
    # would reveal that.
    gp = np.column_stack((np.arange(10) % 5 + 1.0, np.full(10, np.nan)))
    regulator = np.array([[4.0, np.nan], [2.0, np.nan]])
    scores = np.vstack((gp, regulator))
    group = [0] * 10 + [2] * 2
    routing = [[True, False], [True, False], [True, True]]
    table = analyse_round(_round(scores, group, [12, 3, 2], routing), threshold=5)
    q1_all = _row(table, ALL_STAKEHOLDERS, "Q1")
    assert q1_all["suppressed"]
    assert np.isnan(q1_all["n"]) and np.isnan(q1_all["dont_know"])
    assert _row(table, "regulator", "Q1")["suppressed"]
    # Q0 is asked of every group: the published total of 12 hides the two regulators
    # only because the GPs are hidden beside them.
    hidden = {r["group"] for r in table.filter(unit="Q0").rows() if r["suppressed"]}
    assert hidden == {"gp", "regulator"}


def test_an_answer_to_an_item_the_group_is_not_routed_to_is_rejected():
    scores = np.array([[4.0, 3.0]])
    with pytest.raises(ValueError, match=r"does not route group 'gp' to item 'Q1'"):
        _round(scores, [0], [1, 0, 0], [[True, False], [True, True], [True, True]])


def test_routing_of_the_wrong_shape_is_rejected():
    with pytest.raises(ValueError, match=r"routing must have shape \(3, 2\).*got \(2, 2\)"):
        _round(np.array([[4.0, 3.0]]), [0], [1, 0, 0], [[True, True], [True, True]])
