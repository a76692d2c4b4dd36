"""Fixtures for delivery tests: a real SMTP server and an app whose mail goes to it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.smtp import SmtpSink


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    """A running SMTP server on a free port of 127.0.0.1 (stopped after the test)."""
    sink = SmtpSink().start()
    yield sink
    sink.stop()
