"""Radios are made once per process for each way they look (survey/respond/markup.py): each
stakeholder must still see their own answers and their own errors, whoever answered before."""

from __future__ import annotations

import re
from typing import Any

from tests.survey.helpers import post_form


def _checked(html: str, name: str) -> list[str]:
    return re.findall(rf'name="{name}" type="radio" value="([^"]+)" checked', html)


def test_each_stakeholder_sees_their_own_answer_and_error(
    client: Any, make_invitation: Any
) -> None:
    first, second = make_invitation(), make_invitation()
    name = "overall_relationship"
    post_form(client, f"{first.path}/1", {name: "2", "action": "save"})
    post_form(client, f"{second.path}/1", {name: "dk", "action": "save"})
    assert _checked(client.get(f"{first.path}/1").get_data(as_text=True), name) == ["2"]
    assert _checked(client.get(f"{second.path}/1").get_data(as_text=True), name) == ["dk"]

    refused = post_form(client, f"{second.path}/1", {name: "99", "action": "continue"})
    html = refused.get_data(as_text=True)  # type: ignore[attr-defined]
    assert refused.status_code == 400  # type: ignore[attr-defined]
    assert _checked(html, name) == [] and f'id="{name}-error"' in html
    assert _checked(client.get(f"{first.path}/1").get_data(as_text=True), name) == ["2"]
    shown = client.get(f"{second.path}/1").get_data(as_text=True)
    assert _checked(shown, name) == ["dk"] and f'id="{name}-error"' not in shown
