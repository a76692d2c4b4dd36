"""Organisations compared on one domain or item: the funnel plot and sortable table of the
national view.

The benchmark line is the national proportion positive for the unit: every published
organisation of the round's kind pooled (sum of positives over sum of bases), whatever the
viewer may see.  The control limits and the overdispersion check (:func:`analysis.funnel_compare`)
use the same national set of organisations, so every viewer sees the same limits; the table rows
are only the organisations the viewer may see
(:func:`survey.services.organisations.visible_organisations`), narrowed by region, and for
managers and assessors so are the points.  The viewer's own organisation, or the one they asked
for, is highlighted.

A commissioner (an account of one organisation) sees where their organisation sits among its
peers: every published organisation of the kind is a point, but only theirs is named; the others
are "Another organisation", and the table is their own row with counts of organisations above,
within and below the limits (docs/methods.md section 11).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from analysis import (
    ALL_STAKEHOLDERS,
    FunnelComparison,
    Overdispersion,
    RoundTable,
    funnel_compare,
)
from survey.extensions import db
from survey.models import Organisation, ResultsRelease, SurveyRound, User
from survey.reports import funnel_chart
from survey.services.organisations import visible_organisations
from survey.services.publication import latest_release, release_table
from survey.services.results.arrays import OVERALL
from survey.services.results.comparison_rounds import NAMING_ROLES, comparable_rounds
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
#: what a commissioner's chart calls every organisation but their own
UNNAMED = "Another organisation"


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


@dataclass(frozen=True)
class PositionCounts:
    """How many of the chart's organisations lie above, within and below the 95% limits."""

    above: int
    within: int
    below: int

    @property
    def total(self) -> int:
        return self.above + self.within + self.below


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
    named: bool = True  # other organisations are named (False: a commissioner's view)
    points: list[dict[str, Any]] = field(default_factory=list)  # the funnel plot's points
    counts: PositionCounts | None = None  # of the points, by position

    @property
    def unit_label(self) -> str:
        """What is compared: the domain, or one of its items."""
        return self.items.get(self.item or "", "") or self.domains.get(self.domain, "")

    @property
    def dispersion(self) -> str:
        """The overdispersion check in words ("" without a funnel)."""
        check = self.overdispersion
        return _dispersion_sentence(check) if check is not None else ""


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
    :param highlight: the code of an organisation the user may see, to highlight ("selected");
        by default the user's own organisation is highlighted ("your organisation").  Ignored
        for a commissioner: only their own organisation is ever highlighted (or named).
    """
    named = user.role in NAMING_ROLES
    visible = list(db.session.scalars(visible_organisations(user)))
    rounds = comparable_rounds(user, kind)
    if not named and survey_round not in rounds:
        survey_round = None  # a round that never asked about their organisation: nothing
    release = latest_release(survey_round) if survey_round else None
    result = Comparison(
        survey_round=survey_round,
        provenance=provenance(survey_round, release) if survey_round else None,
        kind=kind,
        region=region if named else None,
        domain=domain,
        rounds=rounds,
        regions=sorted({org.region for org in visible}) if named else [],
        sort=sort,
        descending=descending,
        named=named,
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
    asked = highlight.upper() if highlight and named else None
    result.selected = asked if asked in {org.code for org in visible} else None
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
        result.points = _points(result, table, index, funnel)
        result.counts = _counts(result.points)
        result.svg = _chart(survey_round, release, result, funnel.overdispersion)
    return result


def _point(
    label: str, positive: float, n_eff: float, position: str, highlight: str
) -> dict[str, Any]:
    return {
        "label": label,
        "positive": positive,
        "n_eff": n_eff,
        "position": position,
        "highlight": highlight,
    }


def _points(
    result: Comparison, table: RoundTable, index: dict[str, int], funnel: FunnelComparison
) -> list[dict[str, Any]]:
    """The funnel plot's points: the rows with a funnel position; for a commissioner, every
    placed organisation of the kind, named only where it is one of their rows (their own), in
    order of effective base and value so that not even the order hints at which is which."""
    if result.named:
        return [
            _point(r.organisation.name, r.positive, r.n_eff, r.position, r.highlight)
            for r in result.rows
            if r.position
        ]
    own = {r.organisation.code: r for r in result.rows}
    points = [
        _point(
            own[code].organisation.name if code in own else UNNAMED,
            float(table.positive[i]),
            float(table.positive_n_eff[i]),
            str(funnel.position[i]),
            own[code].highlight if code in own else "",
        )
        for code, i in index.items()
        if funnel.position[i]
    ]
    return sorted(points, key=lambda p: (p["n_eff"], p["positive"], bool(p["highlight"])))


def _counts(points: list[dict[str, Any]]) -> PositionCounts:
    """The points above, within and below the 95% limits (beyond 99.8% counts as beyond 95%)."""
    positions = [str(p["position"]) for p in points]
    return PositionCounts(
        above=sum(p.startswith("above") for p in positions),
        within=positions.count("within"),
        below=sum(p.startswith("below") for p in positions),
    )


def _chart(
    survey_round: SurveyRound,
    release: ResultsRelease | None,
    result: Comparison,
    check: Overdispersion,
) -> str:
    """The funnel plot of the comparison's rows, redrawn only when the results change."""
    points = result.points
    key = tuple(sorted((p["label"], p["highlight"]) for p in points))
    return round_chart(
        survey_round,
        release,
        ("funnel", result.domain, result.item, result.named, key),
        lambda: funnel_chart.funnel_plot(
            points,
            target=result.national,
            phi=check.factor**2,
            title=f"Funnel plot, {result.unit_label}: % positive against effective base, "
            f"{survey_round.title}",
            dispersion=_dispersion_sentence(check),
        ),
    )
