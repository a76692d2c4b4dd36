"""Domain errors raised by services, and the application's error pages."""

from __future__ import annotations

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException


class Assure360Error(Exception):
    """Base for errors a person can act on; the message says what is wrong."""


class InputError(Assure360Error, ValueError):
    """Input (a file, a form, a command option) that cannot be used as it is."""


class NotFound(Assure360Error, LookupError):
    """A thing named by the caller does not exist."""


class DeadLink(Assure360Error):
    """A survey link that is unknown, tampered with, revoked, replaced or past its round."""


class AlreadySubmitted(Assure360Error):
    """The invitation's response was already stored; nothing more is accepted on its link."""


def _render_http_error(error: HTTPException) -> tuple[str, int]:
    code = error.code or 500
    template = f"errors/{code}.html" if code in (400, 403, 404, 405, 410, 429) else "errors/generic.html"
    return render_template(template, error=error), code


def _render_server_error(_error: Exception) -> tuple[str, int]:
    from survey.extensions import db

    db.session.rollback()
    return render_template("errors/500.html"), 500


def init_app(app: Flask) -> None:
    """Render every error as a page of ours, never a stack trace."""
    app.register_error_handler(HTTPException, _render_http_error)
    app.register_error_handler(500, _render_server_error)
