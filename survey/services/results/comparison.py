"""Organisations compared on one domain or item: the funnel plot and sortable table of the
national view.

The benchmark line is the national proportion positive for the unit: every published
organisation of the round's kind pooled (sum of positives over sum of bases), whatever the
viewer may see.  The control limits and the overdispersion check (:func:`analysis.funnel_compare`)
use the same national set of organisations, so every viewer sees the same limits; the points and
table rows are only the organisations the viewer may see
(:func:`survey.services.organisations.visible_organisations`), narrowed by region.  The viewer's
own organisation, or the one they asked for, is highlighted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import select

from analysis import (
    ALL_STAKEHOLDERS,
    FunnelComparison,
    Overdispersion,
    RoundTable,
    funnel_compare,
)
from survey.extensions import db
from survey.models import Organisation, Response, ResultsRelease, SurveyRound, User
from survey.reports import funnel_chart
from survey.services.organisations import visible_organisations
from survey.services.publication import latest_release, release_table
from survey.services.results.arrays import OVERALL
from survey.services.results.dashboard import (
    Provenance,
    domain_labels,
    provenance,
    round_chart,
)
from survey.services.results.evidence import unit_labels
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
    position: str  # funnel position: "within", "above 95%", ... ("" without a number)
    suppressed: bool
    n_eff: float = math.nan  # effective base: the funnel's x-axis (inf for a census)
    limit_low: float = math.nan  # the funnel's 95% limits at this organisation's base
    limit_high: float = math.nan
    highlight: str = ""  # "your organisation", "selected" or ""

    @property
    def census(self) -> bool:
        """Everyone invited answered: no sampling error, an infinite effective base."""
        return math.isinf(self.n_eff)


@dataclass
class Comparison:
    survey_round: SurveyRound | None
    provenance: Provenance | None
    kind: str
    region: str | None
    domain: str
    item: str | None = None  # an item of the domain, compared instead of the domain score
    domains: dict[str, str] = field(default_factory=dict)
    items: dict[str, str] = field(default_factory=dict)  # the domain's items: id -> text
    rounds: list[SurveyRound] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    national: float = math.nan
    national_n: int = 0
    rows: list[OrganisationRow] = field(default_factory=list)
    sort: str = "positive"
    descending: bool = True
    svg: str = ""
    overdispersion: Overdispersion | None = None
    highlighted: str = ""  # the highlighted organisation's name
    selected: str | None = None  # the organisation code asked for (?organisation=)

    @property
    def unit_label(self) -> str:
        """What is compared: the domain, or one of its items."""
        return self.items.get(self.item or "", "") or self.domains.get(self.domain, "")

    @property
    def dispersion(self) -> str:
        """The overdispersion check in words ("" without a funnel)."""
        check = self.overdispersion
        return _dispersion_sentence(check) if check is not None else ""


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


def _national_funnel(
    table: RoundTable,
) -> tuple[float, int, dict[str, int], FunnelComparison | None]:
    """The national figure over every published organisation, and the funnel placed on them.

    :returns: (national proportion, national base, row index per organisation code, the
        :class:`analysis.FunnelComparison` of those rows, or None without a national figure).
    """
    published = ~table.suppressed & (table.n > 0)
    n = table.n[published]
    national_n = int(n.sum())
    national = float((table.positive[published] * n).sum() / n.sum()) if n.sum() > 0 else math.nan
    index = {str(code): i for i, code in enumerate(table.organisation.tolist())}
    if not 0 < national < 1:  # every answer positive (or none): no spread to draw limits for
        return national, national_n, index, None
    positive = np.where(published, table.positive, np.nan)
    return national, national_n, index, funnel_compare(positive, table.positive_n_eff, national)


def _dispersion_sentence(check: Overdispersion) -> str:
    """The overdispersion check in words, for the page and the chart's text alternative."""
    if check.count < 2:
        return "Too few organisations to check for overdispersion; the limits are not inflated."
    test = (
        f"phi = {check.phi:.2f} from {check.count} organisations' z-scores Winsorised at 10% "
        f"and 90%, chi-squared test p = {check.p_value:.3g}"
    )
    if check.inflated:
        return (
            f"Organisations vary more than sampling alone explains ({test}), so the limits are "
            f"widened by the square root of phi, {check.factor:.2f} (Spiegelhalter 2005)."
        )
    return (
        f"No overdispersion ({test}), so the limits are the plain sampling limits "
        "(Spiegelhalter 2005)."
    )


