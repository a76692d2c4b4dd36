"""Sessions end server-side: a copy of the session cookie taken before sign-out, a password
change, a switch-off or a manager's "sign out everywhere" opens nothing afterwards. Sign-in
attempts are limited per account as well as per address, alike for accounts that do not exist.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from survey import create_app
from survey.models import AuditEvent
from survey.services.accounts import set_password_link
from tests.factories import PASSWORD
from tests.survey.helpers import csrf_token


def _signed_in(app: Any, user: Any, address: str = "127.0.0.1") -> Any:
    """A new browser, signed in as ``user`` through the sign-in form."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    page = client.get("/auth/login").get_data(as_text=True)
    response = client.post(
        "/auth/login",
        data={"csrf_token": csrf_token(page), "email": user.email, "password": PASSWORD},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client


def _copy(app: Any, client: Any) -> Any:
    """Another browser holding a copy of ``client``'s session cookie (a stolen cookie)."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    assert thief.get("/").status_code == 200  # the copy works while the session lives
    return thief


def _is_signed_out(client: Any) -> bool:
    response = client.get("/")
    return response.status_code == 302 and "/auth/login" in response.headers["Location"]


def _post(client: Any, path: str) -> Any:
    token = csrf_token(client.get("/auth/login", follow_redirects=True).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token})


def _actions(db: Any) -> list[str]:
    db.session.rollback()  # end the test's read snapshot to see what the requests wrote
    return [event.action for event in db.session.scalars(select(AuditEvent))]


def test_signing_out_ends_every_session_of_the_account_and_a_copied_cookie(
    app: Any, make_user: Any
) -> None:
    user = make_user(role="assessor")
    laptop = _signed_in(app, user)
    phone = _signed_in(app, user)
    copy = _copy(app, laptop)
    assert _post(laptop, "/auth/logout").status_code == 302
    assert _is_signed_out(laptop) and _is_signed_out(copy) and _is_signed_out(phone)
    assert not _is_signed_out(_signed_in(app, user))  # signing in again works


def test_a_password_change_ends_the_sessions_opened_with_the_old_password(
    app: Any, make_user: Any
) -> None:
    user = make_user()
    copy = _copy(app, _signed_in(app, user))
    with app.test_request_context():
        path = set_password_link(user).removeprefix("http://localhost")
    other = app.test_client()
    page = other.get(path)
    changed = other.post(
        path,
        data={
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "password": "another long password",
            "confirm": "another long password",
        },
    )
    assert changed.status_code == 302
    assert _is_signed_out(copy)


def test_switching_an_account_off_ends_its_sessions_for_good(
    app: Any, db: Any, make_user: Any
) -> None:
    manager = _signed_in(app, make_user(role="manager"))
    user = make_user(role="assessor", region="Midlands")
    copy = _copy(app, _signed_in(app, user))
    assert _post(manager, f"/manage/users/{user.id}/access").status_code == 302
    assert _is_signed_out(copy)
    assert _post(manager, f"/manage/users/{user.id}/access").status_code == 302  # back on
    assert _is_signed_out(copy)  # the old session stays ended
    assert not _is_signed_out(_signed_in(app, user))


def test_a_manager_signs_an_account_out_everywhere_and_it_is_audited(
    app: Any, db: Any, make_user: Any
) -> None:
    admin = make_user(role="manager")
    manager = _signed_in(app, admin)
    user = make_user(role="assessor", region="Midlands")
    first = _signed_in(app, user)
    copy = _copy(app, first)
    page = manager.get("/manage/users").get_data(as_text=True)
    assert "Sign out everywhere" in page
    done = _post(manager, f"/manage/users/{user.id}/sign-out")
    assert done.status_code == 302
    assert "Every session of" in manager.get("/manage/users").get_data(as_text=True)
    assert _is_signed_out(first) and _is_signed_out(copy)
    assert not _is_signed_out(manager)  # the manager's own session is untouched
    db.session.rollback()
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "user.sign_out_everywhere")
    )
    assert event is not None and event.user_id == admin.id and event.target == f"user:{user.id}"


def test_a_session_cookie_from_before_server_side_sessions_opens_nothing(
    app: Any, make_user: Any
) -> None:
    user = make_user()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)  # the old form of the id, without an epoch
        session["_fresh"] = True
    assert _is_signed_out(client)


def _attempt(client: Any, email: str, password: str) -> int:
    page = client.get("/auth/login").get_data(as_text=True)
    data = {"csrf_token": csrf_token(page), "email": email, "password": password}
    return int(client.post("/auth/login", data=data).status_code)


def test_sign_in_is_limited_per_account_across_addresses_alike_for_unknown_accounts(
    app: Any, db: Any, make_user: Any
) -> None:
    user = make_user()
    limited = create_app({**app.config, "RATELIMIT_ENABLED": True})
    try:
        outcomes = {}
        for email in (user.email, "nobody@example.org"):
            statuses = []
            for attempt in range(7):
                client = limited.test_client()  # a new browser at a new address each time
                client.environ_base["REMOTE_ADDR"] = f"198.51.100.{attempt}"
                statuses.append(_attempt(client, email, "wrong password!"))
            outcomes[email] = statuses
        # the right password from yet another address is refused too, until the limit passes
        late = limited.test_client()
        late.environ_base["REMOTE_ADDR"] = "198.51.100.200"
        refused_right_password = _attempt(late, user.email.upper(), PASSWORD)
        # another account from the same addresses is not held back
        colleague = make_user()
        other = _attempt(late, colleague.email, PASSWORD)
    finally:
        with limited.app_context():
            db.engine.dispose()
    assert outcomes[user.email] == [400] * 5 + [429, 429]
    assert outcomes["nobody@example.org"] == outcomes[user.email]  # nothing tells them apart
    assert refused_right_password == 429
    assert other == 302


def test_successful_sign_ins_do_not_use_up_the_accounts_allowance(
    app: Any, db: Any, make_user: Any
) -> None:
    user = make_user()
    limited = create_app({**app.config, "RATELIMIT_ENABLED": True})
    try:
        statuses = []
        for attempt in range(7):
            client = limited.test_client()
            client.environ_base["REMOTE_ADDR"] = f"198.51.100.{attempt}"
            statuses.append(_attempt(client, user.email, PASSWORD))
    finally:
        with limited.app_context():
            db.engine.dispose()
    assert statuses == [302] * 7
