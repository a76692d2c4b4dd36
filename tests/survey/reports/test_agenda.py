"""The assurance agenda: a one-page summary first; per domain its assurance question, areas for
discussion and notable practice with the engine's numbers, who differs (groups and families
where they publish, with n), the strength of the evidence in words, low bases marked; local
questions and comments counted, comments quoted only at the threshold; the Word file and the
HTML page carry the same content; suppression and escaping held.

Which points are listed is recomputed from the microdata in ``test_agenda_points.py``; here the
agenda is checked against the engine's table it reads."""

from __future__ import annotations

import dataclasses
import io
import math
import re
from datetime import date
from typing import Any

import lxml.html
import numpy as np
from docx import Document
from docx.table import Table
from sqlalchemy import select

from analysis import ALL_STAKEHOLDERS, RoundTable
from survey.models import Response
from survey.reports.agenda import Agenda, build_agenda
from survey.reports.agenda_document import agenda_docx, agenda_html
from survey.reports.agenda_points import evidence_strength
from survey.services.audit import COMMAND_LINE
from survey.services.results.arrays import analyse
from survey.services.results.comments import organisation_comments
from survey.services.results.evidence import ci, diff_ci, pct, points
from survey.services.results.files import organisation_file
from survey.services.results.local import LocalResult
from survey.services.rounds import questionnaire_for
from tests.survey.reports.conftest import PAYLOAD, _typical, seed_responses
from tests.survey.stored import publish

WORTH_ASKING = "worth asking about, not statistically significant"


def _row(table: Any, code: str, unit: str, group: str = ALL_STAKEHOLDERS) -> dict[str, Any]:
    return next(table.filter(organisation=code, group=group, unit=unit).rows())


def _docx_blocks(data: bytes) -> list[str]:
    """Each paragraph's text, and each table cell's, in document order."""
    doc = Document(io.BytesIO(data))
    out: list[str] = []
    for part in doc.iter_inner_content():
        if isinstance(part, Table):
            out.extend(cell.text for row in part.rows for cell in row.cells)
        else:
            out.append(part.text)
    return [" ".join(text.split()) for text in out if text.strip()]


def _html_blocks(page: str) -> list[str]:
    """Each heading's, paragraph's, list item's and table cell's text, in document order."""
    body = lxml.html.fromstring(page).body
    for br in body.iter("br"):
        br.tail = "\n" + (br.tail or "")
    texts = [el.text_content() for el in body.iter("h1", "h2", "h3", "p", "li", "th", "td")]
    return [" ".join(text.split()) for text in texts if text.strip()]


def _docx_text(data: bytes) -> str:
    return "\n".join(_docx_blocks(data))


def _expected_evidence(row: dict[str, Any], reference: str = "benchmark") -> str:
    """The evidence line of a row, worded here from the engine's numbers and docs/methods.md
    §10's cut-offs (adjusted p below 0.001, 0.01, up to 0.05)."""
    n = int(row["n"])
    p = row["bench_p_adjusted"]
    words = (
        "very strong evidence"
        if p < 0.001
        else "strong evidence"
        if p < 0.01
        else "moderate evidence"
        if row["bench_significant"]
        else WORTH_ASKING
    )
    p_words = "adjusted p < 0.001" if p < 0.001 else f"adjusted p = {p:.3g}"
    base = f"n = {n} (base under 20)" if n < 20 else f"n = {n}"
    return (
        f"{base}; {pct(row['positive'])} positive "
        f"(95% CI {ci(row['positive_low'], row['positive_high'])}); "
        f"{reference} {pct(row['bench_positive'])}; difference {points(row['bench_diff'])} "
        f"(95% CI {diff_ci(row['bench_diff_low'], row['bench_diff_high'])} pts); "
        f"{words} ({p_words})"
    )


def _agenda(seeded: Any, code: str = "05W", **extra: Any) -> tuple[RoundTable, Agenda]:
    survey_round = seeded.survey_round
    table = analyse(survey_round)
    agenda = build_agenda(
        table, code, survey_round, questionnaire_for(survey_round), organisation_name=code, **extra
    )
    return table, agenda


