"""Organisations compared per domain: the funnel plot and sortable table of the national view.

The benchmark line is the national proportion positive for the domain: every published
organisation of the round's kind pooled (sum of positives over sum of bases), whatever the
viewer may see; the points and table rows are only the organisations the viewer may see
(:func:`survey.services.organisations.visible_organisations`), narrowed by region.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from analysis import ALL_STAKEHOLDERS
from survey.extensions import db
from survey.models import Organisation, Response, SurveyRound, User
from survey.reports import funnel_chart
from survey.services.organisations import visible_organisations
from survey.services.results.arrays import OVERALL
from survey.services.results.dashboard import (
    Provenance,
    domain_labels,
    provenance,
    round_chart,
    round_table,
)
from survey.services.rounds import questionnaire_for

#: the table's sortable columns (?sort=)
SORT_KEYS = ("name", "region", "n", "positive", "difference")
KINDS = {"ccg": "CCGs and ICBs", "direct": "Direct commissioning"}


@dataclass(frozen=True)
class OrganisationRow:
    organisation: Organisation
    n: float
    positive: float
    low: float
    high: float
    difference: float  # from the national proportion
    bench_significant: bool
    position: str  # funnel position: "within", "above 95%", ...
    suppressed: bool


@dataclass
class Comparison:
    survey_round: SurveyRound | None
    provenance: Provenance | None
    kind: str
    region: str | None
    domain: str
    domains: dict[str, str] = field(default_factory=dict)
    rounds: list[SurveyRound] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    national: float = math.nan
    national_n: int = 0
    rows: list[OrganisationRow] = field(default_factory=list)
    sort: str = "positive"
    descending: bool = True
    svg: str = ""


def rounds_for_kind(kind: str) -> list[SurveyRound]:
    """Rounds with responses whose questionnaire assesses organisations of ``kind``, latest
    first."""
    with_data = select(Response.round_id).distinct()
    rounds = db.session.scalars(
        select(SurveyRound)
        .where(SurveyRound.id.in_(with_data))
        .order_by(SurveyRound.year.desc(), SurveyRound.id.desc())
    )
    return [r for r in rounds if questionnaire_for(r).organisation_kind == kind]


def _sorted(rows: list[OrganisationRow], sort: str, descending: bool) -> list[OrganisationRow]:
    """Rows in the table's order; rows with no number (suppressed, no responses) always last."""
    if sort in ("name", "region"):
        return sorted(
            rows,
            key=lambda r: (
                r.organisation.region if sort == "region" else "",
                r.organisation.name.lower(),
            ),
            reverse=descending,
        )
    value = {
        "n": lambda r: r.n,
        "positive": lambda r: r.positive,
        "difference": lambda r: r.difference,
    }[sort]
    by_name = sorted(rows, key=lambda r: r.organisation.name.lower())  # ties stay in name order
    numbered = [r for r in by_name if not math.isnan(value(r))]
    missing = [r for r in by_name if math.isnan(value(r))]
    return sorted(numbered, key=value, reverse=descending) + missing


def compare(
    user: User,
    *,
    survey_round: SurveyRound | None,
    kind: str,
    region: str | None,
    domain: str,
    sort: str,
    descending: bool,
) -> Comparison:
    """The organisations ``user`` may see, compared on one domain of ``survey_round``."""
    visible = list(db.session.scalars(visible_organisations(user)))
    result = Comparison(
        survey_round=survey_round,
        provenance=provenance(survey_round) if survey_round else None,
        kind=kind,
        region=region,
        domain=domain,
        rounds=rounds_for_kind(kind),
        regions=sorted({org.region for org in visible}),
        sort=sort,
        descending=descending,
    )
    if survey_round is None:
        return result
    result.domains = domain_labels(survey_round)
    if domain not in result.domains:
        result.domain = domain = OVERALL
    table = round_table(survey_round).filter(group=ALL_STAKEHOLDERS, level="domain", unit=domain)
    published = ~table.suppressed & (table.n > 0)
    n = table.n[published]
    positives = (table.positive[published] * n).sum()
    result.national_n = int(n.sum())
    result.national = float(positives / n.sum()) if n.sum() > 0 else math.nan
    by_code: dict[str, dict[str, Any]] = {str(row["organisation"]): row for row in table.rows()}
    for org in visible:
        if org.kind.value != kind or (region and org.region != region) or org.code not in by_code:
            continue
        row = by_code[org.code]
        suppressed = bool(row["suppressed"])
        value = float(row["positive"])
        position = (
            funnel_chart.funnel_position(result.national, row["n"], value)
            if not suppressed
            and not math.isnan(value)
            and row["n"] > 0
            and not math.isnan(result.national)
            else ""
        )
        result.rows.append(
            OrganisationRow(
                organisation=org,
                n=float(row["n"]),
                positive=value,
                low=float(row["positive_low"]),
                high=float(row["positive_high"]),
                difference=value - result.national,
                bench_significant=bool(row["bench_significant"]),
                position=position,
                suppressed=suppressed,
            )
        )
    result.rows = _sorted(result.rows, sort, descending)
    if not math.isnan(result.national):
        label = result.domains[domain]
        points = [
            {"n": r.n, "positive": r.positive, "label": r.organisation.name} for r in result.rows
        ]
        codes = tuple(sorted(r.organisation.code for r in result.rows))
        result.svg = round_chart(
            survey_round,
            ("funnel", domain, codes),
            lambda: funnel_chart.funnel_plot(
                points,
                benchmark=result.national,
                title=f"Funnel plot, {label}: % positive against base, {survey_round.title}",
            ),
        )
    return result
