"""What an organisation's results dashboard shows, built from the analysis engine's table.

Views call :func:`organisation_dashboard`; every number is the engine's (already suppressed),
local questions follow the engine's rules too. Everything comes from the round's latest
results release (``survey.services.publication``), so pages change only when results are
released, and every process shows the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from analysis import ALL_STAKEHOLDERS, RoundTable
from survey.extensions import db
from survey.models import Invitation, Organisation, Response, ResultsRelease, SurveyRound
from survey.reports import svg_charts as charts
from survey.services.memo import memoised
from survey.services.publication import (
    latest_release,
    release_comments,
    release_local,
    release_table,
)
from survey.services.results.arrays import OVERALL
from survey.services.results.comments import CommentBlock
from survey.services.results.evidence import mean_scale
from survey.services.results.families import FamilyResults, family_results
from survey.services.results.local import LocalResult
from survey.services.rounds import questionnaire_for


def round_chart(
    survey_round: SurveyRound,
    release: ResultsRelease | None,
    key: tuple[Any, ...],
    draw: Callable[[], str],
) -> str:
    """A chart of the round's results as ``release`` (its latest) published them, drawn once
    per release (and process)."""
    return memoised("charts", (survey_round.id, release.id if release else None, *key), 256, draw)


# -- rounds --------------------------------------------------------------------------------


def rounds_with_data(organisation: Organisation) -> list[SurveyRound]:
    """Rounds with at least one response about ``organisation``, latest first."""
    ids = select(Response.round_id).where(Response.organisation_id == organisation.id).distinct()
    return list(
        db.session.scalars(
            select(SurveyRound)
            .where(SurveyRound.id.in_(ids))
            .order_by(SurveyRound.year.desc(), SurveyRound.id.desc())
        )
    )


def rounds_of_organisation(organisation: Organisation) -> list[SurveyRound]:
    """Rounds that asked about ``organisation`` (invitations or responses), latest first."""
    asked = select(Invitation.round_id).where(Invitation.organisation_id == organisation.id)
    answered = select(Response.round_id).where(Response.organisation_id == organisation.id)
    return list(
        db.session.scalars(
            select(SurveyRound)
            .where(SurveyRound.id.in_(asked.union(answered)))
            .order_by(SurveyRound.year.desc(), SurveyRound.id.desc())
        )
    )


def default_round(organisation: Organisation) -> SurveyRound | None:
    """The latest round with data for the organisation's kind, else the latest that asked about
    it."""
    with_data = rounds_with_data(organisation)
    for survey_round in with_data:
        if questionnaire_for(survey_round).organisation_kind == organisation.kind.value:
            return survey_round
    if with_data:
        return with_data[0]
    asked = rounds_of_organisation(organisation)
    return asked[0] if asked else None


# -- provenance ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Provenance:
    """Where a page's numbers come from, printed on every results page."""

    round_title: str
    year: int
    questionnaire_id: str
    questionnaire_version: int
    suppression_threshold: int
    comment_threshold: int
    #: when the results shown were released (None: nothing released yet)
    as_of: datetime | None
    #: responses in the release
    responses: int = 0
    #: the close date while the release was made during fieldwork
    provisional_until: date | None = None


def provenance(survey_round: SurveyRound, release: ResultsRelease | None) -> Provenance:
    """Where the numbers of ``release`` (the round's latest) come from."""
    return Provenance(
        survey_round.title,
        survey_round.year,
        survey_round.questionnaire_id,
        survey_round.questionnaire_version,
        survey_round.suppression_threshold,
        survey_round.comment_threshold,
        release.released_at if release else None,
        release.responses if release else 0,
        release.provisional_until if release else None,
    )


# -- the dashboard -------------------------------------------------------------------------


def _nan(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


@dataclass(frozen=True)
class GroupRate:
    name: str
    invited: float
    responses: float
    rate: float
    suppressed: bool


@dataclass
class Dashboard:
    """Everything the organisation page shows; rows are ``RoundTable.rows()`` dicts."""

    organisation: Organisation
    survey_round: SurveyRound
    #: the round's latest release, which every number of the page comes from
    release: ResultsRelease | None
    provenance: Provenance
    threshold: int
    #: the scale of the mean scores, for the column heading ("1 to 5, 5 best")
    mean_scale: str = ""
    group_rates: list[GroupRate] = field(default_factory=list)
    domain_rows: list[dict[str, Any]] = field(default_factory=list)
    domain_labels: dict[str, str] = field(default_factory=dict)
    item_sections: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)
    item_text: dict[str, str] = field(default_factory=dict)
    heatmap_groups: list[str] = field(default_factory=list)
    heatmap_rows: list[list[dict[str, Any]]] = field(default_factory=list)
    #: the questionnaire's families of groups: rates and heatmap rows after the groups'
    families: FamilyResults = field(default_factory=FamilyResults)
    local: list[LocalResult] = field(default_factory=list)
    comments: list[CommentBlock] = field(default_factory=list)
    comments_hidden: bool = False
    has_data: bool = False
    domain_svg: str = ""
    heatmap_svg: str = ""


