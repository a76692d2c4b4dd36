"""Fixtures for the respondent pages served over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from tests.survey.respond.live import LiveServer, serve


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    """The test's app served by a real, threaded HTTP server on 127.0.0.1."""
    yield from serve(app)
