"""The organisation report (PDF): the sections of the real 360 survey report, with intervals,
significance and suppression added.

Sections: background, method, how to read the results, using the results, summary, overall
relationship, one section per domain (chart and table), local questions.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from analysis import ALL_STAKEHOLDERS, RoundTable
from survey.reports.agenda import clean
from survey.reports.charts import positive_chart
from survey.services.results.evidence import (
    OVERALL,
    Result,
    RoundInfo,
    ci,
    group_names,
    hidden_text,
    organisation_table,
    participation,
    pct,
    points,
    results_by_group,
)


@dataclass(frozen=True)
class LocalResult:
    """A local question's result (numbers None when suppressed)."""

    text: str
    n: int | None
    positive: float | None
    positive_low: float | None
    positive_high: float | None


def _p(text: object) -> str:
    return escape(clean(text))


def _diff_cell(diff: float | None, significant: bool) -> str:
    if diff is None:
        return "-"
    return points(diff) + (" *" if significant else "")


def _row_cells(row: Result, threshold: int) -> list[str]:
    if not row.shown:
        return [hidden_text(threshold), "", "", "", "", ""]
    return [
        str(row.n),
        pct(row.positive),
        ci(row.positive_low, row.positive_high),
        pct(row.bench_positive) if row.bench_positive is not None else "-",
        _diff_cell(row.bench_diff, row.bench_significant),
        (pct(row.prev_positive) + " / " + _diff_cell(row.prev_diff, row.prev_significant))
        if row.prev_positive is not None
        else "-",
    ]


