"""Account services on their own: creating accounts (role, organisation and region rules,
duplicate addresses), setting passwords, signing in and out, switching access, listing.

Every change is checked in the database, and every refusal leaves nothing behind: no account,
no queued email, no audit entry.
"""

from __future__ import annotations

from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from survey.models import AuditEvent, OutboxMessage, Role, User
from survey.services.accounts import (
    SET_PASSWORD_PATH,
    all_accounts,
    authenticate,
    create_user,
    set_password,
    sign_out,
    switch_access,
    user_for_set_password,
)
from survey.services.audit import COMMAND_LINE, Actor
from survey.services.errors import InputError
from survey.services.passwords import needs_rehash, verify_password
from tests.factories import PASSWORD


def _count(db: Any, model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _entries(db: Any, action: str) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    return list(db.session.scalars(query))


def _token(link: str) -> str:
    return link.split(SET_PASSWORD_PATH, 1)[1]


def test_a_manager_creates_a_commissioner_who_is_emailed_a_working_link(
    db, make_user, make_organisation
) -> None:
    organisation = make_organisation(code="01A")
    manager = make_user(role="manager")

    user, link = create_user(
        Actor.web(manager),
        email="New.Person@EXAMPLE.org",
        name="New Person",
        role="commissioner",
        organisation_code=" 01a ",
    )
    db.session.commit()

    stored = db.session.get(User, user.id)
    # the domain is case-insensitive and normalised; the local part is kept as typed
    assert stored.email == "New.Person@example.org"
    assert (stored.role, stored.organisation_id, stored.region) == (
        Role.COMMISSIONER,
        organisation.id,
        None,
    )
    assert stored.password_hash is None and stored.active
    assert link.startswith("http://localhost" + SET_PASSWORD_PATH)
    assert user_for_set_password(_token(link)) == stored
    [message] = db.session.scalars(select(OutboxMessage)).all()
    assert (message.kind, message.recipient) == ("account", "New.Person@example.org")
    assert link in message.text_body and "New Person" in message.text_body
    [entry] = _entries(db, "user.create")
    assert (entry.channel, entry.user_id, entry.target) == ("web", manager.id, f"user:{user.id}")
    assert entry.detail == {"role": "commissioner", "organisation": "01A", "region": None}


def test_an_assessor_keeps_only_a_region_and_a_manager_neither(db, make_organisation) -> None:
    make_organisation(code="02B")

    assessor, _ = create_user(
        COMMAND_LINE,
        email="assessor@example.org",
        name="A",
        role=Role.ASSESSOR,
        organisation_code="02B",
        region="  North West ",
    )
    manager, _ = create_user(
        COMMAND_LINE, email="manager@example.org", name="M", role="manager", region="London"
    )
    db.session.commit()

    assert (assessor.region, assessor.organisation_id) == ("North West", None)
    assert (manager.region, manager.organisation_id) == (None, None)
    entries = _entries(db, "user.create")
    assert [(e.channel, e.user_id) for e in entries] == [("cli", None), ("cli", None)]
    assert entries[0].detail["region"] == "North West"


@pytest.mark.parametrize(
    ("role", "extra", "message"),
    [
        ("commissioner", {}, "a commissioner account needs an organisation"),
        ("viewer", {"organisation_code": "  ", "region": "Midlands"}, "a viewer account needs"),
        ("assessor", {"region": "   "}, "an assessor account needs a region"),
        ("viewer", {"organisation_code": "zz9"}, "no organisation with code 'zz9'"),
        ("manager", {"organisation_code": "zz9"}, "no organisation with code 'zz9'"),
    ],
)
def test_an_account_without_what_its_role_needs_is_refused_and_nothing_is_written(
    db, make_organisation, role, extra, message
) -> None:
    make_organisation(code="01A")

    with pytest.raises(InputError, match=message):
        create_user(COMMAND_LINE, email="x@example.org", name="X", role=role, **extra)

    assert (_count(db, User), _count(db, OutboxMessage), _count(db, AuditEvent)) == (0, 0, 0)


@pytest.mark.parametrize("email", ["not-an-email", "two@@example.org", "", "a@b"])
def test_an_address_that_is_not_an_email_is_refused_by_name(db, email) -> None:
    with pytest.raises(InputError, match="is not an email address") as refused:
        create_user(COMMAND_LINE, email=email, name="X", role="manager")
    assert repr(email) in str(refused.value)
    assert _count(db, User) == 0 and _count(db, OutboxMessage) == 0


def test_a_second_account_for_the_same_address_is_refused_whatever_its_case(db, make_user) -> None:
    existing = make_user(role="manager", email="Jo.Bloggs@example.org")

    with pytest.raises(InputError, match="there is already an account for"):
        create_user(COMMAND_LINE, email="jo.bloggs@EXAMPLE.ORG", name="Jo", role="manager")

    assert db.session.scalars(select(User.id)).all() == [existing.id]
    assert _count(db, OutboxMessage) == 0 and _count(db, AuditEvent) == 0


def test_setting_a_password_needs_twelve_characters_and_uses_up_the_link(db) -> None:
    user, link = create_user(COMMAND_LINE, email="new@example.org", name="N", role="manager")
    db.session.commit()

    with pytest.raises(InputError, match="at least 12 characters"):
        set_password(user, "elevenchars")
    db.session.rollback()
    assert db.session.get(User, user.id).password_hash is None
    assert _entries(db, "user.set_password") == []

    set_password(user, "twelve chars")
    db.session.commit()

    stored = db.session.get(User, user.id)
    assert verify_password(stored.password_hash, "twelve chars")
    assert user_for_set_password(_token(link)) is None  # the link worked once only
    [entry] = _entries(db, "user.set_password")
    assert (entry.channel, entry.user_id, entry.target) == ("web", user.id, f"user:{user.id}")
    assert entry.detail == {}
    assert authenticate("new@example.org", "twelve chars") == stored


def test_signing_in_ignores_case_and_spaces_and_is_audited_as_the_account(db, make_user) -> None:
    user = make_user(email="Case.Person@example.org")

    assert authenticate("  case.person@EXAMPLE.ORG ", PASSWORD) == user
    assert authenticate(user.email, PASSWORD + "!") is None
    assert authenticate("nobody@example.org", PASSWORD) is None
    db.session.commit()

    [login] = _entries(db, "login")
    assert (login.channel, login.user_id, login.target) == ("web", user.id, f"user:{user.id}")
    failed = _entries(db, "login.failed")
    # the wrong password names the account; the unknown address names nobody and is not stored
    assert [(e.channel, e.user_id, e.target, e.detail) for e in failed] == [
        ("web", user.id, "", {}),
        ("web", None, "", {}),
    ]


def test_a_switched_off_account_cannot_sign_in_even_with_its_password(db, make_user) -> None:
    user = make_user()
    switch_access(COMMAND_LINE, user)
    db.session.commit()

    assert authenticate(user.email, PASSWORD) is None
    assert _entries(db, "login") == []


def test_a_refused_sign_in_to_a_switched_off_account_is_audited_as_that_account(
    db, make_user
) -> None:
    """authenticate's docstring: "The attempt is audited as the account it names"."""
    user = make_user()
    switch_access(COMMAND_LINE, user)
    db.session.commit()

    assert authenticate(user.email, PASSWORD) is None
    db.session.commit()

    attempts = db.session.scalars(
        select(AuditEvent).where(AuditEvent.user_id == user.id, AuditEvent.channel == "web")
    ).all()
    # (switch_access from the command line names nobody, so any entry here is the attempt)
    assert [e.action for e in attempts] != [], "the refused attempt left no audit entry"
    assert "login" not in [e.action for e in attempts]


def test_signing_in_upgrades_a_hash_made_with_weaker_settings(db, make_user) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    user = make_user()
    user.password_hash = weak
    db.session.commit()
    assert needs_rehash(weak)

    assert authenticate(user.email, PASSWORD) == user
    db.session.commit()
    db.session.expire_all()

    upgraded = db.session.get(User, user.id).password_hash
    assert upgraded != weak and not needs_rehash(upgraded)
    assert verify_password(upgraded, PASSWORD)


def test_signing_out_is_audited_as_the_account(db, make_user) -> None:
    user = make_user()
    sign_out(user)
    db.session.commit()
    [entry] = _entries(db, "logout")
    assert (entry.channel, entry.user_id, entry.target) == ("web", user.id, f"user:{user.id}")


def test_switching_access_turns_an_account_off_and_on_but_never_your_own(db, make_user) -> None:
    manager = make_user(role="manager")
    other = make_user(role="assessor")

    switch_access(Actor.web(manager), other)
    db.session.commit()
    assert db.session.get(User, other.id).active is False
    switch_access(Actor.web(manager), other)
    db.session.commit()
    assert db.session.get(User, other.id).active is True

    with pytest.raises(InputError, match="you cannot switch off your own account"):
        switch_access(Actor.web(manager), manager)
    db.session.rollback()
    assert db.session.get(User, manager.id).active is True
    entries = _entries(db, "user.access")
    assert [(e.user_id, e.target, e.detail) for e in entries] == [
        (manager.id, f"user:{other.id}", {"active": False}),
        (manager.id, f"user:{other.id}", {"active": True}),
    ]


def test_all_accounts_lists_managers_first_then_by_email(db, make_user, make_organisation) -> None:
    organisation = make_organisation()
    make_user(role="viewer", email="c.viewer@example.org", organisation=organisation)
    make_user(role="manager", email="z.manager@example.org")
    make_user(role="assessor", email="a.assessor@example.org")
    make_user(role="commissioner", email="b.commissioner@example.org", organisation=organisation)
    make_user(role="manager", email="m.manager@example.org")

    # The order the docstring promises ("managers first, then by email"); the other roles'
    # emails are chosen so that by-email and by-role-order agree for them.
    assert [user.email for user in all_accounts()] == [
        "m.manager@example.org",
        "z.manager@example.org",
        "a.assessor@example.org",
        "b.commissioner@example.org",
        "c.viewer@example.org",
    ]


def test_a_session_id_names_the_account_and_its_epoch_and_ends_with_it(db, make_user) -> None:
    from survey.services.accounts import sign_out_everywhere, user_for_session

    user = make_user()
    session_id = user.get_id()
    assert user_for_session(session_id) is user
    for stale in (str(user.id), f"{user.id}:x", "", f"{user.id}:{user.session_epoch + 1}"):
        assert user_for_session(stale) is None
    sign_out_everywhere(COMMAND_LINE, user)
    assert user_for_session(session_id) is None and user_for_session(user.get_id()) is user
    assert _entries(db, "user.sign_out_everywhere")[0].target == f"user:{user.id}"
    sign_out(user)
    set_password(user, "a long enough password")
    assert user.session_epoch == 3
