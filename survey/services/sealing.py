"""Answers sealed for storage, so that whoever reads the database cannot read them.

Drafts and submitted-but-unreleased responses sit beside the identity side (a draft is keyed
by its invitation; a pending response was written in the same transaction as its invitation's
status), so their answers are stored only encrypted: AES-256-GCM (the ``cryptography``
library's AEAD) with a key derived from ``SECRET_KEY`` by HKDF-SHA256, a random 96-bit nonce
per value, and the row's purpose and owner as associated data, so a sealed value copied onto
another row does not open. Unlike Fernet, the format carries no timestamp in the clear.

A value sealed under a key listed in ``SECRET_KEY_FALLBACKS`` still opens, so a key can be
rotated while fieldwork runs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

from survey.services.errors import Assure360Error

#: the first byte of every sealed value: the format (key derivation, cipher, layout)
FORMAT_VERSION = 1
_NONCE_BYTES = 12


class SealBroken(Assure360Error):
    """A sealed value that does not open with the configured keys (tampered, or sealed under a
    ``SECRET_KEY`` this deployment no longer has)."""


def _key(secret: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"assure360.sealed-answers.v1"
    ).derive(secret.encode())


def _secrets() -> list[str]:
    config = current_app.config
    return [str(config["SECRET_KEY"]), *map(str, config.get("SECRET_KEY_FALLBACKS") or ())]


def seal(payload: Mapping[str, Any], *, purpose: str) -> bytes:
    """``payload`` (JSON-able) encrypted under the current key, bound to ``purpose`` (for
    example ``"draft:41"``: a value sealed for one row does not open as another's)."""
    nonce = os.urandom(_NONCE_BYTES)
    plain = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    sealed = AESGCM(_key(_secrets()[0])).encrypt(nonce, plain, purpose.encode())
    return bytes([FORMAT_VERSION]) + nonce + sealed


def unseal(value: bytes, *, purpose: str) -> dict[str, Any]:
    """The payload :func:`seal` stored for ``purpose``; ``SealBroken`` if it does not open."""
    if not value or value[0] != FORMAT_VERSION:
        version = value[0] if value else None
        raise SealBroken(f"sealed value of unknown format {version!r} for {purpose}")
    nonce, sealed = value[1 : 1 + _NONCE_BYTES], value[1 + _NONCE_BYTES :]
    for secret in _secrets():
        try:
            plain = AESGCM(_key(secret)).decrypt(nonce, sealed, purpose.encode())
        except InvalidTag:
            continue
        payload: dict[str, Any] = json.loads(plain)
        return payload
    raise SealBroken(
        f"the sealed answers of {purpose} do not open with SECRET_KEY or SECRET_KEY_FALLBACKS"
    )
