"""The points of the assurance agenda: which differences the survey suggests discussing, who
differs, and how strong the evidence is (docs/methods.md §10, "The agenda's evidence").

A difference (this organisation against the benchmark, or against last year) is *listed* when
the engine flags it significant after false discovery rate control, or when its gap, as shown
in whole percentage points, is at least :data:`LARGE_GAP_POINTS` although it is not significant:
that one is "worth asking about, not statistically significant". The strength of the evidence
is worded from the Benjamini-Hochberg adjusted p-value (:data:`EVIDENCE_WORDS`). Stakeholder
groups and reporting families are compared with the benchmark wherever their own row publishes:
a significant difference of theirs raises a point, a large gap is named in a point raised
anyway. A base under :data:`LOW_BASE` is marked wherever it is printed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from analysis import ALL_STAKEHOLDERS
from survey.services.results.evidence import Result, ci, diff_ci, pct, points

Kind = Literal["discussion", "notable"]
Comparison = Literal["benchmark", "last year"]

#: a gap of at least this many percentage points (as shown, rounded) is listed even when the
#: test does not find it significant
LARGE_GAP_POINTS = 10
#: bases under this are marked: a percentage of fewer people moves a lot with one answer
LOW_BASE = 20
#: (adjusted p-value below, words), strongest first; a significant difference above the last
#: cut-off (adjusted p <= 0.05, the engine's flag) is "moderate evidence"
EVIDENCE_WORDS = ((0.001, "very strong evidence"), (0.01, "strong evidence"))
MODERATE = "moderate evidence"
WORTH_ASKING = "worth asking about, not statistically significant"
NOT_SIGNIFICANT = "not statistically significant"
#: every wording of a listed difference, strongest first (the order points are sorted by)
STRENGTH_ORDER = (*(words for _cut, words in EVIDENCE_WORDS), MODERATE, WORTH_ASKING)


def base_text(n: int) -> str:
    """ "n = 12 (base under 20)", or "n = 40"."""
    return f"n = {n} (base under {LOW_BASE})" if n < LOW_BASE else f"n = {n}"


def p_text(p_adjusted: float | None) -> str:
    if p_adjusted is None:
        return ""
    return "adjusted p < 0.001" if p_adjusted < 0.001 else f"adjusted p = {p_adjusted:.3g}"


def large_gap(diff: float) -> bool:
    """Whether the gap reads at least :data:`LARGE_GAP_POINTS` points as printed."""
    return abs(round(100 * diff)) >= LARGE_GAP_POINTS


def evidence_strength(significant: bool, p_adjusted: float | None, diff: float) -> str:
    """The words for a difference: from its adjusted p-value if significant, else from its gap."""
    if significant:
        for cut, words in EVIDENCE_WORDS:
            if p_adjusted is not None and p_adjusted < cut:
                return words
        return MODERATE
    return WORTH_ASKING if large_gap(diff) else NOT_SIGNIFICANT


@dataclass(frozen=True)
class Difference:
    """One published row (all stakeholders, a group or a family) against one reference."""

    who: str
    comparison: Comparison
    n: int
    positive: float
    positive_low: float | None
    positive_high: float | None
    reference: float | None
    diff: float
    diff_low: float | None
    diff_high: float | None
    p_adjusted: float | None
    significant: bool

    @property
    def strength(self) -> str:
        return evidence_strength(self.significant, self.p_adjusted, self.diff)

    @property
    def listed(self) -> bool:
        return self.strength != NOT_SIGNIFICANT and self.diff != 0

    @property
    def low_base(self) -> bool:
        return self.n < LOW_BASE

    @property
    def evidence(self) -> str:
        strength = self.strength
        p = p_text(self.p_adjusted)
        return (
            f"{base_text(self.n)}; {pct(self.positive)} positive "
            f"(95% CI {ci(self.positive_low, self.positive_high)}); "
            f"{self.comparison} {pct(self.reference)}; difference {points(self.diff)} "
            f"(95% CI {diff_ci(self.diff_low, self.diff_high)} pts); "
            + (f"{strength} ({p})" if p else strength)
        )


def difference(row: Result, who: str, comparison: Comparison) -> Difference | None:
    """The row against the benchmark or last year; None when either side is not published."""
    if comparison == "benchmark":
        diff, low, high = row.bench_diff, row.bench_diff_low, row.bench_diff_high
        reference, p, flag = row.bench_positive, row.bench_p_adjusted, row.bench_significant
    else:
        diff, low, high = row.prev_diff, row.prev_diff_low, row.prev_diff_high
        reference, p, flag = row.prev_positive, row.prev_p_adjusted, row.prev_significant
    if not row.shown or row.n is None or row.positive is None or diff is None:
        return None
    return Difference(
        who=who,
        comparison=comparison,
        n=row.n,
        positive=row.positive,
        positive_low=row.positive_low,
        positive_high=row.positive_high,
        reference=reference,
        diff=diff,
        diff_low=low,
        diff_high=high,
        p_adjusted=p,
        significant=flag,
    )


def quoted(row: Result) -> str:
    if row.level == "domain":
        return f"{row.label.split(': ', 1)[-1]} (the domain as a whole)"
    return f"\u201c{row.label}\u201d"


def listing(names: Sequence[str]) -> str:
    """ "A", "A and B", "A, B and C"."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _short(text: str, limit: int = 45) -> str:
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + "\u2026"


