"""The assurance agenda as plain data: a summary page, then per domain its assurance question,
the survey's evidence as areas for discussion and notable practice (who differs, how strong the
evidence is: :mod:`survey.reports.agenda_points`), last year's rating and agreed actions beside
it, and this year's rating and actions (ticked and listed once the assessor has recorded them,
empty fields until then); then the organisation's local questions and comments.

The survey informs, it never decides: every point is worded as a prompt for the conversation.
Rendered to Word and HTML with the same content by :mod:`survey.reports.agenda_document`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from analysis import ALL_STAKEHOLDERS, RoundTable
from survey.reports.agenda_points import (
    LARGE_GAP_POINTS,
    LOW_BASE,
    WORTH_ASKING,
    Point,
    base_text,
    ordered,
    unit_points,
)
from survey.services.results.evidence import (
    OVERALL,
    Participation,
    Result,
    RoundInfo,
    group_names,
    hidden_text,
    participation,
    results_by_group,
)

if TYPE_CHECKING:
    from survey.services.assurance import Assessment, DomainAssessment
    from survey.services.results.comments import Comments
    from survey.services.results.local import LocalResult
    from survey.services.results.trend import Trend

RATINGS = ("Assured", "Assured with support", "Not assured (intervention required)")


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
    #: the domain's own assurance question, as the questionnaire asks it ("" for the overall)
    question: str = ""
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
    #: the organisation's local questions' results, in the order they were asked
    local: tuple[LocalResult, ...] = ()
    #: the organisation's open comments (None: not read, e.g. an agenda built from a table only)
    comments: Comments | None = None

    @property
    def threshold(self) -> int:
        return self.round.suppression_threshold

    @property
    def hidden_text(self) -> str:
        return hidden_text(self.threshold)


def _section_points(
    members: list[Result], by_unit: dict[str, dict[str, Result]], last_year: str
) -> list[Point]:
    """Every point of one domain's units, each with the groups' and families' rows of its unit
    (``by_unit``: display name -> unit -> row)."""
    found = []
    for row in members:
        groups = [(name, rows[row.unit]) for name, rows in by_unit.items() if row.unit in rows]
        found.extend(unit_points(row, groups, last_year))
    return ordered(found)


def _notes(info: RoundInfo) -> list[str]:
    return [
        "These are suggestions from the stakeholder survey only. They are prompts for the "
        "conversation, not judgements: the rating draws on all the evidence.",
        "A difference is listed when it remains significant after controlling the false "
        "discovery rate (5%) across this organisation's domains and questions, for all "
        "stakeholders and for each stakeholder group or family that publishes. The strength of "
        "the evidence is worded from the adjusted p-value: below 0.001 very strong, below 0.01 "
        "strong, up to 0.05 moderate.",
        f"A gap of {LARGE_GAP_POINTS} points or more that is not significant is listed as "
        f"\u201c{WORTH_ASKING}\u201d (a group's or family's such gap is named only beside a "
        "point that stands without it).",
        f"Bases under {LOW_BASE} are marked: with so few responses a percentage moves a lot "
        "with one answer.",
        f"Results based on {hidden_text(info.suppression_threshold)} are not shown.",
    ]


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
    local: Sequence[LocalResult] = (),
    comments: Comments | None = None,
) -> Agenda:
    """The assurance agenda of one organisation, as plain data.

    ``survey_round`` is a :class:`survey.models.SurveyRound` or a :class:`RoundInfo`;
    ``previous`` (optional) is last year's round or its year, used in the wording;
    ``assessment`` (optional) the ratings and actions recorded this year and last year;
    ``trend`` (optional) the organisation's results over the last rounds;
    ``local`` and ``comments`` (optional) its local questions' results and its comments.
    """
    info = RoundInfo.of(survey_round, previous)
    by_group = results_by_group(table, organisation_code, questionnaire)
    rows = by_group.get(ALL_STAKEHOLDERS, [])
    names = group_names(questionnaire)
    # Groups and (when the table has them) families, keyed alike by their row label.
    by_unit = {
        names.get(group, group): {r.unit: r for r in members}
        for group, members in by_group.items()
        if group != ALL_STAKEHOLDERS
    }
    by_domain: dict[str, list[Result]] = {}
    for row in rows:
        by_domain.setdefault(row.domain, []).append(row)

    def section(domain_id: str, number: int | None, title: str, question: str) -> Section:
        members = by_domain.get(domain_id, [])
        found = _section_points(members, by_unit, info.last_year)
        this = assessment.this_year.domain(domain_id) if assessment else None
        last = assessment.last_year if assessment else None
        return Section(
            id=domain_id,
            number=number,
            title=title,
            headline=next((r for r in members if r.level == "domain"), None),
            discussion=[p for p in found if p.kind == "discussion"],
            notable=[p for p in found if p.kind == "notable"],
            rated=number is not None,
            question=question,
            assessment=this if this is not None and (this.rating or this.actions) else None,
            last_assessment=last.domain(domain_id) if last is not None else None,
            trend=trend.summary(domain_id, base_text) if trend is not None else "",
        )

    sections = []
    if OVERALL in by_domain:
        sections.append(section(OVERALL, None, "Overall relationship", ""))
    for domain in questionnaire.domains:
        sections.append(section(domain.id, domain.number, domain.title, domain.summary))
    return Agenda(
        organisation_code=organisation_code,
        organisation_name=organisation_name or organisation_code,
        round=info,
        participation=participation(rows),
        sections=sections,
        notes=_notes(info),
        local=tuple(local),
        comments=comments,
    )
