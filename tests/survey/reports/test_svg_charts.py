"""The chart functions: SVG that a strict CSP allows, with a text alternative."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import pytest

from survey.reports.svg_charts import (
    domain_chart,
    heatmap,
)

NAN = math.nan
SVG = "{http://www.w3.org/2000/svg}"


def _check(svg: str, title: str) -> ET.Element:
    root = ET.fromstring(svg)  # well-formed XML
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby", "").split()
    assert root.find(f"{SVG}title").text == title and root.find(f"{SVG}title").get("id") == title_id
    assert root.find(f"{SVG}desc").get("id") == desc_id
    assert "style=" not in svg and "<style" not in svg
    assert root.get("viewBox") and root.get("width") is None
    return root


def test_domain_chart() -> None:
    rows = [
        {
            "unit": "overall",
            "positive": 0.7,
            "positive_low": 0.55,
            "positive_high": 0.8,
            "bench_positive": 0.65,
            "prev_positive": 0.6,
        },
        {
            "unit": "governance",
            "positive": NAN,
            "positive_low": NAN,
            "positive_high": NAN,
            "bench_positive": NAN,
            "prev_positive": NAN,
        },
    ]
    svg = domain_chart(rows, labels={"overall": "Overall"}, title="Domains & more")
    root = _check(svg, "Domains & more")
    desc = root.find(f"{SVG}desc").text
    assert "Overall: 70% positive (95% CI 55% to 80%), benchmark 65%, last year 60%" in desc
    assert "governance: suppressed or no data" in desc


def test_heatmap_marks_missing_cells() -> None:
    svg = heatmap(
        [[0.5, NAN], [0.9, 0.2]],
        ["GP", "LA"],
        ["A", "B"],
        title="Heat",
        missing_meaning="fewer than 5 responses or none",
    )
    desc = _check(svg, "Heat").find(f"{SVG}desc").text
    assert "GP: A 50%, B fewer than 5 responses or none" in desc and "LA: A 90%, B 20%" in desc
    with pytest.raises(ValueError, match="shape"):
        heatmap([[0.5]], ["GP", "LA"], ["A"])


def test_two_charts_on_one_page_have_different_ids() -> None:
    first = domain_chart([{"unit": "a", "positive": 0.5}])
    second = domain_chart([{"unit": "a", "positive": 0.5}])
    ids = re.findall(r'\sid="([^"]+)"', first) + re.findall(r'\sid="([^"]+)"', second)
    assert len(ids) == len(set(ids))
    for svg in (first, second):  # every reference points at an id of the same chart
        own = set(re.findall(r'\sid="([^"]+)"', svg))
        assert set(re.findall(r'(?:href="#|url\(#)([^")]+)', svg)) <= own
