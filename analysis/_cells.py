"""Sufficient statistics and disclosure control per organisation x group x unit (private).

The first step of :func:`analysis.analyse_round`: responses are reduced, once,
to additive sums per cell (so benchmarks can pool them and the previous round
can be aligned with them), and every cell's suppression is decided here.
Units are the domains, then the items.  Rows along the group axis: 0 is "All
stakeholders", then the G stakeholder groups, then the F reporting families
(each the union of its groups' responses); see ``RoundResponses.cell_parent``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from ._validation import FloatArray
from .hierarchy import suppress_hierarchy
from .responses import RoundResponses

BoolArray = NDArray[np.bool_]

# Respondents per block of the grouped reduction.  Small blocks keep every
# temporary in cache and avoid fresh page-faulting allocations, which on
# virtual machines cost more than the arithmetic (1024: 6x faster than 16384).
_CHUNK_ROWS = 1024


class _Cells(NamedTuple):
    """Additive sufficient statistics, each shape (O, 1 + G + F, U): all, groups, families."""

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


def _with_all_and_families(x: FloatArray, resp: RoundResponses) -> FloatArray:
    """Per-group sums (O, G, U) -> (O, 1 + G + F, U): the all row, the groups, the families."""
    member = resp.family_member.astype(np.float64)
    families = np.einsum("ogu,gf->ofu", x, member)
    return np.concatenate((x.sum(axis=1, keepdims=True), x, families), axis=1)


def _unit_sums(resp: RoundResponses) -> list[FloatArray]:
    """The grouped sums rearranged per unit, with the "all" row in front and the families after.

    Returns [n, pos, pos_sq, neg, total, total_sq, dk, asked], each (O, 1 + G + F, U)
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
        out.append(_with_all_and_families(np.concatenate((doms, items), axis=2), resp))
    return out


def _routed_totals(per_group: FloatArray, resp: RoundResponses) -> FloatArray:
    """Per organisation x group values (O, G) -> (O, 1 + G + F, U).

    A group row has the group's value on every unit; the "all" and family rows
    the sum over their groups the questionnaire routes to the unit
    (``RoundResponses.routing``): a group never asked an item is not part of
    that item's population, and a group asked it is, whether or not anyone in
    it answered.
    """
    routed = resp.routed.astype(np.float64)  # (G, U)
    member = resp.family_member.astype(np.float64)  # (G, F)
    x = per_group.astype(np.float64)
    groups = np.broadcast_to(x[:, :, None], (*x.shape, routed.shape[1]))
    everyone = (x @ routed)[:, None, :]
    families = np.einsum("og,gf,gu->ofu", x, member, routed)
    return np.concatenate((everyone, groups, families), axis=1)


def _invited_per_row(resp: RoundResponses) -> FloatArray:
    """Invited N per organisation x (all, groups, families) x unit (routed groups only)."""
    return _routed_totals(resp.invited.astype(np.float64), resp)


def _responses_per_group(resp: RoundResponses) -> NDArray[np.int64]:
    """Responses per organisation x group, shape (O, G)."""
    n_org, n_grp = len(resp.organisation_labels), len(resp.group_labels)
    cell = resp.organisation * n_grp + resp.group
    return np.bincount(cell, minlength=n_org * n_grp).reshape(n_org, n_grp)


def _hidden_cells(
    n: FloatArray, resp_g: NDArray[np.int64], resp: RoundResponses, threshold: int
) -> BoolArray:
    """Disclosure control (statistics.md section 7) for every (O, 1 + G + F, U) cell.

    A group or family with 0 < responses < k for the organisation is hidden on
    every unit (group level before item level); then, per organisation x unit,
    primary and complementary suppression along the tree all > families >
    groups (:func:`analysis.hierarchy.suppress_hierarchy`; Hundepool et al.
    2012, ch. 4), so no hidden cell is the all row or a family minus published
    cells.  A hidden group that the questionnaire routes to the unit is protected
    even when its base is 0 there, so the published cells cannot reveal that it
    gave no answers.  A small family needs no protection of its own: its
    responses are its groups', each small (protected where asked) or with no
    responses at all (which is published); protecting it would also hide its
    siblings on a unit none of its small groups is asked.
    """
    n_org, rows, units = n.shape
    n_grp = len(resp.group_labels)
    resp_rows = np.rint(_with_all_and_families(resp_g[:, :, None].astype(np.float64), resp))
    small = ((resp_rows > 0) & (resp_rows < threshold))[:, :, 0]  # (O, rows)
    small[:, 0] = False  # the all row: its own base decides
    forced = np.zeros((n_org, rows, units), dtype=bool)
    forced[:, 1 : 1 + n_grp] = small[:, 1 : 1 + n_grp, None] & resp.routed[None, :, :]
    counts = np.rint(n).astype(np.int64).transpose(0, 2, 1).reshape(-1, rows)
    hid = suppress_hierarchy(
        counts, resp.cell_parent, threshold, forced.transpose(0, 2, 1).reshape(-1, rows)
    )
    return hid.reshape(n_org, units, rows).transpose(0, 2, 1) | small[:, :, None]


def _cell_statistics(resp: RoundResponses, threshold: int, finite_population: bool) -> _Cells:
    """Sufficient statistics and suppression for every organisation x group x unit."""
    n, pos, pos_sq, neg, total, total_sq, dk, asked = _unit_sums(resp)
    invited = _invited_per_row(resp)
    population = invited if finite_population else np.full(invited.shape, np.nan)
    resp_g = _responses_per_group(resp)
    # The all and family rows' responses count the routed groups only, as their
    # invited counts do, so a unit's response rate never exceeds 100%.
    responses = _routed_totals(resp_g.astype(np.float64), resp)
    hidden = _hidden_cells(n, resp_g, resp, threshold)
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
