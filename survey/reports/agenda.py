"""The assurance agenda: per domain, the survey's evidence as areas for discussion and notable
practice, last year's rating and agreed actions beside it, and this year's rating and actions
(ticked and listed once the assessor has recorded them, empty fields until then).

The survey informs, it never decides: every point is worded as a prompt for the conversation,
and only differences flagged significant after false discovery rate control are suggested.
"""

from __future__ import annotations

import functools
import io
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import jinja2

from analysis import RoundTable
from survey.services.results.evidence import (
    OVERALL,
    Participation,
    Result,
    RoundInfo,
    ci,
    diff_ci,
    hidden_text,
    participation,
    pct,
    points,
    results,
)

if TYPE_CHECKING:
    from survey.services.assurance import AgreedAction, Assessment, DomainAssessment
    from survey.services.results.trend import Trend

RATINGS = ("Assured", "Assured with support", "Not assured (intervention required)")

Kind = Literal["discussion", "notable"]
Comparison = Literal["benchmark", "last year"]


@dataclass(frozen=True)
class Point:
    """One suggested area for discussion or piece of notable practice, with its evidence."""

    kind: Kind
    comparison: Comparison
    unit: str
    level: str
    label: str
    prompt: str
    n: int
    positive: float
    positive_low: float
    positive_high: float
    reference: float | None
    diff: float
    diff_low: float | None
    diff_high: float | None

    @property
    def evidence(self) -> str:
        ref = "benchmark" if self.comparison == "benchmark" else "last year"
        return (
            f"n = {self.n}; {pct(self.positive)} positive "
            f"(95% CI {ci(self.positive_low, self.positive_high)}); "
            f"{ref} {pct(self.reference)}; difference {points(self.diff)} "
            f"(95% CI {diff_ci(self.diff_low, self.diff_high)} pts)"
        )


@dataclass(frozen=True)
class Section:
    """One domain (or the overall relationship) of the agenda."""

    id: str
    number: int | None
    title: str
    headline: Result | None
    discussion: list[Point]
    notable: list[Point]
    rated: bool = True
    #: this year's rating and actions (None: nothing recorded, the fields are left empty)
    assessment: DomainAssessment | None = None
    #: last year's rating and actions of the same domain, if there was a round last year
    last_assessment: DomainAssessment | None = None
    #: each year's result over the last rounds ("" with no earlier round)
    trend: str = ""


@dataclass(frozen=True)
class Agenda:
    organisation_code: str
    organisation_name: str
    round: RoundInfo
    participation: Participation
    sections: list[Section]
    ratings: tuple[str, ...] = RATINGS
    notes: list[str] = field(default_factory=list)

    @property
    def threshold(self) -> int:
        return self.round.suppression_threshold

    @property
    def hidden_text(self) -> str:
        return hidden_text(self.threshold)


def _quoted(row: Result) -> str:
    if row.level == "domain":
        return f"{row.label.split(': ', 1)[-1]} (the domain as a whole)"
    return f"\u201c{row.label}\u201d"


def _points(row: Result, last_year: str) -> list[Point]:
    if not row.shown or row.n is None or row.positive is None:
        return []
    out = []
    about = _quoted(row)
    checks: list[
        tuple[Comparison, bool, float | None, float | None, float | None, float | None]
    ] = [
        (
            "benchmark",
            row.bench_significant,
            row.bench_diff,
            row.bench_diff_low,
            row.bench_diff_high,
            row.bench_positive,
        ),
        (
            "last year",
            row.prev_significant,
            row.prev_diff,
            row.prev_diff_low,
            row.prev_diff_high,
            row.prev_positive,
        ),
    ]
    for comparison, significant, diff, low, high, reference in checks:
        if not significant or diff is None or diff == 0:
            continue
        than = "the benchmark" if comparison == "benchmark" else f"in {last_year}"
        if diff < 0:
            kind: Kind = "discussion"
            ask = "what is behind this?" if comparison == "benchmark" else "what has changed?"
            prompt = f"Stakeholders were less positive than {than} about {about} \u2014 {ask}"
        else:
            kind = "notable"
            ask = (
                "what is working well, and could others learn from it?"
                if comparison == "benchmark"
                else "what made the difference?"
            )
            prompt = f"Stakeholders were more positive than {than} about {about} \u2014 {ask}"
        out.append(
            Point(
                kind=kind,
                comparison=comparison,
                unit=row.unit,
                level=row.level,
                label=row.label,
                prompt=prompt,
                n=row.n,
                positive=row.positive,
                positive_low=row.positive_low if row.positive_low is not None else row.positive,
                positive_high=row.positive_high if row.positive_high is not None else row.positive,
                reference=reference,
                diff=diff,
                diff_low=low,
                diff_high=high,
            )
        )
    return out


