"""Survey link tokens: derived from a stored random nonce, signed, and looked up by hash.

Each invitation stores a random nonce (160 bits) and the SHA-256 hash of its link token. The
token is ``HMAC-SHA256(SECRET_KEY, "invitation-link:" + nonce)``, so the application can rebuild
a link for a reminder while the database alone (without the key) yields no working link.
Re-issuing draws a new nonce, which kills the old link; revoking clears both.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, Signer, URLSafeSerializer

#: 160 bits of randomness per link (the floor is 128)
_NONCE_BYTES = 20
_LINK_SALT = "assure360.invitation-link"
_DERIVATION_PREFIX = b"invitation-link:"
_OPT_OUT_SALT = "assure360.opt-out"


@dataclass(frozen=True)
class LinkToken:
    #: stored on the invitation; with SECRET_KEY it rebuilds the token
    nonce: str
    #: what goes in the URL
    token: str
    #: stored on the invitation and used for lookup
    token_hash: str


def _signer(secret_key: str) -> Signer:
    return Signer(secret_key, salt=_LINK_SALT)


def hash_token(raw: str) -> str:
    """The value stored in the database for a raw (unsigned) token."""
    return hashlib.sha256(raw.encode("ascii")).hexdigest()


def new_nonce() -> str:
    """A fresh random nonce for one invitation's link."""
    return secrets.token_urlsafe(_NONCE_BYTES)


def _raw_token(secret_key: str, nonce: str) -> str:
    digest = hmac.new(
        secret_key.encode("utf-8"), _DERIVATION_PREFIX + nonce.encode("ascii"), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def link_token_for(secret_key: str, nonce: str) -> LinkToken:
    """The link token (and its hash) that ``nonce`` stands for: the same every time it is asked."""
    raw = _raw_token(secret_key, nonce)
    return LinkToken(nonce, _signer(secret_key).sign(raw).decode("ascii"), hash_token(raw))


def new_link(secret_key: str) -> LinkToken:
    """A link for a new nonce."""
    return link_token_for(secret_key, new_nonce())


def new_link_token(secret_key: str) -> tuple[str, str]:
    """Make a link token: returns ``(token for the URL, hash to store)``."""
    made = new_link(secret_key)
    return made.token, made.token_hash


def hash_from_link_token(secret_key: str, link_token: str) -> str | None:
    """The stored hash a link token stands for, or None when the token is not one of ours.

    The signature lets a tampered or made-up token be turned away before any database lookup.
    """
    if len(link_token) > 200:
        return None
    try:
        raw = _signer(secret_key).unsign(link_token.encode("ascii", "strict"))
    except (BadSignature, UnicodeEncodeError):
        return None
    return hash_token(raw.decode("ascii"))


def _opt_out_serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=_OPT_OUT_SALT)


def opt_out_token(secret_key: str, stakeholder_id: int) -> str:
    """A token for the stakeholder's one-click opt-out link (signed id, a salt of its own)."""
    return str(_opt_out_serializer(secret_key).dumps(stakeholder_id))


def stakeholder_from_opt_out_token(secret_key: str, token: str) -> int | None:
    """The stakeholder id an opt-out token stands for, or None when it is not one of ours."""
    if len(token) > 200:
        return None
    try:
        value = _opt_out_serializer(secret_key).loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None
