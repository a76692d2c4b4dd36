"""Reading uploaded tables (CSV or XLSX as Excel writes them) into numbered rows."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
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
    """'  EMAIL  Address ' -> 'email_address': any case, spacing, underscores or punctuation."""
    return "_".join(_NOT_WORD.split(name.casefold())).strip("_")


_NOT_WORD = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class Columns:
    """The columns of one kind of list and the headers people write for each.

    ``synonyms`` maps a column to other headers meaning it, written normalised
    (:func:`normalise_header`), so 'Organisation Code' or 'EMAIL address' find their column.
    """

    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    synonyms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def column_for(self, header: str) -> str:
        """The column a header gives, or the header normalised if it is none of them."""
        name = normalise_header(header)
        for column in self.required + self.optional:
            if name == column or name in self.synonyms.get(column, ()):
                return column
        return name

    def described(self, column: str) -> str:
        """'email (or email_address, e_mail)' for messages."""
        others = self.synonyms.get(column, ())[:3]
        return f"{column} (or {', '.join(others)})" if others else column


#: a stakeholder list: who, in which group, assessing which organisation code(s)
STAKEHOLDER_LIST = Columns(
    required=("email", "name", "group", "assesses"),
    optional=("employer",),
    synonyms={
        "email": ("email_address", "e_mail", "e_mail_address", "stakeholder_email", "mail"),
        "name": ("stakeholder_name", "full_name", "contact_name", "stakeholder"),
        "group": ("stakeholder_group", "stakeholder_type", "group_name", "group_id"),
        "assesses": (
            "organisation_code",
            "organisation_codes",
            "organization_code",
            "org_code",
            "ccg_code",
            "assessed_organisation",
            "assessed_organisation_code",
        ),
        "employer": ("employing_organisation", "stakeholder_organisation", "works_for"),
    },
)

#: an organisation list: the assessed commissioners
ORGANISATION_LIST = Columns(
    required=("code", "name", "kind", "region"),
    optional=("area",),
    synonyms={
        "code": ("organisation_code", "organization_code", "org_code", "ods_code", "ccg_code"),
        "name": ("organisation_name", "organization_name", "org_name", "ccg_name"),
        "kind": ("type", "organisation_type", "organisation_kind", "org_type"),
        "region": ("nhs_region", "region_name"),
        "area": ("local_area", "area_name", "ics", "stp"),
    },
)


class MissingColumns(InputError):
    """Required columns no header gives: the file's headers let a person say which is which."""

    def __init__(self, message: str, missing: tuple[str, ...], headers: tuple[str, ...]):
        super().__init__(message)
        self.missing = missing
        self.headers = headers


def _rows_from_cells(names: list[str], records: Iterable[tuple[int, list[str]]]) -> list[Row]:
    rows = []
    for number, cells in records:
        if not any(cell.strip() for cell in cells):
            continue  # Excel leaves blank rows at the end
        padded = cells + [""] * (len(names) - len(cells))
        # cells beyond the header's columns (notes typed to the right) are ignored
        values = zip(names, padded, strict=False)
        rows.append(Row(number, {name: cell.strip() for name, cell in values if name}))
    return rows


#: C0 control characters other than tab and line ends: binary data decoded as text has them
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def decode_text(data: bytes, source: str) -> str:
    """The text of a CSV as spreadsheets save it: UTF-8 (with or without Excel's byte-order
    mark), UTF-16 with a byte-order mark (Excel's "Unicode text"), else Windows-1252 (Excel's
    plain "CSV" on Windows) if it decodes to text. Anything else is refused, naming why."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise InputError(
                f"{source}: starts as UTF-16 text but byte {error.start} is not UTF-16: "
                "save it again as 'CSV UTF-8'"
            ) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as utf8_error:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as error:
            raise InputError(
                f"{source}: not UTF-8 (byte {utf8_error.start}) nor Windows-1252 text "
                f"(byte {error.start}, 0x{data[error.start]:02x}, is no character in either): "
                "save it again as 'CSV UTF-8'"
            ) from None
    control = _CONTROL.search(text)
    if control is not None:
        raise InputError(
            f"{source}: not a text file (control character {ord(control.group()):#04x} at "
            f"character {control.start()}): upload a CSV saved as 'CSV UTF-8', or an XLSX"
        )
    return text


def _read_csv(data: bytes, source: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    text = decode_text(data, source)
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


def _column_names(
    header: list[str], columns: Columns, chosen: Mapping[str, str], source: str
) -> list[str]:
    """Each header cell's column: the one chosen for it, else the one it names."""
    by_header = {normalise_header(text): column for column, text in chosen.items()}
    names = []
    for cell in header:
        name = by_header.get(normalise_header(cell)) or columns.column_for(cell)
        # a column chosen from one header is not also taken from another
        chosen_elsewhere = name in chosen and normalise_header(cell) not in by_header
        names.append("" if chosen_elsewhere else name)
    given: dict[str, list[str]] = {}
    for cell, name in zip(header, names, strict=True):
        if name:
            given.setdefault(name, []).append(cell.strip())
    repeated = [
        f"{' and '.join(map(repr, cells))} ({name})"
        for name, cells in given.items()
        if len(cells) > 1
    ]
    if repeated:
        raise InputError(
            f"{source}: more than one column gives the same thing: {'; '.join(repeated)}: "
            "keep one of each"
        )
    return names


def read_table(
    data: bytes,
    source: str,
    columns: Columns | Iterable[str],
    chosen: Mapping[str, str] | None = None,
) -> list[Row]:
    """Rows of a CSV or XLSX upload keyed by column, with every required column present.

    :param columns: the list's columns and their synonyms (or just the required names).
    :param chosen: the header a person chose for a column ({"email": "Contact"}), overriding
        what the headers say; a chosen header the file lacks is refused.
    :raises MissingColumns: when a required column is given by no header.
    """
    columns = columns if isinstance(columns, Columns) else Columns(tuple(columns))
    chosen = dict(chosen or {})
    reader = (
        _read_xlsx if data[:2] == b"PK" or Path(source).suffix.lower() == ".xlsx" else _read_csv
    )
    unknown = sorted(set(chosen) - set(columns.required + columns.optional))
    if unknown:
        raise InputError(
            f"{source}: no list column is called {', '.join(unknown)} "
            f"(the columns: {', '.join(columns.required + columns.optional)})"
        )
    header, records = reader(data, source)
    headers = tuple(cell.strip() for cell in header if cell.strip())
    absent = [
        text
        for text in chosen.values()
        if normalise_header(text) not in {normalise_header(cell) for cell in headers}
    ]
    if absent:
        raise InputError(f"{source}: has no column {', '.join(map(repr, absent))}")
    names = _column_names(header, columns, chosen, source)
    missing = tuple(column for column in columns.required if column not in names)
    if missing:
        raise MissingColumns(
            f"{source}: missing column(s) {', '.join(missing)} "
            f"(found: {', '.join(map(repr, headers)) or 'none'}): rename the headers, or "
            "choose which column is which",
            missing,
            headers,
        )
    return _rows_from_cells(names, records)
