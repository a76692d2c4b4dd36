"""The agenda's summary fits on its first printed page, even for an organisation with the most
points the summary names: the HTML page as headless Chromium prints it on A4, and the Word file
as LibreOffice lays it out (the engine of the Word processors commissioners without Microsoft
Office use; Word itself does not run here)."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from questionnaires import load
from survey.reports.agenda import Agenda, Section
from survey.reports.agenda_document import agenda_docx, agenda_html
from survey.reports.agenda_points import Difference, Point
from survey.services.results.evidence import Participation, RoundInfo
from tests.survey.respond.test_browser import browser  # noqa: F401

LONG = (
    "The commissioner's leaders are willing to take difficult decisions in the interests of "
    "patients and the public, even when they are unpopular."
)


def _difference(who: str, diff: float) -> Difference:
    return Difference(who, "benchmark", 12, 0.4, 0.2, 0.6, 0.4 - diff, diff, -0.5, 0.1, 0.2, True)


def _point(kind: Any, number: int) -> Point:
    diff = -0.3 if kind == "discussion" else 0.3
    groups = (_difference("Patients, public and voluntary sector", diff),) * 3
    return Point(kind, "benchmark", f"item{number}", "item", LONG, "prompt", None, groups)


def _fullest_agenda() -> Agenda:
    """Six areas for discussion and six of notable practice in every domain, long item texts,
    three groups differing on each, a long organisation name and the provisional warning."""
    questionnaire = load("ccg-360")
    sections = [
        Section(
            d.id,
            d.number,
            d.title,
            None,
            [_point("discussion", i) for i in range(6)],
            [_point("notable", i) for i in range(6)],
        )
        for d in questionnaire.domains
    ]
    overall = Section(
        "overall",
        None,
        "Overall relationship",
        None,
        *([_point(k, 0)] * 4 for k in ("discussion", "notable")),
    )
    info = RoundInfo(
        1,
        2041,
        "Commissioner 360\u00b0 stakeholder survey 2041",
        "ccg-360",
        1,
        None,
        None,
        provisional=True,
    )
    return Agenda(
        "01A",
        "NHS A Very Long Name Integrated Care Board",
        info,
        Participation(45, 38, 38 / 45),
        [overall, *sections],
    )


def _assert_summary_alone_on_page_one(pdf: bytes) -> None:
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]
    first = " ".join(pages[0].split())
    assert "Provisional" in first and "6. Strong leadership" in first
    assert first.count("and 5 more in the domain's section") == 12  # every domain, both kinds
    assert " ".join(pages[1].split()).startswith("About this agenda")


@pytest.mark.browser
def test_the_html_summary_is_one_printed_page(browser: Any) -> None:  # noqa: F811
    page = browser.new_page()
    try:
        page.set_content(agenda_html(_fullest_agenda()))
        pdf = page.pdf(prefer_css_page_size=True)
    finally:
        page.close()
    _assert_summary_alone_on_page_one(pdf)


def test_the_word_summary_is_one_page(tmp_path: Path) -> None:
    document = tmp_path / "agenda.docx"
    document.write_bytes(agenda_docx(_fullest_agenda()))
    # a profile of its own: a second LibreOffice on the same profile would wait on its lock
    profile = f"-env:UserInstallation=file://{tmp_path / 'profile'}"
    subprocess.run(
        [
            "soffice",
            profile,
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(document),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    _assert_summary_alone_on_page_one((tmp_path / "agenda.pdf").read_bytes())
