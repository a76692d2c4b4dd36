"""Account services: creating accounts, one-time set-password links, checking passwords."""

from __future__ import annotations

import hashlib

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import case, func, select

from survey.extensions import db
from survey.mail import queue_email
from survey.models import Role, User
from survey.services import audit
from survey.services.errors import InputError
from survey.services.organisations import organisation_by_code
from survey.services.passwords import MIN_LENGTH, hash_password, needs_rehash, verify_password

_SET_PASSWORD_SALT = "assure360.set-password"
#: a set-password link works for three days, and only until a password is set with it
SET_PASSWORD_MAX_AGE = 3 * 24 * 3600
#: where survey.auth.routes.set_password is mounted (links are built outside requests too)
SET_PASSWORD_PATH = "/auth/set-password/"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SET_PASSWORD_SALT)


def _password_fingerprint(user: User) -> str:
    # Changes whenever the password does, so a used link stops working.
    return hashlib.sha256((user.password_hash or "unset").encode()).hexdigest()[:16]


def set_password_link(user: User) -> str:
    token = _serializer().dumps({"user": user.id, "fp": _password_fingerprint(user)})
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + SET_PASSWORD_PATH + token


def user_for_set_password(token: str) -> User | None:
    """The account a set-password link is for, or None if it is expired, used or forged."""
    try:
        data = _serializer().loads(token, max_age=SET_PASSWORD_MAX_AGE)
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(data, dict):
        return None
    user = db.session.get(User, data.get("user"))
    if user is None or not user.active or data.get("fp") != _password_fingerprint(user):
        return None
    return user


def create_user(
    actor: audit.Actor,
    *,
    email: str,
    name: str,
    role: Role | str,
    organisation_code: str | None = None,
    region: str | None = None,
) -> tuple[User, str]:
    """Create an account and queue an email with its one-time set-password link.

    Returns the account and the link. Commissioners and viewers need an organisation (by code),
    assessors a region; no one can register themselves, so only a manager or the command line
    calls this.
    """
    try:
        address = validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise InputError(f"{email!r} is not an email address: {error}") from None
    role = Role(role)
    code = (organisation_code or "").strip()
    organisation = organisation_by_code(code) if code else None
    region = (region or "").strip() or None
    if role in (Role.COMMISSIONER, Role.VIEWER) and organisation is None:
        raise InputError(f"a {role.value} account needs an organisation")
    if role is Role.ASSESSOR and not region:
        raise InputError("an assessor account needs a region")
    if db.session.scalar(select(User).where(func.lower(User.email) == address.lower())):
        raise InputError(f"there is already an account for {address}")
    has_organisation = role in (Role.COMMISSIONER, Role.VIEWER)
    user = User(
        email=address,
        name=name,
        role=role,
        organisation_id=organisation.id if organisation and has_organisation else None,
        region=region if role is Role.ASSESSOR else None,
    )
    db.session.add(user)
    db.session.flush()
    link = set_password_link(user)
    queue_email(
        kind="account",
        recipient=user.email,
        subject="Set your Assure360 password",
        template="set_password",
        context={"user": user, "link": link, "contact": current_app.config["SURVEY_CONTACT"]},
    )
    audit.record(
        actor,
        "user.create",
        target=f"user:{user.id}",
        role=role.value,
        organisation=organisation.code if organisation and has_organisation else None,
        region=user.region,
    )
    return user, link


def set_password(user: User, password: str) -> None:
    """Set ``user``'s password (from their one-time link: the account itself acts)."""
    if len(password) < MIN_LENGTH:
        raise InputError(f"the password must be at least {MIN_LENGTH} characters")
    user.password_hash = hash_password(password)
    _end_sessions(user)
    audit.record(audit.Actor.web(user), "user.set_password", target=f"user:{user.id}")


def authenticate(email: str, password: str) -> User | None:
    """The active account with this email and password, or None (same time either way).

    The attempt is audited as the account it names (or nobody, for an unknown address); a right
    password for a switched-off account is refused and audited as ``login.refused``.
    """
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if not verify_password(user.password_hash if user else None, password):
        audit.record(audit.Actor.web(user), "login.failed")
        return None
    if user is None:
        return None
    if not user.active:
        audit.record(audit.Actor.web(user), "login.refused", target=f"user:{user.id}")
        return None
    if user.password_hash and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    audit.record(audit.Actor.web(user), "login", target=f"user:{user.id}")
    return user


def _end_sessions(user: User) -> None:
    # Every session names the epoch it was opened in (User.get_id); a new epoch ends them all.
    user.session_epoch += 1
    db.session.flush()


def user_for_session(session_id: str) -> User | None:
    """The active account a signed-in session belongs to, or None once that session has ended.

    ``session_id`` is what :meth:`User.get_id` stored at sign-in ("<id>:<epoch>"); an id from an
    older epoch, or of any other shape, is a session that has ended.
    """
    account, _, epoch = session_id.partition(":")
    if not (account.isdigit() and epoch.isdigit()):
        return None
    user = db.session.get(User, int(account))
    if user is None or not user.active or user.session_epoch != int(epoch):
        return None
    return user


def sign_out(user: User) -> None:
    """Sign ``user`` out: every session of the account ends, here and on other devices."""
    _end_sessions(user)
    audit.record(audit.Actor.web(user), "logout", target=f"user:{user.id}")


def sign_out_everywhere(actor: audit.Actor, user: User) -> None:
    """A manager ends every session of ``user`` (a lost laptop, a leaving colleague)."""
    _end_sessions(user)
    audit.record(actor, "user.sign_out_everywhere", target=f"user:{user.id}")


def switch_access(actor: audit.Actor, user: User) -> User:
    """Switch an account off (it can no longer sign in) or back on; nobody switches off
    themselves."""
    if user.id == actor.user_id:
        raise InputError("you cannot switch off your own account")
    user.active = not user.active
    _end_sessions(user)
    audit.record(actor, "user.access", target=f"user:{user.id}", active=user.active)
    return user


def account_by_email(email: str) -> User:
    """The account with this email (any case), or an InputError naming the address."""
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None:
        raise InputError(f"there is no account for {email!r}")
    return user


def all_accounts() -> list[User]:
    """Every account, managers first (then assessors, commissioners, viewers), then by email."""
    rank = case({role: index for index, role in enumerate(Role)}, value=User.role)
    return list(db.session.scalars(select(User).order_by(rank, User.email)))
