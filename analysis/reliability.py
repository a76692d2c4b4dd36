"""Internal consistency of a domain's items: Cronbach's alpha and Feldt's interval.

Alpha at the per-organisation bases of this survey (20-40) is very imprecise,
so it is meant for questionnaire validation on pooled national data; the
per-organisation figures of :func:`domain_reliability` are printed with their
(wide) intervals, in the methods annex only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from ._results import ColumnTable, ConfidenceInterval
from ._validation import FloatArray, as_float, check_confidence
from .disclosure import check_threshold
from .means import _sums_to_moments
from .responses import RoundResponses

__all__ = [
    "WHOLE_ROUND",
    "DomainReliability",
    "cronbach_alpha",
    "domain_reliability",
    "feldt_interval",
]

WHOLE_ROUND = "Whole round"
"""``scope`` of the :class:`DomainReliability` rows pooling every organisation."""


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


@dataclass(frozen=True)
class DomainReliability(ColumnTable):
    """Cronbach's alpha with Feldt's interval per scope (organisation or whole round) x domain.

    Rows are ordered scope (each organisation, then :data:`WHOLE_ROUND`), then
    domain.  Every number of a suppressed row is NaN.

    Attributes
    ----------
    scope, domain : ndarray of str
        Organisation label (or ``"Whole round"``) and domain label.
    n_items : ndarray of int
        Scored items k in the domain (alpha needs k >= 2).
    n : ndarray of float
        Complete cases used: responses with a scale answer to every item of
        the domain (a "don't know", a skip or routing drops the response).
    alpha, alpha_low, alpha_high : ndarray of float
        Alpha and its Feldt interval; NaN when not estimable (k < 2, n < 2 or
        no variation in the total score).
    suppressed : ndarray of bool
        True where 0 < n < threshold: nothing but the flag is shown.
    """

    scope: NDArray[np.str_]
    domain: NDArray[np.str_]
    n_items: NDArray[np.int64]
    n: FloatArray
    alpha: FloatArray
    alpha_low: FloatArray
    alpha_high: FloatArray
    suppressed: NDArray[np.bool_]

    def of(self, *scopes: str) -> DomainReliability:
        """The rows of these scopes (organisation labels or ``WHOLE_ROUND``), in table order."""
        keep = np.isin(self.scope, list(scopes))
        return DomainReliability(**{name: getattr(self, name)[keep] for name in self.columns()})


def _alpha_by_group(
    scores: FloatArray, group: NDArray[np.int64], n_groups: int
) -> tuple[FloatArray, FloatArray]:
    """(complete cases, alpha) per group code and for all groups pooled (last), one domain.

    Works from per-group sums of each item, its square, the total and its
    square (``np.add.at``), so every organisation is done in one pass.
    """
    k = float(scores.shape[1])
    complete = ~np.isnan(scores).any(axis=1)
    y, codes = scores[complete], group[complete]
    total = y.sum(axis=1)
    # one row per group, then a row pooling every group
    s1 = np.zeros((n_groups + 1, scores.shape[1]))
    s2 = np.zeros_like(s1)
    np.add.at(s1, codes, y)
    np.add.at(s2, codes, y * y)
    s1[-1], s2[-1] = s1[:-1].sum(axis=0), s2[:-1].sum(axis=0)

    def by_group(weights: FloatArray | None) -> FloatArray:
        out = np.bincount(codes, weights=weights, minlength=n_groups + 1).astype(np.float64)
        out[-1] = out[:-1].sum()
        return out

    n, t1, t2 = by_group(None), by_group(total), by_group(total * total)
    _, item_ss = _sums_to_moments(n[:, None], s1, s2)
    _, total_ss = _sums_to_moments(n, t1, t2)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = item_ss.sum(axis=1) / total_ss  # the (n - 1) of both variances cancels
        alpha = k / max(k - 1.0, 1.0) * (1.0 - ratio)
    alpha = np.where((n >= 2) & (total_ss > 0) & (k >= 2), alpha, np.nan)
    return n, alpha


def domain_reliability(
    responses: RoundResponses, *, threshold: int = 5, confidence: float = 0.95
) -> DomainReliability:
    """Cronbach's alpha and Feldt's interval of each domain, per organisation and for the round.

    Parameters
    ----------
    responses : RoundResponses
        The round's responses (the input of :func:`analysis.analyse_round`).
    threshold : int, optional
        Smallest publishable number of complete cases (default 5, floor 3).
    confidence : float, optional
        Two-sided confidence level of the Feldt interval (default 0.95).

    Returns
    -------
    DomainReliability
        One row per (each organisation, then the whole round) x domain.

    Notes
    -----
    Alpha is ``k/(k-1) * (1 - sum(s_i^2) / s_total^2)`` over the complete
    cases of the domain's k scored items (listwise deletion, as
    :func:`cronbach_alpha`; "don't know" is not on the scale, so it drops the
    response), with Feldt's interval on n - 1 and (n - 1)(k - 1) degrees of
    freedom (see :func:`feldt_interval`).  Rows with 0 < n < threshold are
    suppressed.

    References
    ----------
    .. [1] Cronbach LJ (1951). Psychometrika 16:297-334.
    .. [2] Feldt LS, Woodruff DJ, Salih FA (1987). Appl Psychol Meas 11:93-103.
    """
    k_min = check_threshold(threshold)
    g = 1.0 - check_confidence(confidence)
    n_org = len(responses.organisation_labels)
    n_dom = len(responses.domain_labels)
    counts = np.bincount(responses.item_domain, minlength=n_dom).astype(np.int64)
    n = np.zeros((n_org + 1, n_dom))
    alpha = np.full((n_org + 1, n_dom), np.nan)
    for d in range(n_dom):  # a handful of domains; organisations are vectorised
        if counts[d] > 0:
            cols = responses.scores[:, responses.item_domain == d]
            n[:, d], alpha[:, d] = _alpha_by_group(cols, responses.organisation, n_org)
    k = np.broadcast_to(counts, n.shape).astype(np.float64)
    df1 = np.maximum(n - 1.0, 1.0)
    df2 = df1 * np.maximum(k - 1.0, 1.0)
    low = 1.0 - (1.0 - alpha) * special.fdtri(df1, df2, 1.0 - g / 2.0)
    high = 1.0 - (1.0 - alpha) * special.fdtri(df1, df2, g / 2.0)
    hidden = (n > 0) & (n < k_min)

    def show(x: FloatArray) -> FloatArray:
        return np.where(hidden, np.nan, x).ravel()

    scopes = np.asarray((*responses.organisation_labels, WHOLE_ROUND), dtype=np.str_)
    return DomainReliability(
        scope=np.repeat(scopes, n_dom),
        domain=np.tile(np.asarray(responses.domain_labels, dtype=np.str_), n_org + 1),
        n_items=np.broadcast_to(counts, n.shape).ravel().copy(),
        n=show(n),
        alpha=show(alpha),
        alpha_low=show(low),
        alpha_high=show(high),
        suppressed=hidden.ravel(),
    )
