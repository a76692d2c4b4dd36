"""TOTP two-factor for password accounts (RFC 6238 through pyotp): enrolment, checking a code
once only, and a manager resetting someone's second factor when their phone is lost.

Secrets are stored encrypted (Fernet, with a key derived from SECRET_KEY by HKDF), so a copy of
the database alone does not give away anyone's codes. Sign-ins through the identity provider
(OIDC) skip this: the provider does the second factor.
"""

from __future__ import annotations

import base64
import time

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

from survey.extensions import db
from survey.models import Role, User
from survey.services import audit
from survey.services.errors import InputError

ISSUER = "Assure360"
#: codes from one 30-second step either side are accepted (phone clocks drift)
_DRIFT_STEPS = 1


def _fernet() -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"assure360.totp-secret"
    ).derive(str(current_app.config["SECRET_KEY"]).encode())
    return Fernet(base64.urlsafe_b64encode(key))


def seal(secret: str) -> str:
    """``secret`` encrypted for storage (or for the session while enrolling)."""
    return _fernet().encrypt(secret.encode()).decode()


def unseal(sealed: str) -> str | None:
    """The secret, or None if ``sealed`` was not made by :func:`seal` with this key."""
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except (InvalidToken, ValueError):
        return None


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    """The otpauth:// address an authenticator app takes (typed or scanned)."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_code_svg(uri: str) -> str:
    """``uri`` as a QR code for a phone to scan: inline SVG markup, black on the page's white,
    four modules of quiet zone (ISO/IEC 18004), error correction M."""
    svg = segno.make(uri, error="m").svg_inline(scale=5, title="QR code of your two-factor key")
    return svg.replace("<svg ", '<svg role="img" aria-label="QR code of your two-factor key" ', 1)


def needs_enrolment(user: User) -> bool:
    """Managers must have a second factor before any manager page."""
    return user.role is Role.MANAGER and user.totp_secret is None


def _accepted_step(secret: str, code: str, last_step: int | None) -> int | None:
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now = int(time.time()) // totp.interval
    for step in range(now - _DRIFT_STEPS, now + _DRIFT_STEPS + 1):
        if (last_step is None or step > last_step) and pyotp.utils.strings_equal(
            totp.at(step * totp.interval), code
        ):
            return step
    return None


def enrol(user: User, secret: str, code: str) -> None:
    """Turn on two-factor for ``user`` once a code from their app proves they hold ``secret``."""
    step = _accepted_step(secret, code, None)
    if step is None:
        raise InputError("the code is not right: type the 6 digits your app shows now")
    user.totp_secret = seal(secret)
    user.totp_last_step = step
    db.session.flush()
    audit.record(audit.Actor.web(user), "user.two_factor.enrol", target=f"user:{user.id}")


def check_code(user: User, code: str) -> bool:
    """Whether ``code`` is ``user``'s current code, not used before (a replayed code fails)."""
    secret = unseal(user.totp_secret) if user.totp_secret else None
    step = _accepted_step(secret, code, user.totp_last_step) if secret else None
    if step is None:
        audit.record(audit.Actor.web(user), "login.two_factor_failed", target=f"user:{user.id}")
        return False
    user.totp_last_step = step
    db.session.flush()
    audit.record(audit.Actor.web(user), "login.two_factor", target=f"user:{user.id}")
    return True


def reset(actor: audit.Actor, user: User) -> None:
    """A manager removes ``user``'s second factor (a lost phone): their sessions end and they
    enrol again at their next sign-in. Nobody resets their own."""
    if user.id == actor.user_id:
        raise InputError("you cannot reset your own two-factor: ask another manager")
    user.totp_secret = None
    user.totp_last_step = None
    user.session_epoch += 1
    db.session.flush()
    audit.record(actor, "user.two_factor.reset", target=f"user:{user.id}")
