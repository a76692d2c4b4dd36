"""The organisation report PDF: its numbers are the engine's, suppressed cells show none."""

from __future__ import annotations

import io
import re
from typing import Any

from pypdf import PdfReader

from analysis import ALL_STAKEHOLDERS
from survey.reports.report import report_pdf
from survey.services.results.arrays import analyse
from survey.services.results.evidence import ci, mean_ci, pct, points
from survey.services.results.local import LocalResult
from survey.services.rounds import questionnaire_for
from tests.survey.reports.conftest import PAYLOAD


def _text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_the_report_prints_the_engines_numbers_for_every_shown_domain(seeded: Any) -> None:
    survey_round = seeded.survey_round
    table = analyse(survey_round)
    questionnaire = questionnaire_for(survey_round)
    data = report_pdf(table, "05W", survey_round, questionnaire, organisation_name=PAYLOAD)
    assert data.startswith(b"%PDF")
    text = _flat(_text(data))
    for heading in (
        "Background and objectives",
        "Method",
        "How to read the results",
        "Summary",
        "Overall relationship",
        "Domain 4",
        "Local questions",
    ):
        assert heading in text
    assert PAYLOAD in text  # printed as text, not interpreted as markup
    assert f"version {survey_round.questionnaire_version}" in text
    assert f"{survey_round.opens_on:%d %B %Y} to {survey_round.closes_on:%d %B %Y}" in text
    assert "40 stakeholders were invited and 40 responded, a response rate of 100%" in text
    rows = list(table.filter(organisation="05W", group=ALL_STAKEHOLDERS, level="domain").rows())
    assert rows
    for row in rows:
        expected = (
            f"{int(row['n'])} {pct(row['positive'])} "
            f"{ci(row['positive_low'], row['positive_high'])} "
            f"{mean_ci(row['mean'], row['mean_low'], row['mean_high'])} "
            f"{pct(row['bench_positive'])} {points(row['bench_diff'])}"
        )
        assert expected in text, expected
    governance = next(r for r in rows if r["unit"] == "governance")
    assert f"{points(governance['bench_diff'])} *" in text  # flagged significant


def test_suppressed_cells_say_so_and_carry_no_number(seeded: Any) -> None:
    survey_round = seeded.survey_round
    table = analyse(survey_round)
    questionnaire = questionnaire_for(survey_round)
    text = _flat(_text(report_pdf(table, "07S", survey_round, questionnaire)))
    assert "fewer than 5 responses" in text
    # the only percentages left are the ones in the explanations (95% CI, 5% FDR)
    assert set(re.findall(r"\d+%", text)) <= {"95%", "5%"}
    # group breakdown of a shown organisation: the small Healthwatch group is hidden by name
    text = _flat(_text(report_pdf(table, "01T", survey_round, questionnaire)))
    assert re.search(r"Local Healthwatch fewer than 5 responses", text)


def test_local_questions_are_reported_and_suppressed(seeded: Any) -> None:
    survey_round = seeded.survey_round
    table = analyse(survey_round)
    local = [
        LocalResult("local_1", "Our new question", 20, 0.65, 0.44, 0.82, 0.2, 0.1, 3.9, False),
        LocalResult("local_2", "A small one", *([None] * 7), True),
    ]
    text = _flat(
        _text(report_pdf(table, "02T", survey_round, questionnaire_for(survey_round), local=local))
    )
    assert "Our new question 20 65% 44-82%" in text
    assert "A small one fewer than 5 responses" in text
