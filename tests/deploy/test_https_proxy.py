"""The whole product over HTTPS, as deployed: Chromium -> nginx (the shipped site file, TLS)
-> gunicorn (2 workers, ``survey.wsgi:app`` reading ``.env``) -> SQLite, rate limits in Redis.

A survey manager sets a password from the emailed link, signs in and uses every form of the
manage pages; a stakeholder answers through every respondent page; another opts out. Then the
logs are read as an attacker with access to the proxy would read them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from survey.services.clock import uk_today
from tests.deploy.stack import Stack, running_stack, tokens_in
from tests.survey.helpers import links_in, read_outbox, text_part
from tests.survey.respond.test_browser import _click, browser, tour  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser

ORGANISATIONS = """code,name,kind,region,area
01A,NHS Alpha Integrated Care Board,ccg,Midlands,Area 1
02B,NHS Beta Integrated Care Board,ccg,Midlands,Area 1
"""
STAKEHOLDERS = """email,name,group,assesses,employer
ann@example.org,Dr Ann Example,gp_practice,01A;02B,Riverside Surgery
bea@example.org,Bea Example,Local Healthwatch,01A,Healthwatch Testshire
cal@example.org,Cal Example,gp_practice,02B,Hillside Practice
"""
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("deployment")) as running:
        yield running


def _submit(page: Page, button: str) -> None:
    _click(page, page.get_by_role("button", name=button))


def _upload(page: Page, path: Path, content: str, button: str = "Check the file") -> None:
    path.write_text(content)
    page.set_input_files("#upload", str(path))
    _submit(page, button)


def _ok(page: Page, expected: str) -> None:
    """The page after a form: no 'problem with this request' and the expected text."""
    text = page.content()
    assert "There is a problem" not in text and "problem with this request" not in text, (
        page.url,
        re.sub(r"\s+", " ", page.inner_text("main"))[:600],
    )
    assert expected in text, (page.url, re.sub(r"\s+", " ", page.inner_text("main"))[:600])


def _emails_to(stack: Stack, address: str) -> list[Any]:
    return [message for message in read_outbox(stack.outbox) if address in message["To"]]


def _set_password_and_sign_in(page: Page, stack: Stack, link: str, email: str) -> None:
    assert link.startswith(stack.url + "/auth/set-password/")
    page.goto(link)
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    _submit(page, "Set password")
    _ok(page, "Your password is set")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    _submit(page, "Sign in")
    assert "/auth/login" not in page.url


def _every_manager_form(page: Page, stack: Stack, folder: Path) -> int:
    """Load organisations, create a round, add a local question, load stakeholders, open the
    round, send invitations, set the reminder schedule, send reminders, load bounces, create and
    switch off an account. Returns the round's id."""
    page.goto(f"{stack.url}/manage/organisations")
    _upload(page, folder / "organisations.csv", ORGANISATIONS)
    _submit(page, "Load these organisations")
    _ok(page, "2")

    today = uk_today()
    page.goto(f"{stack.url}/manage/rounds/new")
    page.fill("#year", str(today.year))
    page.select_option("#questionnaire", "ccg-360")
    page.fill("#opens_on", today.isoformat())
    page.fill("#closes_on", (today + timedelta(days=1)).isoformat())
    _submit(page, "Create the round")
    match = re.search(r"/manage/rounds/(\d+)$", page.url)
    assert match, page.url
    round_id = int(match.group(1))
    base = f"{stack.url}/manage/rounds/{round_id}"

    page.goto(f"{base}/local-questions")
    page.fill("#organisation", "01A")
    page.fill("#text", "The board explains its winter plan clearly.")
    page.select_option("#scale", index=1)
    _submit(page, "Add the question")
    _ok(page, "winter plan")

    page.goto(f"{base}/stakeholders")
    _upload(page, folder / "stakeholders.csv", STAKEHOLDERS)
    _submit(page, "Load these stakeholders")
    _ok(page, "Loaded 3 new stakeholder(s)")

    page.goto(f"{base}/open")
    _submit(page, "Open the round")
    page.goto(f"{base}/invitations")
    _submit(page, "Send 3 emails")
    _ok(page, "Responses and email delivery")

    stack.sql("UPDATE stakeholder SET invited_at = datetime(invited_at, '-2 days')")
    page.goto(f"{base}/reminders")
    page.fill("#after_invitation", "1")
    page.fill("#before_close", "")
    _submit(page, "Save the schedule")
    page.goto(f"{base}/reminders")
    _submit(page, "Send 3 reminders")
    _ok(page, "reminder")

    page.goto(f"{base}/bounces")
    _upload(
        page,
        folder / "bounces.csv",
        "email\ncal@example.org\n",
        "Mark these addresses undeliverable",
    )
    _ok(page, "1")

    page.goto(f"{stack.url}/manage/users")
    page.fill("#email", "kit@example.nhs.uk")
    page.fill("#name", "Kit Commissioner")
    page.select_option("#role", "commissioner")
    page.fill("#organisation", "01A")
    _submit(page, "Create the account")
    _ok(page, "kit@example.nhs.uk")
    _submit(page, "Switch off kit@example.nhs.uk")
    _ok(page, "kit@example.nhs.uk")
    _submit(page, "Sign out everywhere kit@example.nhs.uk")
    _ok(page, "Every session of kit@example.nhs.uk has ended")
    return round_id


