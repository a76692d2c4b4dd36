"""Confidence intervals for proportions and differences of proportions.

Every function accepts scalars or numpy arrays (broadcast together) and never
raises on an empty base: ``n == 0`` gives NaN limits.  Invalid arguments
(negative counts, successes above ``n``, a population smaller than the sample,
a confidence level outside (0, 1)) raise ``ValueError`` quoting the bad value.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from ._results import ConfidenceInterval
from ._validation import (
    FloatArray,
    as_float,
    check_confidence,
    check_counts,
    first_bad,
    scalar_or_array,
)

# mean_interval lived here before the t intervals got their own module; re-exported
# so that ``from analysis.intervals import mean_interval`` keeps working.
from .means import mean_interval

__all__ = ["clopper_pearson", "mean_interval", "newcombe_difference", "wilson"]


def _z(confidence: float) -> float:
    """Two-sided standard normal quantile, e.g. 1.959964 for 0.95 (never 1.96)."""
    return float(special.ndtri(0.5 + confidence / 2.0))


def _effective_n(n: FloatArray, population: ArrayLike | None) -> FloatArray:
    """Sample size with the finite population correction folded in.

    The null variance p(1-p)/n * (N-n)/(N-1) of a proportion sampled without
    replacement equals p(1-p)/n_eff with n_eff = n(N-1)/(N-n) (Cochran 1977,
    ch. 3).  A census (n >= N) gives n_eff = inf, i.e. zero variance.  A NaN
    population means "unknown": no correction for that element.
    """
    if population is None:
        return n
    big_n = as_float(population, "population")
    n_b, big_b = np.broadcast_arrays(n, big_n)
    bad = big_b < n_b
    if np.any(bad):
        raise ValueError(
            f"population must be >= n (the number invited cannot be below the number "
            f"answering), got population={first_bad(big_b, bad)!r} with n={first_bad(n_b, bad)!r}"
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        n_eff = n_b * (big_b - 1.0) / (big_b - n_b)
    n_eff = np.where(n_b >= big_b, np.inf, n_eff)
    return np.where(np.isnan(big_b), n_b, n_eff)


def _wilson_limits(
    phat: FloatArray, n_eff: FloatArray, z: float | FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Wilson score limits for estimate ``phat`` on an (effective) base ``n_eff``.

    Formula of Wilson (1927) as given by Newcombe (1998a), method 3:
    centre (p + z^2/2m) / (1 + z^2/m), half-width z/(1 + z^2/m) *
    sqrt(p q / m + z^2 / 4m^2).  ``n_eff = inf`` (a census) gives ``(p, p)``;
    ``n_eff == 0`` gives NaN.  The caller sets exact 0 / 1 limits at the
    boundaries.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        z2m = z * z / n_eff
        denom = 1.0 + z2m
        centre = (phat + z2m / 2.0) / denom
        half = z / denom * np.sqrt(phat * (1.0 - phat) / n_eff + z2m / (4.0 * n_eff))
        low = centre - half
        high = centre + half
    # Rounding must not push a limit across the estimate or outside [0, 1].
    low = np.clip(np.minimum(low, phat), 0.0, 1.0)
    high = np.clip(np.maximum(high, phat), 0.0, 1.0)
    empty = n_eff == 0
    return np.where(empty, np.nan, low), np.where(empty, np.nan, high)


def _wilson_arrays(
    successes: FloatArray,
    n: FloatArray,
    confidence: float,
    population: ArrayLike | None,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Validated, broadcast Wilson(-FPC) computation; returns (phat, low, high)."""
    check_counts(successes, n)
    s_b, n_b = np.broadcast_arrays(successes, n)
    n_eff = _effective_n(n_b, population)
    s_b, n_b, n_eff = np.broadcast_arrays(s_b, n_b, n_eff)
    with np.errstate(divide="ignore", invalid="ignore"):
        phat = np.where(n_b > 0, s_b / n_b, np.nan)
    low, high = _wilson_limits(phat, n_eff, _z(confidence))
    # Coded explicitly, as in scipy's binomtest: k == 0 and k == n touch 0 and 1.
    low = np.where((s_b == 0) & (n_b > 0), 0.0, low)
    high = np.where((s_b == n_b) & (n_b > 0), 1.0, high)
    return phat, low, high


def wilson(
    successes: ArrayLike,
    n: ArrayLike,
    confidence: float = 0.95,
    population: ArrayLike | None = None,
) -> ConfidenceInterval:
    """Wilson score interval for a proportion, with optional finite population correction.

    Parameters
    ----------
    successes : array_like
        Number of positive answers (0 <= successes <= n).
    n : array_like
        Base: number answering.  ``n == 0`` gives NaN limits.
    confidence : float, optional
        Two-sided confidence level in (0, 1).  Default 0.95.
    population : array_like, optional
        Size N of the finite population the n respondents were drawn from
        (here: the number invited).  When given, n is replaced by
        ``n (N - 1) / (N - n)``, which inverts the score test under sampling
        without replacement; when ``n == N`` the interval is the observed
        proportion.  NaN elements mean "unknown": no correction.

    Returns
    -------
    ConfidenceInterval
        ``low, high`` (floats for scalar input, arrays otherwise).

    Raises
    ------
    ValueError
        If ``confidence`` is not in (0, 1), a count is negative, successes
        exceed n, or the population is smaller than n.

    Notes
    -----
    The Wilson interval has near-nominal coverage at the small bases (5-60)
    seen per organisation and stakeholder group, never leaves [0, 1] and is
    the inversion of the score test, so "benchmark outside the interval" and
    "one-sample score test significant" always agree.  No continuity
    correction.

    References
    ----------
    .. [1] Wilson EB (1927). Probable inference, the law of succession, and
       statistical inference. JASA 22:209-212.
    .. [2] Newcombe RG (1998). Two-sided confidence intervals for the single
       proportion: comparison of seven methods. Stat Med 17:857-872 (method 3).
    .. [3] Cochran WG (1977). Sampling Techniques, 3rd ed., ch. 3 (finite
       population correction); O'Neill B (2021), arXiv:2109.12464.

    Examples
    --------
    >>> from analysis.intervals import wilson
    >>> low, high = wilson(81, 263)          # Newcombe (1998a), Table I
    >>> round(low, 4), round(high, 4)
    (0.2553, 0.3662)
    """
    conf = check_confidence(confidence)
    _, low, high = _wilson_arrays(
        as_float(successes, "successes"), as_float(n, "n"), conf, population
    )
    return ConfidenceInterval(scalar_or_array(low), scalar_or_array(high))


