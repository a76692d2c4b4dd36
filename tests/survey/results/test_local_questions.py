"""One rule for local questions: the dashboard, the XLSX and the PDF show the same cell."""

from __future__ import annotations

import io
import re
from typing import Any

from openpyxl import load_workbook
from pypdf import PdfReader

from tests.survey.helpers import page_text, row_cells
from tests.survey.results.conftest import Seeded

QUESTION = "Do you agree with how local services are planned?"


def test_dashboard_xlsx_and_pdf_agree_on_a_local_question(
    client: Any, seeded: Seeded, make_user: Any, sign_in: Any
) -> None:
    sign_in(make_user(role="manager"))
    on_page = row_cells(page_text(client, "/results/01A"), QUESTION)

    workbook = load_workbook(
        io.BytesIO(client.get("/results/01A/results.xlsx").get_data()), read_only=True
    )
    rows = list(workbook["Local questions"].iter_rows(values_only=True))
    header, [cell] = rows[0], rows[1:]
    in_xlsx = dict(zip(header, cell, strict=True))
    assert in_xlsx["question"] == QUESTION and in_xlsx["suppressed"] == "no"

    pdf = PdfReader(io.BytesIO(client.get("/results/01A/report.pdf").get_data()))
    text = re.sub(r"\s+", " ", "\n".join(page.extract_text() for page in pdf.pages))

    def pct(value: Any) -> str:
        return f"{100 * value:.0f}%"

    shown = [
        pct(in_xlsx["positive"]),
        f"{pct(in_xlsx['positive_low'])} to {pct(in_xlsx['positive_high'])}",
        str(in_xlsx["n"]),
    ]
    assert on_page == shown
    low_high = f"{100 * in_xlsx['positive_low']:.0f}-{100 * in_xlsx['positive_high']:.0f}%"
    assert f"{QUESTION} {in_xlsx['n']} {pct(in_xlsx['positive'])} {low_high}" in text


def test_a_local_question_below_the_threshold_is_hidden_everywhere(
    client: Any, seeded: Seeded, make_user: Any, sign_in: Any
) -> None:
    sign_in(make_user(role="manager"))
    assert row_cells(page_text(client, "/results/02B"), "Is the new hub working?") == [
        "fewer than 5 responses"
    ]
    workbook = load_workbook(
        io.BytesIO(client.get("/results/02B/results.xlsx").get_data()), read_only=True
    )
    rows = list(workbook["Local questions"].iter_rows(values_only=True))
    cell = dict(zip(rows[0], rows[1], strict=True))
    assert cell["suppressed"] == "yes"
    assert [cell[name] for name in ("n", "positive", "positive_low", "mean")] == [None] * 4
    pdf = PdfReader(io.BytesIO(client.get("/results/02B/report.pdf").get_data()))
    text = re.sub(r"\s+", " ", "\n".join(page.extract_text() for page in pdf.pages))
    assert "Is the new hub working? fewer than 5 responses" in text
