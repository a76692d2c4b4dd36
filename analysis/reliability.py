"""Internal consistency of a domain's items: Cronbach's alpha and Feldt's interval.

Alpha at the per-organisation bases of this survey (20-40) is very imprecise,
so it is meant for questionnaire validation on pooled national data, not as a
per-organisation output.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from ._results import ConfidenceInterval
from ._validation import as_float, check_confidence

__all__ = ["cronbach_alpha", "feldt_interval"]


def cronbach_alpha(responses: ArrayLike) -> float:
    """Cronbach's coefficient alpha of a respondent x item matrix.

    Parameters
    ----------
    responses : array_like, shape (n_respondents, n_items)
        Item scores.  NaN marks a missing answer or "don't know".

    Returns
    -------
    float
        ``k/(k-1) * (1 - sum(s_i^2) / s_total^2)`` with sample variances
        (ddof = 1), computed on complete cases only (listwise deletion: a
        respondent with any NaN in these items is dropped).  Pairwise deletion
        is avoided because at small n it gives covariance matrices that are
        not positive semi-definite.  NaN when fewer than two complete cases
        remain or the total score has no variance.  Alpha can be negative.

    Raises
    ------
    ValueError
        If ``responses`` is not 2-D or has fewer than two items.

    References
    ----------
    .. [1] Cronbach LJ (1951). Coefficient alpha and the internal structure of
       tests. Psychometrika 16:297-334.
    .. [2] Feldt LS, Woodruff DJ, Salih FA (1987). Statistical inference for
       coefficient alpha. Appl Psychol Meas 11:93-103.
    """
    x = as_float(responses, "responses")
    if x.ndim != 2:
        raise ValueError(f"responses must be 2-D (respondents x items), got shape {x.shape!r}")
    k = x.shape[1]
    if k < 2:
        raise ValueError(f"alpha needs at least 2 items, got {k!r}")
    complete = x[~np.isnan(x).any(axis=1)]
    if complete.shape[0] < 2:
        return float("nan")
    item_var = complete.var(axis=0, ddof=1).sum()
    total_var = complete.sum(axis=1).var(ddof=1)
    if total_var <= 0:
        return float("nan")
    return float(k / (k - 1.0) * (1.0 - item_var / total_var))


def feldt_interval(
    alpha: float, n_respondents: int, n_items: int, confidence: float = 0.95
) -> ConfidenceInterval:
    """Feldt's F-based confidence interval for Cronbach's alpha.

    Parameters
    ----------
    alpha : float
        Estimated alpha (< 1).
    n_respondents : int
        Number of respondents n used for the estimate (>= 2).
    n_items : int
        Number of items k (>= 2).
    confidence : float, optional
        Two-sided confidence level in (0, 1).

    Returns
    -------
    ConfidenceInterval
        ``[1 - (1 - a) F(1 - g/2; n-1, (n-1)(k-1)), 1 - (1 - a) F(g/2; n-1, (n-1)(k-1))]``
        where g = 1 - confidence.  NaN if alpha is NaN.

    Notes
    -----
    Assumes compound symmetry and normal errors; for Likert items it is an
    approximation (Bonett 2002 and ADF intervals are alternatives).

    References
    ----------
    .. [1] Feldt LS (1965). The approximate sampling distribution of
       Kuder-Richardson reliability coefficient twenty. Psychometrika 30:357-370.
    .. [2] Feldt LS, Woodruff DJ, Salih FA (1987). Appl Psychol Meas 11:93-103.
    """
    conf = check_confidence(confidence)
    if int(n_respondents) != n_respondents or n_respondents < 2:
        raise ValueError(f"n_respondents must be an integer >= 2, got {n_respondents!r}")
    if int(n_items) != n_items or n_items < 2:
        raise ValueError(f"n_items must be an integer >= 2, got {n_items!r}")
    a = float(alpha)
    if np.isnan(a):
        return ConfidenceInterval(float("nan"), float("nan"))
    if a >= 1.0:
        raise ValueError(f"alpha must be < 1, got {alpha!r}")
    df1 = float(n_respondents - 1)
    df2 = df1 * (n_items - 1)
    g = 1.0 - conf
    f_upper = float(special.fdtri(df1, df2, 1.0 - g / 2.0))
    f_lower = float(special.fdtri(df1, df2, g / 2.0))
    return ConfidenceInterval(1.0 - (1.0 - a) * f_upper, 1.0 - (1.0 - a) * f_lower)
