"""The funnel plot: organisations' % positive against their base n, with control limits around
the benchmark, as accessible, CSP-safe inline SVG (``survey.reports.svg_charts.to_svg``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from survey.reports.svg_charts import (
    NHS_BLACK,
    NHS_BLUE,
    NHS_DARK_BLUE,
    NHS_MID_GREY,
    NHS_PALE_GREY,
    NHS_RED,
    NHS_WARM_YELLOW,
    RC_PARAMS,
    Z_95,
    Z_998,
    finite,
    new_figure,
    percent,
    to_svg,
)


def control_limits(
    benchmark: float, n: ArrayLike, z: float = Z_95
) -> tuple[np.ndarray, np.ndarray]:
    """Funnel plot control limits around a proportion: ``p0 ± z·√(p0(1−p0)/n)``, clipped to [0, 1].

    The normal approximation to the binomial (Spiegelhalter 2005, "Funnel plots for comparing
    institutional performance", Stat Med 24:1185-1202); ``z`` = 1.96 (95%) or 3.09 (99.8%).
    """
    size = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        half = z * np.sqrt(benchmark * (1 - benchmark) / size)
    return np.clip(benchmark - half, 0, 1), np.clip(benchmark + half, 0, 1)


def funnel_position(benchmark: float, n: float, positive: float) -> str:
    """Where a point lies: "above 99.8%", "above 95%", "within", "below 95%" or "below 99.8%"."""
    for z, name in ((Z_998, "99.8%"), (Z_95, "95%")):
        low, high = control_limits(benchmark, n, z)
        if positive > high:
            return f"above {name}"
        if positive < low:
            return f"below {name}"
    return "within"


def funnel_figure(points: Iterable[Mapping[str, Any]], *, benchmark: float) -> Figure:
    """% positive against base n for organisations, with the benchmark and control limits.

    :param points: mappings with ``n`` (base), ``positive`` (proportion) and optionally
        ``highlight`` (True to draw the point larger, in dark blue); NaN points are left out.
    :param benchmark: the national proportion the limits are drawn around.
    """
    shown = [p for p in points if finite(p.get("n")) and finite(p.get("positive")) and p["n"] > 0]
    top = max([p["n"] for p in shown] + [10.0]) * 1.1
    n = np.linspace(1, top, 300)
    with matplotlib.rc_context(RC_PARAMS):
        figure = new_figure(7.5, 4.8)
        axes = figure.add_subplot()
        for z, style, name in ((Z_998, (0, (2, 2)), "99.8% limits"), (Z_95, "-", "95% limits")):
            low, high = control_limits(benchmark, n, z)
            colour = NHS_RED if z == Z_998 else NHS_MID_GREY
            axes.plot(n, 100 * low, color=colour, linestyle=style, linewidth=1.2, label=name)
            axes.plot(n, 100 * high, color=colour, linestyle=style, linewidth=1.2)
        axes.axhline(
            100 * benchmark, color=NHS_BLACK, linewidth=1.2, label=f"National {percent(benchmark)}"
        )
        plain = [p for p in shown if not p.get("highlight")]
        marked = [p for p in shown if p.get("highlight")]
        if plain:
            axes.plot(
                [p["n"] for p in plain],
                [100 * p["positive"] for p in plain],
                "o",
                color=NHS_BLUE,
                markersize=6,
                alpha=0.85,
                label="Organisation",
            )
        if marked:
            axes.plot(
                [p["n"] for p in marked],
                [100 * p["positive"] for p in marked],
                "D",
                color=NHS_DARK_BLUE,
                markeredgecolor=NHS_WARM_YELLOW,
                markersize=9,
                label="Selected",
            )
        axes.set_xlim(0, top)
        axes.set_ylim(0, 100)
        axes.set_xlabel("Base (number of stakeholders answering)")
        axes.set_ylabel("% positive")
        axes.grid(True, color=NHS_PALE_GREY)
        axes.set_axisbelow(True)
        axes.spines[["top", "right"]].set_visible(False)
        axes.legend(loc="lower right", frameon=False, fontsize=8)
    return figure


def funnel_plot(
    points: Iterable[Mapping[str, Any]],
    *,
    benchmark: float,
    title: str = "Funnel plot of % positive",
) -> str:
    """:func:`funnel_figure` as inline SVG, described in words (see :func:`to_svg`).

    Points may carry a ``label`` (organisation name) used in the text alternative.
    """
    points = list(points)
    shown = [p for p in points if finite(p.get("n")) and finite(p.get("positive")) and p["n"] > 0]
    outside = [
        f"{p.get('label', 'an organisation')} {funnel_position(benchmark, p['n'], p['positive'])}"
        for p in shown
        if funnel_position(benchmark, p["n"], p["positive"]) != "within"
    ]
    description = (
        f"Funnel plot of {len(shown)} organisations: % positive against base n, around the "
        "national "
        f"{percent(benchmark)} with 95% and 99.8% control limits. "
        + (
            f"Outside the 95% limits: {'; '.join(outside)}."
            if outside
            else "All lie within the 95% limits."
        )
        + " The same numbers are in the table below."
    )
    return to_svg(funnel_figure(points, benchmark=benchmark), title=title, description=description)
