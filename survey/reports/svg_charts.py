"""Results charts: matplotlib figures (no pyplot) serialised as accessible, CSP-safe inline SVG.

Each chart comes in two forms: ``*_figure(...)`` returns a :class:`matplotlib.figure.Figure`
(for exports that want PNG or PDF), and the function without the suffix returns the SVG text
ready to put inline in a page:

* :func:`domain_chart` - % positive and 95% CI per domain against the benchmark and last year;
* :func:`heatmap` - % positive per stakeholder group x domain, suppressed cells marked;
* ``survey.reports.funnel_chart.funnel_plot`` - organisations against their effective base,
  drawn with this module's :func:`to_svg`.

Proportions are in [0, 1] (as in :class:`analysis.RoundTable`); NaN means suppressed or no data.

The SVG carries ``role="img"`` with a ``<title>`` and a ``<desc>`` (its text alternative); pages
show the same numbers in a table as well. Matplotlib writes ``style="..."`` attributes and a
``<style>`` element, which a page's ``style-src 'self'`` policy blocks inline, so
:func:`to_svg` rewrites them as SVG presentation attributes and prefixes every id so that
several charts can share a page.
"""

from __future__ import annotations

import io
import itertools
import math
import re
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeGuard
from xml.sax.saxutils import escape

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.typing import RcKeyType
from numpy.typing import ArrayLike

__all__ = [
    "domain_chart",
    "domain_figure",
    "heatmap",
    "heatmap_figure",
    "new_figure",
    "to_svg",
]

# NHS identity colours (https://service-manual.nhs.uk/design-system/styles/colour)
NHS_BLUE = "#005eb8"
NHS_DARK_BLUE = "#003087"
NHS_GREY = "#425563"
NHS_MID_GREY = "#768692"
NHS_PALE_GREY = "#e8edee"
NHS_WARM_YELLOW = "#ffb81c"
NHS_RED = "#d5281b"
NHS_BLACK = "#212b32"

RC_PARAMS: dict[RcKeyType, Any] = {
    "svg.fonttype": "path",  # glyphs as paths: no web fonts, no font styles for the CSP to block
    "svg.hashsalt": "assure360",  # stable ids (and reproducible files)
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.edgecolor": NHS_GREY,
    "axes.labelcolor": NHS_BLACK,
    "xtick.color": NHS_BLACK,
    "ytick.color": NHS_BLACK,
    "text.color": NHS_BLACK,
}

_chart_numbers = itertools.count(1)


def finite(value: Any) -> TypeGuard[float]:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def percent(value: float) -> str:
    return f"{100 * value:.0f}%"


# -- serialising ---------------------------------------------------------------------------

_STYLE_ATTR = re.compile(r'\sstyle="([^"]*)"')
_ID_ATTR = re.compile(r'\sid="([^"]+)"')
#: CSS properties matplotlib writes that are also SVG presentation attributes
_PRESENTATION = {
    "fill",
    "fill-opacity",
    "fill-rule",
    "stroke",
    "stroke-width",
    "stroke-linecap",
    "stroke-linejoin",
    "stroke-miterlimit",
    "stroke-opacity",
    "stroke-dasharray",
    "stroke-dashoffset",
    "opacity",
    "clip-path",
    "font-family",
    "font-size",
    "font-weight",
    "font-style",
    "text-anchor",
    "dominant-baseline",
    "visibility",
}


def _presentation_attributes(match: re.Match[str]) -> str:
    attributes = []
    for declaration in match.group(1).split(";"):
        name, _, value = declaration.partition(":")
        name, value = name.strip(), value.strip()
        if name in _PRESENTATION and value:
            attributes.append(f' {name}="{value}"')
    return "".join(attributes)


