"""The agenda's content as a list of blocks, and its two renderings: Word (python-docx) and a
self-contained HTML page (jinja2, every value escaped).

Both renderers only lay out the same blocks, so the Word file and the page say the same thing
(a test compares their text).
"""

from __future__ import annotations

import functools
import io
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import jinja2

from survey.reports.agenda_points import LARGE_GAP_POINTS, Point, base_text
from survey.reports.agenda_summary import (
    NONE_SUGGESTED,
    comments_text,
    local_result_text,
    local_text,
    provisional_warning,
    summary_facts,
    summary_rows,
)
from survey.services.results.evidence import Result, ci, hidden_text, pct

if TYPE_CHECKING:
    from survey.reports.agenda import Agenda, Section
    from survey.services.assurance import AgreedAction

BlockKind = Literal["title", "heading", "subheading", "paragraph", "bullets", "table", "break"]


@dataclass(frozen=True)
class Block:
    """One piece of the document: a heading, a paragraph (with an optional bold lead-in), a
    bulleted list, a table (a cell's lines separated by newlines) or a page break."""

    kind: BlockKind
    text: str = ""
    label: str = ""
    #: the HTML class (and a heading's id)
    css: str = ""
    anchor: str = ""
    items: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    #: the table's first row is its header
    header: bool = False


# -- wording ------------------------------------------------------------------------------------


def headline_text(row: Result | None, threshold: int, last_year: str) -> str:
    if row is None:
        return "No results for this domain."
    if not row.shown or row.n is None:
        return f"No result shown: {hidden_text(threshold)}."
    parts = [
        f"{pct(row.positive)} positive "
        f"(95% CI {ci(row.positive_low, row.positive_high)}; {base_text(row.n)})",
        f"benchmark {pct(row.bench_positive)}"
        if row.bench_positive is not None
        else "no benchmark",
        f"{last_year} {pct(row.prev_positive)}"
        if row.prev_positive is not None
        else f"{last_year}: no comparable result",
    ]
    return "; ".join(parts)


def action_text(action: AgreedAction) -> str:
    return f"{action.text} (owner: {action.owner}; due {action.due_on:%d %B %Y}; {action.status})"


def last_year_text(section: Section, last_year: str) -> str:
    """Last year's rating and the number of its actions still open, in one line."""
    before = section.last_assessment
    if before is None:
        return ""
    rating = f"rated {before.rating_label.lower()}" if before.rating else "not rated"
    opened = f"{before.open_actions} of {len(before.actions)} actions still open"
    return f"Last year ({last_year}): {rating}; {opened}."


def ticked(section: Section, rating: str) -> str:
    """A ticked box for the recorded rating, empty boxes for the others."""
    chosen = section.assessment.rating_label if section.assessment else None
    return ("\u2612 " if rating == chosen else "\u2610 ") + rating


# -- blocks -------------------------------------------------------------------------------------


def _summary(agenda: Agenda) -> list[Block]:
    blocks = [
        Block(
            "title", f"Assurance agenda: {agenda.organisation_name} ({agenda.organisation_code})"
        ),
        Block("paragraph", f"360\u00b0 stakeholder survey evidence, {agenda.round.title}"),
    ]
    warning = provisional_warning(agenda.round)
    if warning:
        blocks.append(Block("paragraph", warning, css="provisional"))
    blocks.append(Block("heading", "Summary", anchor="summary"))
    blocks.append(Block("table", rows=tuple(summary_facts(agenda)), css="facts"))
    header = ("Domain", "Areas for discussion", "Notable practice")
    lines = tuple(
        (r.title, "\n".join(r.discussion), "\n".join(r.notable)) for r in summary_rows(agenda)
    )
    blocks.append(Block("table", rows=(header, *lines), header=True, css="summary"))
    blocks.append(Block("break"))
    blocks.append(Block("heading", "About this agenda", anchor="about"))
    blocks.append(Block("table", rows=tuple(agenda.round.provenance()), css="provenance"))
    blocks.append(Block("bullets", items=tuple(agenda.notes)))
    return blocks


def _point(point: Point) -> list[Block]:
    blocks = [Block("bullets", items=(point.prompt,), css=point.kind)]
    if point.overall is not None:
        blocks.append(
            Block(
                "paragraph",
                point.overall.evidence,
                label="Evidence (all stakeholders):",
                css="evidence",
            )
        )
    for group in point.groups:
        blocks.append(
            Block("paragraph", group.evidence, label=f"Evidence ({group.who}):", css="evidence")
        )
    if point.comparison == "benchmark" and not point.groups:
        blocks.append(
            Block(
                "paragraph",
                "Stakeholder groups and families: none that publishes differs from the "
                f"benchmark significantly or by {LARGE_GAP_POINTS} points or more.",
                css="evidence",
            )
        )
    return blocks


