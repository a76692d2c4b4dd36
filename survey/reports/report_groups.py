"""The organisation report's tables by stakeholder group and by family of groups: response
rates in the method section, and each domain's score per group, then per family.

Families (the questionnaire's ``group_families``) pool their groups' responses with the same
threshold and suppression (the engine's rows); they follow the groups, labelled "Family: ".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer

from analysis import ALL_STAKEHOLDERS
from survey.reports.agenda_document import clean
from survey.services.results.evidence import Result, hidden_text, pct
from survey.services.results.families import Family


def _family_name(family: Family) -> str:
    return f"{family.label} ({family.members})"


def _rate_row(report: Any, name: str, members: Sequence[Result]) -> list[Any]:
    invited, rate = members[0].n_invited, members[0].response_rate
    hidden = all(member.suppressed for member in members)
    if invited == 0:
        shown_rate = "-"
    elif hidden or rate is None:
        shown_rate = hidden_text(report.threshold)
    else:
        shown_rate = pct(rate)
    shown_invited = "" if invited is None else str(int(invited))
    return [report.cell(name), shown_invited, shown_rate]


def participation_story(report: Any) -> list[Flowable]:
    """What the families are, then invited and response rate per group and per family."""
    story: list[Flowable] = []
    if report.families:
        families = "; ".join(f"{f.name} ({f.members})" for f in report.families)
        text = (
            "Groups are also reported in families, each pooling the responses of its groups "
            f"with the same rules: {families}."
        )
        story.append(Paragraph(escape(clean(text)), report.body))
    data: list[list[Any]] = [["Stakeholder group", "Invited", "Response rate"]]
    for group, members in report.groups.items():
        if group != ALL_STAKEHOLDERS and members:
            data.append(_rate_row(report, report.names.get(group, group), members))
    for family in report.families:
        # read where all its groups are asked: elsewhere its row counts only those asked
        whole = [r for r in report.by_group.get(family.id, []) if r.unit in family.whole_units]
        if whole:
            data.append(_rate_row(report, family.label, whole))
    width = report.width
    story.append(report.grid(data, [width * 0.5, width * 0.15, width * 0.35]))
    return story


def _domain_row(report: Any, name: str, members: Sequence[Result], domain: str) -> list[Any]:
    """A table row of one group's or family's domain score, or [] if nobody is in it."""
    row = next((r for r in members if r.unit == domain), None)
    if row is None or (row.n in (None, 0) and not row.suppressed):
        return []
    return ["", report.cell(name), *report.row_cells(row)]


def domain_by_group_story(report: Any, domain: str) -> list[Flowable]:
    """The domain's score per stakeholder group, then per family, each with its caption."""
    named = [
        (report.names.get(group, group), members)
        for group, members in report.groups.items()
        if group != ALL_STAKEHOLDERS
    ]
    tables = (
        ("Stakeholder group", "By stakeholder group (domain score):", named),
        (
            "Family of groups",
            "By family of stakeholder groups (domain score; each family pools the responses "
            "of its groups):",
            [(_family_name(f), report.by_group.get(f.id, [])) for f in report.families],
        ),
    )
    story: list[Flowable] = []
    for first, caption, rows in tables:
        data = [_domain_row(report, name, members, domain) for name, members in rows]
        data = [row for row in data if row]
        if data:
            story.append(Spacer(1, 4 * mm))
            story.append(Paragraph(caption, report.small))
            story.append(report.grid([report.header(first), *data], report.columns))
    return story
