"""Extensions, created unbound here and bound to an application in ``init_app``."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import CursorResult, Engine, Result
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase

MIGRATIONS_DIR = str(Path(__file__).resolve().parent / "migrations")

# Stable constraint names on SQLite and PostgreSQL, so migrations can refer to them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
if TYPE_CHECKING:
    # Flask-SQLAlchemy builds db.Model at run time, a subclass of Base: tell the type checker.
    Model = Base
else:
    Model = db.Model
migrate = Migrate(directory=MIGRATIONS_DIR, render_as_batch=True)
csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Sign in to see this page."
login_manager.session_protection = "strong"
#: limits are set per route; storage comes from RATELIMIT_STORAGE_URI (memory:// by default,
#: redis:// or memcached:// when several workers must share the counts)
limiter = Limiter(key_func=get_remote_address, default_limits=[])


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    """Make SQLite behave under concurrent requests.

    WAL lets readers work beside one writer; secure deletion zeroes what is deleted; the busy
    timeout makes a writer wait for the lock instead of failing with "database is locked"; and
    driver-level autocommit hands transaction control to SQLAlchemy's ``begin`` event below, so
    writes can start with BEGIN IMMEDIATE.
    """
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Deleted rows (drafts, released pending responses) are overwritten, not left in free pages.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


@event.listens_for(Engine, "begin")
def _begin_sqlite(conn: Any) -> None:
    """Open SQLite transactions ourselves; a writer asks for the write lock up front.

    A deferred transaction that reads and then writes fails at once (SQLITE_BUSY_SNAPSHOT) when
    another writer committed in between; BEGIN IMMEDIATE waits for the lock instead.
    """
    options = conn.get_execution_options()
    if conn.dialect.name != "sqlite" or options.get("sqlite_autocommit"):
        # autocommit: each statement is its own transaction (only the test suite's own session)
        return
    mode = "IMMEDIATE" if options.get("sqlite_write") else "DEFERRED"
    conn.exec_driver_sql(f"BEGIN {mode}")


def affected_rows(result: Result[*tuple[Any, ...]]) -> int:
    """How many rows an UPDATE or DELETE changed (``Session.execute`` types every result as a
    plain ``Result``; for these statements it is a ``CursorResult``)."""
    return int(cast(CursorResult[*tuple[Any, ...]], result).rowcount or 0)


def begin_write() -> None:
    """Start a transaction that will write, taking SQLite's write lock up front.

    Call it before the transaction's first query. A transaction still open at that point can
    only have read (callers commit their writes): it is ended so the new one starts cleanly.
    """
    if db.session().in_transaction():
        db.session.rollback()
    db.session.connection(execution_options={"sqlite_write": True})


def read_outside_a_transaction() -> None:
    """Run a request that only reads, with one query, outside any transaction (PostgreSQL's
    autocommit): the one query is consistent on its own, and the BEGIN and COMMIT around it
    were two of a respondent page's four round trips to the server. Call it before the first
    query; SQLite (no round trips) is left as it is.
    """
    if db.engine.dialect.name == "postgresql":
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def _release_session(_error: BaseException | None) -> None:
    """End the request's session even when its connection died under it (a database restart).

    Rolling back on a dead connection raises; nothing was committed, so the error only needs
    to be swallowed here, or it would turn an answered request into a logged 500.
    """
    try:
        db.session.remove()
    except DBAPIError:
        db.session.remove()


def init_app(app: Flask) -> None:
    """Bind the database, migrations and CSRF protection to ``app``."""
    db.init_app(app)
    # Registered after Flask-SQLAlchemy's, so it runs first (teardowns run in reverse order).
    app.teardown_appcontext(_release_session)
    migrate.init_app(app, db)
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
