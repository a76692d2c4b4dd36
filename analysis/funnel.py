"""Funnel plots for comparing organisations: control limits, z-scores and overdispersion.

The statistic plotted is a proportion (one item's % positive, or a domain score: the mean of
respondents' shares of positive answers).  Every organisation's precision is summarised by the
*effective base* ``m`` of its own interval, the quantity :func:`analysis.analyse_round` already
computes (``RoundTable.positive_n_eff``):

* items: ``m = n (N - 1) / (N - n)``, the base with the finite population correction folded in
  (N = stakeholders invited to the item);
* domains: the Korn & Graubard (1998) effective size ``n* = min(n, p q / var)`` of the
  design-based variance ``var = s^2 / n`` of respondents' shares (each respondent a cluster),
  with the same correction;
* a census (everyone invited answered): ``m = inf``, no sampling error.

Under the null hypothesis that an organisation's true value is the target ``theta0`` the
variance of its estimate is ``theta0 (1 - theta0) / m``, so the control limits at ``m`` are
``theta0 -/+ z sqrt(theta0 (1 - theta0) / m)``.  These are the score (Wilson) limits: a point lies
outside them exactly when its own Wilson(-FPC) interval, the one shown on its results page,
excludes ``theta0``.

Overdispersion follows Spiegelhalter (2005a; 2005b): the multiplicative model
``var = phi theta0 (1 - theta0) / m``, ``phi`` estimated from the z-scores Winsorised at their
10th and 90th percentiles, tested by ``I phi`` against chi-squared on ``I`` degrees of freedom
(its mean is 1 and its standard deviation sqrt(2 / I) under the null), and the limits multiplied by
``sqrt(phi)`` when the test rejects.

References
----------
.. [1] Spiegelhalter DJ (2005a). Funnel plots for comparing institutional performance.
   Stat Med 24:1185-1202.
.. [2] Spiegelhalter DJ (2005b). Handling over-dispersion of performance indicators. Qual Saf
   Health Care 14:347-351.
.. [3] Korn EL, Graubard BI (1998). Confidence intervals for proportions with small expected
   number of positive counts estimated from survey data. Survey Methodology 24:193-201.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from ._results import ConfidenceInterval
from ._validation import (
    FloatArray,
    as_float,
    check_confidence,
    check_open_unit,
    first_bad,
    scalar_or_array,
)
from .intervals import _z

__all__ = [
    "FUNNEL_CONFIDENCES",
    "FunnelComparison",
    "Overdispersion",
    "funnel_compare",
    "funnel_limits",
    "funnel_z_scores",
    "overdispersion",
]

#: the funnel's two pairs of control limits: about 2 and 3 standard errors
FUNNEL_CONFIDENCES = (0.95, 0.998)

StrArray = NDArray[np.str_]


def _check_target(target: float) -> float:
    return check_open_unit(target, "target")


def _check_effective_base(n_effective: ArrayLike) -> FloatArray:
    m = as_float(n_effective, "n_effective")
    bad = m < 0
    if np.any(bad):
        raise ValueError(f"n_effective must be >= 0, got {first_bad(m, bad)!r}")
    return m


def funnel_limits(
    target: float, n_effective: ArrayLike, confidence: float = 0.95, phi: float = 1.0
) -> ConfidenceInterval:
    """Control limits of a proportion's funnel plot at effective base ``n_effective``.

    Parameters
    ----------
    target : float
        The value the organisations are compared with (the national proportion), in (0, 1).
    n_effective : array_like
        Effective base m of each point or of each position on the x-axis; ``inf`` for a census
        (limits equal to the target), 0 or NaN for no data (NaN limits).
    confidence : float, optional
        Two-sided level of the limits, e.g. 0.95 or 0.998.
    phi : float, optional
        Multiplicative overdispersion factor (>= 1); the half-width is multiplied by sqrt(phi).

    Returns
    -------
    ConfidenceInterval
        ``target -/+ z sqrt(phi target (1 - target) / m)``, clipped to [0, 1].

    References
    ----------
    Spiegelhalter (2005a) (limits from the null distribution of the indicator at each
    precision); Spiegelhalter (2005b) (inflation by sqrt(phi)).

    Examples
    --------
    >>> from analysis.funnel import funnel_limits
    >>> low, high = funnel_limits(0.7, 30.0)   # 0.7 -/+ 1.959964 sqrt(0.21 / 30)
    >>> round(low, 4), round(high, 4)
    (0.536, 0.864)
    """
    theta = _check_target(target)
    conf = check_confidence(confidence)
    if not (math.isfinite(phi) and phi >= 1.0):
        raise ValueError(f"phi must be a finite number >= 1, got {phi!r}")
    m = _check_effective_base(n_effective)
    with np.errstate(divide="ignore", invalid="ignore"):
        half = _z(conf) * np.sqrt(phi * theta * (1.0 - theta) / m)
    half = np.where(m > 0, half, np.nan)
    low = np.clip(theta - half, 0.0, 1.0)
    high = np.clip(theta + half, 0.0, 1.0)
    return ConfidenceInterval(scalar_or_array(low), scalar_or_array(high))


def funnel_z_scores(positive: ArrayLike, n_effective: ArrayLike, target: float) -> FloatArray:
    """Standardised differences ``(p - target) / sqrt(target (1 - target) / m)``.

    A census (``m = inf``) has no sampling error: its z-score is +/-inf if it differs from the
    target and 0 if it equals it.  No data (NaN, or ``m == 0``) gives NaN.

    References
    ----------
    Spiegelhalter (2005a) (z-scores for the overdispersion estimate).
    """
    theta = _check_target(target)
    p = as_float(positive, "positive")
    m = _check_effective_base(n_effective)
    p_b, m_b = np.broadcast_arrays(p, m)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (p_b - theta) * np.sqrt(m_b / (theta * (1.0 - theta)))
    z = np.where(np.isinf(m_b) & (p_b == theta), 0.0, z)
    return np.where(m_b > 0, z, np.nan)


@dataclass(frozen=True)
class Overdispersion:
    """Spiegelhalter's (2005) multiplicative overdispersion check.

    Attributes
    ----------
    phi : float
        ``(1 / I) sum(z_w^2)`` over the Winsorised z-scores (NaN when ``count`` is 0).
    count : int
        I, the organisations with a finite z-score (a census has none).
    statistic : float
        ``I phi``, chi-squared on I degrees of freedom when there is no overdispersion.
    p_value : float
        Upper tail probability of ``statistic``.
    inflated : bool
        True when the test rejects at ``alpha``: the limits are multiplied by ``factor``.
    alpha : float
        The test's level.
    """

    phi: float
    count: int
    statistic: float
    p_value: float
    inflated: bool
    alpha: float

    @property
    def factor(self) -> float:
        """sqrt(phi) when the limits are inflated, else 1."""
        return math.sqrt(self.phi) if self.inflated else 1.0


def overdispersion(z: ArrayLike, trim: float = 0.10, alpha: float = 0.05) -> Overdispersion:
    """Estimate and test multiplicative overdispersion from the organisations' z-scores.

    Parameters
    ----------
    z : array_like
        z-scores (see :func:`funnel_z_scores`); NaN and infinite ones are left out.
    trim : float, optional
        Winsorising fraction at each end: z-scores below the ``trim`` quantile are set to it,
        those above the ``1 - trim`` quantile to that (default 10%, as Spiegelhalter 2005b).
    alpha : float, optional
        Level of the chi-squared test of ``I phi`` on I degrees of freedom (default 0.05).

    Returns
    -------
    Overdispersion
        ``phi``, the test, and whether the limits are to be inflated by sqrt(phi).  Fewer than
        two z-scores give ``phi = nan`` and no inflation.

    Notes
    -----
    The method of Spiegelhalter (2005a; 2005b): phi-hat = (1/I) sum z_i^2 with the z_i
    Winsorised so that a few true outliers do not widen everyone's limits; under the null and
    without Winsorising, I phi-hat is chi-squared on I degrees of freedom (phi-hat has mean 1
    and SD sqrt(2 / I)).  Winsorising lowers phi-hat (to about 0.68 phi for normal z-scores),
    so the test is conservative: the limits are widened only when the spread is clear.  The
    formal chi-squared test is used rather than a rule of thumb on phi-hat.  The quantiles are
    numpy's default (linear) sample quantiles.  A phi-hat below 1 never narrows the limits.

    References
    ----------
    .. [1] Spiegelhalter DJ (2005a). Funnel plots for comparing institutional performance.
       Stat Med 24:1185-1202.
    .. [2] Spiegelhalter DJ (2005b). Qual Saf Health Care 14:347-351.
    """
    if not 0.0 <= trim < 0.5:
        raise ValueError(f"trim must be in [0, 0.5), got {trim!r}")
    level = check_open_unit(alpha, "alpha")
    values = as_float(z, "z").ravel()
    values = values[np.isfinite(values)]
    count = int(values.size)
    if count < 2:
        return Overdispersion(math.nan, count, math.nan, math.nan, False, level)
    low, high = np.quantile(values, [trim, 1.0 - trim])
    winsorised = np.clip(values, low, high)
    phi = float(np.mean(winsorised**2))
    statistic = count * phi
    p_value = float(stats.chi2.sf(statistic, count))
    return Overdispersion(phi, count, statistic, p_value, bool(p_value < level and phi > 1), level)


@dataclass(frozen=True)
class FunnelComparison:
    """Organisations placed on a funnel plot; arrays with one element per organisation.

    Attributes
    ----------
    target : float
        The centre line.
    z : ndarray of float
        z-scores (:func:`funnel_z_scores`), before any inflation.
    low_95, high_95, low_998, high_998 : ndarray of float
        Each organisation's 95% and 99.8% limits at its own effective base, inflated by
        ``overdispersion.factor``.
    position : ndarray of str
        "above 99.8%", "above 95%", "within", "below 95%", "below 99.8%", or "" (no data).
    overdispersion : Overdispersion
        The check, and whether the limits above were inflated.
    """

    target: float
    z: FloatArray
    low_95: FloatArray
    high_95: FloatArray
    low_998: FloatArray
    high_998: FloatArray
    position: StrArray
    overdispersion: Overdispersion


def funnel_compare(
    positive: ArrayLike, n_effective: ArrayLike, target: float, *, trim: float = 0.10
) -> FunnelComparison:
    """Each organisation's limits and position, after Spiegelhalter's overdispersion check.

    Parameters
    ----------
    positive : array_like
        Each organisation's proportion (NaN: suppressed or no data, left out of everything).
    n_effective : array_like
        Each organisation's effective base (``RoundTable.positive_n_eff``).
    target : float
        The national proportion, in (0, 1).
    trim : float, optional
        Winsorising fraction of :func:`overdispersion`.

    Returns
    -------
    FunnelComparison

    References
    ----------
    Spiegelhalter (2005a, 2005b); see the module docstring.
    """
    p = as_float(positive, "positive")
    m = _check_effective_base(n_effective)
    p, m = np.broadcast_arrays(p, m)
    z = funnel_z_scores(p, m, target)
    check = overdispersion(z, trim=trim)
    phi = check.phi if check.inflated else 1.0
    limits = [funnel_limits(target, m, c, phi) for c in FUNNEL_CONFIDENCES]
    (low_95, high_95), (low_998, high_998) = (
        (np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)) for lo, hi in limits
    )
    position = np.full(p.shape, "within", dtype="<U11")
    position = np.where(p < low_95, "below 95%", position)
    position = np.where(p > high_95, "above 95%", position)
    position = np.where(p < low_998, "below 99.8%", position)
    position = np.where(p > high_998, "above 99.8%", position)
    position = np.where(np.isnan(z), "", position)
    return FunnelComparison(
        float(target), z, low_95, high_95, low_998, high_998, position.astype(np.str_), check
    )