def to_svg(figure: Figure, *, title: str, description: str) -> str:
    """Serialise ``figure`` as inline SVG markup with a text alternative.

    :param title: the accessible name (``<title>``), e.g. "Domain scores, NHS Leeds ICB 2025".
    :param description: the text alternative (``<desc>``): what the chart shows, in words.
    :returns: an ``<svg>`` element (no XML declaration) that scales to its container's width,
        with no ``style`` attribute or element and ids unique to this chart.
    """
    buffer = io.StringIO()
    with matplotlib.rc_context(RC_PARAMS):
        figure.savefig(
            buffer,
            format="svg",
            metadata={"Date": None, "Creator": None, "Format": None, "Type": None},
        )
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    svg = re.sub(r"<style[^>]*>.*?</style>\s*", "", svg, flags=re.S)
    svg = _STYLE_ATTR.sub(_presentation_attributes, svg)
    prefix = f"chart{next(_chart_numbers)}"
    ids = set(_ID_ATTR.findall(svg))
    for old in sorted(ids, key=len, reverse=True):
        svg = svg.replace(f'id="{old}"', f'id="{prefix}-{old}"')
        svg = svg.replace(f'"#{old}"', f'"#{prefix}-{old}"').replace(
            f"url(#{old})", f"url(#{prefix}-{old})"
        )
    # Scale with the page (viewBox kept); the width and height in pt would fix the size.
    svg = re.sub(r'<svg([^>]*?)\swidth="[^"]*"\s+height="[^"]*"', r"<svg\1", svg, count=1)
    head = (
        f'<svg class="app-chart" role="img" aria-labelledby="{prefix}-title {prefix}-desc" '
        f'focusable="false" preserveAspectRatio="xMinYMin meet"'
    )
    svg = svg.replace("<svg", head, 1)
    close = svg.index(">", svg.index("<svg")) + 1
    alternative = (
        f'<title id="{prefix}-title">{escape(title)}</title>'
        f'<desc id="{prefix}-desc">{escape(description)}</desc>'
    )
    return svg[:close] + alternative + svg[close:]


def new_figure(width: float, height: float) -> Figure:
    with matplotlib.rc_context(RC_PARAMS):
        figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    return figure


# -- domain chart --------------------------------------------------------------------------


def domain_figure(
    rows: Iterable[Mapping[str, Any]], *, labels: Mapping[str, str] | None = None
) -> Figure:
    """Horizontal bars of % positive per unit with 95% CI, benchmark and last year.

    :param rows: one mapping per domain (or item), as yielded by
        ``RoundTable.rows()``: keys ``unit``, ``positive``, ``positive_low``,
        ``positive_high`` and optionally ``bench_positive`` and ``prev_positive``
        (proportions; NaN where suppressed or absent).
    :param labels: display label per ``unit`` (default: the unit itself).
    """
    rows = list(rows)
    labels = labels or {}
    names = [labels.get(str(row["unit"]), str(row["unit"])) for row in rows]
    with matplotlib.rc_context(RC_PARAMS):
        figure = new_figure(7.5, 0.55 * max(len(rows), 1) + 1.3)
        axes = figure.add_subplot()
        y = np.arange(len(rows))[::-1].astype(float)
        for position, row in zip(y, rows, strict=True):
            positive = row.get("positive")
            if finite(positive):
                axes.barh(position, 100 * positive, height=0.55, color=NHS_BLUE)
                low, high = row.get("positive_low"), row.get("positive_high")
                if finite(low) and finite(high):
                    axes.plot(
                        [100 * low, 100 * high],
                        [position, position],
                        color=NHS_BLACK,
                        linewidth=1.5,
                    )
                    axes.plot(
                        [100 * low] * 2,
                        [position - 0.12, position + 0.12],
                        color=NHS_BLACK,
                        linewidth=1.5,
                    )
                    axes.plot(
                        [100 * high] * 2,
                        [position - 0.12, position + 0.12],
                        color=NHS_BLACK,
                        linewidth=1.5,
                    )
            else:
                axes.text(
                    1, position, "suppressed or no data", va="center", fontsize=9, color=NHS_GREY
                )
            bench = row.get("bench_positive")
            if finite(bench):
                axes.plot(
                    100 * bench,
                    position,
                    marker="D",
                    markersize=7,
                    color=NHS_WARM_YELLOW,
                    markeredgecolor=NHS_BLACK,
                    linestyle="none",
                )
            prev = row.get("prev_positive")
            if finite(prev):
                axes.plot(
                    100 * prev,
                    position + 0.32,
                    marker="v",
                    markersize=7,
                    color=NHS_MID_GREY,
                    markeredgecolor=NHS_BLACK,
                    linestyle="none",
                )
        axes.set_yticks(y, names)
        axes.set_xlim(0, 100)
        axes.set_ylim(-0.7, len(rows) - 0.3)
        axes.set_xlabel("% positive (bar), with 95% confidence interval (line)")
        axes.xaxis.grid(True, color=NHS_PALE_GREY)
        axes.set_axisbelow(True)
        axes.spines[["top", "right"]].set_visible(False)
        handles = [
            axes.plot(
                [],
                [],
                marker="D",
                color=NHS_WARM_YELLOW,
                markeredgecolor=NHS_BLACK,
                linestyle="none",
            )[0],
            axes.plot(
                [], [], marker="v", color=NHS_MID_GREY, markeredgecolor=NHS_BLACK, linestyle="none"
            )[0],
        ]
        figure.legend(
            handles,
            ["Benchmark (other organisations)", "Last year"],
            loc="outside lower center",
            ncols=2,
            frameon=False,
        )
    return figure


