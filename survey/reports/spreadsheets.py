"""Results as spreadsheets: the aggregated table as CSV or an Excel workbook, with the local
questions' results beside it. Builders take computed results and return bytes.

Every file states its provenance; text cells that a spreadsheet would run as a formula are
neutralised (OWASP CSV injection advice).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator, Mapping, Sequence
from types import MappingProxyType

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from analysis import ALL_STAKEHOLDERS, DomainReliability, RoundTable
from survey.services.results.local import LocalResult

Provenance = Sequence[tuple[str, str]]
#: (organisation code, result) of each local question to report beside the table
LocalRows = Sequence[tuple[str, LocalResult]]
#: the ``level`` of a local question's row in the results table
LOCAL_LEVEL = "local question"
#: more columns beside the table's, one value per table row (local question rows get none)
Extra = Mapping[str, Sequence[object]]
NO_EXTRA: Extra = MappingProxyType({})


def neutralise(cell: str) -> str:
    """Stop a spreadsheet running a cell as a formula (OWASP CSV injection advice)."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


def _local_row(code: str, result: LocalResult, columns: Sequence[str]) -> dict[str, object]:
    """A local question as a row of the results table: the organisation's all-stakeholder row,
    level "local question", its id as the unit; every number missing when suppressed."""
    row: dict[str, object] = dict.fromkeys(columns, math.nan)
    row.update(
        organisation=code,
        organisation_kind="",
        group=ALL_STAKEHOLDERS,
        is_family=False,
        level=LOCAL_LEVEL,
        unit=result.item_id,
        domain="",
        suppressed=result.suppressed,
        comments_visible=False,
        bench_significant=False,
        prev_significant=False,
    )
    for name in ("n", "positive", "positive_low", "positive_high", "negative", "dont_know", "mean"):
        value = getattr(result, name)
        row[name] = math.nan if value is None else float(value)
    return row


def _all_rows(
    table: RoundTable, local: LocalRows, extra: Extra = NO_EXTRA
) -> Iterator[dict[str, object]]:
    for index, row in enumerate(table.rows()):
        row.update({name: values[index] for name, values in extra.items()})
        yield row
    columns = [*table.columns(), *extra]
    for code, result in local:
        yield _local_row(code, result, columns)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.6g}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return neutralise(str(value))


def results_csv(
    table: RoundTable, provenance: Provenance = (), local: LocalRows = (), extra: Extra = NO_EXTRA
) -> bytes:
    """The aggregated results table as CSV, local questions last (level "local question");
    suppressed cells carry no numbers, only the flag.

    Provenance lines follow the table, each starting with "#" (so the first line stays the
    header row for readers such as ``csv.DictReader``; pandas: ``comment="#"``).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    columns = [*table.columns(), *extra]
    writer.writerow(columns)
    for row in _all_rows(table, local, extra):
        writer.writerow([_cell(row[name]) for name in columns])
    for label, value in provenance:
        writer.writerow([f"# {neutralise(str(label))}", neutralise(str(value))])
    return buffer.getvalue().encode("utf-8-sig")


def _xlsx_value(value: object) -> object:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isinf(value):  # a census's effective base; a cell cannot hold inf
            return "inf" if value > 0 else "-inf"
        return None if math.isnan(value) else value
    if isinstance(value, int):
        return value
    return neutralise(str(value))


def _header(sheet: WriteOnlyWorksheet, names: Sequence[str], bold: Font) -> None:
    cells = []
    for name in names:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        cells.append(cell)
    sheet.append(cells)


RELIABILITY_NOTE = (
    "Cronbach's alpha per domain (scope: the organisation, or the whole round pooled) on "
    "complete cases: responses with a scale answer to every scored item of the domain (don't "
    "know, skips and routing drop the response); n = complete cases, n_items = k; "
    "alpha_low/alpha_high = Feldt's 95% F interval on n-1 and (n-1)(k-1) df; suppressed "
    "(empty) when 0 < n < the suppression threshold"
)


def results_xlsx(
    table: RoundTable,
    provenance: Provenance = (),
    local: LocalRows = (),
    extra: Extra = NO_EXTRA,
    reliability: DomainReliability | None = None,
) -> bytes:
    """The aggregated results as an Excel workbook: an "About" sheet with the provenance and
    column notes, a "Results" sheet with one row per table row, a "Local questions" sheet
    when there are any and a "Reliability" sheet (Cronbach's alpha per domain, from
    :func:`analysis.domain_reliability`) when given. Suppressed cells are empty (the
    ``suppressed`` column says why); text is neutralised against formula injection."""
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
    about.append(
        [
            "Rows",
            f"{len(table)} (organisation x stakeholder group, or family of groups, x domain or "
            "item)",
        ]
    )
    about.append(
        [
            "Families",
            "rows with is_family 'yes' are a family of stakeholder groups (group = the family's "
            "id in the questionnaire): its groups' responses pooled, with the same threshold "
            "and suppression",
        ]
    )
    about.append(
        [
            "Means",
            "mean, mean_low, mean_high: the mean score and its 95% t interval, on the items' "
            "scale (1 = most negative); don't know excluded",
        ]
    )
    if reliability is not None:
        about.append(["Reliability", RELIABILITY_NOTE])

    if extra:
        about.append(
            [
                "Earlier years",
                "columns ending in a year (positive_2024 ...) are that round's results for the "
                "same organisation, group and question id: the trend; each year has its own "
                "suppression",
            ]
        )
    sheet = workbook.create_sheet("Results")
    columns = [*table.columns(), *extra]
    _header(sheet, columns, bold)
    sheet.freeze_panes = "A2"
    for row in _all_rows(table, (), extra):
        sheet.append([_xlsx_value(row[name]) for name in columns])
    if local:
        _local_sheet(workbook.create_sheet("Local questions"), local, bold)
    if reliability is not None:
        _reliability_sheet(workbook.create_sheet("Reliability"), reliability, bold)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _reliability_sheet(
    sheet: WriteOnlyWorksheet, reliability: DomainReliability, bold: Font
) -> None:
    columns = reliability.columns()
    _header(sheet, columns, bold)
    for row in reliability.rows():
        sheet.append([_xlsx_value(row[name]) for name in columns])


_LOCAL_COLUMNS = (
    "organisation",
    "item",
    "question",
    "n",
    "positive",
    "positive_low",
    "positive_high",
    "negative",
    "dont_know",
    "mean",
    "suppressed",
)


def _local_sheet(sheet: WriteOnlyWorksheet, local: LocalRows, bold: Font) -> None:
    _header(sheet, _LOCAL_COLUMNS, bold)
    for code, result in local:
        numbers = (
            result.n,
            result.positive,
            result.positive_low,
            result.positive_high,
            result.negative,
            result.dont_know,
            result.mean,
        )
        sheet.append(
            [
                neutralise(code),
                result.item_id,
                neutralise(result.text),
                *numbers,
                "yes" if result.suppressed else "no",
            ]
        )
