"""SQLite's online backup: one checked, self-contained file, consistent beside live writers.

These tests make SQLite databases of their own (the backup service is SQLite's); the restore
drill over published numbers, on SQLite and PostgreSQL, is in tests/survey/commands.
"""

from __future__ import annotations

import sqlite3
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import select

from survey import create_app
from survey.extensions import MIGRATIONS_DIR, db
from survey.models import AuditEvent
from survey.services.audit import COMMAND_LINE
from survey.services.backup import back_up, backup_sqlite
from survey.services.errors import Assure360Error, InputError


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Path]:
    """A migrated SQLite database file, with an application context on it."""
    path = tmp_path / "live.sqlite"
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "k", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"}
    )
    with app.app_context():
        upgrade()
        yield path
        db.session.remove()
        db.engine.dispose()


def _writer(path: Path) -> sqlite3.Connection:
    """Another process's connection, as the web app or the mail worker holds one."""
    connection = sqlite3.connect(path, isolation_level=None, timeout=30)
    connection.execute("PRAGMA busy_timeout=30000")
    return connection


def _add_organisations(connection: sqlite3.Connection, first: int, count: int) -> None:
    connection.executemany(
        "INSERT INTO organisation (id, code, name, kind, region) VALUES (?, ?, ?, 'ccg', 'R')",
        [
            (number, f"C{number}", f"Organisation {number}")
            for number in range(first, first + count)
        ],
    )


def _organisations(path: Path) -> int:
    copy = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        return int(copy.execute("SELECT count(*) FROM organisation").fetchone()[0])
    finally:
        copy.close()


def test_a_backup_is_one_checked_file_that_only_its_owner_reads(live: Path, tmp_path: Path) -> None:
    writer = _writer(live)
    _add_organisations(writer, 1, 3)  # committed, and still in the write-ahead log
    assert Path(f"{live}-wal").stat().st_size > 0
    destination = tmp_path / "backups" / "nightly.sqlite"
    destination.parent.mkdir()

    report = back_up(COMMAND_LINE, destination)

    assert report.path == destination and report.size == destination.stat().st_size > 0
    head = ScriptDirectory(MIGRATIONS_DIR).get_current_head()
    assert report.revision == head and "integrity check ok" in report.summary()
    assert stat.S_IMODE(destination.stat().st_mode) == 0o600  # names and addresses inside
    # Self-contained: the log is folded in, and the copy is not in WAL mode (header byte 18
    # is 1 for a rollback journal, 2 for WAL), so it needs no -wal or -shm file beside it.
    assert destination.read_bytes()[18] == 1
    assert sorted(p.name for p in destination.parent.iterdir()) == ["nightly.sqlite"]
    assert _organisations(destination) == 3
    assert not list(destination.parent.glob("*-wal"))
    db.session.commit()
    entry = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "database.backup"))
    assert [e.detail["size"] for e in entry] == [report.size]
    writer.close()


def test_an_existing_file_is_never_overwritten(live: Path, tmp_path: Path) -> None:
    precious = tmp_path / "precious.sqlite"
    precious.write_bytes(b"yesterday's backup")
    with pytest.raises(InputError, match="already exists"):
        back_up(COMMAND_LINE, precious)
    assert precious.read_bytes() == b"yesterday's backup"
    with pytest.raises(InputError, match="does not exist"):
        back_up(COMMAND_LINE, tmp_path / "no-such-folder" / "b.sqlite")
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith("live.sqlite")] == [
        "precious.sqlite"
    ]  # and no partial copy left behind


def test_a_copy_that_fails_is_not_kept(
    live: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from survey.services import backup

    real_copy = backup._copy

    def full_disk(target: Path) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    def corrupted(target: Path) -> None:
        real_copy(target)
        data = bytearray(target.read_bytes())
        page = 4096
        data[2 * page : 6 * page] = b"\xff" * (4 * page)  # tables' pages overwritten
        target.write_bytes(bytes(data))

    monkeypatch.setattr(backup, "_copy", full_disk)
    with pytest.raises(Assure360Error, match="cannot back up to .*disk is full"):
        backup_sqlite(tmp_path / "full.sqlite")
    monkeypatch.setattr(backup, "_copy", corrupted)
    with pytest.raises(Assure360Error, match="integrity check|malformed"):
        backup_sqlite(tmp_path / "bad.sqlite")
    assert not [p.name for p in tmp_path.iterdir() if not p.name.startswith("live.sqlite")]


def test_a_backup_beside_an_open_write_transaction_holds_what_was_committed(
    live: Path, tmp_path: Path
) -> None:
    writer = _writer(live)
    _add_organisations(writer, 1, 2)
    writer.execute("BEGIN IMMEDIATE")  # the write lock, held through the backup
    _add_organisations(writer, 100, 5)

    report = backup_sqlite(tmp_path / "during.sqlite")

    assert report.seconds < 5  # did not wait for the write lock
    assert _organisations(report.path) == 2  # committed rows only, none of the open ones
    writer.execute("COMMIT")  # the writer carried on undisturbed
    assert _organisations(live) == 7
    writer.close()


def test_backups_while_writers_commit_are_each_one_snapshot(live: Path, tmp_path: Path) -> None:
    """A writer adds organisations two per transaction throughout: every copy holds an even
    number of them (never half a transaction) and passes its integrity check."""
    stop = threading.Event()
    committed = [0]

    def write() -> None:
        connection = _writer(live)
        number = 1
        while not stop.is_set():
            connection.execute("BEGIN IMMEDIATE")
            _add_organisations(connection, number, 2)
            connection.execute("COMMIT")
            number += 2
            committed[0] += 1
        connection.close()

    thread = threading.Thread(target=write)
    thread.start()
    try:
        counts = [_organisations(backup_sqlite(tmp_path / f"b{i}.sqlite").path) for i in range(8)]
    finally:
        stop.set()
        thread.join()
    assert committed[0] > 0 and all(count % 2 == 0 for count in counts), counts
    assert counts == sorted(counts) and len(set(counts)) > 1, counts  # writes went on between


def test_postgresql_is_refused_with_pg_dump_named(tmp_path: Path) -> None:
    app: Flask = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "k",
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/nothing",
        }
    )
    with app.app_context():  # refused before any connection is made
        with pytest.raises(Assure360Error, match="pg_dump --format=custom"):
            back_up(COMMAND_LINE, tmp_path / "b.sqlite")
    assert not list(tmp_path.iterdir())