def test_worse_governance_is_an_area_for_discussion_naming_who_differs(seeded: Any) -> None:
    table, agenda = _agenda(seeded)
    row = _row(table, "05W", "governance")
    assert row["bench_significant"] and row["bench_diff"] < 0
    governance = next(s for s in agenda.sections if s.id == "governance")
    assert {p.unit for p in governance.discussion} > {"governance"}  # the domain and its items
    point = governance.discussion[0]  # the domain's own point leads
    assert (point.unit, point.comparison) == ("governance", "benchmark")
    assert point.prompt.startswith("Stakeholders were less positive than the benchmark about")
    assert point.prompt.endswith("what is behind this?")
    assert point.overall is not None and point.overall.n == row["n"]
    assert math.isclose(point.overall.positive, row["positive"])
    assert math.isclose(point.overall.diff, row["bench_diff"])
    # The groups that differ, named with their n where they publish: both groups' governance is
    # worse (the whole organisation answered so), the providers' base is under 20.
    named = {d.who: d for d in point.groups}
    # and the families that hold them (each of one invited group here)
    assert set(named) == {"GP member practices", "NHS providers", "NHS partners and regulators"}
    text = _docx_text(agenda_docx(agenda))
    assert point.prompt in text
    assert "Evidence (all stakeholders): " + _expected_evidence(row) in text
    for group, name in (("gp_practice", "GP member practices"), ("nhs_provider", "NHS providers")):
        group_row = _row(table, "05W", "governance", group)
        assert named[name].n == group_row["n"]
        assert f"Evidence ({name}): " + _expected_evidence(group_row) in text
    assert "Evidence (NHS providers): n = 8 (base under 20);" in text
    for rating in ("Assured", "Assured with support", "Not assured"):
        assert rating in text
    assert "Agreed actions" in text and "Areas for discussion" in text
    assert f"version {seeded.survey_round.questionnaire_version}" in text


def test_better_partnership_is_notable_practice(seeded: Any) -> None:
    table, agenda = _agenda(seeded, "06B")
    partnership = next(s for s in agenda.sections if s.id == "partnership")
    assert not partnership.discussion
    notable = next(p for p in partnership.notable if p.unit == "partnership")
    assert "more positive than the benchmark" in notable.prompt
    row = _row(table, "06B", "partnership")
    assert notable.overall is not None and math.isclose(notable.overall.diff, row["bench_diff"])
    assert partnership.headline is not None
    assert math.isclose(partnership.headline.positive, row["positive"])
    html = agenda_html(agenda)
    assert notable.prompt in html
    assert (
        f"{pct(row['positive'])} positive "
        f"(95% CI {ci(row['positive_low'], row['positive_high'])}; n = {int(row['n'])})" in html
    )


def test_the_evidence_words_follow_the_adjusted_p_value_cut_offs() -> None:
    assert evidence_strength(True, 0.0009, -0.3) == "very strong evidence"
    assert evidence_strength(True, 0.001, -0.3) == "strong evidence"
    assert evidence_strength(True, 0.0099, 0.2) == "strong evidence"
    assert evidence_strength(True, 0.01, 0.2) == "moderate evidence"
    assert evidence_strength(True, 0.05, 0.02) == "moderate evidence"
    # not significant: worded by the gap as printed, 10 points or more
    assert evidence_strength(False, 0.051, -0.16) == WORTH_ASKING
    assert evidence_strength(False, 0.2, 0.0951) == WORTH_ASKING  # prints as +10 pts
    assert evidence_strength(False, 0.2, 0.0949) == "not statistically significant"


def test_a_large_gap_that_is_not_significant_is_listed_as_worth_asking_about(seeded: Any) -> None:
    survey_round = seeded.survey_round
    table = analyse(survey_round)
    row = _row(table, "05W", "governance")
    # The same numbers with the test not significant: a large gap stays on the agenda, worded
    # for what it is.
    columns = {c: getattr(table, c) for c in table.columns()}
    governance = table.unit == "governance"
    columns["bench_significant"] = np.where(governance, False, table.bench_significant)
    columns["bench_p_adjusted"] = np.where(governance, 0.08, table.bench_p_adjusted)
    agenda = build_agenda(
        RoundTable(**columns), "05W", survey_round, questionnaire_for(survey_round)
    )
    point = next(s for s in agenda.sections if s.id == "governance").discussion[0]
    assert point.unit == "governance" and point.overall is not None
    assert abs(round(100 * row["bench_diff"])) >= 10
    assert point.strength == WORTH_ASKING and not point.significant
    assert f"difference {points(row['bench_diff'])}" in point.overall.evidence
    assert point.overall.evidence.endswith(f"; {WORTH_ASKING} (adjusted p = 0.08)")


