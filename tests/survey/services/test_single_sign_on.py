"""The account an identity provider's claims sign in to: only a verified email of an active
account created beforehand; every outcome audited, no account ever created.
(tests/survey/auth/test_oidc.py runs the whole flow against a real provider.)"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from survey.models import AuditEvent, User
from survey.services.single_sign_on import REASONS, identity_sign_in


def _last(db: Any) -> AuditEvent:
    return db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()


def test_a_verified_email_signs_in_its_account_whatever_its_case(db: Any, make_user: Any) -> None:
    user = make_user(role="assessor", email="kim@nhs.net")
    got, reason = identity_sign_in({"sub": "x", "email": " KIM@nhs.net", "email_verified": True})
    assert got is not None and got.id == user.id and reason == ""
    event = _last(db)
    assert (event.action, event.user_id, event.detail) == ("login", user.id, {"method": "oidc"})


@pytest.mark.parametrize("verified", [False, None, "true", 1])
def test_an_email_not_verified_exactly_true_is_refused(
    db: Any, make_user: Any, verified: Any
) -> None:
    make_user(role="assessor", email="kim@nhs.net")
    claims = {"sub": "x", "email": "kim@nhs.net"}
    if verified is not None:
        claims["email_verified"] = verified
    assert identity_sign_in(claims) == (None, "unverified_email")
    assert _last(db).detail == {"method": "oidc", "reason": "unverified_email"}


def test_unknown_and_switched_off_accounts_are_refused_alike_and_nothing_is_created(
    db: Any, make_user: Any
) -> None:
    make_user(role="assessor", email="off@nhs.net", active=False)
    before = db.session.scalar(select(func.count()).select_from(User))
    for email in ("nobody@nhs.net", "off@nhs.net"):
        assert identity_sign_in({"email": email, "email_verified": True}) == (
            None,
            "unknown_account",
        )
    assert db.session.scalar(select(func.count()).select_from(User)) == before
    assert set(REASONS) == {"provider", "unverified_email", "unknown_account"}


def test_a_failed_exchange_with_the_provider_is_refused_and_audited(db: Any) -> None:
    assert identity_sign_in(None) == (None, "provider")
    event = _last(db)
    assert event.action == "login.refused" and event.user_id is None
