"""Estimates, intervals and comparisons from a cell's sufficient statistics (private).

Used by :func:`analysis.analyse_round` for the current round, the benchmark
pool and the previous round alike, and by :func:`analysis.analyse_local_questions`,
so all of them use the same definitions.  Works on arrays of any shape.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from ._validation import FloatArray
from .compare import _newcombe_pvalue_from, _welch_arrays
from .intervals import _newcombe_from_limits, _wilson_limits, _z
from .means import _mean_interval_from_moments, _sums_to_moments

BoolArray = NDArray[np.bool_]


class _Estimates(NamedTuple):
    """Estimates of every cell, each with the shape of the sufficient statistics."""

    prop: FloatArray
    low: FloatArray
    high: FloatArray
    n_eff: FloatArray
    negative: FloatArray
    mean: FloatArray
    mean_low: FloatArray
    mean_high: FloatArray
    var_mean: FloatArray


def _estimates(
    n: FloatArray,
    pos: FloatArray,
    pos_sq: FloatArray,
    neg: FloatArray,
    total: FloatArray,
    total_sq: FloatArray,
    population: FloatArray,
    is_domain: BoolArray,
    confidence: float,
) -> _Estimates:
    """Point estimates and intervals from additive sufficient statistics (any shape).

    Items: Wilson(-FPC) on n.  Domains: the proportion is the mean of
    respondents' positive shares; its interval is Wilson on the Korn &
    Graubard (1998) effective sample size n* = min(n, p q / var), var =
    s^2/n of the shares (each respondent is a cluster), with the FPC applied
    as for items.  Means: t interval over respondents, df = n - 1, FPC.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        prop = np.where(n > 0, pos / n, np.nan)
        negative = np.where(n > 0, neg / n, np.nan)
        _, ss_share = _sums_to_moments(n, pos, pos_sq)
        var_srs = ss_share / (n - 1.0) / n
        kg = np.where(var_srs > 0, prop * (1.0 - prop) / var_srs, n)
        n_star = np.where(is_domain & (n > 1), np.minimum(n, kg), n)
        n_eff = n_star * (population - 1.0) / (population - n)
        n_eff = np.where(n >= population, np.inf, n_eff)
        n_eff = np.where(np.isnan(population), n_star, n_eff)
    low, high = _wilson_limits(prop, n_eff, _z(confidence))
    low = np.where(prop == 0, 0.0, low)
    high = np.where(prop == 1, 1.0, high)
    mean, ss = _sums_to_moments(n, total, total_sq)
    mean_low, mean_high, var_mean = _mean_interval_from_moments(n, mean, ss, population, confidence)
    return _Estimates(prop, low, high, n_eff, negative, mean, mean_low, mean_high, var_mean)


class _Comparison(NamedTuple):
    """a - b per cell: % positive difference with interval and p, and the same for means."""

    diff: FloatArray
    low: FloatArray
    high: FloatArray
    p: FloatArray
    mean_diff: FloatArray
    mean_low: FloatArray
    mean_high: FloatArray
    mean_p: FloatArray


def _compare(
    a: _Estimates,
    n_a: FloatArray,
    b: _Estimates,
    n_b: FloatArray,
    ok: BoolArray,
    confidence: float,
) -> _Comparison:
    """a - b for rows where ``ok``: Newcombe (MOVER) interval + inverted p; Welch for means."""
    nan = np.full(ok.shape, np.nan)
    idx = np.flatnonzero(ok.ravel())

    def take(x: FloatArray) -> FloatArray:
        return x.ravel()[idx]

    def put(values: FloatArray) -> FloatArray:
        out = nan.copy().ravel()
        out[idx] = values
        return out.reshape(ok.shape)

    low, high = _newcombe_from_limits(
        take(a.prop), take(a.low), take(a.high), take(b.prop), take(b.low), take(b.high)
    )
    p = _newcombe_pvalue_from(take(a.prop), take(a.n_eff), take(b.prop), take(b.n_eff))
    md, mlo, mhi, mp = _welch_arrays(
        take(a.mean),
        take(a.var_mean),
        take(n_a) - 1.0,
        take(b.mean),
        take(b.var_mean),
        take(n_b) - 1.0,
        confidence,
    )
    return _Comparison(
        put(take(a.prop) - take(b.prop)),
        put(low),
        put(high),
        put(p),
        put(md),
        put(mlo),
        put(mhi),
        put(mp),
    )
