"""Fixtures for the survey team's pages: a signed-in manager."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def manager(make_user: Any, sign_in: Any) -> Any:
    """A manager account, signed in on the test client."""
    user = make_user(role="manager")
    sign_in(user)
    return user


@pytest.fixture(autouse=True)
def upload_folder(app: Any, tmp_path: Path) -> Path:
    """Uploads waiting for confirmation go to the test's own folder, not the instance folder."""
    folder = tmp_path / "uploads"
    app.config["UPLOAD_FOLDER"] = str(folder)
    return folder


@pytest.fixture
def live_server(app: Any) -> Any:
    """The test's app served by a real, threaded HTTP server on 127.0.0.1."""
    from tests.survey.respond.live import serve

    yield from serve(app)
