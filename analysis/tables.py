"""The round analysis: one tidy, already-suppressed results table per survey round.

Entry point :func:`analyse_round`.  Inputs are plain arrays (the web layer
converts database rows once, see :class:`RoundResponses`); the output is a
:class:`RoundTable` of equal-length numpy arrays with one row per
organisation x stakeholder group (plus "All stakeholders") x unit (each domain,
then each item).  Suppression is applied here, so no caller can forget it.
Methods and references: ``docs/methods.md``.

The steps, each a function below: sufficient statistics and suppression per
cell (``_cells``), estimates (``_estimation``), the benchmark, the previous
round, response rates, then the columns of the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from ._cells import _cell_statistics, _Cells
from ._estimation import _compare, _Comparison, _Estimates, _estimates
from ._validation import FloatArray, check_confidence
from .compare import _bh_grouped, _check_q
from .disclosure import check_threshold
from .hierarchy import suppress_hierarchy
from .responses import ALL_STAKEHOLDERS, RoundResponses
from .round_table import RoundTable

# ALL_STAKEHOLDERS, RoundResponses and RoundTable were defined here before the
# input contract and the result container got their own modules; importing
# them from analysis.tables keeps working.
__all__ = ["ALL_STAKEHOLDERS", "RoundResponses", "RoundTable", "analyse_round"]

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
Columns = dict[str, NDArray[Any]]


class _Reference(NamedTuple):
    """A comparison of the current cells against a reference (benchmark or previous round)."""

    n: FloatArray  # the reference's base, NaN where there is nothing to compare with
    positive: FloatArray
    mean: FloatArray
    comparison: _Comparison
    significant: BoolArray  # flat, one per row of the table
    adjusted: FloatArray  # flat BH-adjusted p-values


def _cell_estimates(cells: _Cells, is_domain: BoolArray, confidence: float) -> _Estimates:
    return _estimates(
        cells.n,
        cells.pos,
        cells.pos_sq,
        cells.neg,
        cells.total,
        cells.total_sq,
        cells.population,
        is_domain,
        confidence,
    )


def _families(shape: tuple[int, ...]) -> NDArray[np.intp]:
    """BH family code per row: one family per organisation x group, across its units."""
    n_org, n_grp1, _ = shape
    family = np.arange(n_org)[:, None, None] * n_grp1 + np.arange(n_grp1)[None, :, None]
    return np.broadcast_to(family, shape).ravel()


def _benchmark(
    resp: RoundResponses,
    cur: _Cells,
    est: _Estimates,
    is_domain: BoolArray,
    confidence: float,
    q: float,
    finite_population: bool,
) -> _Reference:
    """Each cell against the published cells of the other organisations of the same kind.

    The published cells are pooled by organisation kind, then the
    organisation's own published cell is removed ("England minus this
    organisation"), so the two samples are independent and the benchmark
    never contains data of a suppressed cell.
    """
    kinds = resp.organisation_kind
    pool_shape = (len(resp.kind_labels), *cur.n.shape[1:])
    parts = []
    for x in (cur.n, cur.pos, cur.pos_sq, cur.neg, cur.total, cur.total_sq, cur.invited):
        own = np.where(cur.published, x, 0.0)
        pool = np.zeros(pool_shape)
        np.add.at(pool, kinds, own)  # one call over O organisations, not a Python loop
        parts.append(pool[kinds] - own)
    b_n, b_pos, b_pos_sq, b_neg, b_total, b_total_sq, b_inv = parts
    b_pop = b_inv if finite_population else np.full(b_inv.shape, np.nan)
    bench = _estimates(
        b_n, b_pos, b_pos_sq, b_neg, b_total, b_total_sq, b_pop, is_domain, confidence
    )
    ok = cur.published & (b_n > 0)
    comparison = _compare(est, cur.n, bench, b_n, ok, confidence)
    significant, adjusted = _bh_grouped(comparison.p.ravel(), _families(cur.n.shape), q)
    return _Reference(
        np.where(ok, b_n, np.nan),
        np.where(ok, bench.prop, np.nan),
        np.where(ok, bench.mean, np.nan),
        comparison,
        significant,
        adjusted,
    )


def _row_labels(resp: RoundResponses) -> tuple[str, ...]:
    """Labels along the group axis: all, the groups, the families."""
    return (ALL_STAKEHOLDERS, *resp.group_labels, *resp.family_labels)


def _previous_index(cur: RoundResponses, prev: RoundResponses) -> IntArray:
    """Flat index into the previous round's (O, 1 + G + F, U) arrays for each current row, or -1."""

    def lookup(labels: Sequence[str], prev_labels: Sequence[str]) -> IntArray:
        where = {label: i for i, label in enumerate(prev_labels)}
        return np.array([where.get(label, -1) for label in labels], dtype=np.int64)

    o = lookup(cur.organisation_labels, prev.organisation_labels)
    g = lookup(_row_labels(cur), _row_labels(prev))
    u = lookup((*cur.domain_labels, *cur.item_labels), (*prev.domain_labels, *prev.item_labels))
    n_gp, n_up = len(_row_labels(prev)), len(prev.domain_labels) + prev.n_items
    flat = (o[:, None, None] * n_gp + g[None, :, None]) * n_up + u[None, None, :]
    missing = (o[:, None, None] < 0) | (g[None, :, None] < 0) | (u[None, None, :] < 0)
    return np.where(missing, -1, flat)


