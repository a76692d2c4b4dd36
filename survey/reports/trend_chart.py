"""The three-year trend chart: % positive per domain in each round, with 95% intervals.

One group of points per domain, one point per year (oldest left, a marker of its own each) with
its confidence interval as a vertical line; a suppressed or missing year has no point. Drawn
with matplotlib's object API: SVG for pages (:func:`trend_chart`), PNG for the PDF report.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

import matplotlib
from matplotlib.figure import Figure

from survey.reports.svg_charts import (
    NHS_BLUE,
    NHS_DARK_BLUE,
    NHS_MID_GREY,
    NHS_PALE_GREY,
    RC_PARAMS,
    new_figure,
    percent,
    to_svg,
)

if TYPE_CHECKING:
    from survey.services.results.trend import TrendRow

_STYLES = (("s", NHS_MID_GREY), ("^", NHS_DARK_BLUE), ("o", NHS_BLUE))


def trend_figure(rows: Sequence[TrendRow], years: Sequence[int], labels: Sequence[str]) -> Figure:
    """The figure: ``labels`` are the short names of ``rows`` under the x axis."""
    with matplotlib.rc_context(RC_PARAMS):
        figure = new_figure(7.5, 3.6)
        axes = figure.add_subplot()
        width = 0.7 / max(len(years), 1)
        styles = _STYLES[-len(years) :]
        for index, (year, (marker, colour)) in enumerate(zip(years, styles, strict=True)):
            offset = (index - (len(years) - 1) / 2) * width
            xs, ys, lows, highs = [], [], [], []
            for position, row in enumerate(rows):
                point = row.points[index]
                if point is None or not point.shown or point.positive is None:
                    continue
                xs.append(position + offset)
                ys.append(100 * point.positive)
                lows.append(100 * (point.low if point.low is not None else point.positive))
                highs.append(100 * (point.high if point.high is not None else point.positive))
            axes.vlines(xs, lows, highs, color=colour, linewidth=1.4)
            axes.plot(xs, ys, marker, color=colour, markersize=6, label=str(year))
        axes.set_xticks(range(len(rows)), labels)
        axes.set_xlim(-0.6, len(rows) - 0.4)
        axes.set_ylim(0, 100)
        axes.set_ylabel("% positive (95% CI)")
        axes.yaxis.grid(True, color=NHS_PALE_GREY)
        axes.set_axisbelow(True)
        axes.spines[["top", "right"]].set_visible(False)
        figure.legend(loc="outside lower center", ncols=len(years), frameon=False)
    return figure


def _description(rows: Sequence[TrendRow], years: Sequence[int], labels: Sequence[str]) -> str:
    parts = []
    for label, row in zip(labels, rows, strict=True):
        points = []
        for year, point in zip(years, row.points, strict=True):
            if point is None or not point.shown or point.positive is None:
                points.append(f"{year} no result")
            elif point.low is not None and point.high is not None:
                points.append(
                    f"{year} {percent(point.positive)} "
                    f"(95% CI {percent(point.low)} to {percent(point.high)})"
                )
            else:
                points.append(f"{year} {percent(point.positive)}")
        parts.append(f"{label}: " + ", ".join(points))
    return (
        "Chart of % positive per domain in each year with 95% confidence intervals. "
        + "; ".join(parts)
        + ". The same numbers are in the table below."
    )


def trend_chart(
    rows: Sequence[TrendRow], years: Sequence[int], labels: Sequence[str], *, title: str
) -> str:
    """:func:`trend_figure` as inline SVG with its text alternative."""
    figure = trend_figure(rows, years, labels)
    return to_svg(figure, title=title, description=_description(rows, years, labels))


def trend_png(
    rows: Sequence[TrendRow], years: Sequence[int], labels: Sequence[str], dpi: int = 80
) -> bytes:
    """The same chart as PNG, for the PDF report."""
    figure = trend_figure(rows, years, labels)
    buffer = io.BytesIO()
    with matplotlib.rc_context(RC_PARAMS):
        figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
