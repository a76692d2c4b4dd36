"""The result container of the round analysis: :class:`RoundTable`.

Equal-length, read-only numpy columns, one row per organisation x stakeholder
group (plus "All stakeholders") x unit (each domain, then each item).  The
table is already suppressed; it only offers ways to read it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._results import ColumnTable
from ._validation import FloatArray

__all__ = ["RoundTable"]

BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class RoundTable(ColumnTable):
    """Results of one round: equal-length, read-only column arrays, one row per cell.

    Rows are ordered organisation, then group ("All stakeholders" first, then
    ``group_labels``, then ``family_labels``), then unit (each domain, then each item).  Proportions
    are in [0, 1] (multiply by 100 to display); means are on the item scale.
    Every number of a suppressed row is NaN; a row with no responses has
    ``n == 0`` and NaN estimates.

    Attributes
    ----------
    organisation, organisation_kind, group, level, unit, domain : ndarray of str
        Row keys.  ``level`` is ``"domain"`` or ``"item"``; ``unit`` is the
        domain label or the item label; ``domain`` is the unit's domain.
    is_family : ndarray of bool
        True on the rows of a reporting family of groups (``group`` is then
        the family's label).
    n : ndarray of float
        Base: respondents with a scale answer (items), or respondents with a
        domain score (domains, "half rule").  Don't know is excluded.
    n_invited, response_rate : ndarray of float
        Invited stakeholders (groups routed to the unit, for the all row) and
        responses / invited for the organisation x group.
    positive, positive_low, positive_high : ndarray of float
        % positive (top two) with its Wilson(-FPC) interval.
    positive_n_eff : ndarray of float
        The effective base m of that interval, whose variance is p (1 - p) / m: the base with
        the finite population correction folded in (items), or the Korn & Graubard effective
        size of the design-based variance of respondents' shares, with the same correction
        (domains); ``inf`` for a census.  The funnel plot's precision (``analysis.funnel``).
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
    is_family: BoolArray
    level: NDArray[np.str_]
    unit: NDArray[np.str_]
    domain: NDArray[np.str_]
    n: FloatArray
    n_invited: FloatArray
    response_rate: FloatArray
    positive: FloatArray
    positive_low: FloatArray
    positive_high: FloatArray
    positive_n_eff: FloatArray
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
