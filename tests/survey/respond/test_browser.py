"""The respondent pages in a real browser (headless Chromium through Playwright).

The app is served over HTTP by a threaded server; the stakeholder follows the link in the email
they received. Covers save and resume, keyboard-only use, a 320 px wide screen, the error summary
taking focus, use without JavaScript, and axe-core (WCAG 2.2 AA) on every page and error state.

Needs Debian's ``chromium`` (/usr/bin/chromium) and ``tests/browser/node_modules/axe-core``
(``npm install`` in tests/browser); scripts/run-tests.sh installs both when missing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from sqlalchemy import func, select

from survey.models import Invitation, InvitationStatus, Response
from tests.survey.answering import count_drafts
from tests.survey.helpers import links_in, read_outbox
from tests.survey.respond.live import LiveServer
from tests.survey.stored import answers_stored, release_all

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
AXE_JS = (
    Path(__file__).resolve().parents[2] / "browser" / "node_modules" / "axe-core" / "axe.min.js"
)
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
#: the browser logs every 4xx page load as an error: that is the page working, not a fault
_EXPECTED_CONSOLE = re.compile(
    r"Failed to load resource: the server responded with a status of 40[04]"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def axe_source() -> str:
    return AXE_JS.read_text(encoding="utf-8")


class Session:
    """A browser context with one page that records console errors and failed scripts."""

    def __init__(self, browser: Browser, **options: Any) -> None:
        self.context: BrowserContext = browser.new_context(**options)
        self.page: Page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        self.page.on(
            "console",
            lambda message: (
                self.errors.append(message.text)
                if message.type == "error" and not _EXPECTED_CONSOLE.search(message.text)
                else None
            ),
        )

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def open_session(browser: Browser) -> Iterator[Callable[..., Session]]:
    sessions: list[Session] = []

    def make(**options: Any) -> Session:
        session = Session(browser, **options)
        sessions.append(session)
        return session

    yield make
    for session in sessions:
        session.close()


@pytest.fixture
def emailed_link(
    live_server: LiveServer, make_invitation: Any, runner: Any, app: Any
) -> Callable[..., str]:
    """Issue an invitation, send the outbox (as ``assure360 mail send`` does) and return the link
    read from the .eml file the stakeholder received."""

    def make(**options: Any) -> str:
        issued = make_invitation(**options)
        result = runner.invoke(args=["mail", "send"])
        assert result.exit_code == 0, result.output
        recipient = issued.invitation.stakeholder.email
        messages = [
            m for m in read_outbox(Path(app.config["MAIL_OUTBOX_DIR"])) if m["To"] == recipient
        ]
        assert len(messages) == 1
        [link] = links_in(messages[0])
        assert link == issued.link and link.startswith(live_server.url + "/s/")
        return link

    return make


# -- driving the pages ---------------------------------------------------------------------


def _radio_names(page: Page) -> list[str]:
    return list(dict.fromkeys(re.findall(r'name="([a-z0-9_]+)" type="radio"', page.content())))


def _textareas(page: Page) -> list[str]:
    return re.findall(r'<textarea[^>]*name="([a-z0-9_]+)"', page.content())


def _section_numbers(page: Page) -> tuple[int, int]:
    match = re.search(r"Section (\d+) of (\d+)", page.content())
    assert match, page.url
    return int(match.group(1)), int(match.group(2))


def _click(page: Page, locator: Any) -> None:
    with page.expect_navigation():
        locator.click()


def _choose(page: Page, name: str, value: str) -> None:
    """Pick a radio by clicking its label, as a person does."""
    radio = page.locator(f'input[name="{name}"][value="{value}"]')
    page.locator(f'label[for="{radio.get_attribute("id")}"]').click()


def _answer(page: Page, choice: str = "4", comment: str = "Works well with us.") -> None:
    for name in _radio_names(page):
        _choose(page, name, choice)
    for name in _textareas(page):
        page.locator(f'textarea[name="{name}"]').fill(comment)


def _continue(page: Page) -> None:
    _click(page, page.locator('button[name="action"][value="continue"]'))


def _save(page: Page) -> None:
    _click(page, page.locator('button[name="action"][value="save"]'))


def _heading(page: Page) -> str:
    return page.locator("h1").first.inner_text().strip()


def _db_state(db: Any) -> tuple[int, int, list[InvitationStatus]]:
    """Responses stored (after releasing what is pending, as the worker would), drafts left,
    invitation statuses."""
    db.session.rollback()  # see what the server committed
    release_all(db)
    return (
        int(db.session.scalar(select(func.count()).select_from(Response)) or 0),
        count_drafts(),
        list(db.session.scalars(select(Invitation.status))),
    )


def tour(page: Page, server: LiveServer, link: str, visit: Callable[[str], None]) -> None:
    """Walk one link through every respondent page and state, calling ``visit`` at each."""
    response = page.goto(link)
    assert response is not None and response.status == 200
    assert _heading(page).startswith("Your views on working with")
    visit("start")
    _click(page, page.get_by_role("link", name="Start now"))
    first, total = _section_numbers(page)
    assert first == 1 and total >= 3
    visit("section 1")
    _continue(page)  # nothing answered
    assert page.locator(".nhsuk-error-summary").count() == 1
    visit("section 1 with errors")
    for number in range(1, total + 1):
        assert _section_numbers(page) == (number, total)
        if number > 1:
            visit(f"section {number}")
        if number == total and _textareas(page):
            page.locator(f'textarea[name="{_textareas(page)[0]}"]').fill("x" * 2001)
            _continue(page)
            assert "characters or fewer" in page.content()
            visit(f"section {number} with a comment too long")
        _answer(page)
        if number == 2:
            _save(page)
            assert _heading(page) == "Your answers have been saved"
            visit("saved")
            page.goto(link)
            visit("start when resuming")
            _click(page, page.get_by_role("link", name="Continue where you left off"))
            assert _section_numbers(page) == (2, total)
        _continue(page)
    assert _heading(page) == "Check your answers before you submit them"
    visit("check your answers")
    _click(page, page.get_by_role("button", name="Submit your answers"))
    assert "Survey complete" in _heading(page)
    visit("survey complete")
    page.goto(f"{link}/1")
    assert "Survey complete" in _heading(page)
    visit("already submitted")
    dead = page.goto(f"{server.url}/s/this-is-not-a-link")
    assert dead is not None and dead.status == 404
    assert _heading(page) == "This link or page is not working"
    visit("dead link (404)")


# -- scenarios -----------------------------------------------------------------------------


def test_from_the_email_link_save_come_back_and_submit(
    open_session: Callable[..., Session],
    emailed_link: Callable[..., str],
    live_server: LiveServer,
    db: Any,
) -> None:
    link = emailed_link()
    first = open_session()
    page = first.page
    page.goto(link)
    _click(page, page.get_by_role("link", name="Start now"))
    _, total = _section_numbers(page)
    chosen: dict[str, str] = {}
    for number in (1, 2):
        for index, name in enumerate(_radio_names(page)):
            value = "dk" if (number, index) == (2, 0) else str(5 - index % 5)
            _choose(page, name, value)
            chosen[name] = value
        if number == 1:
            _continue(page)
    _save(page)  # leave on section 2
    assert _heading(page) == "Your answers have been saved"
    responses, drafts, statuses = _db_state(db)
    assert (responses, drafts, statuses) == (0, 1, [InvitationStatus.STARTED])
    first.close()

    # later, in a new browser session, by the same link
    later = open_session()
    page = later.page
    page.goto(link)
    _click(page, page.get_by_role("link", name="Continue where you left off"))
    assert _section_numbers(page) == (2, total)
    for name in _radio_names(page):
        assert page.locator(f'input[name="{name}"][value="{chosen[name]}"]').is_checked(), name
    page.get_by_role("link", name="Back").click()
    page.wait_for_url(f"{link}/1")
    for name in _radio_names(page):
        assert page.locator(f'input[name="{name}"][value="{chosen[name]}"]').is_checked(), name
    _continue(page)
    _continue(page)  # section 2 is already complete
    while _heading(page) != "Check your answers before you submit them":
        _answer(page, comment="Clear about its plans.")
        _continue(page)
    summary = page.locator(".nhsuk-summary-list").nth(1).inner_text()  # section 2
    assert "Don't know" in summary
    _click(page, page.get_by_role("button", name="Submit your answers"))
    assert "Survey complete" in _heading(page)
    assert "Clear about its plans." not in page.content()
    assert later.errors == []

    responses, drafts, statuses = _db_state(db)
    assert (responses, drafts, statuses) == (1, 0, [InvitationStatus.COMPLETED])
    [stored] = answers_stored(db)
    for name, value in chosen.items():
        if value == "dk":
            assert stored[name] == {"dont_know": True}
        else:
            assert stored[name] == {"score": int(value)}


def _active(page: Page) -> dict[str, Any]:
    return page.evaluate(
        """() => {
          const e = document.activeElement;
          const group = e.type === 'radio'"""
        """ ? document.querySelectorAll(`input[name="${e.name}"]:checked`).length : 0;
          return {tag: e.tagName, type: e.type || '', name: e.name || '', value: e.value || '',
                  text: (e.textContent || '').trim(), groupChecked: group > 0};
        }"""
    )


def _tab_to(page: Page, wanted: Callable[[dict[str, Any]], bool], limit: int = 60) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if wanted(_active(page)):
            return
    raise AssertionError(f"Tab never reached the wanted element on {page.url}")


def test_keyboard_only_completion(
    open_session: Callable[..., Session], emailed_link: Callable[..., str], db: Any
) -> None:
    """Tab, Space and Enter only: no mouse, no clicks."""
    link = emailed_link()
    session = open_session()
    page = session.page
    page.goto(link)
    _tab_to(page, lambda e: e["tag"] == "A" and e["text"] == "Start now")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    sections = 0
    while _heading(page) != "Check your answers before you submit them":
        sections += 1
        for _ in range(200):
            page.keyboard.press("Tab")
            active = _active(page)
            if active["type"] == "radio" and not active["groupChecked"]:
                page.keyboard.press("Space")  # the first option: "Very good" / "Strongly agree"
            elif active["tag"] == "BUTTON" and active["value"] == "continue":
                with page.expect_navigation():
                    page.keyboard.press("Enter")
                break
        else:
            raise AssertionError(f"never reached the Continue button on {page.url}")
        assert page.locator(".nhsuk-error-summary").count() == 0, page.content()
    assert sections >= 3
    _tab_to(page, lambda e: e["tag"] == "BUTTON" and e["text"] == "Submit your answers", limit=400)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Survey complete" in _heading(page)
    assert session.errors == []
    responses, drafts, statuses = _db_state(db)
    assert (responses, drafts, statuses) == (1, 0, [InvitationStatus.COMPLETED])
    [stored] = answers_stored(db)
    assert {answer["score"] for answer in stored.values() if "score" in answer} == {5}


def test_error_summary_takes_focus(
    open_session: Callable[..., Session], emailed_link: Callable[..., str]
) -> None:
    link = emailed_link()
    session = open_session()
    page = session.page
    page.goto(f"{link}/1")
    _continue(page)
    assert page.title().startswith("Error:")
    focused = page.evaluate(
        "() => document.activeElement === document.querySelector('.nhsuk-error-summary')"
    )
    assert focused, _active(page)
    # the summary's links go to the questions
    first_link = page.locator(".nhsuk-error-summary__list a").first
    target = first_link.get_attribute("href")
    assert target and page.locator(target).count() == 1
    assert session.errors == []


def test_no_horizontal_scrolling_at_320_px(
    open_session: Callable[..., Session], emailed_link: Callable[..., str], live_server: LiveServer
) -> None:
    link = emailed_link()
    session = open_session(viewport={"width": 320, "height": 640})
    page = session.page
    widths: dict[str, int] = {}

    def measure(name: str) -> None:
        widths[name] = page.evaluate("() => document.documentElement.scrollWidth")

    tour(page, live_server, link, measure)
    assert len(widths) >= 12
    too_wide = {name: width for name, width in widths.items() if width > 320}
    assert too_wide == {}
    assert session.errors == []


def test_the_whole_survey_works_without_javascript(
    open_session: Callable[..., Session],
    emailed_link: Callable[..., str],
    live_server: LiveServer,
    db: Any,
) -> None:
    link = emailed_link()
    session = open_session(java_script_enabled=False)
    seen: list[str] = []
    tour(session.page, live_server, link, seen.append)
    assert "check your answers" in seen and "survey complete" in seen
    responses, drafts, statuses = _db_state(db)
    assert (responses, drafts, statuses) == (1, 0, [InvitationStatus.COMPLETED])


def _axe(page: Page, axe_source: str) -> list[str]:
    """axe-core's WCAG 2.2 A/AA violations on the page as it is, one line each."""
    page.add_script_tag(content=axe_source)
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    assert result["passes"], f"axe checked nothing on {page.url}"
    return [
        f"{v['id']} ({v['impact']}): {v['help']} -> "
        + "; ".join(str(node["target"]) for node in v["nodes"][:5])
        for v in result["violations"]
    ]


