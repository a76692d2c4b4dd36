"""Three-year trend: each domain and item over the last three rounds of the same questionnaire.

A questionnaire id is a lineage: its item ids are stable across years (docs/questionnaire-
format.md), so a unit is followed by its id. An item that ``replaces`` a retired one starts its
trend again; the old id is named in a footnote and the two are never joined. Every year's point
is that round's own published result (its own suppression); the change against last year and
its significance test come from this round's table (``prev_*``), as everywhere else.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select

from analysis import ALL_STAKEHOLDERS, RoundTable
from survey.extensions import db
from survey.models import ResultsRelease, SurveyRound
from survey.reports import trend_chart
from survey.services.publication import latest_releases, release_table
from survey.services.results.dashboard import round_chart
from survey.services.results.evidence import OVERALL, ci, hidden_text, pct, unit_labels
from survey.services.rounds import questionnaire_for

#: how many rounds a trend covers, this one included
YEARS = 3


def lineage_rounds(survey_round: SurveyRound, count: int = YEARS) -> list[SurveyRound]:
    """The last ``count`` rounds of the round's questionnaire up to and including it, oldest
    first."""
    rounds = db.session.scalars(
        select(SurveyRound)
        .where(
            SurveyRound.questionnaire_id == survey_round.questionnaire_id,
            SurveyRound.year <= survey_round.year,
        )
        .order_by(SurveyRound.year.desc())
        .limit(count)
    )
    return list(rounds)[::-1]


def _num(value: Any) -> float | None:
    value = float(value)
    return None if math.isnan(value) else value


@dataclass(frozen=True)
class TrendPoint:
    """One year's published result of a unit (numbers None when suppressed or no answers)."""

    year: int
    n: float | None
    positive: float | None
    low: float | None
    high: float | None
    suppressed: bool

    @property
    def shown(self) -> bool:
        return not self.suppressed and self.positive is not None and bool(self.n)

    def text(self, threshold: int, base: Callable[[int], str] = "n = {}".format) -> str:
        """The year's result in words; ``base`` words its n (the agenda marks low bases)."""
        if self.suppressed:
            return f"{self.year}: {hidden_text(threshold)}"
        if not self.shown:
            return f"{self.year}: no responses"
        return (
            f"{self.year}: {pct(self.positive)} (95% CI {ci(self.low, self.high)}; "
            f"{base(round(self.n or 0))})"
        )


@dataclass(frozen=True)
class TrendRow:
    unit: str
    level: str
    domain: str
    label: str
    #: one per year of :attr:`Trend.years`; None where the unit was not in that round
    points: tuple[TrendPoint | None, ...]
    change: float | None
    change_low: float | None
    change_high: float | None
    change_significant: bool
    #: the wording of the retired item this one replaces (its trend is not joined to this one)
    replaces: str | None = None


@dataclass(frozen=True)
class Trend:
    """An organisation's trend, all stakeholders: domains first, then items, in table order."""

    years: tuple[int, ...]
    threshold: int
    rows: tuple[TrendRow, ...]
    svg: str = ""

    def row(self, unit: str) -> TrendRow | None:
        return next((r for r in self.rows if r.unit == unit), None)

    def summary(self, unit: str, base: Callable[[int], str] = "n = {}".format) -> str:
        """One line: each year's result, for the agenda (``base`` words each n)."""
        row = self.row(unit)
        if row is None or len(self.years) < 2:
            return ""
        parts = [
            p.text(self.threshold, base) if p is not None else f"{year}: not asked"
            for year, p in zip(self.years, row.points, strict=True)
        ]
        return "; ".join(parts)

    @property
    def domains(self) -> list[TrendRow]:
        return [r for r in self.rows if r.level == "domain"]


def _keyed(table: RoundTable, code: str) -> dict[tuple[str, str], dict[str, Any]]:
    """(group, unit) -> row of the organisation in one round's table."""
    return {(str(r["group"]), str(r["unit"])): r for r in table.filter(organisation=code).rows()}


def _point(year: int, row: dict[str, Any] | None) -> TrendPoint | None:
    if row is None:
        return None
    hidden = bool(row["suppressed"])
    return TrendPoint(
        year,
        None if hidden else _num(row["n"]),
        None if hidden else _num(row["positive"]),
        None if hidden else _num(row["positive_low"]),
        None if hidden else _num(row["positive_high"]),
        hidden,
    )


