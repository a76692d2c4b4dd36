"""The service's health, for a load balancer and an operator: is the database reachable, is its
schema at the latest migration, and when did a mail worker last run."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from survey.extensions import MIGRATIONS_DIR, db
from survey.models import WorkerHeartbeat
from survey.models.types import utcnow


@dataclass(frozen=True)
class Health:
    database: bool
    #: the schema's migration revisions, and the latest ones this code ships
    schema: tuple[str, ...]
    latest: tuple[str, ...]
    mail_worker_seen: datetime | None

    @property
    def schema_current(self) -> bool:
        return self.database and set(self.schema) == set(self.latest)

    @property
    def serving(self) -> bool:
        """Whether this web process can serve requests (what a load balancer asks)."""
        return self.database and self.schema_current

    def as_dict(self) -> dict[str, object]:
        seen = self.mail_worker_seen
        return {
            "status": "ok" if self.serving else "unavailable",
            "database": "reachable" if self.database else "unreachable",
            "migrations": "current" if self.schema_current else "not current",
            "schema_revision": list(self.schema),
            "code_revision": list(self.latest),
            "mail_worker_last_seen": seen.isoformat() if seen else None,
            "mail_worker_seconds_ago": round((utcnow() - seen).total_seconds()) if seen else None,
        }


@functools.cache
def latest_revisions() -> tuple[str, ...]:
    """The heads of the migrations shipped with this code (read once per process)."""
    return tuple(sorted(ScriptDirectory(MIGRATIONS_DIR).get_heads()))


def check_health() -> Health:
    """Ask the database; an unreachable one is a result, not an error."""
    try:
        db.session.execute(text("SELECT 1"))
        schema = tuple(
            sorted(MigrationContext.configure(db.session.connection()).get_current_heads())
        )
        # a schema behind the code may not have the heartbeat table yet
        current = set(schema) == set(latest_revisions())
        seen = (
            db.session.scalar(select(func.max(WorkerHeartbeat.last_seen_at))) if current else None
        )
    except DBAPIError:
        db.session.rollback()
        return Health(False, (), latest_revisions(), None)
    return Health(True, schema, latest_revisions(), seen)
