"""The assurance agenda: areas for discussion and notable practice from significant
differences only, numbers equal to the engine's, suppression and escaping held."""

from __future__ import annotations

import io
import math
import re
from typing import Any

from docx import Document

from analysis import ALL_STAKEHOLDERS
from survey.reports.agenda import agenda_docx, agenda_html, build_agenda
from survey.services.results.arrays import analyse
from survey.services.results.evidence import ci, diff_ci, pct, points
from survey.services.rounds import questionnaire_for
from tests.survey.reports.conftest import PAYLOAD


def _row(table: Any, code: str, unit: str) -> dict[str, Any]:
    return next(table.filter(organisation=code, group=ALL_STAKEHOLDERS, unit=unit).rows())


def _docx_text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def test_significantly_worse_governance_is_an_area_for_discussion_with_its_evidence(
    seeded: Any,
) -> None:
    survey_round = seeded.survey_round
    table = analyse(survey_round)
    questionnaire = questionnaire_for(survey_round)
    row = _row(table, "05W", "governance")
    assert row["bench_significant"] and row["bench_diff"] < 0

    agenda = build_agenda(
        table, "05W", survey_round, questionnaire, organisation_name=seeded.worse.name
    )
    governance = next(s for s in agenda.sections if s.id == "governance")
    units = {p.unit for p in governance.discussion}
    assert "governance" in units and len(units) > 1  # the domain and its items
    point = next(
        p for p in governance.discussion if p.unit == "governance" and p.comparison == "benchmark"
    )
    assert point.prompt.startswith("Stakeholders were less positive than the benchmark about")
    assert point.prompt.endswith("what is behind this?")
    assert point.n == row["n"] and math.isclose(point.positive, row["positive"])
    assert math.isclose(point.diff, row["bench_diff"])
    # Only flagged differences are suggested: other domains have nothing for this organisation.
    flagged = {
        r["unit"]
        for r in table.filter(organisation="05W", group=ALL_STAKEHOLDERS).rows()
        if r["bench_significant"] or r["prev_significant"]
    }
    suggested = {p.unit for s in agenda.sections for p in (*s.discussion, *s.notable)}
    assert suggested == flagged
    assert all(s.assessment is None and s.last_assessment is None for s in agenda.sections)

    text = _docx_text(agenda_docx(agenda))
    assert point.prompt in text
    evidence = (
        f"n = {int(row['n'])}; {pct(row['positive'])} positive "
        f"(95% CI {ci(row['positive_low'], row['positive_high'])}); "
        f"benchmark {pct(row['bench_positive'])}; difference {points(row['bench_diff'])} "
        f"(95% CI {diff_ci(row['bench_diff_low'], row['bench_diff_high'])} pts)"
    )
    assert evidence in text
    for rating in ("Assured", "Assured with support", "Not assured"):
        assert rating in text
    assert "Agreed actions" in text and "Areas for discussion" in text
    assert f"version {survey_round.questionnaire_version}" in text


def test_significantly_better_partnership_is_notable_practice(seeded: Any) -> None:
    survey_round = seeded.survey_round
    table = analyse(survey_round)
    agenda = build_agenda(table, "06B", survey_round, questionnaire_for(survey_round))
    partnership = next(s for s in agenda.sections if s.id == "partnership")
    assert not partnership.discussion
    notable = next(p for p in partnership.notable if p.unit == "partnership")
    assert "more positive than the benchmark" in notable.prompt
    row = _row(table, "06B", "partnership")
    assert row["bench_significant"] and math.isclose(notable.diff, row["bench_diff"])
    # the headline carries the engine's numbers
    assert partnership.headline is not None and math.isclose(
        partnership.headline.positive, row["positive"]
    )
    html = agenda_html(agenda)
    assert notable.prompt.replace("\u201c", "&#8220;") in html or notable.prompt in html
    assert (
        f"{pct(row['positive'])} positive "
        f"(95% CI {ci(row['positive_low'], row['positive_high'])}; n = {int(row['n'])})" in html
    )
    # a typical organisation gets exactly its flagged differences, no more
    typical = build_agenda(table, "02T", survey_round, questionnaire_for(survey_round))
    flagged = {
        r["unit"]
        for r in table.filter(organisation="02T", group=ALL_STAKEHOLDERS).rows()
        if r["bench_significant"] or r["prev_significant"]
    }
    assert {p.unit for s in typical.sections for p in (*s.discussion, *s.notable)} == flagged


def test_a_suppressed_organisation_gets_no_numbers(seeded: Any) -> None:
    survey_round = seeded.survey_round
    table = analyse(survey_round)
    agenda = build_agenda(table, "07S", survey_round, questionnaire_for(survey_round))
    assert all(s.headline is not None and not s.headline.shown for s in agenda.sections)
    assert not any(s.discussion or s.notable for s in agenda.sections)
    page = re.sub(r"<style>.*?</style>", "", agenda_html(agenda), flags=re.S)
    for text in (_docx_text(agenda_docx(agenda)), page):
        assert "fewer than 5 responses" in text
        assert not re.search(r"n = \d", text)
        assert set(re.findall(r"\d+%", text)) <= {"95%", "5%"}


def test_a_payload_in_the_organisation_name_is_escaped_in_html(seeded: Any) -> None:
    survey_round = seeded.survey_round
    table = analyse(survey_round)
    agenda = build_agenda(
        table, "05W", survey_round, questionnaire_for(survey_round), organisation_name=PAYLOAD
    )
    html = agenda_html(agenda)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert PAYLOAD in _docx_text(agenda_docx(agenda))  # Word shows text as text


def test_last_years_rating_and_actions_stand_beside_this_years_evidence(seeded: Any) -> None:
    from datetime import date

    from survey.models import Rating
    from survey.services.assurance import (
        AgreedAction,
        Assessment,
        DomainAssessment,
        RoundAssessment,
    )

    survey_round = seeded.survey_round
    questionnaire = questionnaire_for(survey_round)

    def record(year: int, rating: Rating | None, actions: tuple[AgreedAction, ...]) -> Any:
        domains = tuple(
            DomainAssessment(d.id, d.number, d.title, None, "", None, ())
            if d.id != "governance"
            else DomainAssessment(d.id, d.number, d.title, rating, "Weak minutes", None, actions)
            for d in questionnaire.domains
        )
        return RoundAssessment(year, year, f"Round {year}", domains)

    last = record(
        2040,
        Rating.NOT_ASSURED,
        (
            AgreedAction(1, "governance", "Publish the register", "Board", date(2041, 1, 31), True),
            AgreedAction(2, "governance", "Train the board", "Chair", date(2041, 3, 31), False),
        ),
    )
    this = record(2041, None, ())
    agenda = build_agenda(
        analyse(survey_round),
        "05W",
        survey_round,
        questionnaire,
        previous=2040,
        assessment=Assessment("05W", this, last),
    )
    governance = next(s for s in agenda.sections if s.id == "governance")
    assert governance.assessment is None  # nothing recorded this year: empty fields
    line = "Last year (2040): rated not assured (intervention required); 1 of 2 actions still open."
    for text in (_docx_text(agenda_docx(agenda)), agenda_html(agenda)):
        assert line in text
        assert "Train the board (owner: Chair; due 31 March 2041; open)" in text
        assert "Publish the register (owner: Board; due 31 January 2041; done)" in text
        assert "Weak minutes" in text
        assert "\u2612" not in text  # no rating ticked this year
    leadership = next(s for s in agenda.sections if s.id == "leadership")
    assert leadership.last_assessment is not None and leadership.last_assessment.rating is None
