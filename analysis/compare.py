"""Comparisons: multiple-testing control and tests for differences.

* :func:`benjamini_hochberg` - false discovery rate control (BH 1995).
* :func:`newcombe_pvalue` - two-sided p-value for p1 = p2 that agrees exactly
  with the Newcombe hybrid score interval of
  :func:`analysis.intervals.newcombe_difference`.
* :func:`welch_difference` - Welch t interval and test for a difference of means,
  with optional finite population correction on each side.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from ._results import MultipleTestResult, WelchResult
from ._validation import (
    FloatArray,
    as_float,
    check_confidence,
    check_counts,
    check_open_unit,
    first_bad,
)
from .intervals import _effective_n
from .means import _t_quantile

__all__ = ["benjamini_hochberg", "newcombe_pvalue", "welch_difference", "WelchResult"]


def _check_q(q: float) -> float:
    return check_open_unit(q, "q")


def _bh_grouped(
    p: FloatArray, family: NDArray[np.intp], q: float
) -> tuple[NDArray[np.bool_], FloatArray]:
    """Benjamini-Hochberg within each family, for all families at once.

    ``family`` holds a non-negative integer family code per p-value.  NaN
    p-values are excluded from their family's m.  Adjusted p_(i) =
    min_{j >= i} min(1, m p_(j) / j) (the step-up rule written as adjusted
    p-values); a hypothesis is rejected when its adjusted p-value <= q.
    """
    p = np.asarray(p, dtype=np.float64).ravel()
    family = np.asarray(family).ravel()
    adjusted = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    if not np.any(ok):
        return np.zeros(p.shape, dtype=bool), adjusted
    pv = p[ok]
    fam = family[ok]
    # Dense family ranks 0..F-1 so the offsets below stay small.
    _, fam = np.unique(fam, return_inverse=True)
    order = np.lexsort((pv, fam))
    ps = pv[order]
    fs = fam[order]
    m = np.bincount(fs)
    starts = np.concatenate(([0], np.cumsum(m)[:-1]))
    rank = np.arange(ps.size) - starts[fs] + 1
    raw = np.minimum(1.0, m[fs] * ps / rank)
    # Reverse cumulative minimum within families, done exactly on integer ranks:
    # offsetting each family's ranks by family * (number of distinct values)
    # stops a later family's values leaking into an earlier one.
    values, value_rank = np.unique(raw, return_inverse=True)
    offset = fs.astype(np.int64) * values.size
    best = np.minimum.accumulate((value_rank + offset)[::-1])[::-1] - offset
    adj_sorted = values[best]
    adj_ok = np.empty_like(adj_sorted)
    adj_ok[order] = adj_sorted
    adjusted[ok] = np.clip(adj_ok, 0.0, 1.0)
    reject = np.zeros(p.shape, dtype=bool)
    reject[ok] = adj_ok <= q
    return reject, adjusted


def benjamini_hochberg(p_values: ArrayLike, q: float = 0.05) -> MultipleTestResult:
    """Benjamini-Hochberg step-up procedure controlling the false discovery rate.

    Parameters
    ----------
    p_values : array_like
        p-values of one family of hypotheses (any shape; NaN allowed).  NaN
        p-values are excluded: they do not count in m, their adjusted value
        is NaN and they are never rejected.
    q : float, optional
        False discovery rate in (0, 1).  Default 0.05.

    Returns
    -------
    MultipleTestResult
        ``reject, adjusted`` with the shape of ``p_values``.  With the m
        non-missing p-values sorted, p_(1) <= ... <= p_(m), the largest i with
        p_(i) <= i q / m is found and hypotheses 1..i are rejected; the
        adjusted p-value is min_{j >= i} min(1, m p_(j) / j), so
        ``reject == (adjusted <= q)``.

    Notes
    -----
    Controls the FDR under independence or positive regression dependence
    (Benjamini & Yekutieli 2001), plausible for the items of one survey.

    References
    ----------
    .. [1] Benjamini Y, Hochberg Y (1995). Controlling the false discovery
       rate: a practical and powerful approach to multiple testing. JRSS-B
       57:289-300.

    Examples
    --------
    >>> from analysis.compare import benjamini_hochberg
    >>> reject, adjusted = benjamini_hochberg([0.01, 0.04, 0.03, 0.5])
    """
    qq = _check_q(q)
    p = as_float(p_values, "p_values")
    bad = (p < 0) | (p > 1)
    if np.any(bad):
        raise ValueError(f"p_values must be in [0, 1], got {first_bad(p, bad)!r}")
    reject, adjusted = _bh_grouped(p.ravel(), np.zeros(p.size, dtype=np.intp), qq)
    return MultipleTestResult(reject.reshape(p.shape), adjusted.reshape(p.shape))


_Z_MAX = 12.0  # two-sided p = 2 * Phi(-12) ~ 3.6e-33: "0" for every practical purpose
_ROOT_STEPS = 20  # Illinois steps; the bracket shrinks to < 1e-10 in z well before this


def _wilson_one_side(phat: FloatArray, n_eff: FloatArray, z: FloatArray, upper: bool) -> FloatArray:
    """One Wilson limit, the same arithmetic as ``_wilson_limits`` (half the work).

    The root search needs only the lower limit of one sample and the upper
    limit of the other, at a new z for every element on every step.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        z2m = z * z / n_eff
        denom = 1.0 + z2m
        centre = (phat + z2m / 2.0) / denom
        half = z / denom * np.sqrt(phat * (1.0 - phat) / n_eff + z2m / (4.0 * n_eff))
    if upper:
        limit = np.clip(np.maximum(centre + half, phat), 0.0, 1.0)
    else:
        limit = np.clip(np.minimum(centre - half, phat), 0.0, 1.0)
    return np.where(n_eff == 0, np.nan, limit)