def _previous_round(
    resp: RoundResponses,
    previous: RoundResponses,
    cur: _Cells,
    est: _Estimates,
    threshold: int,
    is_domain: BoolArray,
    confidence: float,
    q: float,
    finite_population: bool,
) -> _Reference:
    """Each cell against the same organisation x group x unit of the previous round.

    The previous round gets its own suppression; rows are matched by labels
    and compared only where both rounds' cells are published.
    """
    prv = _cell_statistics(previous, threshold, finite_population)
    idx = _previous_index(resp, previous)
    found = idx >= 0
    safe = np.where(found, idx, 0)

    def gather(x: FloatArray) -> FloatArray:
        return np.where(found, x.ravel()[safe], np.nan)

    p_pub = found & prv.published.ravel()[safe]
    p_n = gather(prv.n)
    prev_est = _estimates(
        p_n,
        gather(prv.pos),
        gather(prv.pos_sq),
        gather(prv.neg),
        gather(prv.total),
        gather(prv.total_sq),
        gather(prv.population),
        is_domain,
        confidence,
    )
    comparison = _compare(est, cur.n, prev_est, p_n, cur.published & p_pub, confidence)
    significant, adjusted = _bh_grouped(comparison.p.ravel(), _families(cur.n.shape), q)
    return _Reference(
        np.where(p_pub, p_n, np.nan),
        np.where(p_pub, prev_est.prop, np.nan),
        np.where(p_pub, prev_est.mean, np.nan),
        comparison,
        significant,
        adjusted,
    )


def _no_reference(shape: tuple[int, ...]) -> _Reference:
    """All-NaN comparison columns (no previous round given)."""
    nan = np.full(shape, np.nan)
    return _Reference(
        nan, nan, nan, _Comparison(*(nan,) * 8), np.zeros(nan.size, dtype=bool), nan.ravel()
    )