def compare(
    user: User,
    *,
    survey_round: SurveyRound | None,
    kind: str,
    region: str | None,
    domain: str,
    sort: str,
    descending: bool,
    item: str | None = None,
    highlight: str | None = None,
) -> Comparison:
    """The organisations ``user`` may see, compared on one domain (or one of its items) of
    ``survey_round``.

    :param item: an item id of ``domain`` to compare instead of the domain score.
    :param highlight: an organisation code to highlight ("selected"); by default the user's
        own organisation is highlighted ("your organisation").
    """
    visible = list(db.session.scalars(visible_organisations(user)))
    release = latest_release(survey_round) if survey_round else None
    result = Comparison(
        survey_round=survey_round,
        provenance=provenance(survey_round, release) if survey_round else None,
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
    everything = release_table(release).filter(group=ALL_STAKEHOLDERS)
    texts = unit_labels(questionnaire_for(survey_round))
    items = everything.filter(level="item", domain=domain)
    result.items = {
        str(unit): texts.get(str(unit), str(unit)) for unit in dict.fromkeys(items.unit.tolist())
    }
    result.item = item if item in result.items else None
    table = (
        items.filter(unit=result.item)
        if result.item
        else everything.filter(level="domain", unit=domain)
    )
    result.national, result.national_n, index, funnel = _national_funnel(table)
    result.overdispersion = funnel.overdispersion if funnel else None
    result.selected = highlight.upper() if highlight else None
    marked = {result.selected: "selected"} if result.selected else {}
    if user.organisation is not None:
        marked.setdefault(user.organisation.code, "your organisation")
    rows: list[dict[str, Any]] = list(table.rows())
    for org in visible:
        if org.kind.value != kind or (region and org.region != region) or org.code not in index:
            continue
        i = index[org.code]
        row = rows[i]
        value = float(row["positive"])
        placed = funnel is not None and bool(funnel.position[i])
        limits = (funnel.low_95[i], funnel.high_95[i]) if funnel and placed else (math.nan,) * 2
        result.rows.append(
            OrganisationRow(
                organisation=org,
                n=float(row["n"]),
                positive=value,
                low=float(row["positive_low"]),
                high=float(row["positive_high"]),
                difference=value - result.national,
                bench_significant=bool(row["bench_significant"]),
                position=str(funnel.position[i]) if funnel and placed else "",
                suppressed=bool(row["suppressed"]),
                n_eff=float(row["positive_n_eff"]),
                limit_low=float(limits[0]),
                limit_high=float(limits[1]),
                highlight=marked.get(org.code, ""),
            )
        )
    result.highlighted = next(
        (r.organisation.name for r in result.rows if r.highlight and r.position), ""
    )
    result.rows = _sorted(result.rows, sort, descending)
    if funnel is not None:
        result.svg = _chart(survey_round, release, result, funnel.overdispersion)
    return result


def _chart(
    survey_round: SurveyRound,
    release: ResultsRelease | None,
    result: Comparison,
    check: Overdispersion,
) -> str:
    """The funnel plot of the comparison's rows, redrawn only when the results change."""
    points = [
        {
            "label": r.organisation.name,
            "positive": r.positive,
            "n_eff": r.n_eff,
            "position": r.position,
            "highlight": r.highlight,
        }
        for r in result.rows
        if r.position
    ]
    key = tuple(sorted((p["label"], p["highlight"]) for p in points))
    return round_chart(
        survey_round,
        release,
        ("funnel", result.domain, result.item, key),
        lambda: funnel_chart.funnel_plot(
            points,
            target=result.national,
            phi=check.factor**2,
            title=f"Funnel plot, {result.unit_label}: % positive against effective base, "
            f"{survey_round.title}",
            dispersion=_dispersion_sentence(check),
        ),
    )
