"""Signing in through an OpenID Connect provider (NHSmail through Microsoft Entra ID, or any
other): the provider vouches for an email address, and only an account a manager created
beforehand for that address signs in. Nobody registers themselves this way."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select

from survey.extensions import db
from survey.models import User
from survey.services import audit

#: why a sign-in through the provider was refused, as the refusal page explains it
REASONS = {
    "provider": "The sign-in did not complete: it was cancelled, or its answer was not valid.",
    "unverified_email": "Your identity provider has not verified your email address.",
    "unknown_account": "There is no account for your email address.",
}


def identity_sign_in(claims: Mapping[str, Any] | None) -> tuple[User | None, str]:
    """The active account whose email the provider verified, or None and the reason why not.

    :param claims: the provider's claims about the person (from the checked ID token and the
        userinfo answer), or None when the exchange with the provider failed (a tampered state,
        a cancelled sign-in, a bad token).

    Every outcome is audited: ``login`` (method "oidc") or ``login.refused`` with the reason.
    An email claim is believed only when ``email_verified`` is exactly true.
    """
    if claims is None:
        return _refused(None, "provider")
    if claims.get("email_verified") is not True or not isinstance(claims.get("email"), str):
        return _refused(None, "unverified_email")
    email = str(claims["email"]).strip().lower()
    user = db.session.scalar(select(User).where(func.lower(User.email) == email))
    if user is None or not user.active:
        # a switched-off account reads as unknown: the refusal says no more than that
        return _refused(user, "unknown_account")
    audit.record(audit.Actor.web(user), "login", target=f"user:{user.id}", method="oidc")
    return user, ""


def _refused(user: User | None, reason: str) -> tuple[None, str]:
    target = f"user:{user.id}" if user is not None else ""
    audit.record(
        audit.Actor.web(user), "login.refused", target=target, method="oidc", reason=reason
    )
    return None, reason
