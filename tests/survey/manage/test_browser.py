"""The manage pages in headless Chromium: axe-core finds no WCAG 2.2 A/AA violations (tags
wcag2a, wcag2aa, wcag21a, wcag21aa, wcag22aa) on any page, error states included."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.survey.manage.test_routes import BAD_CSV, GOOD_CSV
from tests.survey.respond.live import LiveServer
from tests.survey.respond.test_browser import (  # noqa: F401  (fixtures)
    Session,
    _axe,
    axe_source,
    browser,
    open_session,
)
from tests.survey.results.test_browser import _sign_in

pytestmark = pytest.mark.browser


def test_axe_finds_no_wcag_violations_on_the_manage_pages(
    open_session: Callable[..., Session],  # noqa: F811  (the fixture)
    live_server: LiveServer,
    make_user: Any,
    make_round: Any,
    make_organisation: Any,
    axe_source: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    survey_round = make_round(status="open")
    for code in ("ORG1", "ORG2"):
        make_organisation(code=code)
    bad, good = tmp_path / "bad.csv", tmp_path / "good.csv"
    bad.write_bytes(BAD_CSV)
    good.write_bytes(GOOD_CSV)
    # axe is injected as an inline script, which the pages' CSP rightly forbids: bypass it here
    session = open_session(bypass_csp=True)
    _sign_in(session, live_server, make_user(role="manager"))
    page = session.page
    base = f"{live_server.url}/manage/rounds/{survey_round.id}"
    violations: dict[str, list[str]] = {}

    def check(label: str) -> None:
        found = _axe(page, axe_source)
        if found:
            violations[label] = found

    def submit(button: str) -> None:
        with page.expect_navigation():
            page.get_by_role("button", name=button).click()

    for path in (
        "/manage/",
        "/manage/rounds/new",
        "/manage/organisations",
        base,
        f"{base}/close",
        f"{base}/stakeholders",
        f"{base}/reminders",
        f"{base}/bounces",
    ):
        response = page.goto(path if path.startswith("http") else f"{live_server.url}{path}")
        assert response is not None and response.status == 200, path
        check(path)
    page.goto(f"{live_server.url}/manage/rounds/new")
    page.fill("#year", "")
    submit("Create the round")
    assert "There is a problem" in page.content()
    check("round form with errors")
    page.goto(f"{base}/stakeholders")
    page.set_input_files("#upload", str(bad))
    submit("Check the file")
    assert "nothing was loaded" in page.content()
    check("stakeholder list with problems")
    page.set_input_files("#upload", str(good))
    submit("Check the file")
    check("stakeholder preview")
    submit("Load these stakeholders")
    check("round page after loading")
    page.goto(f"{base}/invitations")
    check("send page")
    submit("Send 3 emails")
    assert "Responses and email delivery" in page.content()
    check("monitor")
    unknown = tmp_path / "unknown.csv"
    unknown.write_bytes(b"Contact,Who,Group,CCG\nann@example.org,Ann,gp_practice,ORG1\n")
    page.goto(f"{base}/stakeholders")
    page.set_input_files("#upload", str(unknown))
    submit("Check the file")
    check("stakeholder list column step")
    page.goto(f"{base}/preview")
    check("preview choice")
    submit("Start the preview")
    assert "Preview: nothing is saved" in page.content()
    check("preview page")
    submit("Continue")
    check("preview page with errors")
    assert violations == {}
    assert session.errors == []