def _newcombe_pvalue_from(
    p1: FloatArray, n1_eff: FloatArray, p2: FloatArray, n2_eff: FloatArray
) -> FloatArray:
    """p-value = 1 - the confidence level at which the Newcombe interval touches 0.

    The Wilson limits widen monotonically in z, so for d = p1 - p2 > 0 the lower
    limit L(z) decreases in z and L(z*) = 0 has one root; likewise for d < 0 and
    the upper limit.  Vectorised bracketing root search on z in [0, 12] (the
    Illinois variant of regula falsi, which keeps the bracket and converges
    superlinearly); p = 2 (1 - Phi(z*)).  NaN where either proportion is NaN;
    1 where d == 0.

    Each element leaves the search as soon as it has converged, so later steps
    only evaluate the few slow elements (most need well under half of the
    steps; evaluating all of them every step was most of the table's run time).
    """
    p1, n1_eff, p2, n2_eff = np.broadcast_arrays(p1, n1_eff, p2, n2_eff)
    d = p1 - p2
    p = np.full(d.shape, np.nan)
    valid = ~np.isnan(d)
    sign = np.where(d < 0, -1.0, 1.0)
    # Mirror d < 0 onto d > 0: swapping the samples turns "upper limit of
    # p1 - p2 reaches 0" into "lower limit of p2 - p1 reaches 0".
    a = np.where(sign > 0, p1, p2)[valid]
    na = np.where(sign > 0, n1_eff, n2_eff)[valid]
    b = np.where(sign > 0, p2, p1)[valid]
    nb = np.where(sign > 0, n2_eff, n1_eff)[valid]

    def lower_limit(rows: NDArray[np.intp], z: FloatArray) -> FloatArray:
        ar, br = a[rows], b[rows]
        la = _wilson_one_side(ar, na[rows], z, upper=False)
        ub = _wilson_one_side(br, nb[rows], z, upper=True)
        # Exact boundary limits, as in the interval itself.
        la = np.where(ar == 0, 0.0, la)
        ub = np.where(br == 1, 1.0, ub)
        return (ar - br) - np.sqrt((ar - la) ** 2 + (ub - br) ** 2)

    z_star = np.zeros(a.shape)
    everything = np.arange(a.size)
    f_top = lower_limit(everything, np.full(a.shape, _Z_MAX))
    # Still above 0 at z = 12: p is 0 for every practical purpose.  d == 0 gives
    # p = 1 below; neither needs a search.
    z_star[f_top > 0] = np.inf
    search = (a - b != 0) & ~(f_top > 0)
    rows = everything[search]
    lo = np.zeros(rows.size)
    hi = np.full(rows.size, _Z_MAX)
    f_lo = (a - b)[rows]
    f_hi = f_top[rows]
    side = np.zeros(rows.size)
    for step in range(_ROOT_STEPS):
        with np.errstate(divide="ignore", invalid="ignore"):
            z = hi - f_hi * (hi - lo) / (f_hi - f_lo)
        z = np.where(np.isfinite(z) & (z > lo) & (z < hi), z, 0.5 * (lo + hi))
        f = lower_limit(rows, z)
        root_left = f < 0  # sign change in [lo, z]: root is left of z
        lo_new = np.where(root_left, lo, z)
        hi_new = np.where(root_left, z, hi)
        # Illinois: halve the function value kept at the end that did not move twice.
        f_lo = np.where(root_left, np.where(side == -1, f_lo / 2.0, f_lo), f)
        f_hi = np.where(root_left, f, np.where(side == 1, f_hi / 2.0, f_hi))
        side = np.where(root_left, -1.0, 1.0)
        lo, hi = lo_new, hi_new
        on_root = np.abs(f) < 1e-13
        done = on_root | (hi - lo < 1e-10)
        if step == _ROOT_STEPS - 1:
            done[:] = True
        # An element that stops on |f| ~ 0 may still have a wide bracket, so
        # its root is z itself, not the bracket's midpoint.
        z_star[rows[done]] = np.where(on_root, z, 0.5 * (lo + hi))[done]
        keep = ~done
        if not np.any(keep):
            break
        rows, lo, hi, f_lo, f_hi, side = (x[keep] for x in (rows, lo, hi, f_lo, f_hi, side))
    p[valid] = np.where(a - b == 0, 1.0, 2.0 * special.ndtr(-z_star))
    return p


