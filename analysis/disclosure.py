"""Statistical disclosure control for small cells.

Rules (statistics.md section 7; GP Patient Survey and NHS Digital practice):

1. *Threshold*: a cell whose base n satisfies 0 < n < k is hidden (default
   k = 5; hard floor 3).  A cell with n = 0 reveals nothing and is shown as
   "no responses".
2. *Complementary suppression*: when the partition's total is published, the
   hidden cells must be either none, or at least two non-empty cells holding
   together at least k respondents, so that "total minus the shown cells"
   reveals only an aggregate of >= k people from >= 2 groups.  Further cells
   are added smallest first (ties in a fixed order, the order given).
3. If that cannot be achieved - which happens exactly when the total itself
   is below k - the total is hidden as well.

References: Hundepool A et al. (2012), *Statistical Disclosure Control*,
Wiley, ch. 4 (primary and secondary cell suppression); GP Patient Survey
analysis tool FAQ (NHS England / Ipsos); NHS Digital (2018), disclosure control
methodology for HES.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["MIN_THRESHOLD", "comments_visible", "suppress"]

MIN_THRESHOLD = 3
"""Hard floor for the suppression threshold (engagement-survey practice)."""


def check_threshold(threshold: int, name: str = "threshold") -> int:
    """Validate a suppression threshold: an integer >= MIN_THRESHOLD."""
    if isinstance(threshold, bool) or int(threshold) != threshold or threshold < MIN_THRESHOLD:
        raise ValueError(f"{name} must be an integer >= {MIN_THRESHOLD}, got {threshold!r}")
    return int(threshold)


def _suppress_matrix(
    counts: NDArray[np.int64],
    threshold: int,
    total_published: bool = True,
    forced: NDArray[np.bool_] | None = None,
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Vectorised suppression over many partitions at once.

    Parameters
    ----------
    counts : ndarray of int, shape (P, G)
        Respondent count of each of G cells in each of P partitions.
    threshold : int
        Minimum publishable base k.
    total_published : bool
        Whether each partition's total (row sum) is published.
    forced : ndarray of bool, shape (P, G), optional
        Cells to hide regardless of their count (e.g. a stakeholder group
        below k in the whole survey, on a unit it was asked).  A forced cell
        needs protection even with count 0 (the total minus the shown cells
        would reveal that the group gave no answers), so the hidden cells must
        then hold at least k respondents over at least two cells, or the total
        is hidden too.

    Returns
    -------
    hidden : ndarray of bool, shape (P, G)
    total_hidden : ndarray of bool, shape (P,)
        True where the partition total must be hidden too: 0 < total < k, or
        total < k with a forced cell in the partition.
    """
    counts = np.asarray(counts, dtype=np.int64)
    p_count, g_count = counts.shape
    nonzero = counts > 0
    primary = nonzero & (counts < threshold)
    any_forced: NDArray[np.bool_] = np.zeros(p_count, dtype=bool)
    if forced is not None:
        primary |= forced
        any_forced = np.any(forced, axis=1, keepdims=True)[:, 0]
    hidden = primary.copy()
    totals = counts.sum(axis=1)
    total_hidden = ((totals > 0) | any_forced) & (totals < threshold)
    if total_published and g_count > 0 and p_count > 0:
        h = primary.sum(axis=1)
        s = np.where(primary, counts, 0).sum(axis=1)
        need = (h >= 1) & ((h < 2) | (s < threshold)) & ~total_hidden
        if np.any(need):
            rows = np.flatnonzero(need)
            c = counts[rows]
            cand = nonzero[rows] & ~primary[rows]
            # Candidates in ascending count; a stable sort keeps the given
            # column order for ties.  Non-candidates sort last.
            key = np.where(cand, c, np.iinfo(np.int64).max)
            order = np.argsort(key, axis=1, kind="stable")
            c_sorted = np.take_along_axis(c, order, axis=1)
            cand_sorted = np.take_along_axis(cand, order, axis=1)
            added = np.cumsum(np.where(cand_sorted, c_sorted, 0), axis=1)
            j = np.arange(1, g_count + 1)
            ok = cand_sorted & (h[rows, None] + j >= 2) & (s[rows, None] + added >= threshold)
            # By construction some j succeeds whenever the total is >= k.
            first = np.argmax(ok, axis=1)
            take_sorted = j[None, :] <= (first + 1)[:, None]
            take = np.zeros_like(cand)
            np.put_along_axis(take, order, take_sorted & cand_sorted, axis=1)
            hidden[rows] |= take
    hidden |= total_hidden[:, None] & nonzero
    return hidden, total_hidden


def suppress(
    cells: Mapping[str, int], threshold: int = 5, total_published: bool = True
) -> set[str]:
    """Groups to hide in one published partition (primary + complementary suppression).

    Parameters
    ----------
    cells : mapping of str to int
        Respondent count (base n) of each group in the partition, e.g. the
        stakeholder groups of one organisation for one item.  Ties between
        equal counts are broken by the mapping's order.
    threshold : int, optional
        Minimum publishable base k (default 5; must be >= 3).
    total_published : bool, optional
        Whether the partition total (e.g. the "all stakeholders" row) is
        published.  If not, only the primary cells (0 < n < k) are hidden.

    Returns
    -------
    set of str
        Every group with 0 < n < k, plus the smallest further groups needed so
        that the hidden groups are at least two non-empty groups holding
        together at least k respondents.  Groups with n = 0 are never
        returned (they reveal nothing and protect nothing).  If the total
        itself is below k, every non-empty group is returned and the caller
        must not publish the total either (``sum(cells.values()) < threshold``).

    Raises
    ------
    ValueError
        If a count is negative or not an integer, or the threshold is below 3.

    References
    ----------
    .. [1] Hundepool A et al. (2012). Statistical Disclosure Control. Wiley, ch. 4.
    .. [2] GP Patient Survey analysis tool FAQ, "Why is data sometimes
       suppressed?" (NHS England / Ipsos).

    Examples
    --------
    >>> from analysis.disclosure import suppress
    >>> sorted(suppress({"GP": 20, "CQC": 1, "Healthwatch": 6, "Provider": 9}))
    ['CQC', 'Healthwatch']
    """
    k = check_threshold(threshold)
    names = list(cells)
    values = []
    for name in names:
        v = cells[name]
        if isinstance(v, bool) or int(v) != v or v < 0:
            raise ValueError(f"count for group {name!r} must be an integer >= 0, got {v!r}")
        values.append(int(v))
    if not names:
        return set()
    hidden, _ = _suppress_matrix(np.asarray([values], dtype=np.int64), k, total_published)
    return {name for name, h in zip(names, hidden[0], strict=True) if h}


def comments_visible(
    n: ArrayLike, threshold: int = 10, suppressed: ArrayLike = False
) -> bool | NDArray[np.bool_]:
    """Whether free-text comments may be shown for a cell.

    Parameters
    ----------
    n : array_like
        Number of respondents in the cell (NaN counts as hidden).
    threshold : int, optional
        Minimum respondents before comments are shown (default 10, stricter
        than the numeric threshold because a comment's wording can identify
        its author).
    suppressed : array_like of bool, optional
        The cell's suppression flag; a suppressed cell never shows comments.

    Returns
    -------
    bool or ndarray of bool
        ``n >= threshold and not suppressed``.
    """
    k = check_threshold(threshold)
    nn = np.asarray(n, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        visible = (nn >= k) & ~np.asarray(suppressed, dtype=bool)
    return bool(visible) if visible.ndim == 0 else visible
