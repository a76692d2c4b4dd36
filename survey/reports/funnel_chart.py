"""The funnel plot: organisations' % positive against their effective base, with the control
limits of :mod:`analysis.funnel` around the national figure, as accessible, CSP-safe inline SVG.

Every point is its own focusable element (``tabindex="0"``) with a ``<title>`` (shown on hover)
and an ``aria-label``, and a text label that the stylesheet shows on hover and focus
(``.app-point-label``); the highlighted organisation is drawn larger, as a yellow diamond with a
dark outline among blue circles, named on the chart all the time and in the legend, so it does
not rely on colour.  The statistics come from :func:`analysis.funnel_limits`; this module only
draws them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from analysis import FUNNEL_CONFIDENCES, funnel_limits
from survey.reports.svg_charts import (
    NHS_BLACK,
    NHS_BLUE,
    NHS_MID_GREY,
    NHS_PALE_GREY,
    NHS_RED,
    NHS_WARM_YELLOW,
    RC_PARAMS,
    finite,
    new_figure,
    percent,
    to_svg,
)

_POINT_GROUP = re.compile(r'<g id="(chart\d+-)point-(\d+)">')
_LABEL_GROUP = re.compile(r'<g id="(chart\d+-label-\d+)">')


def _shown(points: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Points with a number to draw: a proportion and a positive effective base."""
    return [
        p for p in points if finite(p.get("positive")) and finite(p.get("n_eff")) and p["n_eff"] > 0
    ]


def point_name(point: Mapping[str, Any]) -> str:
    """What a point says on hover and focus: name, % positive, base and funnel position."""
    census = math.isinf(point["n_eff"])
    base = "everyone invited answered" if census else f"effective base {point['n_eff']:.0f}"
    position = point.get("position") or "within"
    where = "within the limits" if position == "within" else f"{position} limit"
    mine = f" ({point['highlight']})" if point.get("highlight") else ""
    return f"{point['label']}{mine}: {percent(point['positive'])} positive, {base}, {where}"


def funnel_figure(
    points: Iterable[Mapping[str, Any]], *, target: float, phi: float = 1.0
) -> Figure:
    """% positive against effective base, with the target and the 95% and 99.8% limits.

    :param points: mappings with ``label``, ``positive`` (proportion), ``n_eff`` (effective
        base, ``inf`` for a census), optionally ``highlight`` (a phrase such as "your
        organisation"; drawn as a large labelled diamond); points without numbers are left out.
    :param target: the national proportion the limits are drawn around.
    :param phi: the overdispersion factor the limits are inflated by (1 when not inflated).
    """
    shown = _shown(points)
    finite_bases = [p["n_eff"] for p in shown if math.isfinite(p["n_eff"])]
    top = max([*finite_bases, 10.0]) * 1.15
    census_x = top  # a census has no sampling error: drawn at the right edge
    grid = np.linspace(1, top, 300)
    with matplotlib.rc_context(RC_PARAMS):
        figure = new_figure(7.5, 4.8)
        axes = figure.add_subplot()
        dashes: dict[float, Any] = {0.95: "-", 0.998: (0, (2, 2))}
        for confidence in FUNNEL_CONFIDENCES:
            low, high = funnel_limits(target, grid, confidence, phi)
            colour = NHS_MID_GREY if confidence == 0.95 else NHS_RED
            dash = dashes[confidence]
            name = f"{100 * confidence:g}% limits"
            axes.plot(grid, 100 * low, color=colour, linestyle=dash, linewidth=1.2, label=name)
            axes.plot(grid, 100 * high, color=colour, linestyle=dash, linewidth=1.2)
        axes.axhline(
            100 * target, color=NHS_BLACK, linewidth=1.2, label=f"National {percent(target)}"
        )
        # the legend names each highlighted organisation; the others have one entry together
        others: str | None = (
            "Other organisations" if any(p.get("highlight") for p in shown) else "Organisations"
        )
        for i, point in enumerate(shown):
            x = census_x if math.isinf(point["n_eff"]) else point["n_eff"]
            y = 100 * point["positive"]
            marked = bool(point.get("highlight"))
            label = f"{point['label']} ({point['highlight']})" if marked else others
            if not marked:
                others = None  # legend entry given
            style: dict[str, Any] = (
                {"marker": "D", "color": NHS_WARM_YELLOW, "markeredgecolor": NHS_BLACK}
                | {"markeredgewidth": 1.5, "markersize": 12, "zorder": 4}
                if marked
                else {"marker": "o", "color": NHS_BLUE, "markersize": 7, "zorder": 2}
            )
            (line,) = axes.plot([x], [y], linestyle="none", label=label, **style)
            line.set_gid(f"point-{i}")
            right_half = x > top / 2  # long names there go leftwards, inside the chart
            text = axes.annotate(
                str(point["label"]),
                (x, y),
                xytext=(-7, 7) if right_half else (7, 7),
                textcoords="offset points",
                horizontalalignment="right" if right_half else "left",
                fontsize=9 if marked else 8,
                fontweight="bold" if marked else "normal",
                color=NHS_BLACK,
                zorder=style["zorder"],
                annotation_clip=False,
            )
            text.set_gid(f"label-{i}" if not marked else f"name-{i}")
        axes.set_xlim(0, top * 1.04)
        axes.set_ylim(0, 100)
        axes.set_xlabel(
            "Effective base (respondents, allowing for the share of invited who answered)"
        )
        axes.set_ylabel("% positive")
        axes.grid(True, color=NHS_PALE_GREY)
        axes.set_axisbelow(True)
        axes.spines[["top", "right"]].set_visible(False)
        axes.legend(loc="lower right", frameon=False, fontsize=8)
    return figure


def _name_points(svg: str, shown: list[Mapping[str, Any]]) -> str:
    """Make each point focusable and named; hide the unlabelled points' names until then."""

    def point(match: re.Match[str]) -> str:
        name = point_name(shown[int(match.group(2))])
        return (
            f'<g id="{match.group(1)}point-{match.group(2)}" class="app-point" tabindex="0" '
            f'role="img" aria-label={quoteattr(name)}><title>{escape(name)}</title>'
        )

    svg = _POINT_GROUP.sub(point, svg)
    return _LABEL_GROUP.sub(r'<g id="\1" class="app-point-label" aria-hidden="true">', svg)


def funnel_plot(
    points: Iterable[Mapping[str, Any]],
    *,
    target: float,
    phi: float = 1.0,
    title: str = "Funnel plot of % positive",
    dispersion: str = "",
) -> str:
    """:func:`funnel_figure` as inline SVG: a labelled group of named, focusable points.

    :param points: as for :func:`funnel_figure`, each with its ``position`` ("within",
        "above 95%", ...) from :func:`analysis.funnel_compare`.
    :param dispersion: one sentence on the overdispersion check, for the text alternative.
    """
    points = list(points)
    shown = _shown(points)
    outside = [
        f"{p['label']} {p['position']}" for p in shown if p.get("position", "within") != "within"
    ]
    description = (
        f"Funnel plot of {len(shown)} organisations: % positive against effective base, around "
        f"the national {percent(target)} with 95% and 99.8% control limits. "
        + (dispersion + " " if dispersion else "")
        + (
            f"Outside the 95% limits: {'; '.join(outside)}."
            if outside
            else "All lie within the 95% limits."
        )
        + " Each point is named on hover and focus; the same numbers are in the table below."
    )
    svg = to_svg(
        funnel_figure(points, target=target, phi=phi), title=title, description=description
    )
    # The points inside are interactive, so the chart is a group of images, not one image.
    return _name_points(svg.replace('role="img"', 'role="group"', 1), shown)
