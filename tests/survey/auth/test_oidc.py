"""Signing in with an OpenID Connect provider, end to end over real HTTP: the app served on a
loopback port, node's oidc-provider (tests/oidc) as the identity provider, its own login and
consent pages filled in as a person would. Nothing is mocked: discovery, the code exchange with
PKCE, the ID token's signature and nonce, userinfo all happen for real."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import pytest
import requests
from sqlalchemy import select

from survey import create_app
from survey.models import AuditEvent
from tests.survey.auth.oidc_provider import (
    CLIENT_ID,
    CLIENT_SECRET,
    provider_port,
    running_provider,
)
from tests.survey.respond.live import LiveServer, serve

_INPUT = re.compile(r"<input[^>]*>")


@dataclass
class SingleSignOn:
    server: LiveServer
    issuer: str


@pytest.fixture
def sso(app: Any, db: Any, tmp_path: Path) -> Iterator[SingleSignOn]:
    port = provider_port()
    issuer = f"http://127.0.0.1:{port}"
    configured = create_app(
        {
            **app.config,
            "OIDC_ISSUER": issuer,
            "OIDC_CLIENT_ID": CLIENT_ID,
            "OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "OIDC_NAME": "NHSmail",
            "TWO_FACTOR_FOR_MANAGERS": True,  # as in production
        }
    )
    try:
        for server in serve(configured):
            callback = f"{server.url}/auth/oidc/callback"
            with running_provider(port, callback, tmp_path / "provider.log"):
                yield SingleSignOn(server, issuer)
    finally:
        with configured.app_context():
            db.engine.dispose()


def _form(html: str) -> tuple[str, dict[str, str]]:
    """The action and fields of the one form on a provider page."""
    action = re.search(r'<form[^>]*action="([^"]+)"', html)
    assert action, html[:500]
    fields = {}
    for tag in _INPUT.findall(html):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name:
            fields[name.group(1)] = value.group(1) if value else ""
    return action.group(1), fields


def _through_the_provider(sso: SingleSignOn, browser: requests.Session, login: str) -> str:
    """Start signing in on the app, sign in at the provider as ``login`` and consent; the
    address the provider sends the browser back to (the app's callback, not yet opened)."""
    start = browser.get(f"{sso.server.url}/auth/oidc/login", allow_redirects=False)
    assert start.status_code == 302 and start.headers["Location"].startswith(sso.issuer)
    query = dict(parse_qsl(urlsplit(start.headers["Location"]).query))
    assert query["code_challenge_method"] == "S256" and query["state"] and query["nonce"]
    response = browser.get(start.headers["Location"], allow_redirects=False)
    for _step in range(12):
        if response.is_redirect:
            location = urljoin(response.url, response.headers["Location"])
            if location.startswith(sso.server.url):
                return location
            response = browser.get(location, allow_redirects=False)
            continue
        assert response.status_code == 200, response.text[:500]
        action, fields = _form(response.text)
        if "login" in fields:
            fields.update(login=login, password="anything")
        response = browser.post(urljoin(response.url, action), data=fields, allow_redirects=False)
    raise AssertionError("the provider never sent the browser back")


def _audited(db: Any) -> list[AuditEvent]:
    db.session.rollback()
    return list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def test_an_account_created_beforehand_signs_in_with_its_verified_email(
    sso: SingleSignOn, db: Any, make_user: Any
) -> None:
    user = make_user(role="assessor", email="sam.jones@nhs.net")
    browser = requests.Session()
    login_page = browser.get(f"{sso.server.url}/auth/login").text
    assert "Sign in with NHSmail" in login_page
    callback = _through_the_provider(sso, browser, "Sam.Jones@NHS.net")
    back = browser.get(callback, allow_redirects=False)
    assert back.status_code == 302 and urlsplit(back.headers["Location"]).path == "/"
    home = browser.get(f"{sso.server.url}/", allow_redirects=False)
    assert home.status_code == 200 and "Sign out" in home.text
    [event] = [e for e in _audited(db) if e.action == "login"]
    assert event.user_id == user.id and event.detail["method"] == "oidc"
    # signing out ends the session server-side, as for a password sign-in
    copy = requests.Session()
    copy.cookies.update(browser.cookies)
    token = re.search(r'name="csrf_token" value="([^"]+)"', home.text)
    assert token
    out = browser.post(
        f"{sso.server.url}/auth/logout", data={"csrf_token": token.group(1)}, allow_redirects=False
    )
    assert out.status_code == 302
    assert copy.get(f"{sso.server.url}/", allow_redirects=False).status_code == 302


def test_a_manager_signed_in_by_the_provider_needs_no_code_of_ours(
    sso: SingleSignOn, make_user: Any
) -> None:
    make_user(role="manager", email="lead@nhs.net")  # no TOTP enrolled
    browser = requests.Session()
    browser.get(_through_the_provider(sso, browser, "lead@nhs.net"), allow_redirects=False)
    assert browser.get(f"{sso.server.url}/manage/", allow_redirects=False).status_code == 200


def test_an_unverified_email_is_refused(sso: SingleSignOn, db: Any, make_user: Any) -> None:
    make_user(role="assessor", email="unverified.sam@nhs.net")
    browser = requests.Session()
    back = browser.get(_through_the_provider(sso, browser, "unverified.sam@nhs.net"))
    assert back.status_code == 403
    assert "has not verified your email address" in back.text
    assert browser.get(f"{sso.server.url}/", allow_redirects=False).status_code == 302
    [event] = [e for e in _audited(db) if e.action == "login.refused"]
    assert event.detail == {"method": "oidc", "reason": "unverified_email"}


def test_an_email_without_an_account_is_refused_and_no_account_is_made(
    sso: SingleSignOn, db: Any
) -> None:
    from survey.models import User

    browser = requests.Session()
    back = browser.get(_through_the_provider(sso, browser, "stranger@nhs.net"))
    assert back.status_code == 403 and "There is no account for your email address" in back.text
    assert "contact" in back.text.lower()
    assert browser.get(f"{sso.server.url}/", allow_redirects=False).status_code == 302
    assert db.session.scalar(select(User).where(User.email == "stranger@nhs.net")) is None
    [event] = [e for e in _audited(db) if e.action == "login.refused"]
    assert event.detail["reason"] == "unknown_account" and event.user_id is None


def test_a_switched_off_account_is_refused(sso: SingleSignOn, db: Any, make_user: Any) -> None:
    make_user(role="assessor", email="gone@nhs.net", active=False)
    browser = requests.Session()
    back = browser.get(_through_the_provider(sso, browser, "gone@nhs.net"))
    assert back.status_code == 403
    assert browser.get(f"{sso.server.url}/", allow_redirects=False).status_code == 302


def test_a_tampered_state_is_refused(sso: SingleSignOn, db: Any, make_user: Any) -> None:
    make_user(role="assessor", email="sam.jones@nhs.net")
    browser = requests.Session()
    callback = urlsplit(_through_the_provider(sso, browser, "sam.jones@nhs.net"))
    query = dict(parse_qsl(callback.query))
    query["state"] = query["state"][::-1]
    tampered = urlunsplit(callback._replace(query=urlencode(query)))
    back = browser.get(tampered, allow_redirects=False)
    assert back.status_code == 403 and "did not complete" in back.text
    assert browser.get(f"{sso.server.url}/", allow_redirects=False).status_code == 302
    [event] = [e for e in _audited(db) if e.action == "login.refused"]
    assert event.detail["reason"] == "provider"


def test_a_code_sent_to_another_browser_does_not_sign_it_in(
    sso: SingleSignOn, db: Any, make_user: Any
) -> None:
    make_user(role="assessor", email="sam.jones@nhs.net")
    callback = _through_the_provider(sso, requests.Session(), "sam.jones@nhs.net")
    attacker = requests.Session()  # has not started this sign-in: no state, nonce or verifier
    back = attacker.get(callback, allow_redirects=False)
    assert back.status_code == 403
    assert attacker.get(f"{sso.server.url}/", allow_redirects=False).status_code == 302