def _earlier_tables(rounds: list[SurveyRound]) -> list[RoundTable]:
    """Each round's table as its latest release published it (releases found in one query)."""
    releases = latest_releases(rounds)
    return [release_table(releases.get(r.id)) for r in rounds]


def organisation_trend(
    code: str, survey_round: SurveyRound, release: ResultsRelease | None, *, chart: bool = False
) -> Trend:
    """The trend of organisation ``code`` (access already checked) up to ``survey_round``, as
    ``release`` (its latest) published it; with ``chart``, the domains' chart as inline SVG too
    (when there is more than one year)."""
    rounds = lineage_rounds(survey_round)
    earlier = [_keyed(table, code) for table in _earlier_tables(rounds[:-1])]
    questionnaire = questionnaire_for(survey_round)
    labels = unit_labels(questionnaire)
    earlier_labels: dict[str, str] = {}
    for r in rounds[:-1]:
        earlier_labels.update(unit_labels(questionnaire_for(r)))
    # The retired question by its wording in the years it was asked (its id if never asked).
    replaces = {
        item.id: earlier_labels.get(item.replaces, item.replaces)
        for item in questionnaire.items
        if item.replaces
    }
    current = release_table(release).filter(organisation=code, group=ALL_STAKEHOLDERS)
    rows = []
    for row in current.rows():
        unit = str(row["unit"])
        points = [
            _point(r.year, keyed.get((ALL_STAKEHOLDERS, unit)))
            for r, keyed in zip(rounds[:-1], earlier, strict=True)
        ]
        points.append(_point(survey_round.year, row))
        hidden = bool(row["suppressed"])
        rows.append(
            TrendRow(
                unit=unit,
                level=str(row["level"]),
                domain=str(row["domain"]),
                label=labels.get(unit, unit),
                points=tuple(points),
                change=None if hidden else _num(row["prev_diff"]),
                change_low=None if hidden else _num(row["prev_diff_low"]),
                change_high=None if hidden else _num(row["prev_diff_high"]),
                change_significant=bool(row["prev_significant"]) and not hidden,
                replaces=replaces.get(unit),
            )
        )
    trend = Trend(tuple(r.year for r in rounds), survey_round.suppression_threshold, tuple(rows))
    if not chart or len(trend.years) < 2 or not trend.domains:
        return trend
    domains = trend.domains
    short = ["Overall" if r.unit == OVERALL else f"D{i}" for i, r in enumerate(domains)]
    title = f"% positive per domain, {trend.years[0]} to {trend.years[-1]}, with 95% intervals"
    # Keyed by what it draws, so it is redrawn whenever any year's numbers change.
    drawn = tuple((r.unit, r.points) for r in domains)
    svg = round_chart(
        survey_round,
        release,
        ("trend", code, trend.years, drawn),
        lambda: trend_chart.trend_chart(domains, trend.years, short, title=title),
    )
    return replace(trend, svg=svg)


#: the trend columns a results file gets per earlier year, named ``<column>_<year>``
TREND_COLUMNS = ("n", "positive", "positive_low", "positive_high", "suppressed")


def trend_columns(table: RoundTable, survey_round: SurveyRound) -> dict[str, list[Any]]:
    """Earlier years' results beside each row of ``table`` (one organisation's rows of
    ``survey_round``), matched by organisation, group and unit: ``positive_2024`` and so on.

    A row the earlier round did not have gets NaN (and ``suppressed_<year>`` False)."""
    codes = sorted(set(table.organisation.tolist()))
    out: dict[str, list[Any]] = {}
    keys = list(
        zip(table.organisation.tolist(), table.group.tolist(), table.unit.tolist(), strict=True)
    )
    earlier_rounds = lineage_rounds(survey_round)[:-1]
    for earlier, earlier_table in zip(earlier_rounds, _earlier_tables(earlier_rounds), strict=True):
        found: dict[tuple[str, str, str], dict[str, Any]] = {}
        for code in codes:
            for (group, unit), row in _keyed(earlier_table, code).items():
                found[(code, group, unit)] = row
        for column in TREND_COLUMNS:
            values: list[Any] = []
            for key in keys:
                match = found.get(key)
                if column == "suppressed":
                    values.append(bool(match["suppressed"]) if match is not None else False)
                else:
                    values.append(float(match[column]) if match is not None else math.nan)
            out[f"{column}_{earlier.year}"] = values
    return out