def test_a_change_on_last_year_is_listed_for_all_stakeholders_only(seeded: Any) -> None:
    survey_round = seeded.survey_round
    table = analyse(survey_round)
    # Last year's figures as a previous round would give them: 15 points up on partnership,
    # not significant; every row of the unit, groups too.
    columns = {c: getattr(table, c) for c in table.columns()}
    unit = (table.unit == "partnership") & ~table.suppressed
    columns["prev_positive"] = np.where(unit, table.positive - 0.15, np.nan)
    columns["prev_diff"] = np.where(unit, 0.15, np.nan)
    columns["prev_diff_low"] = np.where(unit, -0.05, np.nan)
    columns["prev_diff_high"] = np.where(unit, 0.35, np.nan)
    columns["prev_p_adjusted"] = np.where(unit, 0.2, np.nan)
    agenda = build_agenda(
        RoundTable(**columns), "02T", survey_round, questionnaire_for(survey_round), previous=2040
    )
    partnership = next(s for s in agenda.sections if s.id == "partnership")
    [point] = [p for p in partnership.notable if p.comparison == "last year"]
    assert point.prompt.startswith("Stakeholders were more positive than in 2040 about")
    assert point.prompt.endswith("what made the difference?")
    assert point.groups == () and point.strength == WORTH_ASKING
    assert point.overall is not None
    assert (
        "; last year " in point.overall.evidence and "difference +15 pts" in point.overall.evidence
    )


def test_the_summary_page_comes_first(seeded: Any) -> None:
    _table, agenda = _agenda(seeded)
    assert agenda.round.provisional  # the seeded round is open, closing in three weeks
    blocks = _docx_blocks(agenda_docx(agenda))
    closes = seeded.survey_round.closes_on
    # results are published in releases: they change at the next one, not as responses arrive
    warning = (
        f"Provisional: fieldwork is still open (it closes on {closes:%d %B %Y}). These results "
        "will change at the next release of results and at the close, not as each response "
        "arrives; do not treat them as final."
    )
    assert blocks[0] == "Assurance agenda: 05W (05W)" and blocks[2] == warning
    assert warning in _html_blocks(agenda_html(agenda))  # the web page says the same
    assert blocks[3] == "Summary"
    assert blocks[4:8] == ["Responses", "40 of 40 invited (100%)", "Local questions", "none asked"]
    assert blocks[8:11] == ["Domain", "Areas for discussion", "Notable practice"]
    doc = Document(io.BytesIO(agenda_docx(agenda)))
    parts = list(doc.iter_inner_content())
    summary = next(
        i
        for i, part in enumerate(parts)
        if isinstance(part, Table) and part.rows[0].cells[-1].text == "Notable practice"
    )
    # The page ends after the summary table: the next paragraph is the page break.
    assert 'w:type="page"' in parts[summary + 1]._p.xml
    rows = {row.cells[0].text: row.cells for row in parts[summary].rows[1:]}
    domains = questionnaire_for(seeded.survey_round).domains
    assert list(rows) == ["Overall relationship", *(f"{d.number}. {d.title}" for d in domains)]
    first, more = rows["4. Robust governance"][1].text.split("\n")
    lead = agenda.sections[4].discussion[0].overall
    assert lead is not None
    assert first == (
        f"Domain as a whole: {pct(lead.positive)} vs benchmark {pct(lead.reference)} "
        f"({lead.strength})"
    )
    assert more == f"and {len(agenda.sections[4].discussion) - 1} more in the domain's section"
    # One point per domain and kind is named, the rest counted: the page is one page however
    # many there are (test_agenda_browser.py prints it).
    for cells in rows.values():
        for cell in cells[1:]:
            lines = cell.text.split("\n")
            assert len(lines) <= 2 and not lines[0].startswith("and ")
    closed = dataclasses.replace(agenda, round=dataclasses.replace(agenda.round, provisional=False))
    assert not any(b.startswith("Provisional") for b in _docx_blocks(agenda_docx(closed)))


def test_each_domain_quotes_its_own_assurance_question(seeded: Any) -> None:
    _table, agenda = _agenda(seeded)
    word, page = _docx_text(agenda_docx(agenda)), agenda_html(agenda)
    for domain in questionnaire_for(seeded.survey_round).domains:
        line = f"Assurance question: \u201c{domain.summary}\u201d"
        assert line in word and line in "\n".join(_html_blocks(page))


def test_bases_under_20_are_marked(seeded: Any, db: Any, make_organisation: Any) -> None:
    small = make_organisation(code="08L")
    seed_responses(db, seeded.survey_round, small, "gp_practice", 12, _typical)
    table, agenda = _agenda(seeded, "08L")
    headline = next(s for s in agenda.sections if s.id == "governance").headline
    assert headline is not None and headline.n is not None and headline.n < 20
    text = _docx_text(agenda_docx(agenda))
    assert f"n = {headline.n} (base under 20)" in text
    assert not re.search(r"n = 1?\d[);]", text)  # no base under 20 unmarked
    _table, large = _agenda(seeded)
    assert "n = 40 (base under 20)" not in _docx_text(agenda_docx(large))


