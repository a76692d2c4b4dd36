"""The audit log service on its own: who acted (channel and account) is stored as passed, an
entry lives and dies with the transaction it records, entries cannot be changed or deleted,
events() and actions() read it back newest first, and no entry holds personal data."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from survey.extensions import db as session_db
from survey.models import AuditEvent, Organisation, OrganisationKind
from survey.services import audit
from survey.services.accounts import authenticate, create_user, set_password
from survey.services.audit import COMMAND_LINE, SYSTEM, Actor, AuditLogIsAppendOnly, record


def _stored(db: Any, entry_id: int) -> AuditEvent:
    db.session.expire_all()
    return db.session.get(AuditEvent, entry_id)


def test_each_kind_of_actor_is_stored_as_its_channel_and_account(db, make_user) -> None:
    user = make_user(role="manager")
    before = datetime.now(UTC)

    ids = [
        record(actor, "test.act", target="round:7").id
        for actor in (COMMAND_LINE, SYSTEM, Actor.web(user), Actor.web())
    ]
    db.session.commit()

    stored = [_stored(db, entry_id) for entry_id in ids]
    assert [(e.channel, e.user_id) for e in stored] == [
        ("cli", None),
        ("system", None),
        ("web", user.id),
        ("web", None),
    ]
    assert all(e.target == "round:7" and e.action == "test.act" for e in stored)
    assert all(before - timedelta(seconds=1) <= e.at <= datetime.now(UTC) for e in stored)


def test_details_come_back_as_the_json_they_were_given(db) -> None:
    entry = record(COMMAND_LINE, "test.detail", counts=[3, 0, 12], round=5, dry_run=False)
    bare = record(COMMAND_LINE, "test.bare")
    db.session.commit()

    assert _stored(db, entry.id).detail == {"counts": [3, 0, 12], "round": 5, "dry_run": False}
    assert (_stored(db, bare.id).target, _stored(db, bare.id).detail) == ("", {})


def test_an_entry_is_lost_with_the_change_it_records_when_that_is_rolled_back(app, db) -> None:
    # the served app's own session: a real transaction (the test's session autocommits on SQLite)
    with app.app_context():
        session_db.session.add(
            Organisation(code="R01", name="Rolled Back", kind=OrganisationKind.CCG, region="X")
        )
        record(COMMAND_LINE, "organisations.import", created=1)
        session_db.session.rollback()
        record(COMMAND_LINE, "organisations.import", created=0)
        session_db.session.commit()

    assert [e.detail for e in db.session.scalars(select(AuditEvent))] == [{"created": 0}]
    assert db.session.scalar(select(func.count()).select_from(Organisation)) == 0


@pytest.mark.parametrize(
    ("change", "value"),
    [("action", "rewritten"), ("detail", {"created": 0}), ("channel", "web"), ("target", "")],
)
def test_changing_an_entry_is_refused_and_the_whole_flush_with_it(db, change, value) -> None:
    entry = record(COMMAND_LINE, "organisations.import", target="file", created=2)
    entry_id = entry.id
    db.session.commit()

    setattr(entry, change, value)
    db.session.add(
        Organisation(code="S01", name="Same Flush", kind=OrganisationKind.CCG, region="Midlands")
    )
    with pytest.raises(AuditLogIsAppendOnly, match=f"audit entry {entry_id} cannot be changed"):
        db.session.flush()
    db.session.rollback()

    stored = _stored(db, entry_id)
    assert (stored.action, stored.channel, stored.target, stored.detail) == (
        "organisations.import",
        "cli",
        "file",
        {"created": 2},
    )
    assert db.session.scalar(select(Organisation).where(Organisation.code == "S01")) is None


def test_deleting_an_entry_is_refused(db) -> None:
    entry = record(SYSTEM, "retention.purge", stakeholders=4)
    entry_id = entry.id
    db.session.commit()

    db.session.delete(entry)
    with pytest.raises(AuditLogIsAppendOnly, match=f"audit entry {entry_id} cannot be deleted"):
        db.session.flush()
    db.session.rollback()

    assert _stored(db, entry_id).detail == {"stakeholders": 4}


def test_events_are_newest_first_with_the_actor_email_and_filter_by_action(db, make_user) -> None:
    manager = make_user(role="manager", email="boss@example.org")
    first = record(COMMAND_LINE, "round.create", target="round:1")
    second = record(Actor.web(manager), "round.open", target="round:1")
    third = record(Actor.web(manager), "round.create", target="round:2")
    db.session.commit()

    everything = audit.events(action=None, limit=10)
    assert [(e.id, email) for e, email in everything] == [
        (third.id, "boss@example.org"),
        (second.id, "boss@example.org"),
        (first.id, None),
    ]
    assert [e.id for e, _ in audit.events(action=None, limit=2)] == [third.id, second.id]
    assert [e.id for e, _ in audit.events(action="round.create", limit=10)] == [
        third.id,
        first.id,
    ]
    assert [e.id for e, _ in audit.events(action="round.create", limit=1)] == [third.id]
    assert audit.events(action="no.such.action", limit=10) == []
    # an empty filter (the page's "all actions") is no filter
    assert len(audit.events(action="", limit=10)) == 3


def test_actions_lists_each_kind_once_in_alphabetical_order(db) -> None:
    assert audit.actions() == []
    for action in ("round.open", "login", "round.create", "login", "export.responses"):
        record(COMMAND_LINE, action)
    db.session.commit()

    assert audit.actions() == ["export.responses", "login", "round.create", "round.open"]


def test_no_entry_holds_an_address_a_name_a_password_or_a_link(
    db, make_organisation, make_invitation
) -> None:
    """What the log holds after accounts, sign-ins and invitations: counts and ids only."""
    organisation = make_organisation(code="01A")
    user, link = create_user(
        COMMAND_LINE,
        email="private.person@example.org",
        name="Private Person",
        role="viewer",
        organisation_code="01A",
    )
    set_password(user, "a secret password")
    authenticate("private.person@example.org", "a wrong password!")
    authenticate("unknown.person@example.org", "a secret password")
    authenticate("private.person@example.org", "a secret password")
    issued = make_invitation(organisation=organisation, email="stake.holder@example.org")
    db.session.commit()

    entries = db.session.scalars(select(AuditEvent)).all()
    assert {"user.create", "user.set_password", "login.failed", "login", "invitations.issue"} <= {
        e.action for e in entries
    }
    written = json.dumps([[e.action, e.target, e.detail] for e in entries]).lower()
    secrets = [
        "private.person",
        "unknown.person",
        "stake.holder",
        "example.org",
        "private person",
        "test person",
        "secret password",
        "wrong password",
        "$argon2",
        link.rsplit("/", 1)[1].lower(),
        issued.link.rsplit("/", 1)[1].lower(),
    ]
    assert [secret for secret in secrets if secret in written] == []