def test_the_axe_check_does_find_a_broken_page(
    open_session: Callable[..., Session], emailed_link: Callable[..., str], axe_source: str
) -> None:
    """The audit below is only worth something if it fails on a real fault: take a label away."""
    link = emailed_link()
    session = open_session(bypass_csp=True)
    page = session.page
    page.goto(f"{link}/1")
    assert _axe(page, axe_source) == []
    page.evaluate("() => document.querySelector('label.nhsuk-radios__label').remove()")
    found = _axe(page, axe_source)
    assert any(line.startswith("label ") for line in found), found


def test_axe_finds_no_wcag_violations_on_any_respondent_page(
    open_session: Callable[..., Session],
    emailed_link: Callable[..., str],
    live_server: LiveServer,
    axe_source: str,
) -> None:
    link = emailed_link()
    # axe is injected as an inline script, which the pages' CSP rightly forbids: bypass it here
    session = open_session(bypass_csp=True)
    page = session.page
    violations: dict[str, list[str]] = {}
    checked: list[str] = []

    def audit(name: str) -> None:
        checked.append(name)
        found = _axe(page, axe_source)
        if found:
            violations[name] = found

    tour(page, live_server, link, audit)
    assert {
        "start",
        "section 1 with errors",
        "saved",
        "check your answers",
        "survey complete",
        "already submitted",
        "dead link (404)",
    } <= set(checked)
    assert violations == {}


