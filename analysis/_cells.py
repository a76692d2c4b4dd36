"""Sufficient statistics and disclosure control per organisation x group x unit (private).

The first step of :func:`analysis.analyse_round`: responses are reduced, once,
to additive sums per cell (so benchmarks can pool them and the previous round
can be aligned with them), and every cell's suppression is decided here.
Units are the domains, then the items; group 0 is "All stakeholders".
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from ._validation import FloatArray
from .disclosure import _suppress_matrix
from .responses import RoundResponses

BoolArray = NDArray[np.bool_]

# Respondents per block of the grouped reduction.  Small blocks keep every
# temporary in cache and avoid fresh page-faulting allocations, which on
# virtual machines cost more than the arithmetic (1024: 6x faster than 16384).
_CHUNK_ROWS = 1024


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
    invited: FloatArray  # invited (display; the "all" row: routed groups)
    responses: FloatArray  # responses per organisation x group (all: routed groups) x unit
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


def _unit_sums(resp: RoundResponses) -> list[FloatArray]:
    """The grouped sums rearranged per unit, with the "all" row in front.

    Returns [n, pos, pos_sq, neg, total, total_sq, dk, asked], each (O, G + 1, U)
    in the meaning of the :class:`_Cells` fields.
    """
    n_org, n_grp = len(resp.organisation_labels), len(resp.group_labels)
    k, d = resp.n_items, len(resp.domain_labels)
    sums = _grouped_sums(resp).reshape(n_org, n_grp, -1)

    def item_block(col: int) -> FloatArray:
        return sums[:, :, col * k : (col + 1) * k]

    def domain_block(col: int) -> FloatArray:
        return sums[:, :, 6 * k + col * d : 6 * k + (col + 1) * d]

    # Item columns: valid, positive, negative, don't know, x, x^2.
    # Domain columns: included, score, score^2, share+, share+^2, share-, dk share, asked.
    asked_items = item_block(0) + item_block(3)
    pairs = (
        (domain_block(0), item_block(0)),  # n
        (domain_block(3), item_block(1)),  # pos
        (domain_block(4), item_block(1)),  # pos_sq: a 0/1 answer is its own square
        (domain_block(5), item_block(2)),  # neg
        (domain_block(1), item_block(4)),  # total
        (domain_block(2), item_block(5)),  # total_sq
        (domain_block(6), item_block(3)),  # dk
        (domain_block(7), asked_items),  # asked
    )
    out = []
    for doms, items in pairs:
        x = np.concatenate((doms, items), axis=2)
        out.append(np.concatenate((x.sum(axis=1, keepdims=True), x), axis=1))
    return out


def _invited_per_row(resp: RoundResponses) -> FloatArray:
    """Invited N per organisation x (all + groups) x unit.

    A group row has the group's invited count; the "all" row the sum over the
    groups the questionnaire routes to the unit (``RoundResponses.routing``):
    a group never asked an item is not part of that item's population, and a
    group asked it is, whether or not anyone in it answered.
    """
    n_org, n_grp = resp.invited.shape
    routed = resp.routed  # (G, U)
    inv_g = np.broadcast_to(
        resp.invited[:, :, None].astype(np.float64), (n_org, n_grp, routed.shape[1])
    )
    inv_all = np.where(routed[None, :, :], inv_g, 0.0).sum(axis=1, keepdims=True)
    return np.concatenate((inv_all, inv_g), axis=1)


def _responses_per_group(resp: RoundResponses) -> NDArray[np.int64]:
    """Responses per organisation x group, shape (O, G)."""
    n_org, n_grp = len(resp.organisation_labels), len(resp.group_labels)
    cell = resp.organisation * n_grp + resp.group
    return np.bincount(cell, minlength=n_org * n_grp).reshape(n_org, n_grp)


def _hidden_cells(
    n: FloatArray, resp_g: NDArray[np.int64], routed: BoolArray, threshold: int
) -> BoolArray:
    """Disclosure control (statistics.md section 7) for every (O, G + 1, U) cell.

    A group with 0 < responses < k for the organisation is hidden on every
    unit (group level before item level); then, per organisation x unit
    partition of groups, primary and complementary suppression against the
    published "all" row (Hundepool et al. 2012, ch. 4).  A hidden group that
    the questionnaire routes to the unit is protected even when its base is 0
    there, so the "all" row cannot reveal that it gave no answers.
    """
    n_org, n_grp = resp_g.shape
    units = n.shape[2]
    group_small = (resp_g > 0) & (resp_g < threshold)
    counts = np.rint(n[:, 1:, :]).astype(np.int64).transpose(0, 2, 1).reshape(-1, n_grp)
    small = np.broadcast_to(group_small[:, None, :], (n_org, units, n_grp))
    forced = (small & routed.T[None, :, :]).reshape(-1, n_grp)
    hid, total_hidden = _suppress_matrix(counts, threshold, True, forced)
    hid = hid | small.reshape(-1, n_grp)
    return np.concatenate(
        (
            total_hidden.reshape(n_org, units)[:, None, :],
            hid.reshape(n_org, units, n_grp).transpose(0, 2, 1),
        ),
        axis=1,
    )


def _cell_statistics(resp: RoundResponses, threshold: int, finite_population: bool) -> _Cells:
    """Sufficient statistics and suppression for every organisation x group x unit."""
    n, pos, pos_sq, neg, total, total_sq, dk, asked = _unit_sums(resp)
    invited = _invited_per_row(resp)
    population = invited if finite_population else np.full(invited.shape, np.nan)
    resp_g = _responses_per_group(resp)
    routed = resp.routed
    # The "all" row's responses count the routed groups only, as its invited
    # count does, so a unit's response rate never exceeds 100%.
    resp_all = (resp_g.astype(np.float64) @ routed.astype(np.float64))[:, None, :]
    responses = np.concatenate(
        (resp_all, np.broadcast_to(resp_g[:, :, None].astype(np.float64), n[:, 1:].shape)),
        axis=1,
    )
    hidden = _hidden_cells(n, resp_g, routed, threshold)
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
