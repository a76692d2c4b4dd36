"""TOTP two-factor: managers enrol before any manager page; an enrolled account's password
sign-in asks for a code, once only; guesses are limited; a manager resets a lost one.
Codes are computed with pyotp from the secret the enrolment page shows, as a phone would."""

from __future__ import annotations

import re
import subprocess
import time
from typing import Any

import pyotp
from sqlalchemy import select

from survey import create_app
from survey.models import AuditEvent, User
from tests.factories import PASSWORD
from tests.survey.helpers import csrf_token


def _app(app: Any, **overrides: Any) -> Any:
    return create_app({**app.config, "TWO_FACTOR_FOR_MANAGERS": True, **overrides})


def _password(client: Any, email: str) -> Any:
    page = client.get("/auth/login").get_data(as_text=True)
    return client.post(
        "/auth/login", data={"csrf_token": csrf_token(page), "email": email, "password": PASSWORD}
    )


def _code(client: Any, path: str, code: str) -> Any:
    page = client.get(path).get_data(as_text=True)
    return client.post(path, data={"csrf_token": csrf_token(page), "code": code})


def _enrol(client: Any) -> pyotp.TOTP:
    page = client.get("/auth/two-factor/setup").get_data(as_text=True)
    secret = re.search(r'<code id="secret">([A-Z2-7]+)</code>', page)
    assert secret and "otpauth://totp/" in page
    totp = pyotp.TOTP(secret.group(1))
    done = _code(client, "/auth/two-factor/setup", totp.now())
    assert done.status_code == 302
    return totp


def _next_code(totp: pyotp.TOTP) -> str:
    """A code not used yet: the next time step's (accepted for clock drift)."""
    return totp.at(time.time() + totp.interval)


def test_a_manager_enrols_before_any_manager_page_and_then_needs_a_code(
    app: Any, db: Any, make_user: Any
) -> None:
    strict = _app(app)
    manager = make_user(role="manager")
    client = strict.test_client()
    assert _password(client, manager.email).status_code == 302
    blocked = client.get("/manage/")
    assert blocked.status_code == 302 and blocked.headers["Location"].endswith(
        "/auth/two-factor/setup"
    )
    wrong = _code(client, "/auth/two-factor/setup", "000000")
    assert wrong.status_code == 400 and "The code is not right" in wrong.get_data(as_text=True)
    totp = _enrol(client)
    assert client.get("/manage/").status_code == 200
    db.session.rollback()
    stored = db.session.get(User, manager.id)
    assert stored.totp_secret and totp.secret not in stored.totp_secret  # encrypted at rest

    second = strict.test_client()
    asked = _password(second, manager.email)
    assert asked.status_code == 302 and asked.headers["Location"].endswith("/auth/two-factor")
    assert second.get("/").status_code == 302  # not signed in on the password alone
    assert _code(second, "/auth/two-factor", "123456").status_code == 400
    code = _next_code(totp)
    assert _code(second, "/auth/two-factor", code).status_code == 302
    assert second.get("/manage/").status_code == 200

    third = strict.test_client()  # the same code again, in the same window: refused
    _password(third, manager.email)
    replay = _code(third, "/auth/two-factor", code)
    assert replay.status_code == 400 and "used already" in replay.get_data(as_text=True)
    assert third.get("/").status_code == 302
    with strict.app_context():
        db.engine.dispose()
    db.session.rollback()
    actions = [e.action for e in db.session.scalars(select(AuditEvent))]
    assert actions.count("user.two_factor.enrol") == 1
    assert actions.count("login.two_factor") == 1 and actions.count("login.two_factor_failed") == 2


def test_other_roles_may_enrol_but_are_not_made_to(app: Any, db: Any, make_user: Any) -> None:
    strict = _app(app)
    client = strict.test_client()
    assessor = make_user(role="assessor")
    assert _password(client, assessor.email).status_code == 302
    assert client.get("/").status_code == 200
    _enrol(client)
    other = strict.test_client()
    assert _password(other, assessor.email).headers["Location"].endswith("/auth/two-factor")
    with strict.app_context():
        db.engine.dispose()


def test_code_guesses_are_limited(app: Any, db: Any, make_user: Any) -> None:
    strict = _app(app, RATELIMIT_ENABLED=True)
    user = make_user(role="assessor")
    enrolling = strict.test_client()
    _password(enrolling, user.email)
    _enrol(enrolling)
    statuses = []
    for attempt in range(7):
        client = strict.test_client()
        client.environ_base["REMOTE_ADDR"] = f"198.51.100.{attempt}"
        _password(client, user.email)
        statuses.append(_code(client, "/auth/two-factor", "000000").status_code)
    with strict.app_context():
        db.engine.dispose()
    # the account's sign-in limit and the code limit both count: refusals come by the sixth
    assert statuses[:5] == [400] * 5 and 429 in statuses[5:]


def test_a_manager_resets_a_lost_second_factor_and_it_is_audited(
    app: Any, db: Any, make_user: Any
) -> None:
    strict = _app(app)
    lost = make_user(role="manager")
    phone_owner = strict.test_client()
    _password(phone_owner, lost.email)
    _enrol(phone_owner)
    colleague = make_user(role="manager")
    helper = strict.test_client()
    _password(helper, colleague.email)
    _enrol(helper)
    page = helper.get("/manage/users").get_data(as_text=True)
    assert "Reset two-factor" in page
    token = csrf_token(page)
    done = helper.post(f"/manage/users/{lost.id}/two-factor-reset", data={"csrf_token": token})
    assert done.status_code == 302
    assert phone_owner.get("/").status_code == 302  # their sessions ended
    again = strict.test_client()
    _password(again, lost.email)  # no code asked: straight to enrolment again
    assert again.get("/manage/").headers["Location"].endswith("/auth/two-factor/setup")
    own = helper.post(
        f"/manage/users/{colleague.id}/two-factor-reset",
        data={"csrf_token": csrf_token(helper.get("/manage/users").get_data(as_text=True))},
    )
    assert own.status_code == 302
    assert "cannot reset your own" in helper.get("/manage/users").get_data(as_text=True)
    with strict.app_context():
        db.engine.dispose()
    db.session.rollback()
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "user.two_factor.reset")
    )
    assert event.user_id == colleague.id and event.target == f"user:{lost.id}"


def test_a_phone_scanning_the_qr_code_gets_the_key_and_its_codes_enrol(
    app: Any, db: Any, make_user: Any, tmp_path: Any
) -> None:
    """The page is drawn by Chromium and its QR code read by zbar, as a phone's camera would."""
    strict = _app(app)
    manager = make_user(role="manager")
    client = strict.test_client()
    _password(client, manager.email)
    page = client.get("/auth/two-factor/setup").get_data(as_text=True)
    svg = re.search(r'<div class="app-qr-code">(<svg role="img".*?</svg>)</div>', page, re.S)
    assert svg, "no QR code on the enrolment page"
    html = tmp_path / "qr.html"
    html.write_text(f'<body style="margin:24px;background:#fff">{svg.group(1)}</body>')
    png = tmp_path / "qr.png"
    subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--screenshot={png}",
            "--window-size=400,400",
            html.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    scanned = subprocess.run(
        ["zbarimg", "--raw", "-q", str(png)], check=True, capture_output=True, text=True
    ).stdout.strip()
    totp = pyotp.parse_uri(scanned)
    assert isinstance(totp, pyotp.TOTP) and scanned.startswith("otpauth://totp/Assure360:")
    assert manager.email.replace("@", "%40") in scanned
    assert _code(client, "/auth/two-factor/setup", totp.now()).status_code == 302
    assert client.get("/manage/").status_code == 200
