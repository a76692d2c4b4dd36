"""The organisation report (PDF): the sections of the real 360 survey report, with intervals,
significance and suppression added.

Sections: background, method, how to read the results, using the results, summary, overall
relationship, one section per domain (chart and table), local questions, methods annex (mean
scores; Cronbach's alpha per domain).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    Image,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Table,
    TableStyle,
)

from analysis import ALL_STAKEHOLDERS, DomainReliability, RoundTable
from survey.reports.agenda_document import clean
from survey.reports.charts import positive_chart
from survey.reports.report_annex import annex_story
from survey.reports.report_groups import domain_by_group_story, participation_story
from survey.reports.report_text import BACKGROUND, CHART_KEY, HOW_TO_READ, USING
from survey.reports.report_trend import trend_story
from survey.services.results.evidence import (
    OVERALL,
    Result,
    RoundInfo,
    ci,
    group_names,
    hidden_text,
    mean_ci,
    mean_scale,
    organisation_table,
    participation,
    pct,
    points,
    results_by_group,
)
from survey.services.results.families import families_of
from survey.services.results.local import LocalResult

if TYPE_CHECKING:
    from survey.services.results.trend import Trend


def _p(text: object) -> str:
    return escape(clean(text))


def _diff_cell(diff: float | None, significant: bool) -> str:
    if diff is None:
        return "-"
    return points(diff) + (" *" if significant else "")


def _row_cells(row: Result, threshold: int) -> list[str]:
    if not row.shown:
        return [hidden_text(threshold), "", "", "", "", "", ""]
    return [
        str(row.n),
        pct(row.positive),
        ci(row.positive_low, row.positive_high),
        mean_ci(row.mean, row.mean_low, row.mean_high),
        pct(row.bench_positive) if row.bench_positive is not None else "-",
        _diff_cell(row.bench_diff, row.bench_significant),
        (pct(row.prev_positive) + " / " + _diff_cell(row.prev_diff, row.prev_significant))
        if row.prev_positive is not None
        else "-",
    ]


def _short_codes(members: Sequence[Result], prefix: str) -> list[str]:
    """Row codes shared by a chart and its table: "D1".. for domains in the summary, "All" for a
    section's domain score, "4.1".. for its questions."""
    if prefix == "D":
        return [f"D{i + 1}" for i in range(len(members))]
    out, number = [], 0
    for row in members:
        if row.level == "domain":
            out.append("All")
        else:
            number += 1
            out.append(f"{prefix}{number}")
    return out


