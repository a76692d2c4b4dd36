"""Exports of a round: aggregated results (CSV, XLSX) and the anonymous microdata (CSV).

Builders return bytes; :func:`results_export` and :func:`responses_export` are the services the
commands and pages call, each audited. Every export states its provenance (round, questionnaire
version, data as of, methods, suppression threshold); text cells that a spreadsheet would run as
a formula are neutralised.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence

from sqlalchemy import select

from analysis import RoundTable
from survey.extensions import db
from survey.models import Answer, Organisation, Response, SurveyRound
from survey.services import audit
from survey.services.errors import InputError
from survey.services.results.arrays import analyse
from survey.services.results.evidence import RoundInfo
from survey.services.rounds import previous_round, questionnaire_for

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


def responses_csv(survey_round: SurveyRound, item_ids: list[str]) -> bytes:
    """Anonymous microdata: one row per response, one column per item.

    Scores are numbers, "don't know" is ``DK``, blank means not answered or not shown. Rows come
    in random-key order, which says nothing about when anyone answered. Cells that a spreadsheet
    would run as a formula are prefixed with a quote.
    """
    rows = db.session.execute(
        select(Response.id, Organisation.code, Organisation.kind, Response.stakeholder_group)
        .join(Organisation, Organisation.id == Response.organisation_id)
        .where(Response.round_id == survey_round.id)
        .order_by(Response.id)
    ).all()
    answers: dict[str, dict[str, str]] = {row[0]: {} for row in rows}
    for response_id, item_id, score, dont_know, text in db.session.execute(
        select(Answer.response_id, Answer.item_id, Answer.score, Answer.dont_know, Answer.text)
        .join(Response)
        .where(Response.round_id == survey_round.id)
    ):
        answers[response_id][item_id] = (
            "DK" if dont_know else (str(score) if score is not None else text or "")
        )
    local_ids = sorted({item for values in answers.values() for item in values} - set(item_ids))
    columns = item_ids + local_ids
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["response", "year", "organisation", "kind", "stakeholder_group", *columns])
    for number, (response_id, code, kind, group) in enumerate(rows, start=1):
        values = answers[response_id]
        writer.writerow(
            [
                number,
                survey_round.year,
                code,
                kind.value,
                group,
                *(neutralise(values.get(c, "")) for c in columns),
            ]
        )
    return buffer.getvalue().encode("utf-8-sig")


def neutralise(cell: str) -> str:
    """Stop a spreadsheet running a cell as a formula (OWASP CSV injection advice)."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


def results_export(actor: audit.Actor, survey_round: SurveyRound, file_format: str) -> bytes:
    """The round's aggregated results (every organisation) as "csv" or "xlsx", audited."""
    builders = {"csv": results_csv, "xlsx": results_xlsx}
    if file_format not in builders:
        raise InputError(f"results export as csv or xlsx, not {file_format!r}")
    provenance = RoundInfo.of(survey_round, previous_round(survey_round)).provenance()
    data = builders[file_format](analyse(survey_round), provenance)
    audit.record(actor, "export.results", target=f"round:{survey_round.id}", format=file_format)
    return data


def responses_export(actor: audit.Actor, survey_round: SurveyRound) -> bytes:
    """The round's anonymous microdata as CSV (one row per response), audited."""
    item_ids = [item.id for item in questionnaire_for(survey_round).items]
    data = responses_csv(survey_round, item_ids)
    audit.record(actor, "export.responses", target=f"round:{survey_round.id}")
    return data
