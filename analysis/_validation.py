"""Argument checks shared by the analysis modules (private)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]


def check_open_unit(value: float, name: str) -> float:
    """Return ``value`` as a float, raising (naming ``name``) if it is not in (0, 1)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be in (0, 1), got {value!r}") from None
    if not 0.0 < number < 1.0:
        raise ValueError(f"{name} must be in (0, 1), got {value!r}")
    return number


def check_confidence(confidence: float) -> float:
    """Return ``confidence`` as a float, raising if it is not in (0, 1)."""
    return check_open_unit(confidence, "confidence")


def as_float(values: ArrayLike, name: str) -> FloatArray:
    """Convert to a float64 array, naming the argument if that is impossible."""
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numeric, got {values!r}") from None


def first_bad(values: NDArray[Any], bad: NDArray[np.bool_]) -> object:
    """The first offending element, for quoting in an error message."""
    return np.asarray(values)[bad].flat[0].item()


def check_counts(
    successes: FloatArray, n: FloatArray, s_name: str = "successes", n_name: str = "n"
) -> None:
    """Raise unless 0 <= successes <= n with n >= 0 (NaN passes through)."""
    bad_n = n < 0
    if np.any(bad_n):
        raise ValueError(f"{n_name} must be >= 0, got {first_bad(n, bad_n)!r}")
    s_b, n_b = np.broadcast_arrays(successes, n)
    bad_s = (s_b < 0) | (s_b > n_b)
    if np.any(bad_s):
        raise ValueError(
            f"{s_name} must be between 0 and {n_name}, got {s_name}="
            f"{first_bad(s_b, bad_s)!r} with {n_name}={first_bad(n_b, bad_s)!r}"
        )


def scalar_or_array(x: FloatArray) -> float | FloatArray:
    """Return a Python float for 0-d results, the array otherwise."""
    if x.ndim == 0:
        return float(x)
    return x
