"""Fixtures of the app's own tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import make_url

from survey import create_app
from survey.extensions import db

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")


@pytest.fixture
def migrating_app(tmp_path: Path) -> Iterator[Flask]:
    """An app on a database of its own, empty (on PostgreSQL, dropped afterwards)."""
    if POSTGRES_URL is None:
        url = f"sqlite:///{tmp_path / 'migrating.sqlite'}"
    else:
        server = make_url(POSTGRES_URL)
        name = f"assure360_migrating_{os.getpid()}"
        admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = server.set(database=name).render_as_string(hide_password=False)
    app = create_app({"TESTING": True, "SECRET_KEY": "k", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()
    if POSTGRES_URL is not None:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
