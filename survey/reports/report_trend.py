"""The trend section of the organisation report: each domain and question over the last
rounds of the questionnaire (chart and table), with the change on last year."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from reportlab.platypus import Flowable, Image, KeepTogether, Paragraph

from survey.reports.trend_chart import trend_png
from survey.services.results.evidence import OVERALL, points

if TYPE_CHECKING:
    from survey.services.results.trend import Trend


def _diff(diff: float | None, significant: bool) -> str:
    if diff is None:
        return "-"
    return points(diff) + (" *" if significant else "")


def trend_story(report: Any, trend: Trend) -> list[Flowable]:
    """Each domain and question over the last rounds, with the change on last year."""
    story: list[Flowable] = []
    story.append(Paragraph(escape(f"Trend, {trend.years[0]} to {trend.years[-1]}"), report.h2))
    story.append(
        Paragraph(
            "% positive in each year (95% CI; n), all stakeholders; each year has its own "
            "suppression. Questions are followed by their stable id: a question reworded with a "
            "new meaning starts a new trend (-). * marks a change on last year that is "
            "statistically significant.",
            report.small,
        )
    )
    domains = trend.domains
    codes = ["Overall" if r.unit == OVERALL else f"D{i}" for i, r in enumerate(domains)]
    image = Image(io.BytesIO(trend_png(domains, trend.years, codes)))
    scale = report.width / image.imageWidth
    image.drawWidth, image.drawHeight = report.width, image.imageHeight * scale
    story.append(KeepTogether([image]))
    header = ["", "Domain or question", *(str(y) for y in trend.years), "Change"]
    data: list[list[Any]] = [header]
    for row in trend.rows:
        code = codes[domains.index(row)] if row in domains else ""
        label = row.label + (f" (replaces {row.replaces})" if row.replaces else "")
        cells = [
            "-" if p is None else p.text(report.threshold).split(": ", 1)[1] for p in row.points
        ]
        data.append(
            [
                code,
                report.cell(label),
                *map(report.cell, cells),
                _diff(row.change, row.change_significant),
            ]
        )
    share = 0.5 / len(trend.years)
    widths = [report.width * f for f in (0.07, 0.33, *([share] * len(trend.years)), 0.1)]
    story.append(report.grid(data, widths))

    return story
