"""One organisation's results as plain data, and the wording of numbers, for every report.

Everything here reads the analysis table (``analysis.RoundTable``), which is already
suppressed; a suppressed cell becomes a :class:`Result` whose numbers are all ``None``, so a
renderer has nothing to print but "fewer than N responses".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import numpy as np

from analysis import ALL_STAKEHOLDERS, RoundTable
from survey.services.clock import uk_datetime, uk_today

#: the domain label the adapter gives items outside the six assurance domains
OVERALL = "overall"

METHODS_NOTE = (
    "% positive excludes don't know; 95% Wilson score intervals with finite population "
    "correction; benchmark = all other organisations of the same kind; differences with "
    "Newcombe hybrid score intervals; Benjamini-Hochberg false discovery rate 5% per "
    "organisation and group; small-number suppression including complementary cells "
    "(docs/methods.md)"
)


def fieldwork_open(survey_round: Any, today: date) -> bool:
    """Whether the round's results are provisional because fieldwork is still open: the round is
    open, or not yet closed with its close date still ahead. Results from a release are
    provisional when the release was made during fieldwork (:meth:`RoundInfo.of`)."""
    status = str(getattr(survey_round, "status", "closed"))
    if status == "closed":
        return False
    closes_on = getattr(survey_round, "closes_on", None)
    return status == "open" or (closes_on is not None and closes_on >= today)


@dataclass(frozen=True)
class RoundInfo:
    """The facts about a round a report states (picklable, no database session)."""

    id: int | None
    year: int
    title: str
    questionnaire_id: str
    questionnaire_version: int
    opens_on: date | None
    closes_on: date | None
    suppression_threshold: int = 5
    comment_threshold: int = 10
    previous_year: int | None = None
    #: fieldwork still open: the results will change at the next release (:func:`fieldwork_open`)
    provisional: bool = False
    data_as_of: str = field(default_factory=lambda: uk_datetime(datetime.now(UTC)))
    #: responses in the results release the figures come from (None: not from a release)
    responses: int | None = None
    #: the close date when the release was made while fieldwork was open
    provisional_until: date | None = None

    @classmethod
    def of(cls, survey_round: Any, previous: Any = None, release: Any = None) -> RoundInfo:
        """From a :class:`survey.models.SurveyRound` (or anything with its attributes) and
        the :class:`survey.models.ResultsRelease` its figures come from."""
        if isinstance(survey_round, RoundInfo):
            return survey_round
        previous_year = getattr(previous, "year", previous) if previous is not None else None
        released = {}
        if release is not None:
            released = {
                "data_as_of": uk_datetime(release.released_at),
                "responses": int(release.responses),
                "provisional_until": release.provisional_until,
            }
        return cls(
            id=getattr(survey_round, "id", None),
            year=int(survey_round.year),
            title=str(survey_round.title),
            questionnaire_id=str(survey_round.questionnaire_id),
            questionnaire_version=int(survey_round.questionnaire_version),
            opens_on=getattr(survey_round, "opens_on", None),
            closes_on=getattr(survey_round, "closes_on", None),
            suppression_threshold=int(getattr(survey_round, "suppression_threshold", 5)),
            comment_threshold=int(getattr(survey_round, "comment_threshold", 10)),
            previous_year=int(previous_year) if previous_year is not None else None,
            **released,
            provisional=(
                release.provisional_until is not None
                if release is not None
                else fieldwork_open(survey_round, uk_today())
            ),
        )

    @property
    def fieldwork(self) -> str:
        if self.opens_on is None or self.closes_on is None:
            return "not recorded"
        return f"{self.opens_on:%d %B %Y} to {self.closes_on:%d %B %Y}"

    @property
    def last_year(self) -> str:
        return str(self.previous_year) if self.previous_year else "last year"

    def as_of_line(self) -> str:
        """E.g. "results as of 4 March 2027, 10:00 GMT, 120 responses (provisional)"."""
        if self.responses is None:
            return f"data as of {self.data_as_of}"
        line = f"results as of {self.data_as_of}, {self.responses} responses"
        return line + (" (provisional)" if self.provisional_until is not None else "")

    def _as_of(self) -> list[tuple[str, str]]:
        if self.responses is None:
            return [("Data as of", self.data_as_of)]
        lines = [("Results as of", f"{self.data_as_of}, {self.responses} responses")]
        if self.provisional_until is not None:
            until = f"{self.provisional_until:%-d %B %Y}"
            lines.append(
                (
                    "Provisional",
                    f"fieldwork open until {until}: "
                    "results will change at the next release and at the close",
                )
            )
        return lines

    def provenance(self) -> list[tuple[str, str]]:
        """Label/value lines every export and report states."""
        return [
            (
                "Round",
                f"{self.title} (round {self.id}, {self.year})"
                if self.id is not None
                else f"{self.title} ({self.year})",
            ),
            ("Questionnaire", f"{self.questionnaire_id} version {self.questionnaire_version}"),
            ("Fieldwork", self.fieldwork),
            *self._as_of(),
            ("Methods", METHODS_NOTE),
            (
                "Suppression threshold",
                f"results based on fewer than {self.suppression_threshold} responses are not shown",
            ),
        ]


@dataclass(frozen=True)
class Result:
    """One unit (domain or item) for one organisation and group. Numbers are None when hidden."""

    unit: str
    level: str
    domain: str
    label: str
    suppressed: bool
    n: int | None
    positive: float | None
    positive_low: float | None
    positive_high: float | None
    negative: float | None
    dont_know: float | None
    mean: float | None
    mean_low: float | None
    mean_high: float | None
    bench_positive: float | None
    bench_diff: float | None
    bench_diff_low: float | None
    bench_diff_high: float | None
    bench_significant: bool
    prev_positive: float | None
    prev_diff: float | None
    prev_diff_low: float | None
    prev_diff_high: float | None
    prev_significant: bool
    n_invited: float | None
    response_rate: float | None
    #: Benjamini-Hochberg adjusted p-values of the two comparisons (None: no comparison)
    bench_p_adjusted: float | None = None
    prev_p_adjusted: float | None = None

    @property
    def shown(self) -> bool:
        return (
            not self.suppressed and self.n is not None and self.n > 0 and self.positive is not None
        )


def _num(value: Any) -> float | None:
    value = float(value)
    return None if math.isnan(value) else value


def organisation_table(table: RoundTable, code: str) -> RoundTable:
    """The organisation's rows (rows are ordered by organisation, so this is a slice); none
    from an empty table (a round whose results are not released yet)."""
    where = np.flatnonzero(table.organisation == code)
    if where.size == 0:
        if len(table):
            raise KeyError(f"organisation {code!r} is not in the results table")
        return table
    a, b = int(where[0]), int(where[-1]) + 1
    if b - a == where.size:
        return RoundTable(**{name: getattr(table, name)[a:b] for name in table.columns()})
    return table.filter(organisation=code)


def split_by_organisation(table: RoundTable) -> Iterator[tuple[str, RoundTable]]:
    """Each organisation's code and rows, in table order (one pass)."""
    orgs = table.organisation
    if len(orgs) == 0:
        return
    change = np.flatnonzero(orgs[1:] != orgs[:-1]) + 1
    bounds = [0, *change.tolist(), len(orgs)]
    seen: set[str] = set()
    for a in bounds[:-1]:
        code = str(orgs[a])
        if code in seen:  # not contiguous: fall back to a filter
            continue
        seen.add(code)
        yield code, organisation_table(table, code)


