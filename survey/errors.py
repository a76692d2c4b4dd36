"""The application's error pages, and the one place domain errors become pages.

Every handler rolls the request's transaction back first: a request that ends in an error
stores nothing (``survey.transactions`` commits only requests whose view returned).
"""

from __future__ import annotations

from flask import Flask, current_app, render_template
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

from survey.extensions import db
from survey.services.errors import (
    AlreadySubmitted,
    Assure360Error,
    DeadLink,
    NotAllowed,
    NotFound,
)

_PAGES = (400, 403, 404, 405, 409, 410, 429)


def _render_http_error(error: HTTPException) -> tuple[str, int]:
    db.session.rollback()
    code = error.code or 500
    template = f"errors/{code}.html" if code in _PAGES else "errors/generic.html"
    return render_template(template, error=error), code


def _render_domain_error(error: Assure360Error) -> tuple[str, int]:
    """A domain error no view turned into a message of its own: the nearest HTTP answer.

    Unknown things and dead links are 404 (a link's answer reveals nothing about it); a
    submitted link is 409; a change the account's role may not make is
    403; anything else is a request the service refused, 400, with its reason.
    """
    db.session.rollback()
    if isinstance(error, NotFound | DeadLink):
        return render_template("errors/404.html"), 404
    if isinstance(error, AlreadySubmitted):
        return render_template("errors/409.html"), 409
    if isinstance(error, NotAllowed):
        return render_template("errors/403.html"), 403
    return render_template("errors/400.html", reason=str(error)), 400


def _render_server_error(_error: Exception) -> tuple[str, int]:
    db.session.rollback()
    return render_template("errors/500.html"), 500


def _render_database_error(error: DBAPIError) -> tuple[str, int, dict[str, str]] | tuple[str, int]:
    """A database that cannot be reached (restarting, failing over, refusing connections) or a
    lost connection is temporary: say so, with 503.

    The request's transaction never committed, so nothing was stored; the pool replaces the
    connection and the person's next try works. Any other database error is a 500.
    """
    db.session.rollback()
    if error.connection_invalidated or isinstance(error, OperationalError):
        current_app.logger.warning("database connection lost; answered 503")
        return render_template("errors/503.html"), 503, {"Retry-After": "5"}
    current_app.logger.exception("database error")
    return render_template("errors/500.html"), 500


def init_app(app: Flask) -> None:
    """Render every error as a page of ours, never a stack trace."""
    app.register_error_handler(HTTPException, _render_http_error)
    app.register_error_handler(Assure360Error, _render_domain_error)
    app.register_error_handler(DBAPIError, _render_database_error)
    app.register_error_handler(500, _render_server_error)