def clopper_pearson(
    successes: ArrayLike, n: ArrayLike, confidence: float = 0.95
) -> ConfidenceInterval:
    """Clopper-Pearson ("exact") interval for a proportion.

    Parameters
    ----------
    successes, n : array_like
        Counts, 0 <= successes <= n.  ``n == 0`` gives NaN.
    confidence : float, optional
        Two-sided confidence level in (0, 1).

    Returns
    -------
    ConfidenceInterval
        ``L = B^-1(a/2; x, n-x+1)`` and ``U = B^-1(1-a/2; x+1, n-x)``, with
        L = 0 at x = 0 and U = 1 at x = n.

    Notes
    -----
    Guarantees coverage >= nominal and is therefore wider than necessary on
    average; offered as the "conservative" option, not the default.

    References
    ----------
    .. [1] Clopper CJ, Pearson ES (1934). The use of confidence or fiducial
       limits illustrated in the case of the binomial. Biometrika 26:404-413.
    .. [2] Newcombe RG (1998). Stat Med 17:857-872 (method 5).
    """
    conf = check_confidence(confidence)
    s = as_float(successes, "successes")
    nn = as_float(n, "n")
    check_counts(s, nn)
    s_b, n_b = np.broadcast_arrays(s, nn)
    alpha = 1.0 - conf
    with np.errstate(divide="ignore", invalid="ignore"):
        low = special.betaincinv(s_b, n_b - s_b + 1.0, alpha / 2.0)
        high = special.betaincinv(s_b + 1.0, n_b - s_b, 1.0 - alpha / 2.0)
    low = np.where(s_b == 0, 0.0, low)
    high = np.where(s_b == n_b, 1.0, high)
    empty = n_b == 0
    low = np.where(empty, np.nan, low)
    high = np.where(empty, np.nan, high)
    return ConfidenceInterval(scalar_or_array(low), scalar_or_array(high))


def _newcombe_from_limits(
    p1: FloatArray,
    l1: FloatArray,
    u1: FloatArray,
    p2: FloatArray,
    l2: FloatArray,
    u2: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Square-and-add (MOVER) limits for p1 - p2 from each proportion's limits.

    Newcombe (1998b) method 10: L = d - sqrt((p1-l1)^2 + (u2-p2)^2),
    U = d + sqrt((u1-p1)^2 + (p2-l2)^2).  Any good single-proportion limits
    may be fed in (Zou & Donner 2008), here Wilson or Wilson-FPC.
    """
    d = p1 - p2
    low = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return np.clip(low, -1.0, 1.0), np.clip(high, -1.0, 1.0)


def newcombe_difference(
    s1: ArrayLike,
    n1: ArrayLike,
    s2: ArrayLike,
    n2: ArrayLike,
    confidence: float = 0.95,
    population1: ArrayLike | None = None,
    population2: ArrayLike | None = None,
) -> ConfidenceInterval:
    """Newcombe hybrid score interval for a difference of independent proportions.

    Parameters
    ----------
    s1, n1 : array_like
        Successes and base of the first sample (the estimate is p1 - p2).
    s2, n2 : array_like
        Successes and base of the second sample.
    confidence : float, optional
        Two-sided confidence level in (0, 1).
    population1, population2 : array_like, optional
        Finite populations (numbers invited).  When given, that side's Wilson
        limits are the Wilson-FPC limits (see :func:`wilson`); combining them
        by square-and-add is the MOVER principle of Zou & Donner (2008).

    Returns
    -------
    ConfidenceInterval
        Limits for p1 - p2 in [-1, 1]; NaN if either base is 0.

    References
    ----------
    .. [1] Newcombe RG (1998). Interval estimation for the difference between
       independent proportions: comparison of eleven methods. Stat Med
       17:873-890 (method 10).
    .. [2] Zou GY, Donner A (2008). Construction of confidence limits about
       effect measures: a general approach. Stat Med 27:1693-1702.
    .. [3] Fagerland MW, Lydersen S, Laake P (2015). Recommended confidence
       intervals for two independent binomial proportions. SMMR 24:224-254.

    Examples
    --------
    >>> from analysis.intervals import newcombe_difference
    >>> low, high = newcombe_difference(56, 70, 48, 80)   # Newcombe (1998b), Table II
    >>> round(low, 4), round(high, 4)
    (0.0524, 0.3339)
    """
    conf = check_confidence(confidence)
    p1, l1, u1 = _wilson_arrays(as_float(s1, "s1"), as_float(n1, "n1"), conf, population1)
    p2, l2, u2 = _wilson_arrays(as_float(s2, "s2"), as_float(n2, "n2"), conf, population2)
    low, high = _newcombe_from_limits(p1, l1, u1, p2, l2, u2)
    return ConfidenceInterval(scalar_or_array(low), scalar_or_array(high))
