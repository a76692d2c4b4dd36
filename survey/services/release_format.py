"""How a results release stores the engine's tables (``ResultsRelease.table`` and ``reliability``).

Format 2 (``FORMAT_VERSION``): one Zstandard frame (level 1) holding NumPy ``.npy`` arrays end
to end, no pickles: first the table's column names, then each column in that order. A national
round's table is about 100 MB of columns, more than half of it fixed-width text that repeats
on every row; Zstandard packs it to about 4 MB in a fifth of the time zlib's fastest level took
(format 1: 0.35 s of a release's 0.7 s at 8,400 responses, the same at any size), and with no
zip container there is no CRC to compute over the 100 MB.

Format 1: a NumPy ``.npz`` archive, each column deflated at zlib level 1. Releases made before
format 2 keep it (``ResultsRelease.format_version`` says which) and read as they always did.
"""

from __future__ import annotations

import io
from typing import IO, Any, TypeVar, get_args, get_type_hints

import numpy as np
import zstandard

from analysis import DomainReliability, RoundTable

FORMAT_VERSION = 2
#: the formats :func:`unpack` reads
READABLE = (1, 2)
#: Zstandard's level: 1 packs a national round's table to ~4 MB, level 3 to ~3.6 MB in 1.5x
#: the time
LEVEL = 1

#: the engine's result tables a release stores
Table = TypeVar("Table", RoundTable, DomainReliability)


def pack(table: RoundTable | DomainReliability) -> bytes:
    """The table in the current format (:data:`FORMAT_VERSION`)."""
    buffer = io.BytesIO()
    with zstandard.ZstdCompressor(level=LEVEL).stream_writer(buffer, closefd=False) as frame:
        _write(frame, np.array(table.columns()))
        for name in table.columns():
            _write(frame, getattr(table, name))
    return buffer.getvalue()


def _write(stream: Any, column: np.ndarray[Any, Any]) -> None:
    np.lib.format.write_array(stream, column, allow_pickle=False)


def _read(stream: IO[bytes]) -> np.ndarray[Any, Any]:
    return np.lib.format.read_array(stream, allow_pickle=False)


def unpack(kind: type[Table], data: bytes, version: int) -> Table:
    """The table stored as ``data`` in format ``version``."""
    if version == 1:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            return kind(**{name: archive[name] for name in archive.files})
    if version != 2:
        raise ValueError(f"a release's tables in format {version!r}: this version reads {READABLE}")
    with zstandard.ZstdDecompressor().stream_reader(data) as frame:
        names = _read(frame).tolist()
        return kind(**{name: _read(frame) for name in names})


def empty(kind: type[Table]) -> Table:
    """A table of ``kind`` with no rows, each column of its declared type."""
    hints = get_type_hints(kind)
    return kind(**{name: np.array([], dtype=_dtype(hints[name])) for name in kind.columns()})


def _dtype(hint: Any) -> Any:
    """The scalar type of an ``NDArray[...]`` annotation, e.g. ``numpy.float64``."""
    _shape, dtype = get_args(hint)
    return get_args(dtype)[0]
