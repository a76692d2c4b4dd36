"""Reading the anonymous microdata file as its reader would: notes first, then a CSV table."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass


@dataclass(frozen=True)
class MicrodataFile:
    """The notes (label -> value, "# " dropped), the header row and the rows of one file."""

    notes: dict[str, str]
    header: list[str]
    rows: list[dict[str, str]]


def read_microdata(data: bytes | str) -> MicrodataFile:
    """Split a microdata file into its notes (lines starting with "#") and its table; the
    byte order mark Excel needs is dropped, whether the file was read as bytes or text."""
    text = (data.decode("utf-8") if isinstance(data, bytes) else data).removeprefix("\ufeff")
    lines = list(io.StringIO(text))
    notes = {
        row[0].removeprefix("# "): row[1]
        for row in csv.reader(line for line in lines if line.startswith("#"))
    }
    table = [line for line in lines if not line.startswith("#")]
    header = next(csv.reader(table))
    return MicrodataFile(notes, header, list(csv.DictReader(table)))