def build_agenda(
    table: RoundTable,
    organisation_code: str,
    survey_round: Any,
    questionnaire: Any,
    *,
    organisation_name: str | None = None,
    previous: Any = None,
    assessment: Assessment | None = None,
    trend: Trend | None = None,
) -> Agenda:
    """The assurance agenda of one organisation, as plain data.

    ``survey_round`` is a :class:`survey.models.SurveyRound` or a :class:`RoundInfo`;
    ``previous`` (optional) is last year's round or its year, used in the wording;
    ``assessment`` (optional) the ratings and actions recorded this year and last year;
    ``trend`` (optional) the organisation's results over the last rounds.
    """
    info = RoundInfo.of(survey_round, previous)
    rows = results(table, organisation_code, questionnaire)
    by_domain: dict[str, list[Result]] = {}
    for row in rows:
        by_domain.setdefault(row.domain, []).append(row)

    def section(domain_id: str, number: int | None, title: str, rated: bool) -> Section:
        members = by_domain.get(domain_id, [])
        headline = next((r for r in members if r.level == "domain"), None)
        found = [p for r in members for p in _points(r, info.last_year)]
        # Largest differences first: the strongest evidence leads the conversation.
        found.sort(key=lambda p: (p.level != "domain", -abs(p.diff)))
        this = assessment.this_year.domain(domain_id) if assessment else None
        last = assessment.last_year if assessment else None
        return Section(
            id=domain_id,
            number=number,
            title=title,
            headline=headline,
            discussion=[p for p in found if p.kind == "discussion"],
            notable=[p for p in found if p.kind == "notable"],
            rated=rated,
            assessment=this if this is not None and (this.rating or this.actions) else None,
            last_assessment=last.domain(domain_id) if last is not None else None,
            trend=trend.summary(domain_id) if trend is not None else "",
        )

    sections = []
    if OVERALL in by_domain:
        sections.append(section(OVERALL, None, "Overall relationship", rated=False))
    for domain in questionnaire.domains:
        sections.append(section(domain.id, domain.number, domain.title, rated=True))
    notes = [
        "These are suggestions from the stakeholder survey only. They are prompts for the "
        "conversation, not judgements: the rating draws on all the evidence.",
        "Only differences that remain significant after controlling the false discovery rate "
        "(5%) across this organisation's domains and questions are listed.",
        f"Results based on {hidden_text(info.suppression_threshold)} are not shown.",
    ]
    return Agenda(
        organisation_code=organisation_code,
        organisation_name=organisation_name or organisation_code,
        round=info,
        participation=participation(rows),
        sections=sections,
        notes=notes,
    )


# -- renderers ----------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(text: object) -> str:
    """Text safe for XML based formats (python-docx, reportlab): control characters removed."""
    return _CONTROL.sub("", str(text))


def headline_text(row: Result | None, threshold: int, last_year: str) -> str:
    if row is None:
        return "No results for this domain."
    if not row.shown:
        return f"No result shown: {hidden_text(threshold)}."
    parts = [
        f"{pct(row.positive)} positive "
        f"(95% CI {ci(row.positive_low, row.positive_high)}; n = {row.n})",
        f"benchmark {pct(row.bench_positive)}"
        if row.bench_positive is not None
        else "no benchmark",
        f"{last_year} {pct(row.prev_positive)}"
        if row.prev_positive is not None
        else f"{last_year}: no comparable result",
    ]
    return "; ".join(parts)


def action_text(action: AgreedAction) -> str:
    return f"{action.text} (owner: {action.owner}; due {action.due_on:%d %B %Y}; {action.status})"


