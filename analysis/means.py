"""Student t confidence intervals for mean scores, with optional finite population correction.

Like :mod:`analysis.intervals`, never raises on an empty base: no values give
NaN.  The grouped helpers work from sums of x and x^2, so the round analysis
can compute every cell's interval at once.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from ._results import MeanInterval
from ._validation import FloatArray, as_float, check_confidence

__all__ = ["mean_interval"]


def _t_quantile(confidence: float, df: FloatArray) -> FloatArray:
    """Two-sided Student t quantile; NaN where df < 1.

    Degrees of freedom repeat a lot (n - 1 over many cells), so the quantile
    is evaluated once per distinct value.
    """
    df = np.asarray(df, dtype=np.float64)
    good = df >= 1
    out = np.full(df.shape, np.nan)
    if np.any(good):
        uniq, inverse = np.unique(df[good], return_inverse=True)
        out[good] = special.stdtrit(uniq, 0.5 + confidence / 2.0)[inverse]
    return out


def _sums_to_moments(
    n: FloatArray, total: FloatArray, total_sq: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """(mean, sum of squared deviations) from grouped sums of x and x^2.

    Sums of squares are differences of large numbers, so round-off below a
    relative 1e-11 is treated as exactly 0 (no variation).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(n > 0, total / n, np.nan)
        ss = total_sq - total * mean
    ss = np.where(ss <= 1e-11 * np.maximum(np.abs(total_sq), 1.0), 0.0, ss)
    return mean, ss


def _mean_interval_from_moments(
    n: FloatArray,
    mean: FloatArray,
    ss: FloatArray,
    population: FloatArray | None,
    confidence: float,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Vectorised t interval from n, the mean and the sum of squared deviations.

    Returns (low, high, variance of the mean).  The variance of the mean is
    (1 - n/N) s^2 / n (Cochran 1977, eq. 2.12; Lohr ch. 2), with df = n - 1.
    Bounds are NaN when n < 2, or when s = 0 outside a census ("no variation,
    interval not estimable"); a census gives (mean, mean).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        var = np.where(n > 1, ss / (n - 1.0), np.nan)
        if population is None:
            fpc = np.ones_like(n)
        else:
            fpc = np.clip(1.0 - n / population, 0.0, 1.0)
            fpc = np.where(np.isnan(fpc), 1.0, fpc)
        var_mean = fpc * var / n
        half = _t_quantile(confidence, n - 1.0) * np.sqrt(var_mean)
    census = (fpc == 0.0) & (n > 1)
    half = np.where(census, 0.0, half)
    half = np.where((var > 0) | census, half, np.nan)
    var_mean = np.where(census, 0.0, var_mean)
    return mean - half, mean + half, var_mean


def mean_interval(
    values: ArrayLike,
    confidence: float = 0.95,
    population: float | None = None,
) -> MeanInterval:
    """Student t interval for a mean score, with optional finite population correction.

    Parameters
    ----------
    values : array_like, 1-D
        One score per respondent (item score or respondent domain score).
        NaN values (missing, "don't know") are ignored.
    confidence : float, optional
        Two-sided confidence level in (0, 1).
    population : float, optional
        Population size N (number invited).  The standard error is multiplied
        by sqrt(1 - n/N); at n == N the interval is the mean itself.

    Returns
    -------
    MeanInterval
        ``mean, low, high`` (and ``n``).  The limits are
        ``mean +/- t(1 - a/2; n - 1) sqrt(1 - n/N) s / sqrt(n)``.  With no
        values everything is NaN; with one value, or with no variation
        (s = 0) outside a census, the limits are NaN because the interval is
        not estimable (a zero-width interval would be spurious).

    References
    ----------
    .. [1] Cochran WG (1977). Sampling Techniques, 3rd ed., sections 2.4-2.6.
    .. [2] Lohr SL (2019). Sampling: Design and Analysis, 2nd ed., ch. 2
       (Example 2.6, the agsrs farm acreage interval).

    Examples
    --------
    >>> from analysis.means import mean_interval
    >>> m, low, high = mean_interval([4, 5, 3, 4, 4, 2], population=8)
    """
    conf = check_confidence(confidence)
    x = as_float(values, "values")
    if x.ndim != 1:
        raise ValueError(f"values must be 1-D, got shape {x.shape!r}")
    x = x[~np.isnan(x)]
    n = float(x.size)
    pop: FloatArray | None = None
    if population is not None:
        big_n = float(population)
        if not big_n >= n:
            raise ValueError(
                f"population must be >= the number of values ({int(n)}), got {population!r}"
            )
        pop = np.asarray(big_n)
    centre = float(np.mean(x)) if n > 0 else float("nan")
    ss = float(np.sum((x - centre) ** 2)) if n > 0 else float("nan")
    low, high, _ = _mean_interval_from_moments(
        np.asarray(n), np.asarray(centre), np.asarray(ss), pop, conf
    )
    return MeanInterval(centre, float(low), float(high), int(n))
