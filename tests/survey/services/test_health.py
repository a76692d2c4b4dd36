"""The health check on its own: a reachable database at the latest migration serves; a schema
behind (or ahead of) the code, an empty database or an unreachable one does not, and says so;
the mail worker's last heartbeat is reported from WorkerHeartbeat rows."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from survey import create_app
from survey.extensions import MIGRATIONS_DIR
from survey.extensions import db as session_db
from survey.models import WorkerHeartbeat
from survey.services.health import check_health, latest_revisions


def _migration_graph() -> tuple[set[str], dict[str, str | None]]:
    """Every revision and its parent, read from the migration files themselves."""
    revisions: dict[str, str | None] = {}
    for path in Path(MIGRATIONS_DIR, "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        revision = re.search(r'^revision\s*=\s*"([0-9a-f]+)"', source, re.MULTILINE)
        parent = re.search(r'^down_revision\s*=\s*(None|"([0-9a-f]+)")', source, re.MULTILINE)
        assert revision and parent, path
        revisions[revision.group(1)] = parent.group(2)
    heads = set(revisions) - set(revisions.values())
    return heads, revisions


@pytest.fixture
def stamped(db: Any) -> Iterator[Any]:
    """Set the schema's recorded revision for one test, and put it back afterwards (the
    PostgreSQL test database is shared by the whole session)."""
    original = db.session.scalar(text("SELECT version_num FROM alembic_version"))

    def stamp(revision: str) -> None:
        db.session.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
        db.session.commit()

    yield stamp
    db.session.rollback()
    stamp(original)


def _settings(url: str, tmp_path: Path) -> dict[str, object]:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": url,
        "MAIL_BACKEND": "file",
        "MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
        "PUBLIC_BASE_URL": "http://localhost",
        "SERVER_NAME": "localhost",
    }


def test_latest_revisions_are_the_heads_of_the_shipped_migrations() -> None:
    heads, _ = _migration_graph()
    assert latest_revisions() == tuple(sorted(heads))
    assert len(heads) == 1  # one line of migrations, no unmerged branches


def test_a_migrated_database_serves_and_no_worker_has_run_yet(db) -> None:
    health = check_health()

    assert health.database and health.schema_current and health.serving
    assert health.schema == latest_revisions()
    assert health.mail_worker_seen is None
    report = health.as_dict()
    assert {key: report[key] for key in ("status", "database", "migrations")} == {
        "status": "ok",
        "database": "reachable",
        "migrations": "current",
    }
    assert report["schema_revision"] == report["code_revision"] == list(latest_revisions())
    assert report["mail_worker_last_seen"] is None and report["mail_worker_seconds_ago"] is None


def test_the_latest_heartbeat_of_any_mail_worker_is_reported(db) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    latest = now - timedelta(seconds=90)
    for name, seen in (("mail@a:1", now - timedelta(hours=3)), ("mail@b:2", latest)):
        db.session.add(WorkerHeartbeat(name=name, kind="mail", started_at=seen, last_seen_at=seen))
    db.session.commit()

    health = check_health()

    assert health.serving and health.mail_worker_seen == latest
    report = health.as_dict()
    assert report["mail_worker_last_seen"] == latest.isoformat()
    assert 89 <= report["mail_worker_seconds_ago"] <= 100


def test_a_schema_behind_the_code_is_not_served_and_its_heartbeats_are_not_read(
    db, stamped
) -> None:
    db.session.add(WorkerHeartbeat(name="mail@a:1", kind="mail"))
    db.session.commit()
    [head] = latest_revisions()
    previous = _migration_graph()[1][head]
    assert previous is not None
    stamped(previous)

    health = check_health()

    assert health.database and not health.schema_current and not health.serving
    assert health.schema == (previous,)
    assert health.mail_worker_seen is None
    report = health.as_dict()
    assert (report["status"], report["database"], report["migrations"]) == (
        "unavailable",
        "reachable",
        "not current",
    )
    assert (report["schema_revision"], report["code_revision"]) == ([previous], [head])


def test_a_schema_from_newer_code_is_not_current_either(db, stamped) -> None:
    stamped("ffffffffffff")

    health = check_health()

    assert health.database and not health.serving
    assert health.as_dict()["schema_revision"] == ["ffffffffffff"]


def test_an_empty_database_is_reachable_but_not_migrated(tmp_path: Path) -> None:
    app = create_app(_settings(f"sqlite:///{tmp_path / 'empty.sqlite'}", tmp_path))
    with app.app_context():
        health = check_health()
        session_db.engine.dispose()

    assert health.database and health.schema == () and not health.serving
    assert health.mail_worker_seen is None  # no heartbeat table, and no error for it
    assert health.as_dict()["migrations"] == "not current"


def test_an_unreachable_database_is_a_result_not_an_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'no-such-folder' / 'assure360.sqlite'}"
    app = create_app(_settings(url, tmp_path))
    with app.app_context():
        health = check_health()
        session_db.engine.dispose()

    assert (health.database, health.schema, health.serving) == (False, (), False)
    assert health.latest == latest_revisions()
    report = health.as_dict()
    assert (report["status"], report["database"], report["migrations"]) == (
        "unavailable",
        "unreachable",
        "not current",
    )
    assert report["schema_revision"] == [] and report["mail_worker_last_seen"] is None
