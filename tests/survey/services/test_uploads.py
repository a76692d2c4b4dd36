"""Uploads waiting between preview and confirmation: kept by id and hash, purged after a day."""

from __future__ import annotations

import os
import time
from pathlib import Path

from survey.services import uploads


def test_a_stashed_upload_comes_back_only_unchanged(tmp_path: Path) -> None:
    stashed = uploads.stash(str(tmp_path), b"email,name\n", "list.csv", "stakeholders", 3)
    assert uploads.load(str(tmp_path), stashed) == b"email,name\n"
    again = uploads.StashedUpload.from_session(stashed.to_session())
    assert again == stashed
    (tmp_path / stashed.id).write_bytes(b"something else")
    assert uploads.load(str(tmp_path), stashed) is None
    uploads.discard(str(tmp_path), stashed)
    assert uploads.load(str(tmp_path), stashed) is None


def test_a_session_value_that_is_not_ours_is_ignored() -> None:
    assert uploads.StashedUpload.from_session(None) is None
    assert uploads.StashedUpload.from_session({"id": "x"}) is None
    bad_id = {"id": "../../etc/passwd", "sha256": "", "source": "a", "kind": "organisations"}
    assert uploads.StashedUpload.from_session(bad_id) is None


def test_uploads_older_than_a_day_are_purged(tmp_path: Path) -> None:
    old = uploads.stash(str(tmp_path), b"old", "a.csv", "organisations")
    new = uploads.stash(str(tmp_path), b"new", "b.csv", "organisations")
    day_ago = time.time() - uploads.MAX_AGE_SECONDS - 60
    os.utime(tmp_path / old.id, (day_ago, day_ago))
    assert uploads.purge_old(str(tmp_path)) == 1
    assert uploads.load(str(tmp_path), old) is None
    assert uploads.load(str(tmp_path), new) == b"new"
