"""Managers create accounts (emailed a one-time link) and switch them off and on."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from survey.models import AuditEvent, User
from tests.survey.helpers import csrf_token, read_outbox, text_part


def test_a_manager_creates_a_commissioner_account_that_gets_its_link(
    client: Any, db: Any, make_user: Any, make_organisation: Any, sign_in: Any, app: Any
) -> None:
    from pathlib import Path

    make_organisation(code="01A")
    manager = make_user(role="manager")
    sign_in(manager)
    page = client.get("/manage/users")
    form = {
        "csrf_token": csrf_token(page.get_data(as_text=True)),
        "email": "new.person@example.org",
        "name": "New Person",
        "role": "commissioner",
        "organisation": "01a",
        "region": "",
    }
    created = client.post("/manage/users", data=form)
    assert created.status_code == 302
    db.session.rollback()
    user = db.session.scalar(select(User).where(User.email == "new.person@example.org"))
    assert user is not None and user.organisation.code == "01A" and user.password_hash is None
    [message] = [
        m
        for m in read_outbox(Path(app.config["MAIL_OUTBOX_DIR"]))
        if m["To"] == "new.person@example.org"
    ]
    assert "/auth/set-password/" in text_part(message)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.create"))
    assert event.user_id == manager.id and event.channel == "web"


def test_a_commissioner_without_an_organisation_is_refused_with_a_message(
    client: Any, db: Any, make_user: Any, sign_in: Any
) -> None:
    sign_in(make_user(role="manager"))
    page = client.get("/manage/users")
    form = {
        "csrf_token": csrf_token(page.get_data(as_text=True)),
        "email": "x@example.org",
        "name": "X",
        "role": "commissioner",
        "organisation": "",
        "region": "",
    }
    refused = client.post("/manage/users", data=form)
    assert refused.status_code == 400 and "needs an organisation" in refused.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(select(User).where(User.email == "x@example.org")) is None


def test_a_switched_off_account_cannot_sign_in_and_the_change_is_audited(
    client: Any, app: Any, db: Any, make_user: Any, sign_in: Any
) -> None:
    viewer = make_user(role="assessor")
    manager = make_user(role="manager")
    sign_in(manager)
    token = csrf_token(client.get("/manage/users").get_data(as_text=True))
    assert (
        client.post(f"/manage/users/{viewer.id}/access", data={"csrf_token": token}).status_code
        == 302
    )
    assert (
        client.post(f"/manage/users/{manager.id}/access", data={"csrf_token": token}).status_code
        == 302
    )  # not themselves
    db.session.rollback()
    assert (
        db.session.get(User, viewer.id).active is False
        and db.session.get(User, manager.id).active is True
    )
    other = app.test_client()
    from tests.factories import PASSWORD

    login = other.get("/auth/login").get_data(as_text=True)
    refused = other.post(
        "/auth/login",
        data={"csrf_token": csrf_token(login), "email": viewer.email, "password": PASSWORD},
    )
    assert refused.status_code == 400
    assert [
        e.detail
        for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.access"))
    ] == [{"active": False}]
