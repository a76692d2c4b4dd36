"""Aggregated results as XLSX and CSV: the engine's numbers, suppression, provenance and
neutralised formulas; every export is audited."""

from __future__ import annotations

import csv
import io
import math
import re
from typing import Any

import numpy as np
from openpyxl import load_workbook
from sqlalchemy import select

from analysis import RoundResponses, analyse_round
from survey.models import AuditEvent
from survey.services.exports import results_csv, results_xlsx
from survey.services.results.arrays import analyse


def _expected(value: Any) -> Any:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, float) and math.isinf(value):
        return "inf"  # a census's effective base (everyone invited answered)
    return value


def test_the_xlsx_export_holds_the_engines_table_with_provenance(
    seeded: Any, runner: Any, db: Any, tmp_path: Any
) -> None:
    survey_round = seeded.survey_round
    path = tmp_path / "results.xlsx"
    result = runner.invoke(
        args=["export", "results", str(survey_round.id), "--format", "xlsx", "-o", str(path)]
    )
    assert result.exit_code == 0, result.output
    book = load_workbook(path, read_only=True)
    assert book.sheetnames == ["About", "Results", "Reliability"]
    about = {
        row[0]: row[1] for row in book["About"].iter_rows(values_only=True) if row and len(row) > 1
    }
    assert str(survey_round.id) in about["Round"] and survey_round.title in about["Round"]
    assert about["Questionnaire"] == f"ccg-360 version {survey_round.questionnaire_version}"
    assert "fewer than 5 responses" in about["Suppression threshold"]
    assert re.fullmatch(
        r"\d{1,2} \w+ \d{4}, \d\d:\d\d (GMT|BST), \d+ responses", about["Results as of"]
    )
    assert about["Provisional"].startswith("fieldwork open until")  # the round is open
    assert about["Provisional"].endswith("results will change at the next release and at the close")
    assert "Wilson" in about["Methods"]

    table = analyse(survey_round)
    sheet = list(book["Results"].iter_rows(values_only=True))
    assert list(sheet[0]) == list(table.columns())
    assert len(sheet) == len(table) + 1
    suppressed = 0
    for got, row in zip(sheet[1:], table.rows(), strict=True):
        for name, value in zip(table.columns(), got, strict=True):
            expected = _expected(row[name])
            if isinstance(expected, float):
                assert math.isclose(value, expected, rel_tol=1e-12), (name, value, expected)
            else:
                assert value == expected, (name, value, expected)
        if row["suppressed"]:
            suppressed += 1
            assert (
                got[table.columns().index("n")] is None
                and got[table.columns().index("positive")] is None
            )
    assert suppressed > 0
    book.close()
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "export.results")
    ).all()
    assert [e.detail.get("format") for e in events] == ["xlsx"]


def test_the_csv_export_states_its_provenance_after_the_table(
    seeded: Any, runner: Any, tmp_path: Any
) -> None:
    path = tmp_path / "results.csv"
    result = runner.invoke(
        args=["export", "results", str(seeded.survey_round.id), "--format", "csv", "-o", str(path)]
    )
    assert result.exit_code == 0, result.output
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("organisation,")
    trailer = [line for line in lines if line.startswith("# ")]
    assert any(line.startswith("# Questionnaire,ccg-360 version") for line in trailer)
    assert any(line.startswith("# Suppression threshold") for line in trailer)


def test_formula_payloads_in_labels_are_neutralised_in_xlsx_and_csv() -> None:
    rng = np.random.default_rng(1)
    n = 24
    responses = RoundResponses(
        scores=rng.integers(1, 6, (n, 2)).astype(float),
        dont_know=np.zeros((n, 2), dtype=bool),
        item_labels=("q1", "-2+3"),
        item_domain=np.array([0, 0]),
        domain_labels=("d",),
        organisation=np.repeat([0, 1], n // 2),
        organisation_labels=('=HYPERLINK("http://evil.example","x")', "+SUM(1)"),
        organisation_kind=np.array([0, 0]),
        group=np.zeros(n, dtype=np.int64),
        group_labels=("@cmd",),
        invited=np.array([[20], [20]]),
    )
    table = analyse_round(responses)
    book = load_workbook(io.BytesIO(results_xlsx(table, [("=Round", "+1")])))
    cells = [
        c
        for ws in book.worksheets
        for row in ws.iter_rows(values_only=True)
        for c in row
        if isinstance(c, str)
    ]
    assert not any(c[:1] in ("=", "+", "-", "@") for c in cells)
    assert (
        '\'=HYPERLINK("http://evil.example","x")' in cells and "'@cmd" in cells and "'-2+3" in cells
    )
    assert all(
        cell.data_type != "f" for ws in book.worksheets for row in ws.iter_rows() for cell in row
    )
    rows = list(csv.reader(results_csv(table, [("=Round", "+1")]).decode("utf-8-sig").splitlines()))
    texts = [c for row in rows for c in row if c and not _is_number(c)]
    assert not any(c[:1] in ("=", "+", "-", "@") for c in texts)
    assert "'+SUM(1)" in texts and "# '=Round" in texts and "'+1" in texts


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
