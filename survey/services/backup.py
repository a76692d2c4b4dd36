"""Backups of the database: SQLite's online backup into one self-contained, checked file.

A SQLite database is copied with SQLite's own backup API (Python's ``sqlite3.Connection.backup``)
in a single step: the copy is one consistent snapshot taken inside one read transaction, which in
WAL mode neither waits for nor blocks the web workers and the mail worker writing beside it.
Committed changes still in the write-ahead log are part of the snapshot; changes not yet
committed are not. The copy is switched out of WAL mode, so it is one file that needs no
``-wal`` or ``-shm`` beside it, and it is checked with ``PRAGMA integrity_check`` before it
appears under its name. Restoring is copying that file back while the services are stopped.

PostgreSQL is backed up with its own tools (``pg_dump --format=custom``, restored with
``pg_restore``); see docs/deployment.md.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from survey.extensions import db
from survey.services import audit
from survey.services.errors import Assure360Error, InputError

POSTGRES_ADVICE = (
    "assure360 backup copies SQLite databases only; back this PostgreSQL database up with "
    "pg_dump --format=custom (and restore it with pg_restore), as docs/deployment.md describes"
)


@dataclass(frozen=True)
class BackupReport:
    """What a backup wrote."""

    path: Path
    #: size of the copy in bytes
    size: int
    #: seconds the copy and its check took
    seconds: float
    #: the schema revision (Alembic) the copy is at, if it has one
    revision: str | None

    def summary(self) -> str:
        """One line for the person who ran the backup."""
        at = f", schema revision {self.revision}" if self.revision else ""
        return (
            f"backed up to {self.path}: {_megabytes(self.size)} in {self.seconds:.2f} s, "
            f"integrity check ok{at}"
        )


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size / 1000:.1f} kB"


def back_up(actor: audit.Actor, destination: str | Path) -> BackupReport:
    """Copy the application's SQLite database to ``destination``, check it, and audit it.

    :param destination: a file that must not exist yet, in a folder that does.
    :raise InputError: when ``destination`` exists or its folder does not.
    :raise Assure360Error: on PostgreSQL (use ``pg_dump``), or when the copy fails its check.
    """
    if db.engine.dialect.name != "sqlite":
        raise Assure360Error(POSTGRES_ADVICE)
    report = backup_sqlite(Path(destination))
    audit.record(actor, "database.backup", size=report.size, revision=report.revision)
    return report


def backup_sqlite(destination: Path) -> BackupReport:
    """Copy the engine's SQLite database to ``destination`` (never overwritten) and check it.

    The copy is written under a temporary name beside ``destination``, readable by its owner
    only (it holds names and addresses), and linked to its name only once it passed its check,
    so a file under that name is always a whole, checked backup.
    """
    folder = destination.parent
    if not folder.is_dir():
        raise InputError(f"cannot back up to {destination}: the folder {folder} does not exist")
    if destination.exists():
        raise InputError(f"{destination} already exists; back up to a new file")
    started = time.perf_counter()
    try:
        revision = _write_checked(destination)
    except (OSError, sqlite3.Error) as error:  # a full disk, a folder it may not write ...
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        raise Assure360Error(f"cannot back up to {destination}: {reason}") from error
    return BackupReport(
        path=destination,
        size=destination.stat().st_size,
        seconds=time.perf_counter() - started,
        revision=revision,
    )


def _write_checked(destination: Path) -> str | None:
    """Write, check and name the copy; return its schema revision."""
    folder = destination.parent
    handle, name = tempfile.mkstemp(prefix=f".{destination.name}.", suffix=".partial", dir=folder)
    os.close(handle)
    partial = Path(name).resolve()
    try:
        _copy(partial)
        revision = _check(partial)
        _name(partial, destination)
        _sync_folder(folder)
    finally:
        partial.unlink(missing_ok=True)
    return revision


def _name(partial: Path, destination: Path) -> None:
    """Give the checked copy its name, never taking an existing file's."""
    try:
        # A hard link refuses an existing name, where a rename would overwrite it.
        os.link(partial, destination)
    except FileExistsError:
        raise InputError(f"{destination} already exists; back up to a new file") from None
    except OSError:
        # A file system without hard links (some network shares): check, then rename.
        if destination.exists():
            raise InputError(f"{destination} already exists; back up to a new file") from None
        partial.rename(destination)


def _copy(target_path: Path) -> None:
    """Copy the live database into the (empty) file ``target_path`` in one step."""
    pooled = db.engine.raw_connection()  # the app's own settings: WAL, busy timeout
    try:
        source = cast(sqlite3.Connection, pooled.driver_connection)
        target = sqlite3.connect(target_path, isolation_level=None)
        try:
            # One step (pages=-1): the whole copy is read in one read transaction, so it is one
            # consistent snapshot however busy the writers are. Step by step, SQLite would
            # restart the copy after each write by another connection.
            source.backup(target, pages=-1)
            # The copy inherits WAL mode from the live file; a backup is one file on its own.
            target.execute("PRAGMA journal_mode=DELETE")
        finally:
            target.close()
    finally:
        pooled.close()
    with target_path.open("rb") as written:
        os.fsync(written.fileno())


def _check(path: Path) -> str | None:
    """Run ``PRAGMA integrity_check`` on the copy, read-only; return its schema revision."""
    copy = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        problems = [row[0] for row in copy.execute("PRAGMA integrity_check")]
        if problems != ["ok"]:
            raise Assure360Error(
                "the backup copy failed its integrity check and was not kept: "
                + "; ".join(problems[:5])
            )
        with contextlib.suppress(sqlite3.OperationalError):  # a database never migrated
            row = copy.execute("SELECT version_num FROM alembic_version").fetchone()
            return str(row[0]) if row else None
        return None
    finally:
        copy.close()


def _sync_folder(folder: Path) -> None:
    """Make the new name durable (the folder's entry, not only the file's bytes)."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
