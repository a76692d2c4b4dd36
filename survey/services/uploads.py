"""Uploaded lists kept between the preview and the confirmation, outside the database.

An upload is checked and previewed first; only the confirmation loads it. Between the two steps
the bytes wait in ``instance/uploads/<random id>`` (or the UPLOAD_FOLDER setting): the tables of
record hold only what was confirmed, the browser does not have to send the file twice, and the
session cookie carries only the id and a SHA-256 of the bytes (the cookie is signed, so it
cannot be pointed at another file, and the hash catches a file changed on disk). A file is
deleted when it is loaded or replaced; files left behind (a preview never confirmed) are deleted
after a day, whenever a new one arrives.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

#: uploads older than this are deleted unconfirmed
MAX_AGE_SECONDS = 24 * 60 * 60
_ID = re.compile(r"^[A-Za-z0-9_-]{32}$")


@dataclass(frozen=True)
class StashedUpload:
    """What the session remembers about a previewed upload."""

    id: str
    sha256: str
    #: the file name as uploaded, for messages and the CSV/XLSX choice
    source: str
    #: "stakeholders" (with round_id) or "organisations"
    kind: str
    round_id: int | None = None
    #: the file's header a person chose for each column its headers did not name
    chosen: dict[str, str] = field(default_factory=dict)

    def to_session(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_session(cls, value: object) -> StashedUpload | None:
        if not isinstance(value, dict):
            return None
        try:
            stashed = cls(**value)
        except TypeError:
            return None
        if not isinstance(stashed.chosen, dict):
            return None
        return stashed if _ID.match(stashed.id) else None


def _folder(name: str) -> Path:
    folder = Path(name)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def purge_old(folder: str, now: float | None = None) -> int:
    """Delete uploads nobody confirmed within a day; returns how many."""
    cutoff = (now if now is not None else time.time()) - MAX_AGE_SECONDS
    removed = 0
    for path in _folder(folder).iterdir():
        if path.is_file() and _ID.match(path.name) and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def stash(
    folder: str, data: bytes, source: str, kind: str, round_id: int | None = None
) -> StashedUpload:
    """Keep ``data`` until it is confirmed, and return what the session should remember."""
    purge_old(folder)
    upload_id = secrets.token_urlsafe(24)
    (_folder(folder) / upload_id).write_bytes(data)
    return StashedUpload(upload_id, hashlib.sha256(data).hexdigest(), source, kind, round_id)


def load(folder: str, stashed: StashedUpload) -> bytes | None:
    """The stashed bytes, or None if the file is gone (purged, or already loaded) or changed."""
    path = _folder(folder) / stashed.id
    if not path.is_file():
        return None
    data = path.read_bytes()
    return data if hashlib.sha256(data).hexdigest() == stashed.sha256 else None


def discard(folder: str, stashed: StashedUpload | None) -> None:
    """Delete a stashed upload (after loading it, or when another replaces it)."""
    if stashed is not None:
        (_folder(folder) / stashed.id).unlink(missing_ok=True)
