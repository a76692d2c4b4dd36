"""The three-year trend: the last three rounds of the questionnaire, each year's % positive, base
and Wilson interval (finite population corrected) recomputed here from the answers, in the
dashboard, the CSV/XLSX columns, the PDF and the agenda."""

from __future__ import annotations

import csv
import io
import math
from typing import Any

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from survey.models import Invitation, InvitationStatus, Stakeholder
from survey.services.audit import COMMAND_LINE
from survey.services.publication import latest_release
from survey.services.results.files import organisation_file
from survey.services.results.trend import lineage_rounds, organisation_trend
from tests.survey.reports.conftest import seed_responses

Z = 1.959963984540054
INVITED = 9
#: each year's scores of the 8 respondents (the same answer to every question; "dk" = don't know)
SCORES = {
    2039: [5, 5, 5, 5, 5, 5, 5, 5],
    2040: [5, 4, 2, 1, 3, 4, 2, "dk"],
    2041: [5, 4, 4, 2, 4, 5, 1, "dk"],
    2042: [5, 5, 4, 4, 4, 5, 4, 2],
}


def _wilson_fpc(positive: int, n: int, population: int) -> tuple[float, float]:
    """Wilson (1927) score interval with n replaced by n (N - 1) / (N - n) (Cochran 1977)."""
    n_eff = n * (population - 1) / (population - n)
    p = positive / n
    centre = (p + Z**2 / (2 * n_eff)) / (1 + Z**2 / n_eff)
    half = Z / (1 + Z**2 / n_eff) * math.sqrt(p * (1 - p) / n_eff + Z**2 / (4 * n_eff**2))
    return centre - half, centre + half


def _expected(year: int) -> tuple[int, float, float, float]:
    """n, % positive and its interval of any question, from the year's answers."""
    answered = [s for s in SCORES[year] if s != "dk"]
    positive = sum(1 for s in answered if isinstance(s, int) and s >= 4)
    low, high = _wilson_fpc(positive, len(answered), INVITED)
    return len(answered), positive / len(answered), low, high


@pytest.fixture
def rounds(db: Any, make_round: Any, make_organisation: Any) -> Any:
    """Four years of ccg-360 about one organisation (and a neighbour for the benchmark)."""
    alpha = make_organisation(code="01A", name="NHS Alpha ICB")
    beta = make_organisation(code="02B", name="NHS Beta ICB")
    made = {}
    for year, scores in SCORES.items():
        survey_round = make_round(year=year)
        for org in (alpha, beta):
            for number in range(INVITED):
                person = Stakeholder(
                    round_id=survey_round.id,
                    email=f"p{year}{org.code}{number}@example.org",
                    name="Person",
                    employer="Practice",
                    group="gp_practice",
                )
                db.session.add(person)
                db.session.flush()
                db.session.add(
                    Invitation(
                        round_id=survey_round.id,
                        stakeholder_id=person.id,
                        organisation_id=org.id,
                        status=InvitationStatus.ISSUED,
                    )
                )
        db.session.commit()
        seed_responses(
            db, survey_round, alpha, "gp_practice", len(scores), lambda item, i, s=scores: s[i]
        )
        seed_responses(db, survey_round, beta, "gp_practice", 8, lambda item, i: 4)
        made[year] = survey_round
    return alpha, made


def test_the_trend_follows_each_question_over_the_last_three_rounds(rounds: Any) -> None:
    alpha, made = rounds
    current = made[2042]
    assert [r.year for r in lineage_rounds(current)] == [2040, 2041, 2042]
    trend = organisation_trend(alpha.code, current, latest_release(current), chart=True)
    assert trend.years == (2040, 2041, 2042)
    for unit in ("overall_relationship", "gov_clear_who_decides"):
        row = trend.row(unit)
        assert row is not None
        for year, point in zip(trend.years, row.points, strict=True):
            assert point is not None and point.shown
            n, positive, low, high = _expected(year)
            assert point.n == n and math.isclose(point.positive or 0, positive)
            assert math.isclose(point.low or 0, low, rel_tol=1e-9)
            assert math.isclose(point.high or 0, high, rel_tol=1e-9)
        # Change on last year, with its significance test, as in this year's table.
        assert math.isclose(row.change or 0, _expected(2042)[1] - _expected(2041)[1])
        assert row.change_low is not None and row.change_low < (row.change or 0)
    # A domain: the share of respondents positive (each gave one answer to all its questions).
    governance = trend.row("governance")
    assert governance is not None and governance.level == "domain"
    shares = [p.positive for p in governance.points if p is not None]
    assert shares == pytest.approx([_expected(y)[1] for y in trend.years])
    assert "<svg" in trend.svg and "2040 " in trend.svg and "2042 " in trend.svg
    line = trend.summary("governance")
    assert line.startswith("2040: ") and "2042: " in line and "2039" not in line


def test_the_first_round_has_no_trend_and_other_questionnaires_are_not_mixed_in(
    rounds: Any, make_round: Any
) -> None:
    alpha, made = rounds
    make_round(year=2041, questionnaire="direct-commissioning-360")
    assert [r.year for r in lineage_rounds(made[2039])] == [2039]
    assert [r.year for r in lineage_rounds(made[2042])] == [2040, 2041, 2042]
    first = organisation_trend(alpha.code, made[2039], latest_release(made[2039]))
    assert first.summary("governance") == ""


