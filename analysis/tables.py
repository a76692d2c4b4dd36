"""The round analysis: one tidy, already-suppressed results table per survey round.

Entry point :func:`analyse_round`.  Inputs are plain arrays (the web layer
converts database rows once, see :class:`RoundResponses`); the output is a
:class:`RoundTable` of equal-length numpy arrays with one row per
organisation x stakeholder group (plus "All stakeholders") x unit (each domain,
then each item).  Suppression is applied here, so no caller can forget it.
Methods and references: ``docs/methods.md``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import FloatArray, check_confidence, first_bad
from .compare import _bh_grouped, _check_q, _newcombe_pvalue_from, _welch_arrays
from .disclosure import _suppress_matrix, check_threshold
from .intervals import _newcombe_from_limits, _wilson_limits, _z
from .means import _mean_interval_from_moments, _sums_to_moments

__all__ = ["ALL_STAKEHOLDERS", "RoundResponses", "RoundTable", "analyse_round"]

ALL_STAKEHOLDERS = "All stakeholders"
"""Group label of the row pooling every stakeholder group of an organisation."""

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

# Respondents per block of the grouped reduction.  Small blocks keep every
# temporary in cache and avoid fresh page-faulting allocations, which on
# virtual machines cost more than the arithmetic (1024: 6x faster than 16384).
_CHUNK_ROWS = 1024


def _labels(values: Sequence[str], name: str) -> tuple[str, ...]:
    out = tuple(str(v) for v in values)
    if len(set(out)) != len(out):
        dupes = sorted({v for v in out if out.count(v) > 1})
        raise ValueError(f"{name} must be unique, got duplicates {dupes!r}")
    return out


def _codes(values: ArrayLike, size: int, length: int, name: str, labels: str) -> IntArray:
    arr = np.asarray(values)
    if arr.shape != (length,):
        raise ValueError(f"{name} must have shape ({length},), got {arr.shape!r}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{name} must hold integer codes, got dtype {arr.dtype!s}")
    codes = arr.astype(np.int64)
    bad = (codes < 0) | (codes >= size)
    if np.any(bad):
        raise ValueError(
            f"{name} codes must index {labels} (0..{size - 1}), got {first_bad(codes, bad)!r}"
        )
    return codes


@dataclass(frozen=True)
class RoundResponses:
    """One survey round's responses, as arrays (the input contract of :func:`analyse_round`).

    One row per response: a stakeholder's answers about one organisation.

    Parameters
    ----------
    scores : ndarray of float, shape (R, I)
        Scale answer per response and item, on a scale where higher is
        better (e.g. 1-5, 5 best).  NaN where there is no scale answer: not
        routed, skipped, or "don't know".
    dont_know : ndarray of bool, shape (R, I)
        True where the answer was "don't know" / "not applicable".  ``scores``
        must be NaN there.
    item_labels : sequence of str, length I
        Stable item identifiers (used to match the previous round).
    item_domain : ndarray of int, shape (I,)
        Domain code of each item, indexing ``domain_labels``.
    domain_labels : sequence of str, length D
    organisation : ndarray of int, shape (R,)
        Assessed organisation of each response, indexing ``organisation_labels``.
    organisation_labels : sequence of str, length O
    organisation_kind : ndarray of int, shape (O,)
        Kind of each organisation (e.g. CCG / direct commissioning), indexing
        ``kind_labels``.  An organisation's benchmark is every other
        organisation of the same kind.
    group : ndarray of int, shape (R,)
        Stakeholder group of each response, indexing ``group_labels``.
    group_labels : sequence of str, length G
        Must not contain ``"All stakeholders"``.
    invited : ndarray of int, shape (O, G)
        Stakeholders invited per organisation and group (the finite
        population N; also the response-rate denominator).  Must be >= the
        number of responses in the cell.
    kind_labels : sequence of str, optional
        Default ``("commissioner",)``: every organisation is of one kind.
    positive_threshold : float or ndarray of float, shape (I,), optional
        A score >= this is "positive" (default 4: top two of 1-5).
    negative_threshold : float or ndarray of float, shape (I,), optional
        A score <= this is "negative" (default 2: bottom two of 1-5).

    Raises
    ------
    ValueError
        On any inconsistency, quoting the bad value.
    """

    scores: NDArray[np.float64]
    dont_know: NDArray[np.bool_]
    item_labels: tuple[str, ...]
    item_domain: IntArray
    domain_labels: tuple[str, ...]
    organisation: IntArray
    organisation_labels: tuple[str, ...]
    organisation_kind: IntArray
    group: IntArray
    group_labels: tuple[str, ...]
    invited: IntArray
    kind_labels: tuple[str, ...] = ("commissioner",)
    positive_threshold: NDArray[np.float64] | float = 4.0
    negative_threshold: NDArray[np.float64] | float = 2.0

    def __post_init__(self) -> None:
        put: Callable[[str, object], None] = lambda k, v: object.__setattr__(self, k, v)  # noqa: E731
        scores = np.asarray(self.scores, dtype=np.float64)
        if scores.ndim != 2:
            raise ValueError(f"scores must be 2-D (responses x items), got shape {scores.shape!r}")
        r, i = scores.shape
        if np.any(np.isinf(scores)):
            raise ValueError("scores must be finite or NaN, got an infinite value")
        dk = np.asarray(self.dont_know)
        if dk.shape != scores.shape:
            raise ValueError(f"dont_know must have shape {scores.shape!r}, got {dk.shape!r}")
        dk = dk.astype(bool)
        both = dk & ~np.isnan(scores)
        if np.any(both):
            raise ValueError(
                f"scores must be NaN where dont_know is True, got {first_bad(scores, both)!r}"
            )
        items = _labels(self.item_labels, "item_labels")
        if len(items) != i:
            raise ValueError(
                f"item_labels must have {i} entries (columns of scores), got {len(items)}"
            )
        domains = _labels(self.domain_labels, "domain_labels")
        orgs = _labels(self.organisation_labels, "organisation_labels")
        groups = _labels(self.group_labels, "group_labels")
        if ALL_STAKEHOLDERS in groups:
            raise ValueError(f"group_labels must not contain the reserved {ALL_STAKEHOLDERS!r}")
        kinds = _labels(self.kind_labels, "kind_labels")
        put("scores", scores)
        put("dont_know", dk)
        put("item_labels", items)
        put("domain_labels", domains)
        put("organisation_labels", orgs)
        put("group_labels", groups)
        put("kind_labels", kinds)
        put(
            "item_domain", _codes(self.item_domain, len(domains), i, "item_domain", "domain_labels")
        )
        put(
            "organisation",
            _codes(self.organisation, len(orgs), r, "organisation", "organisation_labels"),
        )
        put("group", _codes(self.group, len(groups), r, "group", "group_labels"))
        put(
            "organisation_kind",
            _codes(
                self.organisation_kind, len(kinds), len(orgs), "organisation_kind", "kind_labels"
            ),
        )
        thresholds = []
        for name in ("positive_threshold", "negative_threshold"):
            t = np.broadcast_to(np.asarray(getattr(self, name), dtype=np.float64), (i,)).copy()
            if np.any(np.isnan(t)):
                raise ValueError(f"{name} must not be NaN, got {getattr(self, name)!r}")
            thresholds.append(t)
            put(name, t)
        bad = thresholds[1] >= thresholds[0]
        if np.any(bad):
            raise ValueError(
                "negative_threshold must be below positive_threshold, got "
                f"{first_bad(thresholds[1], bad)!r} >= {first_bad(thresholds[0], bad)!r}"
            )
        invited = np.asarray(self.invited)
        if invited.shape != (len(orgs), len(groups)):
            raise ValueError(
                f"invited must have shape {(len(orgs), len(groups))!r}, got {invited.shape!r}"
            )
        if invited.size and (np.any(invited < 0) or np.any(invited != np.round(invited))):
            raise ValueError(f"invited must hold integers >= 0, got {invited.ravel()[:5]!r}...")
        invited = invited.astype(np.int64)
        responses = np.bincount(
            self.organisation * len(groups) + self.group, minlength=invited.size
        ).reshape(invited.shape)
        over = responses > invited
        if np.any(over):
            o, g = np.argwhere(over)[0]
            raise ValueError(
                f"invited must be >= responses per organisation and group, got invited="
                f"{int(invited[o, g])} with {int(responses[o, g])} responses for "
                f"{orgs[o]!r} / {groups[g]!r}"
            )
        put("invited", invited)

    @property
    def n_items(self) -> int:
        """Number of items I."""
        return int(self.scores.shape[1])


# --------------------------------------------------------------------------------------
# Output table


@dataclass(frozen=True)
class RoundTable:
    """Results of one round: equal-length, read-only column arrays, one row per cell.

    Rows are ordered organisation, then group ("All stakeholders" first, then
    ``group_labels``), then unit (each domain, then each item).  Proportions
    are in [0, 1] (multiply by 100 to display); means are on the item scale.
    Every number of a suppressed row is NaN; a row with no responses has
    ``n == 0`` and NaN estimates.

    Attributes
    ----------
    organisation, organisation_kind, group, level, unit, domain : ndarray of str
        Row keys.  ``level`` is ``"domain"`` or ``"item"``; ``unit`` is the
        domain label or the item label; ``domain`` is the unit's domain.
    n : ndarray of float
        Base: respondents with a scale answer (items), or respondents with a
        domain score (domains, "half rule").  Don't know is excluded.
    n_invited, response_rate : ndarray of float
        Invited stakeholders (groups routed to the unit, for the all row) and
        responses / invited for the organisation x group.
    positive, positive_low, positive_high : ndarray of float
        % positive (top two) with its Wilson(-FPC) interval.
    negative, dont_know : ndarray of float
        % negative (bottom two); % don't know among those asked.
    mean, mean_low, mean_high : ndarray of float
        Mean score with its t(-FPC) interval.
    bench_n, bench_positive, bench_mean : ndarray of float
        Benchmark: every other published cell of organisations of the same kind.
    bench_diff, bench_diff_low, bench_diff_high, bench_p : ndarray of float
        positive - bench_positive, Newcombe hybrid score interval and the
        p-value inverting it.
    bench_p_adjusted, bench_significant
        Benjamini-Hochberg adjusted p-value and flag (family: one
        organisation x group, all units).
    bench_mean_diff, bench_mean_diff_low, bench_mean_diff_high, bench_mean_p
        Welch difference of means (unadjusted p-value).
    prev_n, prev_positive, prev_mean, prev_diff, prev_diff_low, prev_diff_high,
    prev_p, prev_p_adjusted, prev_significant, prev_mean_diff,
    prev_mean_diff_low, prev_mean_diff_high, prev_mean_p
        The same against the previous round (matched by labels).
    suppressed : ndarray of bool
        True where the row is hidden by disclosure control.
    comments_visible : ndarray of bool
        Whether free-text comments may be shown for the cell.
    """

    organisation: NDArray[np.str_]
    organisation_kind: NDArray[np.str_]
    group: NDArray[np.str_]
    level: NDArray[np.str_]
    unit: NDArray[np.str_]
    domain: NDArray[np.str_]
    n: FloatArray
    n_invited: FloatArray
    response_rate: FloatArray
    positive: FloatArray
    positive_low: FloatArray
    positive_high: FloatArray
    negative: FloatArray
    dont_know: FloatArray
    mean: FloatArray
    mean_low: FloatArray
    mean_high: FloatArray
    bench_n: FloatArray
    bench_positive: FloatArray
    bench_mean: FloatArray
    bench_diff: FloatArray
    bench_diff_low: FloatArray
    bench_diff_high: FloatArray
    bench_p: FloatArray
    bench_p_adjusted: FloatArray
    bench_significant: BoolArray
    bench_mean_diff: FloatArray
    bench_mean_diff_low: FloatArray
    bench_mean_diff_high: FloatArray
    bench_mean_p: FloatArray
    prev_n: FloatArray
    prev_positive: FloatArray
    prev_mean: FloatArray
    prev_diff: FloatArray
    prev_diff_low: FloatArray
    prev_diff_high: FloatArray
    prev_p: FloatArray
    prev_p_adjusted: FloatArray
    prev_significant: BoolArray
    prev_mean_diff: FloatArray
    prev_mean_diff_low: FloatArray
    prev_mean_diff_high: FloatArray
    prev_mean_p: FloatArray
    suppressed: BoolArray
    comments_visible: BoolArray

    def __post_init__(self) -> None:
        length = None
        for f in dataclasses.fields(self):
            arr = getattr(self, f.name)
            if length is None:
                length = len(arr)
            elif len(arr) != length:
                raise ValueError(f"column {f.name!r} has length {len(arr)}, expected {length}")
            # Read-only, so nobody can "unsuppress" a cell downstream by accident.
            arr.flags.writeable = False

    @classmethod
    def columns(cls) -> tuple[str, ...]:
        """Column names, in order."""
        return tuple(f.name for f in dataclasses.fields(cls))

    def __len__(self) -> int:
        return len(self.n)

    def to_dict(self) -> dict[str, NDArray[Any]]:
        """Columns as a dict of arrays (e.g. for ``pandas.DataFrame(table.to_dict())``)."""
        return {name: getattr(self, name) for name in self.columns()}

    def rows(self) -> Iterator[dict[str, object]]:
        """Iterate rows as dicts of Python scalars (NaN stays ``float('nan')``)."""
        cols = [(name, getattr(self, name).tolist()) for name in self.columns()]
        for i in range(len(self)):
            yield {name: values[i] for name, values in cols}

    def filter(self, mask: ArrayLike | None = None, **equals: object) -> RoundTable:
        """Rows matching a boolean mask and/or column values.

        ``table.filter(organisation="NHS Leeds CCG", level="domain")``; a list,
        tuple or set value matches any of its members.
        """
        keep = np.ones(len(self), dtype=bool)
        if mask is not None:
            m = np.asarray(mask, dtype=bool)
            if m.shape != keep.shape:
                raise ValueError(f"mask must have shape {keep.shape!r}, got {m.shape!r}")
            keep &= m
        names = set(self.columns())
        for key, value in equals.items():
            if key not in names:
                raise ValueError(f"unknown column {key!r}; columns are {self.columns()!r}")
            col = getattr(self, key)
            if isinstance(value, (list, tuple, set, frozenset)):
                keep &= np.isin(col, list(value))
            else:
                keep &= col == value
        return RoundTable(**{name: getattr(self, name)[keep] for name in self.columns()})


# --------------------------------------------------------------------------------------
# Sufficient statistics per organisation x group x unit


class _Cells(NamedTuple):
    """Additive sufficient statistics, each shape (O, G + 1, U); group 0 is 'all'."""

    n: FloatArray  # base (scale answers / respondents with a domain score)
    pos: FloatArray  # positive answers, or sum of respondents' positive shares
    pos_sq: FloatArray  # sum of squared positive shares (== pos for items)
    neg: FloatArray
    total: FloatArray  # sum of scores
    total_sq: FloatArray  # sum of squared scores
    dk: FloatArray  # don't know answers, or sum of respondents' don't-know shares
    asked: FloatArray  # n + don't know (items), respondents asked any item (domains)
    population: FloatArray  # invited N for the FPC (NaN: none)
    invited: FloatArray  # invited (display)
    responses: FloatArray  # responses per organisation x group, broadcast over units
    hidden: BoolArray  # suppressed by disclosure control
    published: BoolArray  # not hidden and n > 0


def _grouped_sums(resp: RoundResponses) -> FloatArray:
    """Per organisation x group cell and column, sums of the respondent-level features.

    Columns: for items, [valid, positive, negative, don't know, x, x^2] blocks of
    I; for domains [included, score, score^2, share+, share+^2, share-, dk share,
    asked any] blocks of D.  Responses are sorted by cell once and reduced with
    ``np.add.reduceat`` in row blocks, so memory stays bounded and there is no
    loop per respondent or per cell.
    """
    n_org, n_grp = len(resp.organisation_labels), len(resp.group_labels)
    n_items, n_dom = resp.n_items, len(resp.domain_labels)
    member = np.zeros((n_items, n_dom))
    member[np.arange(n_items), resp.item_domain] = 1.0
    cell = resp.organisation * n_grp + resp.group
    order = np.argsort(cell, kind="stable")
    cell_sorted = cell[order]
    width = 6 * n_items + 8 * n_dom
    out = np.zeros((n_org * n_grp, width))
    pos_t, neg_t = resp.positive_threshold, resp.negative_threshold
    buffer = np.empty((_CHUNK_ROWS, width))
    for a in range(0, order.size, _CHUNK_ROWS):
        idx = order[a : a + _CHUNK_ROWS]
        cs = cell_sorted[a : a + _CHUNK_ROWS]
        x = resp.scores[idx]
        dk = resp.dont_know[idx]
        valid = ~np.isnan(x)
        x0 = np.where(valid, x, 0.0)
        pos = valid & (x0 >= pos_t)
        neg = valid & (x0 <= neg_t)
        feats = buffer[: idx.size]
        k = n_items
        feats[:, 0:k] = valid
        feats[:, k : 2 * k] = pos
        feats[:, 2 * k : 3 * k] = neg
        feats[:, 3 * k : 4 * k] = dk
        feats[:, 4 * k : 5 * k] = x0
        np.multiply(x0, x0, out=feats[:, 5 * k : 6 * k])
        # Respondent domain scores (statistics.md section 3): mean of answered
        # items, kept only if the respondent answered at least half of the
        # domain's items they were asked (answered or don't know).
        v_d = feats[:, 0:k] @ member
        asked_d = v_d + feats[:, 3 * k : 4 * k] @ member
        with np.errstate(divide="ignore", invalid="ignore"):
            inc = (v_d >= 1) & (2 * v_d >= asked_d)
            score = np.where(inc, (feats[:, 4 * k : 5 * k] @ member) / v_d, 0.0)
            share_p = np.where(inc, (feats[:, k : 2 * k] @ member) / v_d, 0.0)
            share_n = np.where(inc, (feats[:, 2 * k : 3 * k] @ member) / v_d, 0.0)
            dk_share = np.where(asked_d > 0, (asked_d - v_d) / asked_d, 0.0)
        b = 6 * k
        d = n_dom
        feats[:, b : b + d] = inc
        feats[:, b + d : b + 2 * d] = score
        feats[:, b + 2 * d : b + 3 * d] = score * score
        feats[:, b + 3 * d : b + 4 * d] = share_p
        feats[:, b + 4 * d : b + 5 * d] = share_p * share_p
        feats[:, b + 5 * d : b + 6 * d] = share_n
        feats[:, b + 6 * d : b + 7 * d] = dk_share
        feats[:, b + 7 * d : b + 8 * d] = asked_d > 0
        starts = np.flatnonzero(np.concatenate(([True], cs[1:] != cs[:-1])))
        # cs[starts] is unique within the block, so fancy "+=" is safe.
        out[cs[starts]] += np.add.reduceat(feats, starts, axis=0)
    return out


def _cell_statistics(resp: RoundResponses, threshold: int, finite_population: bool) -> _Cells:
    """Sufficient statistics and suppression for every organisation x group x unit."""
    n_org, n_grp = len(resp.organisation_labels), len(resp.group_labels)
    k, d = resp.n_items, len(resp.domain_labels)
    sums = _grouped_sums(resp).reshape(n_org, n_grp, -1)

    def unit_block(item_col: int, dom_col: int) -> FloatArray:
        """(O, G, U) from the item block and domain block of the given indices."""
        items = sums[:, :, item_col * k : (item_col + 1) * k]
        doms = sums[:, :, 6 * k + dom_col * d : 6 * k + (dom_col + 1) * d]
        return np.concatenate((doms, items), axis=2)

    def with_all(x: FloatArray) -> FloatArray:
        return np.concatenate((x.sum(axis=1, keepdims=True), x), axis=1)

    # Domains: included, score, score^2, share+, share+^2, share-, dk share, asked.
    n = with_all(unit_block(0, 0))
    pos = with_all(unit_block(1, 3))
    pos_sq = with_all(
        np.concatenate((sums[:, :, 6 * k + 4 * d : 6 * k + 5 * d], sums[:, :, k : 2 * k]), axis=2)
    )
    neg = with_all(unit_block(2, 5))
    total = with_all(unit_block(4, 1))
    total_sq = with_all(unit_block(5, 2))
    dk = with_all(unit_block(3, 6))
    asked_items = sums[:, :, 0:k] + sums[:, :, 3 * k : 4 * k]
    asked = with_all(
        np.concatenate((sums[:, :, 6 * k + 7 * d : 6 * k + 8 * d], asked_items), axis=2)
    )
    units = d + k

    # Invited per row: the group's invited count; for "all", the sum over the
    # groups that were asked the unit at all (routing: a group never asked an
    # item is not part of that item's population).
    inv_g = np.broadcast_to(resp.invited[:, :, None].astype(np.float64), (n_org, n_grp, units))
    routed = asked[:, 1:, :] > 0
    inv_all = np.where(routed, inv_g, 0.0).sum(axis=1, keepdims=True)
    invited = np.concatenate((inv_all, inv_g), axis=1)
    population = invited if finite_population else np.full(invited.shape, np.nan)

    resp_g = np.bincount(resp.organisation * n_grp + resp.group, minlength=n_org * n_grp).reshape(
        n_org, n_grp
    )
    responses = np.broadcast_to(
        np.concatenate((resp_g.sum(axis=1, keepdims=True), resp_g), axis=1)[:, :, None],
        (n_org, n_grp + 1, units),
    ).astype(np.float64)

    # Disclosure control (statistics.md section 7).  A group with 0 < responses < k
    # for the organisation is hidden on every unit (group level before item
    # level); then, per organisation x unit partition of groups, primary and
    # complementary suppression against the published "all" row.
    group_small = (resp_g > 0) & (resp_g < threshold)
    counts = np.rint(n[:, 1:, :]).astype(np.int64).transpose(0, 2, 1).reshape(-1, n_grp)
    forced = np.broadcast_to(group_small[:, None, :], (n_org, units, n_grp)).reshape(-1, n_grp)
    hid, total_hidden = _suppress_matrix(counts, threshold, True, forced)
    hidden = np.concatenate(
        (
            total_hidden.reshape(n_org, units)[:, None, :],
            hid.reshape(n_org, units, n_grp).transpose(0, 2, 1),
        ),
        axis=1,
    )
    published = ~hidden & (n > 0)
    return _Cells(
        n,
        pos,
        pos_sq,
        neg,
        total,
        total_sq,
        dk,
        asked,
        population,
        invited,
        responses,
        hidden,
        published,
    )


class _Estimates(NamedTuple):
    prop: FloatArray
    low: FloatArray
    high: FloatArray
    n_eff: FloatArray
    negative: FloatArray
    mean: FloatArray
    mean_low: FloatArray
    mean_high: FloatArray
    var_mean: FloatArray


def _estimates(
    n: FloatArray,
    pos: FloatArray,
    pos_sq: FloatArray,
    neg: FloatArray,
    total: FloatArray,
    total_sq: FloatArray,
    population: FloatArray,
    is_domain: BoolArray,
    confidence: float,
) -> _Estimates:
    """Point estimates and intervals from additive sufficient statistics (any shape).

    Items: Wilson(-FPC) on n.  Domains: the proportion is the mean of
    respondents' positive shares; its interval is Wilson on the Korn &
    Graubard (1998) effective sample size n* = min(n, p q / var), var =
    s^2/n of the shares (each respondent is a cluster), with the FPC applied
    as for items.  Means: t interval over respondents, df = n - 1, FPC.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        prop = np.where(n > 0, pos / n, np.nan)
        negative = np.where(n > 0, neg / n, np.nan)
        _, ss_share = _sums_to_moments(n, pos, pos_sq)
        var_srs = ss_share / (n - 1.0) / n
        kg = np.where(var_srs > 0, prop * (1.0 - prop) / var_srs, n)
        n_star = np.where(is_domain & (n > 1), np.minimum(n, kg), n)
        n_eff = n_star * (population - 1.0) / (population - n)
        n_eff = np.where(n >= population, np.inf, n_eff)
        n_eff = np.where(np.isnan(population), n_star, n_eff)
    low, high = _wilson_limits(prop, n_eff, _z(confidence))
    low = np.where(prop == 0, 0.0, low)
    high = np.where(prop == 1, 1.0, high)
    mean, ss = _sums_to_moments(n, total, total_sq)
    mean_low, mean_high, var_mean = _mean_interval_from_moments(n, mean, ss, population, confidence)
    return _Estimates(prop, low, high, n_eff, negative, mean, mean_low, mean_high, var_mean)


class _Comparison(NamedTuple):
    diff: FloatArray
    low: FloatArray
    high: FloatArray
    p: FloatArray
    mean_diff: FloatArray
    mean_low: FloatArray
    mean_high: FloatArray
    mean_p: FloatArray


def _compare(
    a: _Estimates,
    n_a: FloatArray,
    b: _Estimates,
    n_b: FloatArray,
    ok: BoolArray,
    confidence: float,
) -> _Comparison:
    """a - b for rows where ``ok``: Newcombe (MOVER) interval + inverted p; Welch for means."""
    nan = np.full(ok.shape, np.nan)
    idx = np.flatnonzero(ok.ravel())

    def take(x: FloatArray) -> FloatArray:
        return x.ravel()[idx]

    def put(values: FloatArray) -> FloatArray:
        out = nan.copy().ravel()
        out[idx] = values
        return out.reshape(ok.shape)

    low, high = _newcombe_from_limits(
        take(a.prop), take(a.low), take(a.high), take(b.prop), take(b.low), take(b.high)
    )
    p = _newcombe_pvalue_from(take(a.prop), take(a.n_eff), take(b.prop), take(b.n_eff))
    md, mlo, mhi, mp = _welch_arrays(
        take(a.mean),
        take(a.var_mean),
        take(n_a) - 1.0,
        take(b.mean),
        take(b.var_mean),
        take(n_b) - 1.0,
        confidence,
    )
    return _Comparison(
        put(take(a.prop) - take(b.prop)),
        put(low),
        put(high),
        put(p),
        put(md),
        put(mlo),
        put(mhi),
        put(mp),
    )


def _previous_index(cur: RoundResponses, prev: RoundResponses) -> IntArray:
    """Flat index into the previous round's (O, G + 1, U) arrays for each current row, or -1."""

    def lookup(labels: Sequence[str], prev_labels: Sequence[str]) -> IntArray:
        where = {label: i for i, label in enumerate(prev_labels)}
        return np.array([where.get(label, -1) for label in labels], dtype=np.int64)

    o = lookup(cur.organisation_labels, prev.organisation_labels)
    g = lookup((ALL_STAKEHOLDERS, *cur.group_labels), (ALL_STAKEHOLDERS, *prev.group_labels))
    u = lookup((*cur.domain_labels, *cur.item_labels), (*prev.domain_labels, *prev.item_labels))
    n_gp, n_up = len(prev.group_labels) + 1, len(prev.domain_labels) + prev.n_items
    flat = (o[:, None, None] * n_gp + g[None, :, None]) * n_up + u[None, None, :]
    missing = (o[:, None, None] < 0) | (g[None, :, None] < 0) | (u[None, None, :] < 0)
    return np.where(missing, -1, flat)


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
        One row per organisation x (All stakeholders + each group) x (each
        domain, then each item); see :class:`RoundTable` for the columns.

    Notes
    -----
    * % positive excludes "don't know" from its base (it means "of those with
      a view"); % don't know is reported separately over everyone asked.
    * Domain scores: each respondent's mean over the domain items they
      answered, if they answered at least half of the items they were asked;
      domain % positive is the mean of respondents' shares of positive answers.
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
    resp = responses
    n_org, n_grp1 = len(resp.organisation_labels), len(resp.group_labels) + 1
    n_dom = len(resp.domain_labels)
    units = n_dom + resp.n_items
    is_domain = np.zeros((1, 1, units), dtype=bool)
    is_domain[..., :n_dom] = True

    cur = _cell_statistics(resp, k, finite_population)
    est = _estimates(
        cur.n,
        cur.pos,
        cur.pos_sq,
        cur.neg,
        cur.total,
        cur.total_sq,
        cur.population,
        is_domain,
        conf,
    )
    pub = cur.published

    # Benchmark: pool the published cells by organisation kind, then remove the
    # organisation's own published cell.
    kinds = resp.organisation_kind
    n_kind = len(resp.kind_labels)
    pooled_fields = (cur.n, cur.pos, cur.pos_sq, cur.neg, cur.total, cur.total_sq, cur.invited)
    bench_parts = []
    for x in pooled_fields:
        xp = np.where(pub, x, 0.0)
        pool = np.zeros((n_kind, n_grp1, units))
        np.add.at(pool, kinds, xp)  # one call over O organisations, not a Python loop
        bench_parts.append(pool[kinds] - xp)
    b_n, b_pos, b_pos_sq, b_neg, b_total, b_total_sq, b_inv = bench_parts
    b_pop = b_inv if finite_population else np.full(b_inv.shape, np.nan)
    bench = _estimates(b_n, b_pos, b_pos_sq, b_neg, b_total, b_total_sq, b_pop, is_domain, conf)
    bench_cmp = _compare(est, cur.n, bench, b_n, pub & (b_n > 0), conf)

    family = np.arange(n_org)[:, None, None] * n_grp1 + np.arange(n_grp1)[None, :, None]
    family = np.broadcast_to(family, cur.n.shape).ravel()
    bench_sig, bench_adj = _bh_grouped(bench_cmp.p.ravel(), family, qq)

    nan = np.full(cur.n.shape, np.nan)
    if previous is not None:
        prv = _cell_statistics(previous, k, finite_population)
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
            conf,
        )
        prev_cmp = _compare(est, cur.n, prev_est, p_n, pub & p_pub, conf)
        prev_sig, prev_adj = _bh_grouped(prev_cmp.p.ravel(), family, qq)
        prev_n = np.where(p_pub, p_n, np.nan)
        prev_pos = np.where(p_pub, prev_est.prop, np.nan)
        prev_mean = np.where(p_pub, prev_est.mean, np.nan)
    else:
        prev_cmp = _Comparison(*(nan,) * 8)
        prev_sig, prev_adj = np.zeros(nan.size, dtype=bool), nan.ravel()
        prev_n = prev_pos = prev_mean = nan

    with np.errstate(divide="ignore", invalid="ignore"):
        dont_know = np.where(cur.asked > 0, cur.dk / cur.asked, np.nan)
        response_rate = np.where(cur.invited > 0, cur.responses / cur.invited, np.nan)
    # Response rates reveal response counts, so they get the same protection
    # at the organisation x group level as the bases do at unit level.
    resp_counts = np.rint(cur.responses[:, 1:, 0]).astype(np.int64)
    rr_hidden, rr_total_hidden = _suppress_matrix(resp_counts, k, True)
    rr_hidden_all = np.concatenate((rr_total_hidden[:, None], rr_hidden), axis=1)[:, :, None]
    response_rate = np.where(rr_hidden_all | cur.hidden, np.nan, response_rate)

    shown = ~cur.hidden
    has_data = pub

    def show(x: FloatArray, need_data: bool = True) -> FloatArray:
        mask = has_data if need_data else shown
        return np.where(mask, x, np.nan).ravel()

    def show_cmp(x: FloatArray) -> FloatArray:
        return np.where(has_data, x, np.nan).ravel()

    bench_ok = has_data & (b_n > 0)
    labels = np.asarray
    o_lab = labels(resp.organisation_labels, dtype=np.str_)
    k_lab = labels(resp.kind_labels, dtype=np.str_)[resp.organisation_kind]
    g_lab = labels((ALL_STAKEHOLDERS, *resp.group_labels), dtype=np.str_)
    u_lab = labels((*resp.domain_labels, *resp.item_labels), dtype=np.str_)
    d_lab = labels(resp.domain_labels, dtype=np.str_)[
        np.concatenate((np.arange(n_dom), resp.item_domain))
    ]
    lv_lab = np.where(is_domain.ravel(), "domain", "item").astype(np.str_)
    shape = cur.n.shape

    def key(values: NDArray[np.str_], axis: int) -> NDArray[np.str_]:
        expand = [None, None, None]
        expand[axis] = slice(None)  # type: ignore[call-overload]
        return np.broadcast_to(values[tuple(expand)], shape).ravel()

    n_shown = show(cur.n, need_data=False)
    return RoundTable(
        organisation=key(o_lab, 0),
        organisation_kind=key(k_lab, 0),
        group=key(g_lab, 1),
        level=key(lv_lab, 2),
        unit=key(u_lab, 2),
        domain=key(d_lab, 2),
        n=n_shown,
        n_invited=show(cur.invited, need_data=False),
        response_rate=response_rate.ravel(),
        positive=show(est.prop),
        positive_low=show(est.low),
        positive_high=show(est.high),
        negative=show(est.negative),
        # An all-"don't know" cell has n == 0 and is not protected by the base
        # rule, so its % don't know needs a base of k people asked.
        dont_know=np.where(has_data | (shown & (cur.asked >= k)), dont_know, np.nan).ravel(),
        mean=show(est.mean),
        mean_low=show(est.mean_low),
        mean_high=show(est.mean_high),
        bench_n=np.where(bench_ok, b_n, np.nan).ravel(),
        bench_positive=np.where(bench_ok, bench.prop, np.nan).ravel(),
        bench_mean=np.where(bench_ok, bench.mean, np.nan).ravel(),
        bench_diff=show_cmp(bench_cmp.diff),
        bench_diff_low=show_cmp(bench_cmp.low),
        bench_diff_high=show_cmp(bench_cmp.high),
        bench_p=show_cmp(bench_cmp.p),
        bench_p_adjusted=bench_adj,
        bench_significant=bench_sig,
        bench_mean_diff=show_cmp(bench_cmp.mean_diff),
        bench_mean_diff_low=show_cmp(bench_cmp.mean_low),
        bench_mean_diff_high=show_cmp(bench_cmp.mean_high),
        bench_mean_p=show_cmp(bench_cmp.mean_p),
        prev_n=np.where(has_data, prev_n, np.nan).ravel(),
        prev_positive=np.where(has_data, prev_pos, np.nan).ravel(),
        prev_mean=np.where(has_data, prev_mean, np.nan).ravel(),
        prev_diff=show_cmp(prev_cmp.diff),
        prev_diff_low=show_cmp(prev_cmp.low),
        prev_diff_high=show_cmp(prev_cmp.high),
        prev_p=show_cmp(prev_cmp.p),
        prev_p_adjusted=prev_adj,
        prev_significant=prev_sig,
        prev_mean_diff=show_cmp(prev_cmp.mean_diff),
        prev_mean_diff_low=show_cmp(prev_cmp.mean_low),
        prev_mean_diff_high=show_cmp(prev_cmp.mean_high),
        prev_mean_p=show_cmp(prev_cmp.mean_p),
        suppressed=cur.hidden.ravel().copy(),
        comments_visible=((cur.n >= kc) & shown).ravel(),
    )
