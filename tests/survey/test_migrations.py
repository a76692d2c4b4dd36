"""Upgrades run the migrations once per deploy, however many hosts run ``db upgrade``.

Each upgrade is a real ``assure360 db upgrade`` process on a fresh, empty database. On
PostgreSQL (TEST_DATABASE_URL) two of them start at once while the test holds the migrations'
advisory lock: both must be seen waiting for it (so neither has read the schema revision yet),
and once it is released one migrates and the other finds nothing to do. On SQLite, one file on
one host, the upgrades run one after the other and the second finds nothing to do.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, make_url

from survey.extensions import MIGRATIONS_DIR

pytestmark = pytest.mark.db

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
REVISIONS = [script.revision for script in ScriptDirectory(MIGRATIONS_DIR).walk_revisions()]


def _lock_key() -> int:
    """``MIGRATION_LOCK_KEY`` of survey/migrations/env.py (which only Alembic can import)."""
    tree = ast.parse((Path(MIGRATIONS_DIR) / "env.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "MIGRATION_LOCK_KEY":
            return int(ast.literal_eval(node.value))
    raise AssertionError("survey/migrations/env.py has no MIGRATION_LOCK_KEY")


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[str]:
    """The URL of a new database with nothing in it (on PostgreSQL, dropped afterwards)."""
    if POSTGRES_URL is None:
        yield f"sqlite:///{tmp_path / 'fresh.sqlite'}"
        return
    server = make_url(POSTGRES_URL)
    name = f"assure360_upgrade_{os.getpid()}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield server.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _start_upgrade(url: str, folder: Path) -> subprocess.Popen[str]:
    """``assure360 db upgrade`` as a deploy runs it: its own process, settings from the
    environment (run in an empty folder, so no .env is read)."""
    environment = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "upgrade-test-key"}
    environment.pop("FLASK_APP", None)
    return subprocess.Popen(
        [sys.executable, "-c", "from survey.commands import main; main()", "db", "upgrade"],
        cwd=folder,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _finish(process: subprocess.Popen[str]) -> str:
    output, _ = process.communicate(timeout=120)
    assert process.returncode == 0, output
    return output


def _ran(output: str) -> list[str]:
    """The revisions an upgrade's log says it ran."""
    lines = [line for line in output.splitlines() if "Running upgrade" in line]
    return [line.split("-> ")[1].split(",")[0] for line in lines]


def _version_rows(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.scalars(text("SELECT version_num FROM alembic_version")))
    finally:
        engine.dispose()


def _waiting_for_lock(connection: Connection) -> int:
    return int(
        connection.scalar(
            text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            )
        )
        or 0
    )


def _concurrent_upgrades(url: str, folder: Path) -> list[str]:
    """Two upgrades started at once, both held at the advisory lock until both wait there."""
    key = _lock_key()
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as holder:
            holder.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
            processes = [_start_upgrade(url, folder), _start_upgrade(url, folder)]
            deadline = time.monotonic() + 60
            while _waiting_for_lock(holder) < 2:
                exited = [p for p in processes if p.poll() is not None]
                if exited or time.monotonic() > deadline:
                    outputs = [p.communicate()[0] for p in exited]
                    raise AssertionError(f"the upgrades did not wait for the lock: {outputs}")
                time.sleep(0.05)
            holder.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            return [_finish(process) for process in processes]
    finally:
        engine.dispose()


def test_upgrades_from_several_hosts_migrate_once(empty_database: str, tmp_path: Path) -> None:
    if empty_database.startswith("sqlite"):
        outputs = [_finish(_start_upgrade(empty_database, tmp_path)) for _ in range(2)]
    else:
        outputs = _concurrent_upgrades(empty_database, tmp_path)
        assert all("Waiting for any other upgrade" in output for output in outputs)
        # And a later deploy with no new migration changes nothing.
        outputs.append(_finish(_start_upgrade(empty_database, tmp_path)))
    # Every revision ran exactly once between them: one upgrade did all, the others nothing.
    ran = sorted((_ran(output) for output in outputs), key=len)
    assert all(r == [] for r in ran[:-1]) and sorted(ran[-1]) == sorted(REVISIONS), outputs
    assert _version_rows(empty_database) == [ScriptDirectory(MIGRATIONS_DIR).get_current_head()]
    assert len(REVISIONS) >= 4
