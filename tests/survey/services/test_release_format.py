"""How a release stores the engine's tables (:mod:`survey.services.release_format`): every
column comes back exactly as the engine made it, in the current format and in the format of
releases made before it."""

from __future__ import annotations

import io

import numpy as np
import pytest

from analysis import DomainReliability, RoundTable
from survey.services import release_format
from survey.services.release_format import empty, pack, unpack


def _table() -> RoundTable:
    """A table of three rows with a value of every kind a column holds (text of different
    widths, NaN, infinity, a p-value's last digits, True and False)."""
    columns: dict[str, np.ndarray] = {}
    for name, column in empty(RoundTable).to_dict().items():
        if column.dtype.kind == "U":
            columns[name] = np.array(["All stakeholders", "gp_practice", f"{name} label"])
        elif column.dtype.kind == "b":
            columns[name] = np.array([True, False, True])
        else:
            columns[name] = np.array([np.nan, np.inf, 0.1 + 0.2])
    return RoundTable(**columns)


def _assert_identical(kept: RoundTable, made: RoundTable) -> None:
    for name in made.columns():
        got, want = getattr(kept, name), getattr(made, name)
        assert got.dtype == want.dtype, name
        np.testing.assert_array_equal(got, want, err_msg=name)


def test_a_table_packed_now_reads_back_identical_and_much_smaller() -> None:
    made = _table()
    repeated = RoundTable(**{n: np.tile(c, 1000) for n, c in made.to_dict().items()})
    data = pack(repeated)
    _assert_identical(unpack(RoundTable, data, release_format.FORMAT_VERSION), repeated)
    assert len(data) < sum(c.nbytes for c in repeated.to_dict().values()) / 50


def test_a_release_stored_before_format_2_still_reads() -> None:
    made = _table()
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **made.to_dict())  # format 1: a deflated .npz archive
    _assert_identical(unpack(RoundTable, buffer.getvalue(), 1), made)


def test_an_empty_table_keeps_its_columns_types() -> None:
    reliability = unpack(DomainReliability, pack(empty(DomainReliability)), 2)
    assert len(reliability) == 0
    assert reliability.to_dict().keys() == empty(DomainReliability).to_dict().keys()


def test_a_format_this_version_cannot_read_is_an_error_naming_it() -> None:
    with pytest.raises(ValueError, match="format 3"):
        unpack(RoundTable, pack(_table()), 3)