def test_a_manager_and_stakeholders_use_every_form_over_https_through_nginx(
    stack: Stack,
    browser: Browser,  # noqa: F811  (the fixture)
    tmp_path: Path,
) -> None:
    created = stack.cli(
        "users",
        "create",
        "--email",
        "mo@example.nhs.uk",
        "--name",
        "Mo Manager",
        "--role",
        "manager",
        "--show-link",
    )
    [set_password_link] = re.findall(r"https://\S+/auth/set-password/\S+", created)
    context = browser.new_context(ignore_https_errors=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        _set_password_and_sign_in(page, stack, set_password_link, "mo@example.nhs.uk")
        round_id = _every_manager_form(page, stack, tmp_path)

        stakeholder = browser.new_context(ignore_https_errors=True).new_page()
        [invitation, *_] = _emails_to(stack, "bea@example.org")
        [link] = links_in(invitation)
        tour(stakeholder, stack, link, lambda _label: None)
        [ann, *_] = _emails_to(stack, "ann@example.org")
        [opt_out_link] = re.findall(r"https://\S+/s/opt-out/\S+", text_part(ann))
        stakeholder.goto(opt_out_link)
        _click(stakeholder, stakeholder.locator("form button[type=submit]"))
        _ok(stakeholder, "You will get no more emails about this survey")

        page.goto(f"{stack.url}/manage/rounds/{round_id}/close")
        _submit(page, "Close the round")
        _ok(page, "closed")
        page.goto(f"{stack.url}/")
        _click(page, page.get_by_role("button", name="Sign out"))
        assert page.goto(f"{stack.url}/manage/").url.startswith(f"{stack.url}/auth/login")
    finally:
        context.close()

    issued = "\n".join(text_part(message) for message in read_outbox(stack.outbox)) + created
    tokens = tokens_in(issued)
    assert len(tokens) >= 8  # set-password, 4 survey links, their opt-outs, the new account's
    log = stack.access_log
    assert re.search(r'"GET /s/\[token\]/check HTTP/[0-9.]+" 200', log), log[-2000:]
    assert re.search(r'"POST /auth/set-password/\[token\] HTTP/[0-9.]+" 302', log)
    assert re.search(r'"POST /s/opt-out/\[token\] HTTP/[0-9.]+" 200', log)
    for place, text in (("nginx", log), ("gunicorn", stack.app_log)):
        leaked = [token for token in tokens if token in text]
        assert leaked == [], f"{place}'s log holds {len(leaked)} token(s)"
