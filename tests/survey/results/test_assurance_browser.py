"""The assurance record pages in headless Chromium: an assessor records a rating and an action
with the real forms, and axe-core finds no WCAG violations on any of the pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.survey.respond.live import LiveServer
from tests.survey.respond.test_browser import Session, _axe
from tests.survey.results.conftest import Seeded
from tests.survey.results.test_browser import _sign_in

pytestmark = pytest.mark.browser


def test_an_assessor_records_with_the_forms_and_every_page_passes_axe(
    open_session: Callable[..., Session],
    live_server: LiveServer,
    seeded: Seeded,
    make_user: Any,
    axe_source: str,
) -> None:
    session = open_session(bypass_csp=True)
    page = session.page
    _sign_in(session, live_server, make_user(role="assessor", region="Midlands"))
    base = f"{live_server.url}/results/01A/assurance/{seeded.survey_round.id}"
    violations: dict[str, list[str]] = {}

    def check(name: str) -> None:
        found = _axe(page, axe_source)
        if found:
            violations[name] = found

    page.goto(f"{base}/governance")
    with page.expect_navigation():
        page.get_by_role("button", name="Save the rating").click()
    assert "Select a rating" in page.content()
    check("domain page with an error")
    page.get_by_label("Assured with support").check()
    page.fill("#note", "Registers are late")
    with page.expect_navigation():
        page.get_by_role("button", name="Save the rating").click()
    page.goto(f"{base}/governance")
    check("domain page")
    page.fill("#text", "Publish the register")
    page.fill("#owner", "Board secretary")
    page.fill("#due_on", "2031-03-31")
    with page.expect_navigation():
        page.get_by_role("button", name="Add the action").click()
    assert page.url == base
    content = page.content()
    assert "Assured with support" in content and "Publish the register" in content
    check("overview")
    with page.expect_navigation():
        page.locator("ul.app-actions button", has_text="Mark done").click()
    assert "The action was marked done." in page.content()
    page.locator("ul.app-actions a", has_text="Change").click()
    page.wait_for_url("**/actions/*")
    check("edit page")
    page.goto(f"{live_server.url}/results/01A")
    assert "Publish the register (Board secretary, due 31 March 2031, done)" in page.content()
    check("dashboard")
    assert violations == {}
    assert session.errors == []


def test_the_dashboards_trend_passes_axe_and_fits_a_narrow_screen(
    open_session: Callable[..., Session],
    live_server: LiveServer,
    seeded: Seeded,
    make_user: Any,
    make_round: Any,
    answer: Any,
    axe_source: str,
) -> None:
    from tests.survey.results.conftest import ITEMS

    following = make_round(year=seeded.survey_round.year + 1)
    for score in (5, 4, 4, 2, 5, 3):
        answer(following, seeded.alpha, "gp_practice", {item: {"score": score} for item in ITEMS})
    session = open_session(bypass_csp=True, viewport={"width": 320, "height": 640})
    _sign_in(session, live_server, make_user(role="commissioner", organisation=seeded.alpha))
    page = session.page
    page.goto(f"{live_server.url}/results/01A?round={following.id}")
    assert "Trend over 2 years" in page.content()
    page.locator("details summary").first.click()
    assert _axe(page, axe_source) == []
    width = page.evaluate(
        "() => { document.querySelector('header').style.display = 'none';"
        " return document.documentElement.scrollWidth; }"
    )
    assert width == 320
    assert session.errors == []