@dataclass(frozen=True)
class Point:
    """One suggested area for discussion or piece of notable practice, with its evidence."""

    kind: Kind
    comparison: Comparison
    unit: str
    level: str
    label: str
    prompt: str
    #: all stakeholders against the reference (context even when it is not itself listed)
    overall: Difference | None
    #: the groups and families that differ in this point's direction, where they publish
    groups: tuple[Difference, ...] = ()

    @property
    def raised_by(self) -> tuple[Difference, ...]:
        """The listed differences behind the point, all stakeholders first."""
        lead = self.overall
        leads = lead is not None and lead.listed and _direction(lead) == self.kind
        return ((lead,) if leads and lead is not None else ()) + self.groups

    @property
    def significant(self) -> bool:
        return any(d.significant for d in self.raised_by)

    @property
    def strength(self) -> str:
        """The strongest wording among the differences behind the point."""
        return min((d.strength for d in self.raised_by), key=STRENGTH_ORDER.index)

    @property
    def gap(self) -> float:
        return max(abs(d.diff) for d in self.raised_by)

    @property
    def short(self) -> str:
        """One line for the summary page: what, the leading difference's figures and words
        ("Domain as a whole: 40% vs benchmark 62% (strong evidence)")."""
        subject = (
            "Domain as a whole" if self.level == "domain" else f"\u201c{_short(self.label)}\u201d"
        )
        lead = self.raised_by[0]
        who = "" if lead.who == ALL_STAKEHOLDERS else f"{lead.who} "
        others = len(self.raised_by) - 1 if who else 0
        more = f"; {others} more group{'s' if others > 1 else ''}" if others else ""
        than = "benchmark" if self.comparison == "benchmark" else "last year"
        figures = f"{pct(lead.positive)} vs {than} {pct(lead.reference)}"
        return f"{subject}: {who}{figures} ({lead.strength}{more})"


def _direction(d: Difference) -> Kind:
    return "discussion" if d.diff < 0 else "notable"


def _prompt(kind: Kind, comparison: Comparison, who: str, about: str, last_year: str) -> str:
    than = "the benchmark" if comparison == "benchmark" else f"in {last_year}"
    if kind == "discussion":
        ask = "what is behind this?" if comparison == "benchmark" else "what has changed?"
        return f"{who} were less positive than {than} about {about} \u2014 {ask}"
    ask = (
        "what is working well, and could others learn from it?"
        if comparison == "benchmark"
        else "what made the difference?"
    )
    return f"{who} were more positive than {than} about {about} \u2014 {ask}"


def unit_points(
    everyone: Result, groups: Sequence[tuple[str, Result]], last_year: str
) -> list[Point]:
    """The points one domain or item raises: against the benchmark and against last year.

    A point is raised by all stakeholders' listed difference, or by a group's or family's
    significant one (benchmark only); it names every published group and family whose
    difference is listed in the same direction."""
    found = []
    for comparison in ("benchmark", "last year"):
        overall = difference(everyone, ALL_STAKEHOLDERS, comparison)
        others = [
            d
            for name, row in (groups if comparison == "benchmark" else ())
            if (d := difference(row, name, comparison)) is not None and d.listed
        ]
        for kind in ("discussion", "notable"):
            leads = overall is not None and overall.listed and _direction(overall) == kind
            named = tuple(
                sorted(
                    (d for d in others if _direction(d) == kind),
                    key=lambda d: (STRENGTH_ORDER.index(d.strength), -abs(d.diff)),
                )
            )
            # A small group's large gap alone is often one or two people: it is named in a
            # point that stands anyway, but raises one only when it is significant.
            if not leads and not any(d.significant for d in named):
                continue
            who = "Stakeholders" if leads else listing([d.who for d in named])
            found.append(
                Point(
                    kind=kind,
                    comparison=comparison,
                    unit=everyone.unit,
                    level=everyone.level,
                    label=everyone.label,
                    prompt=_prompt(kind, comparison, who, quoted(everyone), last_year),
                    overall=overall,
                    groups=named,
                )
            )
    return found


def ordered(found: list[Point]) -> list[Point]:
    """The domain's own points first, then significant before large gaps, stronger evidence and
    larger gaps first: the strongest evidence leads the conversation."""
    return sorted(
        found,
        key=lambda p: (p.level != "domain", STRENGTH_ORDER.index(p.strength), -p.gap),
    )