def test_a_family_row_is_named_like_a_group(seeded: Any) -> None:
    survey_round = seeded.survey_round
    table = analyse(survey_round)
    # A table with family rows keys them by the family's id in the group column.
    as_family = np.where(table.group == "nhs_provider", "nhs_partners", table.group)
    families = RoundTable(**{**{c: getattr(table, c) for c in table.columns()}, "group": as_family})
    agenda = build_agenda(families, "05W", survey_round, questionnaire_for(survey_round))
    point = next(s for s in agenda.sections if s.id == "governance").discussion[0]
    assert "NHS partners and regulators" in {d.who for d in point.groups}


def _comment(db: Any, organisation: Any, survey_round: Any, texts: list[str]) -> None:
    responses = db.session.scalars(
        select(Response).where(Response.organisation_id == organisation.id)
    ).all()
    for response, text in zip(responses, texts, strict=False):
        # open answers are kept beside the packed scale answers
        response.other_answers = {
            **(response.other_answers or {}),
            "comment_does_well": {"text": text},
        }
    publish(survey_round)  # files read the round's latest release
    db.session.commit()


def test_local_questions_and_comments_are_counted_comments_quoted_at_the_threshold(
    seeded: Any, db: Any, make_organisation: Any
) -> None:
    survey_round = seeded.survey_round  # comment threshold 10
    _comment(db, seeded.worse, survey_round, ["Open board meetings", "Clear minutes"] * 3)
    few = make_organisation(code="09F")
    seed_responses(db, survey_round, few, "gp_practice", 8, _typical)
    _comment(db, few, survey_round, [f"Private words {i}" for i in range(6)])
    local = (
        LocalResult(
            "local_hub", "Is the new hub working?", 30, 0.6, 0.45, 0.73, 0.2, 0.0, 3.6, False
        ),
        LocalResult("local_bus", "Is the bus route better?", None, *(None,) * 6, True),
    )
    table, agenda = _agenda(
        seeded, local=local, comments=organisation_comments(seeded.worse, survey_round)
    )
    text = _docx_text(agenda_docx(agenda))
    assert "Local questions: 2 local questions (results near the end of this agenda)" in text
    assert "\u201cIs the new hub working?\u201d: 60% positive (95% CI 45-73%; n = 30)" in text
    assert "\u201cIs the bus route better?\u201d: fewer than 5 responses" in text
    assert "Comments: 6 comments to 3 open questions (quoted at the end of this agenda)" in text
    assert text.count("Open board meetings") == 3 and "Clear minutes" in text
    # Eight respondents: the count is given, the words are not.
    made = organisation_file(COMMAND_LINE, few, survey_round, "agenda.docx").data
    small = _docx_text(made)
    assert "6 comments to 3 open questions; not shown: fewer than 10 responses" in small
    assert "Private words" not in small
    page = organisation_file(COMMAND_LINE, few, survey_round, "agenda.html").data.decode()
    assert "Private words" not in page and "6 comments to 3 open questions" in page


def test_word_and_html_carry_the_same_content(seeded: Any) -> None:
    from survey.models import Rating
    from survey.services.assurance import (
        AgreedAction,
        Assessment,
        DomainAssessment,
        RoundAssessment,
    )

    questionnaire = questionnaire_for(seeded.survey_round)
    action = AgreedAction(
        1, "governance", "Publish the register", "Board", date(2041, 1, 31), False
    )
    domains = tuple(
        DomainAssessment(
            d.id,
            d.number,
            d.title,
            Rating.NOT_ASSURED if d.id == "governance" else None,
            "Weak minutes",
            None,
            (action,) if d.id == "governance" else (),
        )
        for d in questionnaire.domains
    )
    this = RoundAssessment(2, 2041, "Round 2041", domains)
    last = RoundAssessment(1, 2040, "Round 2040", domains)
    local = (
        LocalResult(
            "local_hub", "Is the new hub working?", 12, 0.5, 0.3, 0.7, 0.2, 0.0, 3.4, False
        ),
    )
    from survey.services.results.comments import CommentBlock, Comments

    comments = Comments(40, 3, 2, 10, 5, (CommentBlock("What does it do well?", ["A", "B <b>"]),))
    _table, agenda = _agenda(
        seeded,
        previous=2040,
        assessment=Assessment("05W", this, last),
        local=local,
        comments=comments,
    )
    word = _docx_blocks(agenda_docx(agenda))
    page = _html_blocks(agenda_html(agenda))
    assert word == page
    # and the content is all there: the summary, every domain, the record, local, comments
    for expected in (
        "Summary",
        "Domain 4: Robust governance",
        "\u2612 Not assured (intervention required)",
        "Publish the register (owner: Board; due 31 January 2041; open)",
        "B <b>",
        "Last year (2040): rated not assured (intervention required); 1 of 1 actions still open.",
    ):
        assert any(expected in block for block in word), expected


def test_a_suppressed_organisation_gets_no_numbers(seeded: Any) -> None:
    _table, agenda = _agenda(seeded, "07S")
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