def newcombe_pvalue(
    s1: ArrayLike,
    n1: ArrayLike,
    s2: ArrayLike,
    n2: ArrayLike,
    population1: ArrayLike | None = None,
    population2: ArrayLike | None = None,
) -> float | FloatArray:
    """Two-sided p-value for p1 = p2 obtained by inverting Newcombe's hybrid score interval.

    Parameters
    ----------
    s1, n1, s2, n2 : array_like
        Successes and bases of two independent samples.
    population1, population2 : array_like, optional
        Finite populations for the Wilson-FPC limits (see
        :func:`analysis.intervals.wilson`).

    Returns
    -------
    float or ndarray
        The smallest alpha such that the (1 - alpha) Newcombe interval
        (method 10) excludes 0.  By construction the test rejects at level
        alpha exactly when the (1 - alpha) interval excludes 0, so the flag
        and the interval shown beside it never disagree.  1 when p1 == p2;
        NaN when a base is 0.

    References
    ----------
    .. [1] Newcombe RG (1998). Stat Med 17:873-890 (method 10).
    .. [2] Zou GY, Donner A (2008). Stat Med 27:1693-1702 (MOVER; FPC limits).
    """
    s1a, n1a = as_float(s1, "s1"), as_float(n1, "n1")
    s2a, n2a = as_float(s2, "s2"), as_float(n2, "n2")
    check_counts(s1a, n1a, "s1", "n1")
    check_counts(s2a, n2a, "s2", "n2")
    with np.errstate(divide="ignore", invalid="ignore"):
        p1 = np.where(n1a > 0, s1a / n1a, np.nan)
        p2 = np.where(n2a > 0, s2a / n2a, np.nan)
    p = _newcombe_pvalue_from(
        p1, _effective_n(n1a, population1), p2, _effective_n(n2a, population2)
    )
    return float(p) if p.ndim == 0 else p


def _welch_arrays(
    m1: FloatArray,
    v1: FloatArray,
    df1: FloatArray,
    m2: FloatArray,
    v2: FloatArray,
    df2: FloatArray,
    confidence: float,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Welch interval and p-value from means, variances of the means and their df.

    Satterthwaite df = (v1 + v2)^2 / (v1^2/df1 + v2^2/df2).  A side with zero
    variance (a census) contributes nothing to the df sum.  NaN when both
    variances are 0 or unknown.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        d = m1 - m2
        v = v1 + v2
        denom = np.where(v1 > 0, v1 * v1 / df1, 0.0) + np.where(v2 > 0, v2 * v2 / df2, 0.0)
        df = v * v / denom
        se = np.sqrt(v)
        half = _t_quantile(confidence, df) * se
        t = d / se
        p = 2.0 * special.stdtr(df, -np.abs(t))
    bad = ~(v > 0) | np.isnan(df)
    nan = np.full(d.shape, np.nan)
    return d, np.where(bad, nan, d - half), np.where(bad, nan, d + half), np.where(bad, nan, p)


def welch_difference(
    values1: ArrayLike,
    values2: ArrayLike,
    confidence: float = 0.95,
    population1: float | None = None,
    population2: float | None = None,
) -> WelchResult:
    """Welch t interval and test for the difference of two independent means.

    Parameters
    ----------
    values1, values2 : array_like, 1-D
        Scores of two independent samples (NaN ignored).
    confidence : float, optional
        Two-sided confidence level in (0, 1).
    population1, population2 : float, optional
        Finite populations; each side's variance of the mean is multiplied
        by (1 - n/N).

    Returns
    -------
    WelchResult
        ``difference`` (mean1 - mean2), ``low``, ``high`` and the two-sided
        ``pvalue`` from t with Welch-Satterthwaite degrees of freedom.

    References
    ----------
    .. [1] Welch BL (1947). The generalization of "Student's" problem when
       several different population variances are involved. Biometrika 34:28-35.
    .. [2] Satterthwaite FE (1946). Biometrics Bulletin 2:110-114.
    """
    conf = check_confidence(confidence)
    sides = []
    for values, pop, name in ((values1, population1, "values1"), (values2, population2, "values2")):
        x = as_float(values, name)
        if x.ndim != 1:
            raise ValueError(f"{name} must be 1-D, got shape {x.shape!r}")
        x = x[~np.isnan(x)]
        n = x.size
        if pop is not None and not float(pop) >= n:
            raise ValueError(f"population for {name} must be >= {n}, got {pop!r}")
        fpc = 1.0 if pop is None else 1.0 - n / float(pop)
        mean = float(np.mean(x)) if n else float("nan")
        var_mean = fpc * float(np.var(x, ddof=1)) / n if n > 1 else float("nan")
        sides.append((mean, var_mean, float(n - 1)))
    (m1, v1, d1), (m2, v2, d2) = sides
    d, low, high, p = _welch_arrays(
        np.asarray(m1),
        np.asarray(v1),
        np.asarray(d1),
        np.asarray(m2),
        np.asarray(v2),
        np.asarray(d2),
        conf,
    )
    return WelchResult(float(d), float(low), float(high), float(p))
