"""Signing in, setting a password from the emailed link, and seeing only your organisations."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import select

from survey import create_app
from survey.models import AuditEvent
from tests.factories import PASSWORD
from tests.survey.helpers import csrf_token, read_outbox


def _post_login(client: Any, email: str, password: str) -> Any:
    token = csrf_token(client.get("/auth/login").get_data(as_text=True))
    return client.post(
        "/auth/login", data={"csrf_token": token, "email": email, "password": password}
    )


def test_signing_in_renews_the_session_and_is_audited(client: Any, db: Any, make_user: Any) -> None:
    user = make_user(role="manager")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    response = _post_login(client, user.email, PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    with client.session_transaction() as session:
        assert "planted" not in session
    assert client.get("/").status_code == 200
    db.session.rollback()  # end the test's read snapshot to see what the requests wrote
    actions = [e.action for e in db.session.scalars(select(AuditEvent))]
    assert "login" in actions


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(
    client: Any, db: Any, make_user: Any
) -> None:
    user = make_user()
    for email, password in ((user.email, "wrong password!"), ("nobody@example.org", PASSWORD)):
        response = _post_login(client, email, password)
        assert response.status_code == 400
        assert "The email address or password is not right" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still signed out
    db.session.rollback()
    assert [e.action for e in db.session.scalars(select(AuditEvent))].count("login.failed") == 2


def test_pages_need_sign_in(client: Any) -> None:
    response = client.get("/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_a_new_account_sets_its_password_once_from_the_emailed_link(
    app: Any, runner: Any, client: Any, db: Any, make_organisation: Any, tmp_path: Path
) -> None:
    organisation = make_organisation(code="01A")
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "casey@example.org",
            "--name",
            "Casey",
            "--role",
            "commissioner",
            "--organisation",
            "01A",
        ]
    )
    assert result.exit_code == 0, result.output
    [message] = [m for m in read_outbox(tmp_path / "outbox") if m["To"] == "casey@example.org"]
    link = re.search(
        r"(http://\S+/auth/set-password/\S+)",
        message.get_payload()[0].get_payload(decode=True).decode(),
    )
    assert link
    path = link.group(1).removeprefix("http://localhost")
    page = client.get(path)
    assert page.status_code == 200
    short = client.post(
        path,
        data={
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "password": "short",
            "confirm": "short",
        },
    )
    assert short.status_code == 400 and "at least 12 characters" in short.get_data(as_text=True)
    done = client.post(
        path,
        data={
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "password": "a long new password",
            "confirm": "a long new password",
        },
    )
    assert done.status_code == 302
    assert client.get(path).status_code == 404  # used once: dead
    assert _post_login(client, "casey@example.org", "a long new password").status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert organisation.name in home


def test_each_role_sees_only_its_organisations(
    client: Any, db: Any, make_user: Any, make_organisation: Any, sign_in: Any
) -> None:
    mine = make_organisation(name="NHS Mine ICB", region="Midlands")
    neighbour = make_organisation(name="NHS Neighbour ICB", region="Midlands")
    far = make_organisation(name="NHS Far Away ICB", region="London")
    expectations = {
        ("manager", None, None): {mine, neighbour, far},
        ("assessor", None, "Midlands"): {mine, neighbour},
        ("commissioner", mine, None): {mine},
        ("viewer", mine, None): {mine},
    }
    for (role, organisation, region), visible in expectations.items():
        user = make_user(role=role, organisation=organisation, region=region)
        sign_in(user)
        page = client.get("/").get_data(as_text=True)
        for org in (mine, neighbour, far):
            assert (org.name in page) == (org in visible), (role, org.name)
        token = csrf_token(page)
        assert client.post("/auth/logout", data={"csrf_token": token}).status_code == 302


def test_session_cookies_are_secure_outside_tests(tmp_path: Path) -> None:
    app = create_app(
        {"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}"}
    )
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_sign_in_is_rate_limited(app: Any, db: Any, make_user: Any) -> None:
    make_user()
    limited = create_app({**app.config, "RATELIMIT_ENABLED": True})
    client = limited.test_client()
    # another account each time: only the limit per address is met (test_sessions.py has the
    # limit per account)
    statuses = [
        _post_login(client, f"guess{attempt}@example.org", "wrong password!").status_code
        for attempt in range(12)
    ]
    with limited.app_context():
        db.engine.dispose()
    assert statuses[:10] == [400] * 10
    assert statuses[10:] == [429, 429]
