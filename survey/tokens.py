"""Survey link tokens: random, signed, and stored only as a hash."""

from __future__ import annotations

import hashlib
import secrets

from itsdangerous import BadSignature, Signer

#: 160 bits of randomness per link (the floor is 128)
_TOKEN_BYTES = 20
_LINK_SALT = "assure360.invitation-link"


def _signer(secret_key: str) -> Signer:
    return Signer(secret_key, salt=_LINK_SALT)


def hash_token(raw: str) -> str:
    """The value stored in the database for a raw token."""
    return hashlib.sha256(raw.encode("ascii")).hexdigest()


def new_link_token(secret_key: str) -> tuple[str, str]:
    """Make a link token: returns ``(token for the URL, hash to store)``.

    The signature lets a tampered or made-up token be turned away before any database lookup.
    """
    raw = secrets.token_urlsafe(_TOKEN_BYTES)
    return _signer(secret_key).sign(raw).decode("ascii"), hash_token(raw)


def hash_from_link_token(secret_key: str, link_token: str) -> str | None:
    """The stored hash a link token stands for, or None when the token is not one of ours."""
    if len(link_token) > 200:
        return None
    try:
        raw = _signer(secret_key).unsign(link_token.encode("ascii", "strict"))
    except (BadSignature, UnicodeEncodeError):
        return None
    return hash_token(raw.decode("ascii"))