def test_governance_pages_pass_axe_and_are_linked_from_the_footer(
    open_session: Callable[..., Session],
    emailed_link: Callable[..., str],
    live_server: LiveServer,
    axe_source: str,
) -> None:
    link = emailed_link()
    session = open_session(bypass_csp=True)
    page = session.page
    page.goto(link)
    footer = {
        name: page.locator("footer").get_by_role("link", name=name).get_attribute("href")
        for name in ("Accessibility statement", "Privacy notice", "Why am I being asked?")
    }
    assert all(footer.values()), footer
    violations: dict[str, list[str]] = {}
    for name, href in footer.items():
        response = page.goto(f"{live_server.url}{href}" if href.startswith("/") else href)
        assert response is not None and response.status == 200, name
        if found := _axe(page, axe_source):
            violations[name] = found
    assert violations == {}
    assert session.errors == []


def test_the_skip_link_moves_focus_into_the_main_content(
    open_session: Callable[..., Session], emailed_link: Callable[..., str]
) -> None:
    link = emailed_link()
    session = open_session()
    page = session.page
    page.goto(f"{link}/1")
    page.keyboard.press("Tab")
    assert _active(page)["text"] == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "maincontent"
    # the next Tab lands inside main, not back in the header
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.querySelector('main').contains(document.activeElement)")
    assert session.errors == []