def domain_chart(
    rows: Iterable[Mapping[str, Any]],
    *,
    labels: Mapping[str, str] | None = None,
    title: str = "% positive per domain",
) -> str:
    """:func:`domain_figure` as inline SVG, described in words (see :func:`to_svg`).

    Example: ``domain_chart(table.filter(organisation=code, group=ALL_STAKEHOLDERS,
    level="domain").rows(), labels=titles)``.
    """
    rows = list(rows)
    labels = labels or {}
    parts = []
    for row in rows:
        name = labels.get(str(row["unit"]), str(row["unit"]))
        positive = row.get("positive")
        if not finite(positive):
            parts.append(f"{name}: suppressed or no data")
            continue
        text = f"{name}: {percent(positive)} positive"
        if finite(row.get("positive_low")) and finite(row.get("positive_high")):
            text += f" (95% CI {percent(row['positive_low'])} to {percent(row['positive_high'])})"
        if finite(row.get("bench_positive")):
            text += f", benchmark {percent(row['bench_positive'])}"
        if finite(row.get("prev_positive")):
            text += f", last year {percent(row['prev_positive'])}"
        parts.append(text)
    description = "Bar chart. " + "; ".join(parts) + ". The same numbers are in the table below."
    return to_svg(domain_figure(rows, labels=labels), title=title, description=description)


# -- heatmap -------------------------------------------------------------------------------


def heatmap_figure(
    values: ArrayLike,
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    *,
    missing: str = "–",
) -> Figure:
    """A grid of % positive: rows (e.g. stakeholder groups) x columns (e.g. domains).

    :param values: proportions, shape (rows, columns); NaN cells (suppressed or no data) are
        drawn pale grey with ``missing`` as their text.
    """
    data = np.asarray(values, dtype=float)
    if data.shape != (len(row_labels), len(column_labels)):
        raise ValueError(
            f"values must have shape {(len(row_labels), len(column_labels))!r}, got {data.shape!r}"
        )
    from matplotlib.colors import LinearSegmentedColormap

    colours = LinearSegmentedColormap.from_list(
        "nhs_blues", ["#f0f4f5", "#41b6e6", NHS_BLUE, NHS_DARK_BLUE]
    ).with_extremes(bad=NHS_PALE_GREY)
    with matplotlib.rc_context(RC_PARAMS):
        figure = new_figure(0.8 * len(column_labels) + 2.8, 0.32 * len(row_labels) + 1.2)
        axes = figure.add_subplot()
        image = axes.imshow(
            np.ma.masked_invalid(data * 100), cmap=colours, vmin=0, vmax=100, aspect="auto"
        )
        for (i, j), value in np.ndenumerate(data):
            if math.isnan(value):
                axes.text(j, i, missing, ha="center", va="center", fontsize=9, color=NHS_GREY)
            else:
                axes.text(
                    j,
                    i,
                    f"{100 * value:.0f}",
                    ha="center",
                    va="center",
                    fontsize=9,
                    color="white" if value >= 0.55 else NHS_BLACK,
                )
        axes.set_xticks(
            range(len(column_labels)), [textwrap.fill(c, 14) for c in column_labels], fontsize=7
        )
        axes.xaxis.tick_top()
        axes.set_yticks(
            range(len(row_labels)),
            [textwrap.shorten(r, 34, placeholder="…") for r in row_labels],
            fontsize=8,
        )
        axes.tick_params(length=0)
        for spine in axes.spines.values():
            spine.set_visible(False)
        bar = figure.colorbar(image, ax=axes, shrink=0.8)
        bar.set_label("% positive")
    return figure


def heatmap(
    values: ArrayLike,
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    *,
    title: str = "% positive by stakeholder group and domain",
    missing: str = "–",
    missing_meaning: str = "suppressed (too few responses) or no data",
) -> str:
    """:func:`heatmap_figure` as inline SVG, described in words (see :func:`to_svg`)."""
    data = np.asarray(values, dtype=float)
    figure = heatmap_figure(data, row_labels, column_labels, missing=missing)  # checks the shape
    parts = []
    for i, row in enumerate(row_labels):
        cells = ", ".join(
            f"{column} {missing_meaning if math.isnan(data[i, j]) else percent(data[i, j])}"
            for j, column in enumerate(column_labels)
        )
        parts.append(f"{row}: {cells}")
    description = (
        f"Heatmap of % positive, darker is higher; '{missing}' marks {missing_meaning}. "
        + "; ".join(parts)
        + ". The same numbers are in the table below."
    )
    return to_svg(figure, title=title, description=description)
