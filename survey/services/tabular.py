"""Reading uploaded tables (CSV or XLSX as Excel writes them) into numbered rows."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from survey.services.errors import InputError


@dataclass(frozen=True)
class Row:
    #: the row number a spreadsheet user sees (the header is row 1)
    number: int
    values: dict[str, str]


@dataclass(frozen=True)
class Problem:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row else "file"
        return (
            f"{where}, column '{self.column}': {self.message}"
            if self.column
            else f"{where}: {self.message}"
        )


def normalise_header(name: str) -> str:
    """'  Email Address ' -> 'email_address'."""
    return "_".join(name.replace("\ufeff", "").strip().lower().replace("-", " ").split())


def _rows_from_cells(header: list[str], records: Iterable[tuple[int, list[str]]]) -> list[Row]:
    names = [normalise_header(cell) for cell in header]
    rows = []
    for number, cells in records:
        if not any(cell.strip() for cell in cells):
            continue  # Excel leaves blank rows at the end
        padded = cells + [""] * (len(names) - len(cells))
        # cells beyond the header's columns (notes typed to the right) are ignored
        values = zip(names, padded, strict=False)
        rows.append(Row(number, {name: cell.strip() for name, cell in values if name}))
    return rows


def _read_csv(data: bytes, source: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="strict") if _is_cp1252(data) else ""
        if not text:
            raise InputError(f"{source}: not a UTF-8 or Windows-1252 text file") from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        lines = list(reader)
    except csv.Error as error:
        raise InputError(f"{source}: not a readable CSV file ({error})") from None
    if not lines:
        raise InputError(f"{source}: the file is empty")
    return lines[0], [(index + 2, line) for index, line in enumerate(lines[1:])]


def _is_cp1252(data: bytes) -> bool:
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return False
    return True


def _read_xlsx(data: bytes, source: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many unrelated types for a damaged file
        raise InputError(f"{source}: not a readable Excel workbook ({error})") from None
    sheet = workbook.worksheets[0]
    lines = [
        ["" if cell is None else str(cell) for cell in row]
        for row in sheet.iter_rows(values_only=True)
    ]
    workbook.close()
    if not lines:
        raise InputError(f"{source}: the first sheet is empty")
    return lines[0], [(index + 2, line) for index, line in enumerate(lines[1:])]


def read_table(data: bytes, source: str, required: Iterable[str]) -> list[Row]:
    """Rows of a CSV or XLSX upload, keyed by normalised header; checks required columns."""
    reader = (
        _read_xlsx if data[:2] == b"PK" or Path(source).suffix.lower() == ".xlsx" else _read_csv
    )
    header, records = reader(data, source)
    names = [normalise_header(cell) for cell in header]
    repeated = sorted({name for name in names if name and names.count(name) > 1})
    if repeated:
        raise InputError(
            f"{source}: column(s) {', '.join(repeated)} appear more than once: keep one of each"
        )
    rows = _rows_from_cells(header, records)
    present = set(names)
    missing = [name for name in required if name not in present]
    if missing:
        raise InputError(
            f"{source}: missing column(s) {', '.join(missing)} "
            f"(found: {', '.join(sorted(name for name in present if name)) or 'none'})"
        )
    return rows