def results(
    table: RoundTable, code: str, questionnaire: Any, group: str = ALL_STAKEHOLDERS
) -> list[Result]:
    """The organisation's rows for one group, in table order (domains, then items)."""
    return results_by_group(
        organisation_table(table, code).filter(group=group), code, questionnaire
    ).get(group, [])


def results_by_group(table: RoundTable, code: str, questionnaire: Any) -> dict[str, list[Result]]:
    """The organisation's rows for every group (in table order), read in one pass."""
    rows = organisation_table(table, code)
    labels = unit_labels(questionnaire)
    out: dict[str, list[Result]] = {}
    for row in rows.rows():
        hidden = bool(row["suppressed"])
        n = _num(row["n"])
        out.setdefault(str(row["group"]), []).append(
            Result(
                unit=str(row["unit"]),
                level=str(row["level"]),
                domain=str(row["domain"]),
                label=labels.get(str(row["unit"]), str(row["unit"])),
                suppressed=hidden,
                n=None if n is None else int(round(n)),
                positive=_num(row["positive"]),
                positive_low=_num(row["positive_low"]),
                positive_high=_num(row["positive_high"]),
                negative=_num(row["negative"]),
                dont_know=_num(row["dont_know"]),
                mean=_num(row["mean"]),
                mean_low=_num(row["mean_low"]),
                mean_high=_num(row["mean_high"]),
                bench_positive=_num(row["bench_positive"]),
                bench_diff=_num(row["bench_diff"]),
                bench_diff_low=_num(row["bench_diff_low"]),
                bench_diff_high=_num(row["bench_diff_high"]),
                bench_significant=bool(row["bench_significant"]) and not hidden,
                prev_positive=_num(row["prev_positive"]),
                prev_diff=_num(row["prev_diff"]),
                prev_diff_low=_num(row["prev_diff_low"]),
                prev_diff_high=_num(row["prev_diff_high"]),
                prev_significant=bool(row["prev_significant"]) and not hidden,
                n_invited=_num(row["n_invited"]),
                response_rate=_num(row["response_rate"]),
                bench_p_adjusted=_num(row["bench_p_adjusted"]),
                prev_p_adjusted=_num(row["prev_p_adjusted"]),
            )
        )
    return out


