"""Export builders: each returns bytes; commands and routes wrap them.

Every export states its provenance (round, questionnaire version, data as of, methods,
suppression threshold); text cells that a spreadsheet would run as a formula are neutralised.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence

from analysis import RoundTable
from survey.services.responses import neutralise

Provenance = Sequence[tuple[str, str]]

#: columns holding proportions (0..1), shown as percentages in the workbook
_PROPORTIONS = frozenset(
    {
        "response_rate",
        "positive",
        "positive_low",
        "positive_high",
        "negative",
        "dont_know",
        "bench_positive",
        "bench_diff",
        "bench_diff_low",
        "bench_diff_high",
        "prev_positive",
        "prev_diff",
        "prev_diff_low",
        "prev_diff_high",
    }
)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.6g}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return neutralise(str(value))


def results_csv(table: RoundTable, provenance: Provenance = ()) -> bytes:
    """The aggregated results table as CSV; suppressed cells carry no numbers, only the flag.

    Provenance lines follow the table, each starting with "#" (so the first line stays the
    header row for readers such as ``csv.DictReader``; pandas: ``comment="#"``).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    columns = table.columns()
    writer.writerow(columns)
    for row in table.rows():
        writer.writerow([_cell(row[name]) for name in columns])
    for label, value in provenance:
        writer.writerow([f"# {neutralise(str(label))}", neutralise(str(value))])
    return buffer.getvalue().encode("utf-8-sig")


def _xlsx_value(value: object) -> object:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, int):
        return value
    return neutralise(str(value))


def results_xlsx(table: RoundTable, provenance: Provenance = ()) -> bytes:
    """The aggregated results as an Excel workbook: an "About" sheet with the provenance and
    column notes, and a "Results" sheet with one row per table row. Suppressed cells are empty
    (the ``suppressed`` column says why); text is neutralised against formula injection."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    about = workbook.create_sheet("About")
    bold = Font(bold=True)
    title = WriteOnlyCell(about, value="Assure360 aggregated survey results")
    title.font = bold
    about.append([title])
    for label, value in provenance:
        cell = WriteOnlyCell(about, value=neutralise(str(label)))
        cell.font = bold
        about.append([cell, neutralise(str(value))])
    about.append([])
    about.append(["Proportions", "0 to 1 (0.62 = 62%); differences are in proportion points"])
    about.append(["Suppressed rows", "every number is empty; the 'suppressed' column is 'yes'"])
    about.append(["Rows", f"{len(table)} (organisation x stakeholder group x domain or item)"])

    sheet = workbook.create_sheet("Results")
    columns = table.columns()
    header = []
    for name in columns:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    sheet.freeze_panes = "A2"
    for row in table.rows():
        sheet.append([_xlsx_value(row[name]) for name in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