class _Report:
    """One organisation's report, written section by section into a reportlab story."""

    def __init__(
        self,
        table: RoundTable,
        code: str,
        info: RoundInfo,
        questionnaire: Any,
        name: str,
        local: Sequence[LocalResult],
        trend: Trend | None = None,
        reliability: DomainReliability | None = None,
    ) -> None:
        self.code, self.info, self.questionnaire, self.name = code, info, questionnaire, name
        self.local, self.trend, self.reliability = local, trend, reliability
        self.threshold = info.suppression_threshold
        own = organisation_table(table, code)
        self.by_group = results_by_group(own, code, questionnaire)
        self.rows = self.by_group.get(ALL_STAKEHOLDERS, [])
        self.names = group_names(questionnaire)
        self.families = families_of(questionnaire)
        family_ids = {family.id for family in self.families}
        self.groups = {g: rows for g, rows in self.by_group.items() if g not in family_ids}
        styles = getSampleStyleSheet()
        self.body, self.title_style = styles["BodyText"], styles["Title"]
        self.small = ParagraphStyle("small", parent=self.body, fontSize=7.5, leading=9)
        self.head = ParagraphStyle("head", parent=self.small, textColor=colors.white)
        self.h1, self.h2 = styles["Heading1"], styles["Heading2"]
        self.story: list[Flowable] = []
        self.width = A4[0] - 36 * mm
        self.columns = [
            self.width * f for f in (0.05, 0.26, 0.05, 0.08, 0.09, 0.13, 0.1, 0.1, 0.14)
        ]

    # -- building blocks ------------------------------------------------------------------------

    def para(self, text: str, style: Any = None) -> None:
        self.story.append(Paragraph(text, style or self.body))

    def cell(self, text: object) -> Paragraph:
        return Paragraph(_p(text), self.small)

    def cell_head(self, text: object) -> Paragraph:
        """A header cell that wraps (white on the header's blue)."""
        return Paragraph(_p(text), self.head)

    def grid(self, data: list[list[Any]], widths: list[float]) -> Table:
        table = Table(data, colWidths=widths, repeatRows=1)
        table.setStyle(
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
        return table

    def header(self, first: str) -> list[Paragraph]:
        texts = (
            "",
            first,
            "n",
            "% positive",
            "95% CI",
            f"Mean score ({mean_scale(self.questionnaire)}), 95% CI",
            "Benchmark",
            "vs benchmark",
            f"{self.info.last_year} / change",
        )
        return [self.cell_head(text) for text in texts]

    def row_cells(self, row: Result) -> list[str]:
        """n, % positive, CI, benchmark, difference and last year of one row (or "fewer than")."""
        return _row_cells(row, self.threshold)

    def results_table(self, members: Sequence[Result], prefix: str) -> Table:
        data: list[list[Any]] = [self.header("Question")]
        for code, row in zip(_short_codes(members, prefix), members, strict=True):
            data.append([code, self.cell(row.label), *_row_cells(row, self.threshold)])
        return self.grid(data, self.columns)

    def chart(self, members: Sequence[Result], prefix: str) -> Image:
        png = positive_chart(members, self.threshold, labels=_short_codes(members, prefix))
        image = Image(io.BytesIO(png))
        scale = self.width / image.imageWidth
        image.drawWidth, image.drawHeight = self.width, image.imageHeight * scale
        return image

    # -- the sections ---------------------------------------------------------------------------

    def title_page(self) -> None:
        self.para(_p(f"{self.name} ({self.code})"), self.title_style)
        self.para(_p(f"360\u00b0 stakeholder survey report: {self.info.title}"), self.h2)
        provenance = [[label, self.cell(value)] for label, value in self.info.provenance()]
        self.story.append(
            self.grid([["", ""], *provenance], [self.width * 0.25, self.width * 0.75])
        )
        self.para("1. Background and objectives", self.h1)
        self.para(BACKGROUND)

    def method(self) -> None:
        info, part = self.info, participation(self.rows)
        self.para("2. Method", self.h1)
        self.para(
            _p(
                "Stakeholders were emailed a personal link to an online questionnaire "
                f"({info.questionnaire_id} version {info.questionnaire_version}). "
                f"Fieldwork ran from {info.fieldwork}."
            )
        )
        if part.invited is not None:
            responded = (
                f" and {part.responses} responded, a response rate of {pct(part.response_rate)}."
                if part.responses is not None
                else "."
            )
            self.para(_p(f"{part.invited} stakeholders were invited{responded}"))
        self.para(
            _p(
                f"Results based on fewer than {self.threshold} responses are not shown (and nor "
                "are results from which a hidden one could be worked out). Open comments are "
                f"shown only for groups of at least {info.comment_threshold}. Intervals assume "
                "respondents are like a random sample of those invited."
            )
        )
        self.story.extend(participation_story(self))

    def reading_guide(self) -> None:
        self.para("3. How to read the results", self.h1)
        suppression = _p(
            f"Suppression: where fewer than {self.threshold} stakeholders answered, the result "
            f'shows "{hidden_text(self.threshold)}" and no number.'
        )
        for text in (*HOW_TO_READ, suppression, CHART_KEY):
            self.para(text)
        self.para("4. Using the results", self.h1)
        self.para(USING)

    def summary(self) -> None:
        self.story.append(PageBreak())
        self.para("5. Summary", self.h1)
        self.para("% positive per domain, all stakeholders.")
        domains = [r for r in self.rows if r.level == "domain" and r.domain != OVERALL]
        if domains:
            self.story.append(self.chart(domains, "D"))
            self.story.append(self.results_table(domains, "D"))
        self.trend_section()

    def trend_section(self) -> None:
        if self.trend is not None and len(self.trend.years) > 1:
            self.story.extend(trend_story(self, self.trend))

    def section(self, number: int, title: str, domain_id: str, summary: str, prefix: str) -> None:
        """One domain (or the overall relationship): chart, questions, score by group."""
        self.story.append(PageBreak())
        members = [row for row in self.rows if row.domain == domain_id]
        self.para(_p(f"{number}. {title}"), self.h1)
        if summary:
            self.para(_p(summary))
        if not members:
            self.para("No questions in this section.")
            return
        self.story.append(KeepTogether([self.chart(members, prefix)]))
        self.story.append(self.results_table(members, prefix))
        self.story.extend(domain_by_group_story(self, domain_id))

    def sections(self) -> None:
        self.section(6, "Overall relationship", OVERALL, "", "Q")
        for index, domain in enumerate(self.questionnaire.domains):
            self.section(
                7 + index,
                f"Domain {domain.number}: {domain.title}",
                domain.id,
                getattr(domain, "summary", ""),
                f"{domain.number}.",
            )

    def local_questions(self) -> None:
        self.story.append(PageBreak())
        self.para(f"{7 + len(self.questionnaire.domains)}. Local questions", self.h1)
        if not self.local:
            self.para("No local questions were asked in this round.")
            return
        data: list[list[Any]] = [["Question", "n", "% positive", "95% CI"]]
        for question in self.local:
            if question.suppressed:
                data.append([self.cell(question.text), hidden_text(self.threshold), "", ""])
                continue
            if not question.shown:
                data.append([self.cell(question.text), "no responses", "", ""])
                continue
            low_high = ci(question.positive_low, question.positive_high)
            data.append(
                [self.cell(question.text), str(question.n), pct(question.positive), low_high]
            )
        widths = [self.width * 0.6, self.width * 0.1, self.width * 0.15, self.width * 0.15]
        self.story.append(self.grid(data, widths))

    def annex(self) -> None:
        self.story.append(PageBreak())
        number = 8 + len(self.questionnaire.domains)
        self.story.extend(annex_story(self, number, self.reliability, self.code))

    # -- the document ---------------------------------------------------------------------------

    def footer(self, canvas: Any, doc: Any) -> None:
        line = f"{self.name} ({self.code}) - {self.info.title} - {self.info.as_of_line()}"
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        canvas.drawString(18 * mm, 10 * mm, clean(line)[:150])
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, f"Page {doc.page}")
        canvas.restoreState()

    def pdf(self) -> bytes:
        for write in (
            self.title_page,
            self.method,
            self.reading_guide,
            self.summary,
            self.sections,
            self.local_questions,
            self.annex,
        ):
            write()
        buffer = io.BytesIO()
        doc = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            leftMargin=18 * mm,
            rightMargin=18 * mm,
            topMargin=16 * mm,
            bottomMargin=18 * mm,
            title=clean(f"{self.name} 360 stakeholder survey report {self.info.year}"),
            author="Assure360",
            invariant=1,
        )
        doc.build(self.story, onFirstPage=self.footer, onLaterPages=self.footer)
        return buffer.getvalue()


def report_pdf(
    table: RoundTable,
    organisation_code: str,
    survey_round: Any,
    questionnaire: Any,
    previous: Any = None,
    *,
    organisation_name: str | None = None,
    local: Sequence[LocalResult] = (),
    trend: Trend | None = None,
    reliability: DomainReliability | None = None,
) -> bytes:
    """One organisation's survey report as PDF bytes.

    ``survey_round``: a SurveyRound or :class:`RoundInfo`; ``previous``: last year's round (or
    its year), for the trend column's heading; ``local``: the organisation's local questions;
    ``trend``: its results over the last rounds (a section of the summary); ``reliability``:
    Cronbach's alpha of the round (:func:`analysis.domain_reliability`; at least this
    organisation's and the whole round's rows), for the methods annex.
    """
    # Embed images as binary streams: the pure-Python ASCII85 encoder is slow and the output
    # larger.
    rl_config.useA85 = 0
    info = RoundInfo.of(survey_round, previous)
    name = organisation_name or organisation_code
    report = _Report(table, organisation_code, info, questionnaire, name, local, trend, reliability)
    return report.pdf()
