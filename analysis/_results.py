"""Small frozen result objects returned by the public functions (private module)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

Number = float | NDArray[np.float64]


class ColumnTable:
    """Base of the result tables: a frozen dataclass of equal-length numpy columns.

    The columns are made read-only on creation, so nobody can "unsuppress" a
    cell downstream by accident.
    """

    # Declared for the type checker; @dataclass on the subclass sets it.
    __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]

    def __post_init__(self) -> None:
        length = None
        for f in dataclasses.fields(self):
            arr = getattr(self, f.name)
            if length is None:
                length = len(arr)
            elif len(arr) != length:
                raise ValueError(f"column {f.name!r} has length {len(arr)}, expected {length}")
            arr.flags.writeable = False

    @classmethod
    def columns(cls) -> tuple[str, ...]:
        """Column names, in order."""
        return tuple(f.name for f in dataclasses.fields(cls))

    def __len__(self) -> int:
        return len(getattr(self, self.columns()[0]))

    def to_dict(self) -> dict[str, NDArray[Any]]:
        """Columns as a dict of arrays (e.g. for ``pandas.DataFrame(table.to_dict())``)."""
        return {name: getattr(self, name) for name in self.columns()}

    def rows(self) -> Iterator[dict[str, object]]:
        """Iterate rows as dicts of Python scalars (NaN stays ``float('nan')``)."""
        cols = [(name, getattr(self, name).tolist()) for name in self.columns()]
        for i in range(len(self)):
            yield {name: values[i] for name, values in cols}


@dataclass(frozen=True)
class ConfidenceInterval:
    """A two-sided confidence interval; unpacks as ``low, high``.

    Attributes
    ----------
    low, high : float or ndarray
        Limits. NaN where no estimate exists (for example ``n == 0``).
    """

    low: Number
    high: Number

    def __iter__(self) -> Iterator[Number]:
        yield self.low
        yield self.high


@dataclass(frozen=True)
class MeanInterval:
    """A mean with its confidence interval; unpacks as ``mean, low, high``.

    Attributes
    ----------
    mean : float
        The sample mean (NaN when there are no values).
    low, high : float
        Limits (NaN when not estimable: fewer than two values, or no
        variation outside a census).
    n : int
        Number of non-missing values used.
    """

    mean: float
    low: float
    high: float
    n: int

    def __iter__(self) -> Iterator[float]:
        yield self.mean
        yield self.low
        yield self.high


@dataclass(frozen=True)
class MultipleTestResult:
    """Benjamini-Hochberg decision; unpacks as ``reject, adjusted``.

    Attributes
    ----------
    reject : ndarray of bool
        True where the hypothesis is rejected at the false discovery rate q.
    adjusted : ndarray of float
        BH-adjusted p-values (NaN where the input p-value was NaN).
    """

    reject: NDArray[np.bool_]
    adjusted: NDArray[np.float64]

    def __iter__(self) -> Iterator[NDArray[np.bool_] | NDArray[np.float64]]:
        yield self.reject
        yield self.adjusted


@dataclass(frozen=True)
class WelchResult:
    """Difference of two means with its interval; unpacks as ``difference, low, high, pvalue``.

    Attributes
    ----------
    difference : float
        mean1 - mean2.
    low, high : float
        Welch t interval limits (NaN when not estimable).
    pvalue : float
        Two-sided p-value of the Welch t test.
    """

    difference: float
    low: float
    high: float
    pvalue: float

    def __iter__(self) -> Iterator[float]:
        yield self.difference
        yield self.low
        yield self.high
        yield self.pvalue