def last_year_text(section: Section, last_year: str) -> str:
    """Last year's rating and the number of its actions still open, in one line."""
    before = section.last_assessment
    if before is None:
        return ""
    rating = f"rated {before.rating_label.lower()}" if before.rating else "not rated"
    opened = f"{before.open_actions} of {len(before.actions)} actions still open"
    return f"Last year ({last_year}): {rating}; {opened}."


def ticked(section: Section, rating: str) -> str:
    """A ticked box for the recorded rating, empty boxes for the others."""
    chosen = section.assessment.rating_label if section.assessment else None
    return ("\u2612 " if rating == chosen else "\u2610 ") + rating


def agenda_docx(agenda: Agenda) -> bytes:
    """The agenda as a Word document for the assessor to complete."""
    from docx import Document
    from docx.shared import Pt

    doc = Document()
    # Style objects looked up once: a lookup by name scans every style in the template.
    bullet = doc.styles["List Bullet"]
    grid = doc.styles["Table Grid"]
    style = doc.styles["Normal"]
    style.font.name = "Arial"
    style.font.size = Pt(10)
    doc.add_heading(
        clean(f"Assurance agenda: {agenda.organisation_name} ({agenda.organisation_code})"), level=0
    )
    doc.add_paragraph(clean(f"360\u00b0 stakeholder survey evidence, {agenda.round.title}"))
    info = doc.add_table(rows=0, cols=2)
    info.style = grid
    p = agenda.participation
    facts = [*agenda.round.provenance()]
    if p.invited is not None:
        facts.append(
            (
                "Responses",
                f"{p.responses} of {p.invited} invited ({pct(p.response_rate)})"
                if p.responses is not None
                else f"{p.invited} invited",
            )
        )
    for label, value in facts:
        cells = info.add_row().cells
        cells[0].text = clean(label)
        cells[1].text = clean(value)
    for note in agenda.notes:
        doc.add_paragraph(clean(note), style=bullet)

    for section in agenda.sections:
        title = f"Domain {section.number}: {section.title}" if section.number else section.title
        doc.add_heading(clean(title), level=1)
        doc.add_paragraph(
            clean(
                "Headline (all stakeholders): "
                + headline_text(section.headline, agenda.threshold, agenda.round.last_year)
            )
        )
        if section.trend:
            doc.add_paragraph(clean("Trend (all stakeholders): " + section.trend))
        if section.last_assessment is not None:
            doc.add_paragraph(clean(last_year_text(section, agenda.round.last_year)))
            if section.last_assessment.note:
                doc.add_paragraph(clean("Last year's judgement: " + section.last_assessment.note))
            for action in section.last_assessment.actions:
                doc.add_paragraph(clean(action_text(action)), style=bullet)
        for heading, points_ in (
            ("Areas for discussion", section.discussion),
            ("Notable practice", section.notable),
        ):
            doc.add_heading(heading, level=2)
            if not points_:
                doc.add_paragraph("None suggested by the survey.")
            for point in points_:
                doc.add_paragraph(clean(point.prompt), style=bullet)
                doc.add_paragraph(clean("Evidence: " + point.evidence))
        if section.rated:
            doc.add_heading("Assessment", level=2)
            form = doc.add_table(rows=2, cols=2)
            form.style = grid
            form.cell(0, 0).text = "Rating (tick one)"
            form.cell(0, 1).text = "\n".join(ticked(section, r) for r in agenda.ratings)
            form.cell(1, 0).text = "Agreed actions"
            actions = section.assessment.actions if section.assessment else ()
            form.cell(1, 1).text = clean("\n".join(action_text(a) for a in actions))
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    from survey import TEMPLATE_FOLDER

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_FOLDER),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(pct=pct, ci=ci, points=points, diff_ci=diff_ci)
    env.globals.update(
        headline_text=headline_text,
        last_year_text=last_year_text,
        action_text=action_text,
        ticked=ticked,
    )
    return env


def agenda_html(agenda: Agenda) -> str:
    """The agenda as a self-contained HTML page (every value escaped)."""
    return _environment().get_template("reports/agenda.html").render(agenda=agenda)
