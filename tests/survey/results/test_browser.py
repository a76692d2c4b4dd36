"""The results pages in headless Chromium: charts render under the real CSP, and axe-core finds
no WCAG 2.2 A/AA violations (tags wcag2a, wcag2aa, wcag21a, wcag21aa, wcag22aa)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.factories import PASSWORD
from tests.survey.respond.live import LiveServer
from tests.survey.respond.test_browser import Session, _axe
from tests.survey.results.conftest import Seeded

pytestmark = pytest.mark.browser


def _sign_in(session: Session, server: LiveServer, user: Any) -> None:
    page = session.page
    page.goto(f"{server.url}/auth/login")
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.locator("form button[type=submit]").first.click()
    assert "/auth/login" not in page.url


def _chart_heights(session: Session) -> list[float]:
    return session.page.evaluate(
        "() => [...document.querySelectorAll('svg.app-chart')]"
        ".map(s => s.getBoundingClientRect().height)"
    )


def test_charts_render_under_the_pages_content_security_policy(
    open_session: Callable[..., Session], live_server: LiveServer, seeded: Seeded, make_user: Any
) -> None:
    session = open_session()  # the CSP applies: no bypass
    _sign_in(session, live_server, make_user(role="manager"))
    for path, charts in (("/results/01A", 2), ("/results/national", 1)):
        response = session.page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status == 200
        assert "style-src 'self'" in response.headers["content-security-policy"]
        heights = _chart_heights(session)
        assert len(heights) == charts and all(h > 100 for h in heights), (path, heights)
        # a bar is drawn in the NHS blue: presentation attributes survive the CSP
        fill = (
            session.page.evaluate(
                "() => getComputedStyle("
                "document.querySelector('svg.app-chart path[fill=\"#005eb8\"]')).fill"
            )
            if path == "/results/01A"
            else "rgb(0, 94, 184)"
        )
        assert fill == "rgb(0, 94, 184)"
    assert session.errors == []


def test_a_funnel_point_shows_its_name_on_focus_and_on_hover(
    open_session: Callable[..., Session], live_server: LiveServer, seeded: Seeded, make_user: Any
) -> None:
    session = open_session()  # the stylesheet does it, under the real CSP
    _sign_in(session, live_server, make_user(role="manager"))
    page = session.page
    page.goto(f"{live_server.url}/results/national")
    label_visibility = (
        "p => getComputedStyle(p.nextElementSibling.querySelector('g') ||"
        " p.nextElementSibling).visibility"
    )
    point = page.locator("svg.app-chart g.app-point").first
    assert point.evaluate("p => p.nextElementSibling.getAttribute('class')") == "app-point-label"
    assert point.evaluate(label_visibility) == "hidden"
    point.focus()
    assert page.evaluate("() => document.activeElement.getAttribute('class')") == "app-point"
    assert point.evaluate(label_visibility) == "visible"
    name = point.get_attribute("aria-label") or ""
    assert name.split(":")[0] in {"NHS Alpha ICB", "NHS Beta ICB", "NHS Gamma ICB"}
    page.locator("h1").click()  # focus leaves the point
    assert point.evaluate(label_visibility) == "hidden"
    top = page.locator("svg.app-chart g.app-point").last  # drawn last: nothing covers it
    top.hover(force=True)
    assert top.evaluate(label_visibility) == "visible"
    assert top.evaluate("p => p.matches(':hover')")
    assert session.errors == []


def test_the_sortable_table_works_by_following_links(
    open_session: Callable[..., Session], live_server: LiveServer, seeded: Seeded, make_user: Any
) -> None:
    session = open_session(java_script_enabled=False)
    _sign_in(session, live_server, make_user(role="manager"))
    page = session.page
    page.goto(f"{live_server.url}/results/national")
    with page.expect_navigation():
        page.get_by_role("link", name="Organisation", exact=True).click()
    names = page.locator("tbody th[scope=row]").all_inner_texts()
    assert names == sorted(names)
    assert page.locator("th[aria-sort=ascending]").count() == 1


def test_axe_finds_no_wcag_violations_on_the_results_pages(
    open_session: Callable[..., Session],
    live_server: LiveServer,
    seeded: Seeded,
    make_user: Any,
    axe_source: str,
) -> None:
    # axe is injected as an inline script, which the pages' CSP rightly forbids: bypass it here
    session = open_session(bypass_csp=True)
    _sign_in(session, live_server, make_user(role="manager"))
    violations: dict[str, list[str]] = {}
    for path in (
        "/",
        "/results/01A",
        "/results/02B",
        "/results/04D",
        "/results/national",
        "/results/national?sort=name&order=desc",
        "/results/methods",
    ):
        response = session.page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status == 200, path
        found = _axe(session.page, axe_source)
        if found:
            violations[path] = found
    assert violations == {}
    assert session.errors == []


def test_a_commissioners_comparison_names_only_their_own_point_and_passes_axe(
    open_session: Callable[..., Session],
    live_server: LiveServer,
    seeded: Seeded,
    make_user: Any,
    axe_source: str,
) -> None:
    session = open_session(bypass_csp=True)  # axe is injected inline (see above)
    _sign_in(session, live_server, make_user(role="commissioner", organisation=seeded.alpha))
    page = session.page
    page.goto(f"{live_server.url}/results/01A")
    with page.expect_navigation():
        page.get_by_role("link", name="See where NHS Alpha ICB sits", exact=False).click()
    assert "/results/national" in page.url
    # every point is reachable by keyboard and says what it is; only Alpha is named
    names = []
    for point in page.locator("svg.app-chart g.app-point").all():
        point.focus()
        names.append((point.get_attribute("aria-label") or "").split(":")[0])
    assert sorted(names) == [
        "Another organisation",
        "Another organisation",
        "NHS Alpha ICB (your organisation)",
    ]
    assert page.locator("tbody th[scope=row]").first.inner_text().startswith("NHS Alpha ICB")
    assert _axe(page, axe_source) == []
    assert session.errors == []


def test_axe_check_catches_a_chart_without_its_text_alternative(
    open_session: Callable[..., Session],
    live_server: LiveServer,
    seeded: Seeded,
    make_user: Any,
    axe_source: str,
) -> None:
    """The audit above is only worth something if it fails on a real fault."""
    session = open_session(bypass_csp=True)
    _sign_in(session, live_server, make_user(role="commissioner", organisation=seeded.alpha))
    session.page.goto(f"{live_server.url}/results/01A")
    session.page.evaluate(
        "() => document.querySelectorAll('svg.app-chart').forEach(s => {"
        " s.removeAttribute('aria-labelledby');"
        " s.querySelector('title').remove(); })"
    )
    found = _axe(session.page, axe_source)
    assert any(line.startswith("svg-img-alt") for line in found), found


def test_the_results_pages_fit_a_320_px_screen(
    open_session: Callable[..., Session], live_server: LiveServer, seeded: Seeded, make_user: Any
) -> None:
    """Wide tables scroll inside their own region, charts shrink; the page itself does not scroll
    sideways. (The shared header's navigation is measured apart: it belongs to base.html.)"""
    session = open_session(viewport={"width": 320, "height": 640})
    _sign_in(session, live_server, make_user(role="manager"))
    widths = {}
    for path in ("/results/01A", "/results/national", "/results/methods"):
        session.page.goto(f"{live_server.url}{path}")
        widths[path] = session.page.evaluate(
            "() => { document.querySelector('header').style.display = 'none';"
            " return document.documentElement.scrollWidth; }"
        )
    assert widths == {path: 320 for path in widths}
    assert session.errors == []
