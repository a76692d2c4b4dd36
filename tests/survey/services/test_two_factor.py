"""TOTP services on their own: the secret sealed with a key from SECRET_KEY, codes accepted
once within a step of drift, resets audited and never of one's own factor."""

from __future__ import annotations

import time
from typing import Any

import pyotp
import pytest
from sqlalchemy import select

from survey.models import AuditEvent
from survey.services import two_factor
from survey.services.audit import Actor
from survey.services.errors import InputError


def test_a_sealed_secret_opens_only_with_the_same_key(db: Any) -> None:
    from flask import current_app

    sealed = two_factor.seal("JBSWY3DPEHPK3PXP")
    assert "JBSWY3DPEHPK3PXP" not in sealed
    assert two_factor.unseal(sealed) == "JBSWY3DPEHPK3PXP"
    assert two_factor.unseal(sealed[:-4] + "AAAA") is None
    current_app.config["SECRET_KEY"] = "another key"
    assert two_factor.unseal(sealed) is None


def test_codes_are_accepted_once_with_a_step_of_drift(db: Any, make_user: Any) -> None:
    user = make_user(role="assessor")
    secret = two_factor.new_secret()
    totp = pyotp.TOTP(secret)
    with pytest.raises(InputError, match="the code is not right"):
        two_factor.enrol(user, secret, "12345")
    two_factor.enrol(user, secret, totp.now())
    assert two_factor.provisioning_uri(user, secret).startswith("otpauth://totp/Assure360:")
    late = totp.at(time.time() + totp.interval)
    assert not two_factor.check_code(user, totp.now())  # used at enrolment
    assert two_factor.check_code(user, late[:3] + " " + late[3:])  # spaces as apps show them
    assert not two_factor.check_code(user, late)
    assert not two_factor.check_code(user, totp.at(time.time() + 5 * totp.interval))


def test_only_managers_must_enrol_and_a_reset_is_audited_but_never_ones_own(
    db: Any, make_user: Any, make_organisation: Any
) -> None:
    manager, other = make_user(role="manager"), make_user(role="manager")
    assert two_factor.needs_enrolment(manager)
    viewer = make_user(role="viewer", organisation=make_organisation())
    assert not two_factor.needs_enrolment(viewer)
    secret = two_factor.new_secret()
    two_factor.enrol(other, secret, pyotp.TOTP(secret).now())
    assert not two_factor.needs_enrolment(other)
    epoch = other.session_epoch
    two_factor.reset(Actor.web(manager), other)
    assert other.totp_secret is None and other.session_epoch == epoch + 1
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "user.two_factor.reset")
    )
    assert event.user_id == manager.id
    with pytest.raises(InputError, match="your own"):
        two_factor.reset(Actor.web(manager), manager)