def _section(section: Section, agenda: Agenda) -> list[Block]:
    last_year = agenda.round.last_year
    title = f"Domain {section.number}: {section.title}" if section.number else section.title
    blocks = [Block("heading", title, anchor=section.id)]
    if section.question:
        blocks.append(
            Block("paragraph", f"\u201c{section.question}\u201d", label="Assurance question:")
        )
    headline = headline_text(section.headline, agenda.threshold, last_year)
    blocks.append(
        Block("paragraph", headline, label="Headline (all stakeholders):", css="headline")
    )
    if section.trend:
        blocks.append(
            Block("paragraph", section.trend, label="Trend (all stakeholders):", css="trend")
        )
    before = section.last_assessment
    if before is not None:
        blocks.append(Block("paragraph", last_year_text(section, last_year), css="last-year"))
        if before.note:
            blocks.append(
                Block("paragraph", before.note, label="Last year's judgement:", css="last-year")
            )
        if before.actions:
            blocks.append(
                Block(
                    "bullets", items=tuple(action_text(a) for a in before.actions), css="last-year"
                )
            )
    for heading, found in (
        ("Areas for discussion", section.discussion),
        ("Notable practice", section.notable),
    ):
        blocks.append(Block("subheading", heading))
        if not found:
            blocks.append(Block("paragraph", NONE_SUGGESTED))
        for point in found:
            blocks.extend(_point(point))
    if section.rated:
        actions = section.assessment.actions if section.assessment else ()
        blocks.append(Block("subheading", "Assessment"))
        rows = (
            ("Rating (tick one)", "\n".join(ticked(section, r) for r in agenda.ratings)),
            ("Agreed actions", "\n".join(action_text(a) for a in actions)),
        )
        blocks.append(Block("table", rows=rows, css="form"))
    return blocks


def _local_and_comments(agenda: Agenda) -> list[Block]:
    blocks = [
        Block("heading", "Local questions and comments", anchor="local"),
        Block("paragraph", local_text(agenda.local), label="Local questions:"),
    ]
    if agenda.local:
        lines = tuple(local_result_text(r, agenda.threshold) for r in agenda.local)
        blocks.append(Block("bullets", items=lines))
    comments = agenda.comments
    if comments is None:
        return blocks
    blocks.append(Block("paragraph", comments_text(comments), label="Comments:"))
    for block in comments.blocks:
        blocks.append(Block("subheading", block.question))
        if block.comments:
            blocks.append(Block("bullets", items=tuple(block.comments), css="comment"))
        else:
            blocks.append(Block("paragraph", "No comments."))
    return blocks


def agenda_blocks(agenda: Agenda) -> list[Block]:
    """The whole agenda, in order: the one-page summary, the domains, local questions and
    comments."""
    blocks = _summary(agenda)
    for section in agenda.sections:
        blocks.extend(_section(section, agenda))
    blocks.extend(_local_and_comments(agenda))
    return blocks


# -- renderers ----------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(text: object) -> str:
    """Text safe for XML based formats (python-docx, reportlab): control characters removed."""
    return _CONTROL.sub("", str(text))


#: column widths (cm) of the tables that need them on A4 with 2 cm margins (17 cm)
_WIDTHS = {"summary": (3.6, 6.7, 6.7), "facts": (4.0, 13.0)}


def agenda_docx(agenda: Agenda) -> bytes:
    """The agenda as a Word document for the assessor to complete."""
    from docx import Document
    from docx.shared import Cm, Pt

    doc = Document()
    # A4 with 2 cm margins, as the summary page is laid out for (the template is US Letter).
    page = doc.sections[0]
    page.page_width, page.page_height = Cm(21), Cm(29.7)
    page.left_margin = page.right_margin = page.top_margin = page.bottom_margin = Cm(2)
    # Style objects looked up once: a lookup by name scans every style in the template.
    bullet = doc.styles["List Bullet"]
    grid = doc.styles["Table Grid"]
    style = doc.styles["Normal"]
    style.font.name = "Arial"
    style.font.size = Pt(10)
    levels = {"title": 0, "heading": 1, "subheading": 2}
    for block in agenda_blocks(agenda):
        if block.kind in levels:
            doc.add_heading(clean(block.text), level=levels[block.kind])
        elif block.kind == "paragraph":
            paragraph = doc.add_paragraph()
            if block.label:
                paragraph.add_run(clean(block.label) + " ").bold = True
            paragraph.add_run(clean(block.text))
        elif block.kind == "bullets":
            for item in block.items:
                doc.add_paragraph(clean(item), style=bullet)
        elif block.kind == "table":
            table = doc.add_table(rows=0, cols=len(block.rows[0]))
            table.style = grid
            widths = _WIDTHS.get(block.css)
            for number, row in enumerate(block.rows):
                cells = table.add_row().cells
                for column, (cell, text) in enumerate(zip(cells, row, strict=True)):
                    cell.text = clean(text)
                    if widths:
                        cell.width = Cm(widths[column])
                    for run in cell.paragraphs[0].runs:
                        if block.header and number == 0:
                            run.bold = True
                        if block.css == "summary":
                            run.font.size = Pt(9)
        else:
            doc.add_page_break()
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    from survey import TEMPLATE_FOLDER

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_FOLDER),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def agenda_html(agenda: Agenda) -> str:
    """The agenda as a self-contained HTML page (every value escaped)."""
    template = _environment().get_template("reports/agenda.html")
    return template.render(agenda=agenda, blocks=agenda_blocks(agenda))
