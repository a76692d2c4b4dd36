"""Domain errors raised by services, and the application's error pages."""

from __future__ import annotations

from flask import Flask, current_app, render_template
from sqlalchemy.exc import DBAPIError, OperationalError
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
    template = (
        f"errors/{code}.html" if code in (400, 403, 404, 405, 410, 429) else "errors/generic.html"
    )
    return render_template(template, error=error), code


def _render_server_error(_error: Exception) -> tuple[str, int]:
    from survey.extensions import db

    db.session.rollback()
    return render_template("errors/500.html"), 500


def _render_database_error(error: DBAPIError) -> tuple[str, int, dict[str, str]] | tuple[str, int]:
    """A database that cannot be reached (restarting, failing over, refusing connections) or a
    lost connection is temporary: say so, with 503.

    The request's transaction never committed, so nothing was stored; the pool replaces the
    connection and the person's next try works. Any other database error is a 500.
    """
    from survey.extensions import db

    db.session.rollback()
    if error.connection_invalidated or isinstance(error, OperationalError):
        current_app.logger.warning("database connection lost; answered 503")
        return render_template("errors/503.html"), 503, {"Retry-After": "5"}
    current_app.logger.exception("database error")
    return render_template("errors/500.html"), 500


def init_app(app: Flask) -> None:
    """Render every error as a page of ours, never a stack trace."""
    app.register_error_handler(HTTPException, _render_http_error)
    app.register_error_handler(DBAPIError, _render_database_error)
    app.register_error_handler(500, _render_server_error)
