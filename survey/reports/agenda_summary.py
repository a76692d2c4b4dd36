"""The agenda's first page, and the wording of its facts: per domain its areas for discussion
and notable practice in a line each, the response rate, how many local questions and comments
there are, and the warning that the results are provisional while fieldwork is open."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from survey.reports.agenda_points import Point, base_text
from survey.services.results.evidence import Participation, RoundInfo, ci, hidden_text, pct

if TYPE_CHECKING:
    from survey.reports.agenda import Agenda
    from survey.services.results.comments import Comments
    from survey.services.results.local import LocalResult

#: points named per domain and kind on the summary page (the rest are counted), so that the
#: summary stays on one page
SUMMARY_POINTS = 1
NONE_SUGGESTED = "None suggested by the survey."


@dataclass(frozen=True)
class SummaryRow:
    """One domain's line of the summary table."""

    title: str
    discussion: tuple[str, ...]
    notable: tuple[str, ...]


def _lines(found: Sequence[Point]) -> tuple[str, ...]:
    if not found:
        return (NONE_SUGGESTED,)
    lines = [point.short for point in found[:SUMMARY_POINTS]]
    if len(found) > SUMMARY_POINTS:
        lines.append(f"and {len(found) - SUMMARY_POINTS} more in the domain's section")
    return tuple(lines)


def summary_rows(agenda: Agenda) -> list[SummaryRow]:
    return [
        SummaryRow(
            f"{section.number}. {section.title}" if section.number else section.title,
            _lines(section.discussion),
            _lines(section.notable),
        )
        for section in agenda.sections
    ]


def provisional_warning(info: RoundInfo) -> str:
    """The warning printed first while fieldwork is open ("" once it has closed)."""
    if not info.provisional:
        return ""
    closes = f" (it closes on {info.closes_on:%d %B %Y})" if info.closes_on else ""
    return (
        f"Provisional: fieldwork is still open{closes}. These results will change at the next "
        "release of results and at the close, not as each response arrives; do not treat them "
        "as final."
    )


def response_text(p: Participation) -> str:
    if p.invited is None:
        return "not recorded"
    if p.responses is None:
        return f"{p.invited} invited (response rate not shown)"
    return f"{p.responses} of {p.invited} invited ({pct(p.response_rate)})"


def local_text(local: Sequence[LocalResult]) -> str:
    if not local:
        return "none asked"
    count = f"{len(local)} local question" + ("s" if len(local) > 1 else "")
    return f"{count} (results near the end of this agenda)"


def local_result_text(result: LocalResult, threshold: int) -> str:
    """One local question's result in a line."""
    if result.suppressed:
        return f"\u201c{result.text}\u201d: {hidden_text(threshold)}"
    if not result.shown or result.n is None:
        return f"\u201c{result.text}\u201d: no responses"
    return (
        f"\u201c{result.text}\u201d: {pct(result.positive)} positive "
        f"(95% CI {ci(result.positive_low, result.positive_high)}; {base_text(result.n)})"
    )


def comments_text(comments: Comments) -> str:
    """How many comments, and whether they are quoted (only at the comment threshold)."""
    if comments.respondents == 0:
        return "no responses"
    if not comments.count_shown:
        count = f"fewer than {comments.suppression_threshold} comments"
    else:
        count = f"{comments.count} comment" + ("" if comments.count == 1 else "s")
    asked = f"{count} to {comments.questions} open questions"
    if comments.visible:
        return f"{asked} (quoted at the end of this agenda)"
    return (
        f"{asked}; not shown: fewer than {comments.comment_threshold} responses "
        "(the comment threshold)"
    )


def summary_facts(agenda: Agenda) -> list[tuple[str, str]]:
    """The label/value lines under the summary's heading."""
    facts = [
        ("Responses", response_text(agenda.participation)),
        ("Local questions", local_text(agenda.local)),
    ]
    if agenda.comments is not None:
        facts.append(("Comments", comments_text(agenda.comments)))
    return facts
