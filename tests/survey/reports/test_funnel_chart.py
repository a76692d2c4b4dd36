"""The funnel plot's SVG: points named on hover and focus, the highlighted organisation drawn
apart (colour, shape, outline and a permanent label, named in the legend: not colour alone), and
a text alternative naming outliers and the overdispersion check."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

from survey.reports.funnel_chart import funnel_plot
from tests.survey.reports.test_svg_charts import SVG, _check

NAN = math.nan
POINTS = [
    {"n_eff": 30.0, "positive": 0.97, "label": "Alpha", "position": "above 99.8%"},
    {"n_eff": 20.0, "positive": 0.7, "label": "Beta & Co", "position": "within"},
    {"n_eff": math.inf, "positive": 0.75, "label": "Census", "position": "above 99.8%"},
    {"n_eff": NAN, "positive": NAN, "label": "Hidden", "position": ""},
    {
        "n_eff": 40.0,
        "positive": 0.6,
        "label": "Mine",
        "position": "within",
        "highlight": "your organisation",
    },
]


def _svg() -> str:
    return funnel_plot(
        POINTS, target=0.7, title="Funnel", dispersion="No overdispersion (phi = 0.80)."
    )


def _groups(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if g.get("class") == "app-point"]


def test_every_drawn_point_is_named_on_hover_and_focus() -> None:
    svg = _svg()
    root = _check(svg.replace('role="group"', 'role="img"', 1), "Funnel")
    points = _groups(root)
    names = {g.get("aria-label") for g in points}
    assert names == {
        "Alpha: 97% positive, effective base 30, above 99.8% limit",
        "Beta & Co: 70% positive, effective base 20, within the limits",
        "Census: 75% positive, everyone invited answered, above 99.8% limit",
        "Mine (your organisation): 60% positive, effective base 40, within the limits",
    }
    for group in points:
        assert group.get("tabindex") == "0" and group.get("role") == "img"
        assert group.find(f"{SVG}title").text == group.get("aria-label")  # the hover tooltip
    # unlabelled points' names appear (by the stylesheet) on hover and focus only
    labels = [g for g in root.iter(f"{SVG}g") if g.get("class") == "app-point-label"]
    assert len(labels) == 3 and all(g.get("aria-hidden") == "true" for g in labels)
    # the chart holds focusable points, so it is a group, not a single image
    assert svg.startswith('<svg class="app-chart" role="group"')


def test_the_highlighted_organisation_is_a_labelled_diamond_named_in_the_legend() -> None:
    svg = _svg()
    # its label is always visible: not among the hover-only labels
    assert svg.count('class="app-point-label"') == 3 and "<!-- Mine -->" in svg
    start = svg.index('aria-label="Mine (your organisation)')
    mine = svg[start : svg.index("</g>", start)]
    plain = svg[svg.index('aria-label="Alpha') :]
    alpha = plain[: plain.index("</g>")]
    # a yellow diamond with a dark outline (straight edges) where the others are blue circles
    # (curves) without one
    assert 'fill="#ffb81c"' in mine and 'stroke="#212b32"' in mine and "\nC " not in mine
    assert 'fill="#ffb81c"' not in alpha and 'stroke="#212b32"' not in alpha and "\nC " in alpha
    # the legend (text drawn as paths; matplotlib keeps each text in a comment) names it
    assert "<!-- Mine (your organisation) -->" in svg and "<!-- Other organisations -->" in svg
    plain_legend = funnel_plot(POINTS[:3], target=0.7)
    assert "<!-- Organisations -->" in plain_legend and "(your organisation)" not in plain_legend


def test_the_text_alternative_names_outliers_and_the_dispersion_check() -> None:
    svg = _svg()
    root = _check(svg.replace('role="group"', 'role="img"', 1), "Funnel")
    desc = root.find(f"{SVG}desc").text
    assert "Funnel plot of 4 organisations" in desc
    assert "Alpha above 99.8%" in desc and "Census above 99.8%" in desc
    assert "Beta" not in desc and "Hidden" not in desc
    assert "No overdispersion (phi = 0.80)." in desc
