"""The funnel plot: its control limits and the outliers its text alternative names."""

from __future__ import annotations

import math

import numpy as np
import pytest

from survey.reports.funnel_chart import control_limits, funnel_plot, funnel_position
from survey.reports.svg_charts import Z_95, Z_998
from tests.survey.reports.test_svg_charts import SVG, _check

NAN = math.nan


def test_control_limits_match_the_normal_approximation() -> None:
    # p0 = 0.7, n = 30: sd = sqrt(0.21/30) = 0.083666; 95%: 0.7 -/+ 0.163982
    low, high = control_limits(0.7, np.array([30.0]), Z_95)
    assert low[0] == pytest.approx(0.536018, abs=1e-6) and high[0] == pytest.approx(
        0.863982, abs=1e-6
    )
    low, high = control_limits(0.7, np.array([30.0]), Z_998)
    assert high[0] == pytest.approx(0.7 + 3.090232 * 0.0836660, abs=1e-6)
    low, high = control_limits(0.9, np.array([2.0]), Z_998)  # clipped to [0, 1]
    assert high[0] == 1.0 and low[0] >= 0
    assert funnel_position(0.7, 30, 0.9) == "above 95%"
    assert funnel_position(0.7, 30, 0.97) == "above 99.8%"
    assert funnel_position(0.7, 30, 0.3) == "below 99.8%"
    assert funnel_position(0.7, 30, 0.72) == "within"


def test_funnel_plot_describes_outliers() -> None:
    points = [
        {"n": 30, "positive": 0.97, "label": "Alpha"},
        {"n": 20, "positive": 0.7, "label": "Beta"},
        {"n": NAN, "positive": NAN, "label": "Hidden"},
    ]
    svg = funnel_plot(points, benchmark=0.7, title="Funnel")
    desc = _check(svg, "Funnel").find(f"{SVG}desc").text
    assert (
        "Funnel plot of 2 organisations" in desc
        and "Alpha above 99.8%" in desc
        and "Beta" not in desc
    )