def domain_labels(survey_round: SurveyRound) -> dict[str, str]:
    """Display label of each domain of the round's table (the overall section first)."""
    questionnaire = questionnaire_for(survey_round)
    labels = {OVERALL: "Overall relationship"}
    labels.update({d.id: f"{d.number}. {d.title}" for d in questionnaire.domains})
    return labels


def _rows(table: RoundTable, **equals: str) -> list[dict[str, Any]]:
    return list(table.filter(**equals).rows())


def _group_rates(table: RoundTable, code: str, group_names: dict[str, str]) -> list[GroupRate]:
    """Response rate per group, from the first published row of each group (rates are per group)."""
    rates = []
    org = table.filter(organisation=code)
    for group in [ALL_STAKEHOLDERS, *group_names]:
        rows = _rows(org, group=group)
        # Rates are per organisation x group, the same on every unit row; the first unit (the
        # overall relationship) is asked of every group, so its invited count is everyone's.
        published = next(
            (r for r in rows if not r["suppressed"] and not _nan(r["response_rate"])), None
        )
        name = group_names.get(group, group)
        if published is None:
            if rows and any(r["suppressed"] for r in rows):
                rates.append(GroupRate(name, math.nan, math.nan, math.nan, True))
            continue  # not invited and no responses: nothing to say
        invited, rate = float(published["n_invited"]), float(published["response_rate"])
        rates.append(GroupRate(name, invited, round(rate * invited), rate, False))
    return rates


def organisation_dashboard(organisation: Organisation, survey_round: SurveyRound) -> Dashboard:
    """Build the dashboard of ``organisation`` in ``survey_round`` (access already checked)."""
    questionnaire = questionnaire_for(survey_round)
    release = latest_release(survey_round)  # once: every part of the page reads this one
    table = release_table(release)
    code = organisation.code
    group_names = {g.id: g.name for g in questionnaire.stakeholder_groups}
    labels = domain_labels(survey_round)
    board = Dashboard(
        organisation=organisation,
        survey_round=survey_round,
        release=release,
        provenance=provenance(survey_round, release),
        threshold=survey_round.suppression_threshold,
        mean_scale=mean_scale(questionnaire),
        domain_labels=labels,
        item_text={item.id: item.text for item in questionnaire.items},
    )
    mine = table.filter(organisation=code)
    if len(mine) == 0:
        return board
    everyone = mine.filter(group=ALL_STAKEHOLDERS)
    board.has_data = bool((everyone.n > 0).any() or everyone.suppressed.any())
    board.group_rates = _group_rates(table, code, group_names)
    board.families = family_results(mine, questionnaire)
    board.domain_rows = _rows(everyone, level="domain")
    items = _rows(everyone, level="item")
    for domain in labels:
        in_domain = [row for row in items if row["domain"] == domain]
        if in_domain:
            board.item_sections.append((labels[domain], in_domain))
    # Heatmap: stakeholder groups that answered at all (a group with no one is not a row).
    domains = [row["unit"] for row in board.domain_rows]
    for group_id, name in group_names.items():
        rows = _rows(mine, group=group_id, level="domain")
        if rows and any(r["suppressed"] or (not _nan(r["n"]) and r["n"] > 0) for r in rows):
            board.heatmap_groups.append(name)
            board.heatmap_rows.append(rows)
    board.local = release_local(release).get(organisation.code, [])
    comments = release_comments(release, survey_round, organisation.code)
    board.comments, board.comments_hidden = list(comments.blocks), comments.withheld
    if board.has_data:
        name = f"{organisation.name}, {survey_round.title}"
        board.domain_svg = round_chart(
            survey_round,
            release,
            ("domains", code),
            lambda: charts.domain_chart(
                board.domain_rows,
                labels=labels,
                title=f"% positive per domain with 95% confidence intervals: {name}",
            ),
        )
        family_rows = [(family.label, rows) for family, rows in board.families.heatmap]
        if board.heatmap_rows or family_rows:
            values = [
                [math.nan if r["suppressed"] else r["positive"] for r in rows]
                for rows in [*board.heatmap_rows, *(rows for _, rows in family_rows)]
            ]
            board.heatmap_svg = round_chart(
                survey_round,
                release,
                ("heatmap", code),
                lambda: charts.heatmap(
                    values,
                    [*board.heatmap_groups, *(label for label, _ in family_rows)],
                    [labels.get(d, d) for d in domains],
                    title=f"% positive by stakeholder group and domain: {name}",
                    missing_meaning=(
                        f"fewer than {survey_round.suppression_threshold} responses or none"
                    ),
                ),
            )
    return board