def unit_labels(questionnaire: Any) -> dict[str, str]:
    """Domain id -> "Domain 1: title", item id -> item text, "overall" -> its section title."""
    labels = {OVERALL: "Overall relationship"}
    for domain in questionnaire.domains:
        labels[domain.id] = f"Domain {domain.number}: {domain.title}"
    for item in questionnaire.items:
        labels[item.id] = item.text
    return labels


def mean_scale(questionnaire: Any) -> str:
    """The scale the mean scores are on, for a heading: "1 to 5, 5 best" when every scale item
    shares it (scores run from 1, most negative, up)."""
    ranges = {
        (scale.min_score, scale.max_score)
        for scale in (
            questionnaire.scale_for(item) for item in questionnaire.items if item.kind == "scale"
        )
    }
    if len(ranges) == 1:
        low, high = ranges.pop()
        return f"{low} to {high}, {high} best"
    return "each question's own scale, higher is better"


def group_names(questionnaire: Any) -> dict[str, str]:
    """Display name of every row label of the table: the groups, the reporting families of
    groups (their rows are keyed by family id) and "All stakeholders"."""
    names = {group.id: group.name for group in getattr(questionnaire, "stakeholder_groups", [])}
    families = getattr(questionnaire, "group_families", [])
    names.update({family.id: family.name for family in families})
    names[ALL_STAKEHOLDERS] = ALL_STAKEHOLDERS
    return names


def groups_in(table: RoundTable) -> list[str]:
    """Group labels in table order ("All stakeholders" first)."""
    seen: dict[str, None] = {}
    for group in table.group.tolist():
        seen.setdefault(group, None)
    return list(seen)


@dataclass(frozen=True)
class Participation:
    invited: int | None
    responses: int | None
    response_rate: float | None


def participation(rows: Iterable[Result]) -> Participation:
    """Invited, responses and response rate of the "All stakeholders" rows (the widest unit)."""
    best: Result | None = None
    for row in rows:
        if row.n_invited is not None and (best is None or row.n_invited > (best.n_invited or 0)):
            best = row
    if best is None or best.n_invited is None:
        return Participation(None, None, None)
    rate = best.response_rate
    responses = int(round(rate * best.n_invited)) if rate is not None else None
    return Participation(int(best.n_invited), responses, rate)


# -- wording ----------------------------------------------------------------------------------


def pct(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.0f}%"


def ci(low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return ""
    return f"{100 * low:.0f}-{100 * high:.0f}%"


def mean_ci(mean: float | None, low: float | None, high: float | None) -> str:
    """A mean score and its interval on the item's scale: "3.8 (3.5 to 4.1)"."""
    if mean is None:
        return ""
    if low is None or high is None:
        return f"{mean:.1f} (interval not estimable)"
    return f"{mean:.1f} ({low:.1f} to {high:.1f})"


def points(value: float | None) -> str:
    if value is None:
        return ""
    v = round(100 * value)
    return f"{v:+d} pts" if v else "0 pts"


def diff_ci(low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return ""
    return f"{100 * low:+.0f} to {100 * high:+.0f}"


def hidden_text(threshold: int) -> str:
    return f"fewer than {threshold} responses"