def _response_rates(cur: _Cells, resp: RoundResponses, threshold: int) -> FloatArray:
    """Responses / invited per organisation x group or family, suppressed like the bases.

    Response rates reveal response counts, so they get the same protection at
    the organisation level (the tree all > families > groups,
    :func:`analysis.hierarchy.suppress_hierarchy`) as the bases do at unit
    level.  The all and family rows of a unit count the groups routed to it;
    when those are not all of their groups, the row is a sub-total that is
    hidden if it holds a hidden group (its count would be that sub-total minus
    the shown groups).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(cur.invited > 0, cur.responses / cur.invited, np.nan)
    n_grp = len(resp.group_labels)
    resp_g = cur.responses[:, 1 : 1 + n_grp, 0]
    member = resp.family_member
    per_org = np.concatenate(
        (resp_g.sum(axis=1, keepdims=True), resp_g, resp_g @ member.astype(np.float64)), axis=1
    )
    rr_hidden = suppress_hierarchy(np.rint(per_org).astype(np.int64), resp.cell_parent, threshold)
    routed = resp.routed.astype(np.int64)  # (G, U)
    # members (G, 1 + F): every group for the all row, each family's groups
    members = np.concatenate((np.ones((n_grp, 1), dtype=bool), member), axis=1).astype(np.int64)
    partial = (members.T @ (1 - routed)) > 0  # (1 + F, U): some member not asked the unit
    hidden_routed = (rr_hidden[:, 1 : 1 + n_grp, None] & (routed > 0)[None]).astype(np.int64)
    holds_hidden = np.einsum("ogu,gr->oru", hidden_routed, members) > 0  # (O, 1 + F, U)
    totals_hidden = rr_hidden[:, [0, *range(1 + n_grp, per_org.shape[1])], None] | (
        holds_hidden & partial[None]
    )
    rr_all = np.broadcast_to(rr_hidden[:, :, None], cur.responses.shape).copy()
    rr_all[:, 0] = totals_hidden[:, 0]
    rr_all[:, 1 + n_grp :] = totals_hidden[:, 1:]
    return np.where(rr_all | cur.hidden, np.nan, rate)


def _key_columns(resp: RoundResponses, shape: tuple[int, ...], is_domain: BoolArray) -> Columns:
    """The row keys: organisation (and its kind), group, level, unit and domain."""
    n_dom = len(resp.domain_labels)
    kinds = np.asarray(resp.kind_labels, dtype=np.str_)[resp.organisation_kind]
    groups = np.asarray(_row_labels(resp), dtype=np.str_)
    is_family = np.arange(len(groups)) > len(resp.group_labels)
    units = np.asarray((*resp.domain_labels, *resp.item_labels), dtype=np.str_)
    unit_domain = np.concatenate((np.arange(n_dom), resp.item_domain))
    domains = np.asarray(resp.domain_labels, dtype=np.str_)[unit_domain]
    levels = np.where(is_domain.ravel(), "domain", "item").astype(np.str_)

    def key(values: NDArray[np.str_], axis: int) -> NDArray[np.str_]:
        index: list[slice | None] = [None, None, None]
        index[axis] = slice(None)
        return np.broadcast_to(values[tuple(index)], shape).ravel()

    return {
        "organisation": key(np.asarray(resp.organisation_labels, dtype=np.str_), 0),
        "organisation_kind": key(kinds, 0),
        "group": key(groups, 1),
        "is_family": np.broadcast_to(is_family[None, :, None], shape).ravel(),
        "level": key(levels, 2),
        "unit": key(units, 2),
        "domain": key(domains, 2),
    }


def _estimate_columns(cur: _Cells, est: _Estimates, threshold: int) -> Columns:
    """Base, invited, % positive / negative / don't know and mean, with suppression applied.

    Hidden rows show nothing; a row with no responses shows its n (0) and
    invited count but no estimate.
    """
    shown = ~cur.hidden
    has_data = cur.published

    def show(x: FloatArray) -> FloatArray:
        return np.where(has_data, x, np.nan).ravel()

    with np.errstate(divide="ignore", invalid="ignore"):
        dont_know = np.where(cur.asked > 0, cur.dk / cur.asked, np.nan)
    # An all-"don't know" cell has n == 0 and is not protected by the base rule,
    # so its % don't know needs a base of k people asked.
    dk_shown = has_data | (shown & (cur.asked >= threshold))
    return {
        "n": np.where(shown, cur.n, np.nan).ravel(),
        "n_invited": np.where(shown, cur.invited, np.nan).ravel(),
        "positive": show(est.prop),
        "positive_low": show(est.low),
        "positive_high": show(est.high),
        "positive_n_eff": show(est.n_eff),
        "negative": show(est.negative),
        "dont_know": np.where(dk_shown, dont_know, np.nan).ravel(),
        "mean": show(est.mean),
        "mean_low": show(est.mean_low),
        "mean_high": show(est.mean_high),
    }


def _reference_columns(prefix: str, ref: _Reference, has_data: BoolArray) -> Columns:
    """The ``bench_*`` or ``prev_*`` columns; nothing is shown for a row without data."""

    def show(x: FloatArray) -> FloatArray:
        return np.where(has_data, x, np.nan).ravel()

    cmp = ref.comparison
    return {
        f"{prefix}_n": show(ref.n),
        f"{prefix}_positive": show(ref.positive),
        f"{prefix}_mean": show(ref.mean),
        f"{prefix}_diff": show(cmp.diff),
        f"{prefix}_diff_low": show(cmp.low),
        f"{prefix}_diff_high": show(cmp.high),
        f"{prefix}_p": show(cmp.p),
        f"{prefix}_p_adjusted": ref.adjusted,
        f"{prefix}_significant": ref.significant,
        f"{prefix}_mean_diff": show(cmp.mean_diff),
        f"{prefix}_mean_diff_low": show(cmp.mean_low),
        f"{prefix}_mean_diff_high": show(cmp.mean_high),
        f"{prefix}_mean_p": show(cmp.mean_p),
    }


def analyse_round(
    responses: RoundResponses,
    previous: RoundResponses | None = None,
    *,
    threshold: int = 5,
    comment_threshold: int = 10,
    confidence: float = 0.95,
    q: float = 0.05,
    finite_population: bool = True,
) -> RoundTable:
    """Analyse one survey round: every estimate, interval, comparison and suppression.

    Parameters
    ----------
    responses : RoundResponses
        This round's responses.
    previous : RoundResponses, optional
        Last round's responses (same contract).  Rows are matched by
        organisation label, group label and domain / item label; unmatched
        rows (e.g. new items) get NaN "prev_" columns.
    threshold : int, optional
        Minimum publishable base k (default 5, floor 3).  Also applied to the
        previous round and to the benchmark pool.
    comment_threshold : int, optional
        Minimum base before comments are shown (default 10).
    confidence : float, optional
        Two-sided confidence level for every interval (default 0.95).
    q : float, optional
        Benjamini-Hochberg false discovery rate for the significance flags.
    finite_population : bool, optional
        Apply the finite population correction with the invited counts
        (default True).  It assumes the respondents are like a random sample
        of those invited.

    Returns
    -------
    RoundTable
        One row per organisation x (All stakeholders, each group, each
        reporting family) x (each domain, then each item); see
        :class:`RoundTable` for the columns.

    Notes
    -----
    * % positive excludes "don't know" from its base (it means "of those with
      a view"); % don't know is reported separately over everyone asked.
    * Domain scores: each respondent's mean over the domain items they
      answered, if they answered at least half of the items they were asked;
      domain % positive is the mean of respondents' shares of positive answers.
    * Families (``RoundResponses.family_labels``): the union of their groups'
      responses, with the same estimators and threshold, and the finite
      population N summed over their groups routed to the unit.  Suppression
      runs along the tree all > families > groups, so nothing hidden is a
      family or the total minus published cells.
    * Benchmark: pooled responses of all *published* cells of the other
      organisations of the same kind (England minus this organisation), so the
      samples are independent and the benchmark never contains data of a
      suppressed cell.
    * Significance: Newcombe hybrid score interval (Wilson-FPC limits, MOVER)
      with the p-value that inverts it; BH at ``q`` within each organisation x
      group, across its domains and items, separately for the benchmark and
      the previous-round families.  Means: Welch t, unadjusted.

    References
    ----------
    See ``docs/methods.md``: Newcombe (1998a, 1998b), Zou & Donner (2008),
    Korn & Graubard (1998), Cochran (1977), Benjamini & Hochberg (1995),
    Hundepool et al. (2012).
    """
    k = check_threshold(threshold)
    kc = check_threshold(comment_threshold, "comment_threshold")
    conf = check_confidence(confidence)
    qq = _check_q(q)
    n_dom = len(responses.domain_labels)
    is_domain = np.zeros((1, 1, n_dom + responses.n_items), dtype=bool)
    is_domain[..., :n_dom] = True

    cur = _cell_statistics(responses, k, finite_population)
    est = _cell_estimates(cur, is_domain, conf)
    bench = _benchmark(responses, cur, est, is_domain, conf, qq, finite_population)
    if previous is None:
        prev = _no_reference(cur.n.shape)
    else:
        prev = _previous_round(
            responses, previous, cur, est, k, is_domain, conf, qq, finite_population
        )
    return RoundTable(
        **_key_columns(responses, cur.n.shape, is_domain),
        **_estimate_columns(cur, est, k),
        response_rate=_response_rates(cur, responses, k).ravel(),
        **_reference_columns("bench", bench, cur.published),
        **_reference_columns("prev", prev, cur.published),
        suppressed=cur.hidden.ravel().copy(),
        comments_visible=((cur.n >= kc) & ~cur.hidden).ravel(),
    )
