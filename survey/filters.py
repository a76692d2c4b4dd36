"""Template filters every page and email may use."""

from __future__ import annotations

from flask import Flask

from survey.services.clock import uk_datetime


def init_app(app: Flask) -> None:
    """``{{ moment|uk_datetime }}``: a stored UTC timestamp in UK time."""
    app.add_template_filter(uk_datetime, "uk_datetime")