def report_pdf(
    table: RoundTable,
    organisation_code: str,
    survey_round: Any,
    questionnaire: Any,
    previous: Any = None,
    *,
    organisation_name: str | None = None,
    local: Sequence[LocalResult] = (),
) -> bytes:
    """One organisation's survey report as PDF bytes.

    ``survey_round``: a SurveyRound or :class:`RoundInfo`; ``previous``: last year's round (or
    its year), for the trend column's heading; ``local``: the organisation's local questions.
    """
    from reportlab import rl_config
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        Image,
        KeepTogether,
        PageBreak,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    # Embed images as binary streams: the pure-Python ASCII85 encoder is slow and the output larger.
    rl_config.useA85 = 0
    info = RoundInfo.of(survey_round, previous)
    name = organisation_name or organisation_code
    threshold = info.suppression_threshold
    own = organisation_table(table, organisation_code)
    by_group = results_by_group(own, organisation_code, questionnaire)
    rows = by_group.get(ALL_STAKEHOLDERS, [])
    styles = getSampleStyleSheet()
    body = styles["BodyText"]
    small = ParagraphStyle("small", parent=body, fontSize=7.5, leading=9)
    h1, h2 = styles["Heading1"], styles["Heading2"]
    story: list[Any] = []
    width = A4[0] - 36 * mm

    def para(text: str, style: Any = body) -> None:
        story.append(Paragraph(text, style))

    def grid(data: list[list[Any]], widths: list[float]) -> Table:
        t = Table(data, colWidths=widths, repeatRows=1)
        t.setStyle(
            TableStyle(
                [
                    ("FONTSIZE", (0, 0), (-1, -1), 7.5),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#005eb8")),
                    ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#aeb7bd")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        return t

    header = [
        "",
        "Question",
        "n",
        "% positive",
        "95% CI",
        "Benchmark",
        "vs benchmark",
        f"{info.last_year} / change",
    ]
    col = [width * f for f in (0.05, 0.33, 0.06, 0.09, 0.1, 0.1, 0.11, 0.16)]

    def short(members: list[Result], prefix: str) -> list[str]:
        """Row codes shared by a chart and its table: "D1".. for domains in the summary,
        "All" for a section's domain score, "4.1".. for its questions."""
        if prefix == "D":
            return [f"D{i + 1}" for i in range(len(members))]
        out, k = [], 0
        for r in members:
            if r.level == "domain":
                out.append("All")
            else:
                k += 1
                out.append(f"{prefix}{k}")
        return out

    def results_table(members: list[Result], prefix: str) -> Table:
        data: list[list[Any]] = [header]
        for code, r in zip(short(members, prefix), members, strict=True):
            data.append([code, Paragraph(_p(r.label), small), *_row_cells(r, threshold)])
        return grid(data, col)

    def chart(members: list[Result], prefix: str) -> Image:
        png = positive_chart(members, threshold, labels=short(members, prefix))
        img = Image(io.BytesIO(png))
        scale = width / img.imageWidth
        img.drawWidth, img.drawHeight = width, img.imageHeight * scale
        return img

    # Title and provenance
    para(_p(f"{name} ({organisation_code})"), styles["Title"])
    para(_p(f"360\u00b0 stakeholder survey report: {info.title}"), h2)
    story.append(
        grid(
            [["", ""], *[[k, Paragraph(_p(v), small)] for k, v in info.provenance()]],
            [width * 0.25, width * 0.75],
        )
    )

    para("1. Background and objectives", h1)
    para(
        "The 360\u00b0 stakeholder survey asks the commissioner's stakeholders (GP member practices, "
        "health and wellbeing boards, local authorities, Healthwatch, patient groups, NHS providers, "
        "other commissioners, NHS England, regulators and the voluntary sector) how well it works with "
        "them. It has two purposes: to give the commissioner evidence for its own organisational "
        "development and relationships, and to feed into the assurance conversations with NHS England "
        "across the six assurance domains. The survey informs those conversations; it never decides a rating."
    )

    part = participation(rows)
    para("2. Method", h1)
    para(
        _p(
            f"Stakeholders were emailed a personal link to an online questionnaire "
            f"({info.questionnaire_id} version {info.questionnaire_version}). Fieldwork ran from {info.fieldwork}."
        )
    )
    if part.invited is not None:
        para(
            _p(
                f"{part.invited} stakeholders were invited"
                + (
                    f" and {part.responses} responded, a response rate of {pct(part.response_rate)}."
                    if part.responses is not None
                    else "."
                )
            )
        )
    para(
        _p(
            f"Results based on fewer than {threshold} responses are not shown (and nor are results from "
            f"which a hidden one could be worked out). Open comments are shown only for groups of at least "
            f"{info.comment_threshold}. Intervals assume respondents are like a random sample of those invited."
        )
    )
    names = group_names(questionnaire)
    group_rows = [["Stakeholder group", "Invited", "Response rate"]]
    for g, members in by_group.items():
        if g == ALL_STAKEHOLDERS or not members:
            continue
        first = members[0]
        inv, rate = first.n_invited, first.response_rate
        hidden = all(m.suppressed for m in members)
        shown_inv = "" if inv is None else str(int(inv))
        if inv == 0:
            shown_rate = "-"
        elif hidden or rate is None:
            shown_rate = hidden_text(threshold)
        else:
            shown_rate = pct(rate)
        group_rows.append([Paragraph(_p(names.get(g, g)), small), shown_inv, shown_rate])
    story.append(grid(group_rows, [width * 0.5, width * 0.15, width * 0.35]))

    para("3. How to read the results", h1)
    for text in (
        "<b>% positive</b> is the share of stakeholders with a view who gave one of the top two answers "
        '(for example strongly or tend to agree). "Don\'t know" answers are left out of the base (n).',
        "<b>95% confidence interval (CI)</b>: with bases of around 30 a percentage is uncertain by about "
        "plus or minus 15 points; the interval shows the range the result is likely to lie in.",
        "<b>Benchmark</b>: all other organisations of the same kind, pooled. <b>vs benchmark</b> and "
        "<b>change</b> are differences in percentage points; <b>*</b> marks a difference that is "
        "statistically significant after controlling the false discovery rate across all of this "
        "organisation's questions.",
        _p(
            f"Suppression: where fewer than {threshold} stakeholders answered, the result shows "
            f'"{hidden_text(threshold)}" and no number.'
        ),
        "In the charts, bars are % positive, lines the 95% CI and diamonds the benchmark.",
    ):
        para(text)
    para("4. Using the results", h1)
    para(
        "Take the results to the governing body or its committees, and use the accompanying assurance "
        "agenda: it lists areas for discussion (significantly below the benchmark or last year) and "
        "notable practice (significantly above), as prompts for the conversation."
    )

    by_domain: dict[str, list[Result]] = {}
    for r in rows:
        by_domain.setdefault(r.domain, []).append(r)
    domain_rows = [r for r in rows if r.level == "domain" and r.domain != OVERALL]

    story.append(PageBreak())
    para("5. Summary", h1)
    para("% positive per domain, all stakeholders.")
    if domain_rows:
        story.append(chart(domain_rows, "D"))
        story.append(results_table(domain_rows, "D"))

    def section(
        number: str, title: str, domain_id: str, summary: str = "", prefix: str = "Q"
    ) -> None:
        members = by_domain.get(domain_id, [])
        para(_p(f"{number}. {title}"), h1)
        if summary:
            para(_p(summary))
        if not members:
            para("No questions in this section.")
            return
        story.append(KeepTogether([chart(members, prefix)]))
        story.append(results_table(members, prefix))
        # The domain score by stakeholder group
        data = [
            [
                "",
                "Stakeholder group",
                "n",
                "% positive",
                "95% CI",
                "Benchmark",
                "vs benchmark",
                f"{info.last_year} / change",
            ]
        ]
        for g, group_members in by_group.items():
            if g == ALL_STAKEHOLDERS:
                continue
            domain_row = next((r for r in group_members if r.unit == domain_id), None)
            if domain_row is None or (domain_row.n in (None, 0) and not domain_row.suppressed):
                continue
            data.append(
                ["", Paragraph(_p(names.get(g, g)), small), *_row_cells(domain_row, threshold)]
            )
        if len(data) > 1:
            story.append(Spacer(1, 4 * mm))
            para("By stakeholder group (domain score):", small)
            story.append(grid(data, col))

    story.append(PageBreak())
    section("6", "Overall relationship", OVERALL)
    for index, domain in enumerate(questionnaire.domains):
        story.append(PageBreak())
        section(
            str(7 + index),
            f"Domain {domain.number}: {domain.title}",
            domain.id,
            getattr(domain, "summary", ""),
            prefix=f"{domain.number}.",
        )

    story.append(PageBreak())
    para(f"{7 + len(questionnaire.domains)}. Local questions", h1)
    if not local:
        para("No local questions were asked in this round.")
    else:
        data = [["Question", "n", "% positive", "95% CI"]]
        for lq in local:
            if lq.n is None or lq.positive is None:
                data.append([Paragraph(_p(lq.text), small), hidden_text(threshold), "", ""])
            else:
                data.append(
                    [
                        Paragraph(_p(lq.text), small),
                        str(lq.n),
                        pct(lq.positive),
                        ci(lq.positive_low, lq.positive_high),
                    ]
                )
        story.append(grid(data, [width * 0.6, width * 0.1, width * 0.15, width * 0.15]))

    buffer = io.BytesIO()

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        canvas.drawString(
            18 * mm,
            10 * mm,
            clean(f"{name} ({organisation_code}) - {info.title} - data as of {info.data_as_of}")[
                :150
            ],
        )
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, f"Page {doc.page}")
        canvas.restoreState()

    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=18 * mm,
        title=clean(f"{name} 360 stakeholder survey report {info.year}"),
        author="Assure360",
        invariant=1,
    )
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