def test_the_files_carry_the_trend(rounds: Any) -> None:
    alpha, made = rounds
    current = made[2042]
    made_csv = organisation_file(COMMAND_LINE, alpha, current, "results.csv")
    reader = csv.DictReader(
        line for line in io.StringIO(made_csv.data.decode("utf-8-sig")) if not line.startswith("#")
    )
    row = next(
        r
        for r in reader
        if r["group"] == "All stakeholders" and r["unit"] == "overall_relationship"
    )
    for year in (2040, 2041):
        n, positive, low, high = _expected(year)
        assert float(row[f"n_{year}"]) == n
        assert math.isclose(float(row[f"positive_{year}"]), positive, rel_tol=1e-5)
        assert math.isclose(float(row[f"positive_low_{year}"]), low, rel_tol=1e-5)
        assert math.isclose(float(row[f"positive_high_{year}"]), high, rel_tol=1e-5)
        assert row[f"suppressed_{year}"] == "no"
    assert "positive_2039" not in row
    workbook = load_workbook(
        io.BytesIO(organisation_file(COMMAND_LINE, alpha, current, "results.xlsx").data)
    )
    header = [cell.value for cell in next(workbook["Results"].iter_rows(max_row=1))]
    assert "positive_2040" in header and "positive_high_2041" in header

    pdf = organisation_file(COMMAND_LINE, alpha, current, "report.pdf").data
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Trend, 2040 to 2042" in text
    text = " ".join(text[text.index("Trend, 2040") :].split())  # table cells wrap
    n, positive, low, high = _expected(2040)
    assert f"{100 * positive:.0f}% (95% CI {100 * low:.0f}-{100 * high:.0f}%; n = {n})" in text

    agenda = organisation_file(COMMAND_LINE, alpha, current, "agenda.html").data.decode()
    assert "Trend (all stakeholders):</strong> 2040: " in agenda
    # Domain lines: the domain's share positive of each year (its interval is the engine's).
    line = next(p for p in agenda.split("<p") if "Trend" in p and "43%" in p)
    assert all(f"{y}: {100 * _expected(y)[1]:.0f}% (95% CI" in line for y in (2040, 2041, 2042))
    # Every year's base is under 20, and the agenda's trend line marks each one.
    assert line.count("(base under 20))") == 3


def test_the_dashboard_shows_the_trend_chart_and_its_table(
    rounds: Any, client: Any, make_user: Any, sign_in: Any
) -> None:
    alpha, made = rounds
    sign_in(make_user(role="commissioner", organisation=alpha))
    html = client.get(f"/results/{alpha.code}?round={made[2042].id}").get_data(as_text=True)
    assert "Trend over 3 years" in html
    assert html.count('class="app-chart"') >= 2  # the domain chart and the trend chart
    n, positive, low, high = _expected(2040)
    cell = f"{100 * positive:.0f}% ({100 * low:.0f}% to {100 * high:.0f}%; n = {n})"
    assert cell in html  # an item row of the questions' trend table
    assert "2040: % positive (95% CI; n)" in html and "Change on 2041 (points)" in html
    first = client.get(f"/results/{alpha.code}?round={made[2039].id}").get_data(as_text=True)
    assert "Trend over" not in first


def test_a_replacing_question_starts_a_new_trend_with_a_footnote(
    rounds: Any, make_round: Any, tmp_path: Any, db: Any, client: Any, make_user: Any, sign_in: Any
) -> None:
    from pathlib import Path

    import questionnaires

    alpha, made = rounds
    text, _file, _source = questionnaires.read_source("ccg-360")
    changed = text.replace("version: 1\n", "version: 2\n", 1).replace(
        "      - id: gov_clear_who_decides\n",
        "      - id: gov_who_decides_known\n        replaces: gov_clear_who_decides\n",
    )
    path = Path(tmp_path) / "ccg-360.yaml"
    path.write_text(changed)
    survey_round = make_round(year=2043, questionnaire=str(path))
    seed_responses(db, survey_round, alpha, "gp_practice", 8, lambda item, i: 4)
    trend = organisation_trend(alpha.code, survey_round, latest_release(survey_round))
    assert trend.years == (2041, 2042, 2043)
    new = trend.row("gov_who_decides_known")
    assert new is not None
    assert new.replaces == "It is clear who makes decisions at the commissioner and how."
    assert new.points[0] is None and new.points[1] is None  # never joined to the old question
    assert new.points[2] is not None and new.points[2].positive == 1.0
    assert trend.row("gov_clear_who_decides") is None
    kept = trend.row("gov_conflicts_managed")
    assert kept is not None and all(p is not None for p in kept.points)
    sign_in(make_user(role="manager"))
    html = client.get(f"/results/{alpha.code}?round={survey_round.id}").get_data(as_text=True)
    assert "replaces the earlier question" in html and "not asked" in html


def test_the_bulk_reports_carry_the_trend_and_last_years_ratings(
    rounds: Any, runner: Any, tmp_path: Any, db: Any, make_user: Any
) -> None:
    from datetime import date

    from survey.services.assurance import add_action, record_rating

    alpha, made = rounds
    assessor = make_user(role="assessor", region=alpha.region)
    record_rating(assessor, alpha, made[2041], "governance", "assured_with_support")
    add_action(
        assessor, alpha, made[2041], "governance", "Publish minutes", "Clerk", date(2042, 1, 31)
    )
    db.session.commit()
    out = tmp_path / "reports"
    result = runner.invoke(
        args=["reports", str(made[2042].id), "--output", str(out), "--organisation", alpha.code]
    )
    assert result.exit_code == 0, result.output
    html = (out / f"{alpha.code}-2042-agenda.html").read_text(encoding="utf-8")
    assert "Trend (all stakeholders):</strong> 2040: " in html
    assert "Last year (2041): rated assured with support; 1 of 1 actions still open." in html
    assert "Publish minutes (owner: Clerk; due 31 January 2042; open)" in html
    pdf = (out / f"{alpha.code}-2042-report.pdf").read_bytes()
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Trend, 2040 to 2042" in text
