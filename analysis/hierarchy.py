"""Complementary suppression along a hierarchy of published aggregates.

The cells of one organisation x unit form a tree: the "All stakeholders" total
at the root, reporting families of stakeholder groups below it, and the groups
as leaves (a group outside every family hangs from the root).  Every internal
cell is the sum of its children, and each such identity is an equation a
reader can use: "family minus its published groups", "total minus the
published families and ungrouped groups", and chains of them.

Rule (applied to every internal cell v and its children until nothing changes;
k is the threshold):

1. *Primary*: a cell with 0 < n < k is hidden; so is a cell that must be
   protected (``forced``, or with a forced descendant) and has n < k.
2. *Published parent*: if v is published, its hidden children are none, or at
   least two holding together at least k respondents (the rule of
   :func:`analysis.disclosure.suppress`, per sub-table).
3. *Hidden parent*: if v is hidden, at least one child is hidden (otherwise
   v = the sum of its published children); if v >= k (a complementary
   suppression) its hidden children hold together at least k respondents, so
   that chaining the equations up the tree never isolates fewer than k people.
4. Missing cells are taken smallest first among the non-empty unhidden
   children (ties in node order).  If a published parent cannot be completed
   (too few non-empty children), the parent is hidden instead.

Why it suffices: every equation "v = sum of its children" then holds none or
at least two hidden cells.  The hidden cells link the equations they appear in
into trees (a hidden internal cell joins its own equation to its parent's).
A combination of equations that isolates one hidden cell must give the
equations joined by a hidden cell the same weight, so within one such tree it
is a multiple of the whole tree's sum; that sum holds every hidden leaf of the
tree, and rule 2 / 3 give each tree's boundary equations a second hidden cell.
This is the sub-table approach to hierarchical tables of Hundepool et al.
(2012), ch. 4 (secondary suppression, linked and hierarchical tables; the
HiTaS method of de Wolf, 2002): protect each sub-table against differencing,
and protect a parent that is suppressed inside its children's sub-table.

References: Hundepool A, Domingo-Ferrer J, Franconi L, Giessing S, Nordholt ES,
Spicer K, de Wolf P-P (2012). *Statistical Disclosure Control*. Wiley, ch. 4.
de Wolf P-P (2002). HiTaS: a heuristic approach to cell suppression in
hierarchical tables. In *Inference Control in Statistical Databases*, LNCS
2316, 74-82.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .disclosure import check_threshold

__all__ = ["suppress_hierarchy"]

BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]


def _check_tree(parent: ArrayLike) -> tuple[IntArray, list[IntArray], list[int]]:
    """Parent indices -> (parents, children per node, nodes children-before-parents)."""
    par = np.asarray(parent)
    if par.ndim != 1 or par.size == 0:
        raise ValueError(f"parent must be a non-empty 1-D array, got shape {par.shape!r}")
    if not np.issubdtype(par.dtype, np.integer):
        raise ValueError(f"parent must hold integer node indices, got dtype {par.dtype!s}")
    par = par.astype(np.int64)
    size = par.size
    bad = (par < -1) | (par >= size) | (par == np.arange(size))
    if np.any(bad):
        raise ValueError(f"parent must index other nodes or be -1, got {par[bad][0]!r}")
    if np.count_nonzero(par == -1) != 1:
        raise ValueError("parent must have exactly one root (-1)")
    depth = np.zeros(size, dtype=np.int64)
    for v in range(size):  # walk up; a cycle would exceed `size` steps
        u, d = v, 0
        while par[u] != -1:
            u, d = int(par[u]), d + 1
            if d > size:
                raise ValueError("parent must describe a tree, got a cycle")
        depth[v] = d
    children = [np.flatnonzero(par == v) for v in range(size)]
    bottom_up = [int(v) for v in np.argsort(-depth, kind="stable")]
    return par, children, bottom_up


def _complete(
    counts: IntArray, hidden: BoolArray, min_cells: IntArray, min_mass: IntArray
) -> tuple[BoolArray, BoolArray]:
    """Hide the smallest non-empty unhidden cells of each row until the row's hidden cells
    number at least ``min_cells`` and hold at least ``min_mass``.

    Returns the new hidden mask and, per row, whether that was achievable (rows where it
    is not are left unchanged).
    """
    n_cols = counts.shape[1]
    nh = hidden.sum(axis=1)
    mass = np.where(hidden, counts, 0).sum(axis=1)
    cand = (counts > 0) & ~hidden
    key = np.where(cand, counts, np.iinfo(np.int64).max)
    order = np.argsort(key, axis=1, kind="stable")  # candidates first, ascending, stable
    c_sorted = np.take_along_axis(counts, order, axis=1)
    cand_sorted = np.take_along_axis(cand, order, axis=1)
    added = np.cumsum(np.where(cand_sorted, c_sorted, 0), axis=1)
    j = np.arange(1, n_cols + 1)
    ok = (
        cand_sorted
        & (nh[:, None] + j >= min_cells[:, None])
        & (mass[:, None] + added >= min_mass[:, None])
    )
    already = (nh >= min_cells) & (mass >= min_mass)
    feasible = already | ok.any(axis=1)
    first = np.argmax(ok, axis=1)
    take_sorted = cand_sorted & (j[None, :] <= first[:, None] + 1) & (feasible & ~already)[:, None]
    take = np.zeros_like(hidden)
    np.put_along_axis(take, order, take_sorted, axis=1)
    return hidden | take, feasible


def suppress_hierarchy(
    counts: ArrayLike,
    parent: ArrayLike,
    threshold: int = 5,
    forced: ArrayLike | None = None,
) -> BoolArray:
    """Primary and complementary suppression of cells nested in a tree (see the module rule).

    Parameters
    ----------
    counts : array_like of int, shape (P, N)
        Respondent count (base n) of each of N cells in each of P independent tables
        (e.g. organisation x item).  An internal cell must equal the sum of its children.
    parent : array_like of int, shape (N,)
        Index of each cell's parent cell, -1 for the single root (the published total).
        E.g. ``[-1, 0, 0, 1, 1, 0]``: total 0, families 1 and 2, groups 3 and 4 in
        family 1, group 5 outside every family (family 2 has no groups here).
    threshold : int, optional
        Minimum publishable base k (default 5; must be >= 3).
    forced : array_like of bool, shape (P, N), optional
        Cells to hide regardless of their count (e.g. a group below k in the whole
        survey).  A forced cell is protected even with count 0: its ancestors below k
        are hidden, and every published equation holding it gets at least k
        respondents of hidden cells.

    Returns
    -------
    ndarray of bool, shape (P, N)
        True where the cell must be hidden.  Then no hidden cell is a linear
        combination of published cells and the tree's sum identities, and every
        sub-table's differencing ("parent minus published children") reveals either
        nothing or at least k respondents of at least two hidden cells.

    Raises
    ------
    ValueError
        If ``parent`` is not a tree, counts are negative, not integers, or not
        additive, or the threshold is below 3.

    References
    ----------
    .. [1] Hundepool A et al. (2012). Statistical Disclosure Control. Wiley, ch. 4.
    .. [2] de Wolf P-P (2002). HiTaS: a heuristic approach to cell suppression in
       hierarchical tables. LNCS 2316, 74-82.

    Examples
    --------
    >>> import numpy as np
    >>> from analysis.hierarchy import suppress_hierarchy
    >>> # total 0; family 1 of groups 2 and 3; group 4 outside every family
    >>> parent = [-1, 0, 1, 1, 0]
    >>> suppress_hierarchy([[30, 12, 2, 10, 18]], parent)[0].tolist()
    [False, False, True, True, False]
    >>> suppress_hierarchy([[30, 4, 4, 0, 26]], parent)[0].tolist()
    [False, True, True, False, True]
    """
    k = check_threshold(threshold)
    par, children, bottom_up = _check_tree(parent)
    raw = np.asarray(counts)
    if raw.ndim != 2 or raw.shape[1] != par.size:
        raise ValueError(f"counts must have shape (P, {par.size}), got {raw.shape!r}")
    if raw.size and (np.any(raw < 0) or np.any(raw != np.round(raw))):
        raise ValueError("counts must hold integers >= 0")
    c = raw.astype(np.int64)
    for v in range(par.size):
        ch = children[v]
        if ch.size and np.any(c[:, ch].sum(axis=1) != c[:, v]):
            raise ValueError(f"counts of cell {v} must equal the sum of its children {ch.tolist()}")
    force = np.zeros(c.shape, dtype=bool) if forced is None else np.asarray(forced, dtype=bool)
    if force.shape != c.shape:
        raise ValueError(f"forced must have shape {c.shape!r}, got {force.shape!r}")

    protect = force.copy()
    for v in bottom_up:  # children before parents: a forced cell protects its ancestors
        if par[v] >= 0:
            protect[:, par[v]] |= protect[:, v]
    hidden: BoolArray = ((c > 0) & (c < k)) | force | (protect & (c < k))

    internal = [v for v in reversed(bottom_up) if children[v].size]  # top down
    changed = True
    while changed:  # every pass hides at least one more cell, so this ends
        changed = False
        for v in internal:
            ch = children[v]
            cc, hh = c[:, ch], hidden[:, ch]
            nh = hh.sum(axis=1)
            mass = np.where(hh, cc, 0).sum(axis=1)
            v_hidden, big = hidden[:, v], c[:, v] >= k
            published_bad = ~v_hidden & (nh >= 1) & ((nh < 2) | (mass < k))
            hidden_bad = v_hidden & ((nh < 1) | (big & (mass < k)))
            rows = np.flatnonzero(published_bad | hidden_bad)
            if rows.size == 0:
                continue
            changed = True
            vh = v_hidden[rows]
            min_cells = np.where(vh, 1, 2)
            min_mass = np.where(vh & ~big[rows], 0, k)
            new, feasible = _complete(cc[rows], hh[rows], min_cells, min_mass)
            hidden[np.ix_(rows, ch)] = new
            # A published parent that cannot be completed is hidden itself; a hidden
            # parent with only empty children (forced, count 0) hides them all.
            hidden[rows[~feasible & ~vh], v] = True
            stuck = rows[~feasible & vh]
            hidden[np.ix_(stuck, ch)] = True
    return hidden
