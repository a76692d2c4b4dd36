"""Small report charts drawn with matplotlib's object API (no pyplot, no global state), as PNG."""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from survey.services.results.evidence import Result, hidden_text

NHS_BLUE = "#005eb8"
GREY = "#768692"
DARK = "#212b32"


def _wrap(label: str, width: int = 48) -> str:
    lines = textwrap.wrap(label, width) or [""]
    if len(lines) > 2:
        lines = [lines[0], lines[1][: width - 3] + "..."]
    return "\n".join(lines)


def positive_chart(
    rows: Sequence[Result], threshold: int, *, labels: Sequence[str] | None = None, dpi: int = 80
) -> bytes:
    """Horizontal bars of % positive with 95% CI whiskers and the benchmark as a diamond.

    ``labels`` are the short row labels (e.g. "Q3"; the table beside the chart carries the
    question text: text is the slow part of drawing). A suppressed or empty row gets no bar,
    only the words "fewer than N responses".
    """
    height = 0.45 + 0.27 * max(1, len(rows))
    fig = Figure(figsize=(6.5, height), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.08, 0.35 / height, 0.9, 1 - 0.45 / height))
    ys = list(range(len(rows)))[::-1]
    shown = [(y, r) for y, r in zip(ys, rows, strict=True) if r.shown and r.positive is not None]
    if shown:
        # One call per artist kind (not per bar): drawing cost is per artist.
        ax.barh(
            [y for y, _ in shown],
            [100 * (r.positive or 0) for _, r in shown],
            color=NHS_BLUE,
            height=0.6,
        )
        whiskers = [
            (y, r) for y, r in shown if r.positive_low is not None and r.positive_high is not None
        ]
        if whiskers:
            ax.hlines(
                [y for y, _ in whiskers],
                [100 * (r.positive_low or 0) for _, r in whiskers],
                [100 * (r.positive_high or 0) for _, r in whiskers],
                color=DARK,
                linewidth=1.2,
            )
        bench = [(y, r) for y, r in shown if r.bench_positive is not None]
        if bench:
            ax.plot(
                [100 * (r.bench_positive or 0) for _, r in bench],
                [y for y, _ in bench],
                linestyle="none",
                marker="D",
                color="#ffb81c",
                markeredgecolor=DARK,
                markersize=4,
            )
    for y, row in zip(ys, rows, strict=True):
        if not (row.shown and row.positive is not None):
            ax.text(
                1, y, hidden_text(threshold), va="center", fontsize=7, color=GREY, style="italic"
            )
    # Row labels as plain text, not y ticks: a tick is five artists, a text is one.
    ax.set_yticks([])
    names = labels if labels is not None else [_wrap(r.label, 30) for r in rows]
    for y, name in zip(ys, names, strict=True):
        ax.text(-1.5, y, name, ha="right", va="center", fontsize=7, color=DARK)
    ax.set_xlim(0, 100)
    ax.set_xticks([0, 50, 100])
    ax.set_xticklabels(["0%", "50%", "100%"], fontsize=7)
    ax.axvline(50, color="#d8dde0", linewidth=0.5, zorder=0)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
