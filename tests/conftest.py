"""Fixtures: a fresh app, client, CLI runner and migrated database for each test.

The database is SQLite by default. Set TEST_DATABASE_URL to a PostgreSQL server URL (the test
command does) and every test that uses the database runs against a real PostgreSQL database
created for the session, emptied between tests.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from survey import create_app
from survey.extensions import db as _db
from tests.smtp import SmtpSink

pytest_plugins = ["tests.factories"]

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that touches the database, so a run can select them (-m db)."""
    for item in items:
        if {"app", "db"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.db)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "db: uses the database (runs on SQLite and PostgreSQL)")


def _settings(database_url: str, tmp: Path) -> dict[str, object]:
    settings: dict[str, object] = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "MAIL_BACKEND": "file",
        "MAIL_OUTBOX_DIR": str(tmp / "outbox"),
        "PUBLIC_BASE_URL": "http://localhost",
        "SERVER_NAME": "localhost",
        "WTF_CSRF_ENABLED": True,
        # Tests speak plain HTTP to local servers; production keeps Secure cookies (tested).
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        "RATELIMIT_ENABLED": False,
        # on in production; tests/survey/auth/test_two_factor.py turns it on
        "TWO_FACTOR_FOR_MANAGERS": False,
        # tests publish results after each submit (tests/survey/stored.py); the daily limit
        # is tested with its own setting
        "INTERIM_RELEASES_PER_DAY": 1_000_000,
    }
    if not database_url.startswith("sqlite"):
        # Tests make second apps on the same database ({**app.config, ...}) and leave them to
        # the garbage collector; a pooled PostgreSQL connection then closes in __del__, which
        # fails whichever test happens to be running. Unpooled, each connection closes on release.
        settings["SQLALCHEMY_ENGINE_OPTIONS"] = {"poolclass": NullPool}
    return settings


_TEST_KEYS = (
    "TESTING",
    "SECRET_KEY",
    "SQLALCHEMY_DATABASE_URI",
    "MAIL_BACKEND",
    "MAIL_OUTBOX_DIR",
    "PUBLIC_BASE_URL",
    "SERVER_NAME",
    "WTF_CSRF_ENABLED",
    "SESSION_COOKIE_SECURE",
    "REMEMBER_COOKIE_SECURE",
    "RATELIMIT_ENABLED",
    "TWO_FACTOR_FOR_MANAGERS",
    "INTERIM_RELEASES_PER_DAY",
    "SQLALCHEMY_ENGINE_OPTIONS",
)


def _upgrade(database_url: str, tmp: Path) -> None:
    from flask_migrate import upgrade

    app = create_app(_settings(database_url, tmp))
    with app.app_context():
        upgrade()
        _db.engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database for the session: a SQLite template file, or a PostgreSQL database."""
    tmp = tmp_path_factory.mktemp("database")
    if POSTGRES_URL is None:
        url = f"sqlite:///{tmp / 'template.sqlite'}"
        _upgrade(url, tmp)
        yield url
        return
    server = make_url(POSTGRES_URL)
    name = f"assure360_test_{os.getpid()}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    _upgrade(url, tmp)
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _empty_postgres(app: Flask) -> None:
    tables = ", ".join(f'"{table.name}"' for table in _db.metadata.sorted_tables)
    with app.app_context():
        with _db.engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """An application on a freshly migrated, empty database of its own."""
    if database_url.startswith("sqlite"):
        template = make_url(database_url).database
        assert template is not None
        copy = tmp_path / "test.sqlite"
        shutil.copyfile(template, copy)
        url = f"sqlite:///{copy}"
    else:
        url = database_url
    app = create_app(_settings(url, tmp_path))
    if not url.startswith("sqlite"):
        _empty_postgres(app)
    yield app
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def db(app: Flask) -> Iterator[object]:
    """The database session, for the test's own reads and writes.

    It lives in the context of a second application on the same database, so the test client's
    requests get fresh application contexts (their own session, ``g`` and CSRF token), as real
    requests do. On SQLite its statements autocommit, so the test never holds a stale read
    snapshot (or the write lock) while a request runs; PostgreSQL's READ COMMITTED needs no help.
    """
    settings = {key: app.config[key] for key in _TEST_KEYS if key in app.config}
    # The test commits its own data: mail its services queue stays queued, as a test expects.
    settings["MAIL_SEND_AFTER_COMMIT"] = False
    if settings["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        settings["SQLALCHEMY_ENGINE_OPTIONS"] = {"execution_options": {"sqlite_autocommit": True}}
    data_app = create_app(settings)
    with data_app.app_context():
        yield _db
        _db.session.rollback()
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    """A running SMTP server on a free port of 127.0.0.1 (stopped after the test)."""
    sink = SmtpSink().start()
    yield sink
    sink.stop()
