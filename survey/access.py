"""Who may see which organisation: the one place organisation isolation is decided.

Every results page and export loads organisations through these functions, so a page cannot
forget the check. Another organisation's page answers 404, as if it did not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import Select, select

from survey.extensions import db
from survey.models import Organisation, Role, User

F = TypeVar("F", bound=Callable[..., Any])


def visible_organisations(user: User) -> Select[tuple[Organisation]]:
    """A query for the organisations ``user`` may see results of."""
    query = select(Organisation).order_by(Organisation.region, Organisation.name)
    if user.role is Role.MANAGER:
        return query
    if user.role is Role.ASSESSOR:
        return query.where(Organisation.region == user.region)
    return query.where(Organisation.id == user.organisation_id)


def visible_organisation_or_404(user: User, code: str) -> Organisation:
    """The organisation with ``code`` if ``user`` may see it; otherwise 404, never 403."""
    organisation = db.session.scalar(
        visible_organisations(user).where(Organisation.code == code.upper())
    )
    if organisation is None:
        abort(404)
    return organisation


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Only signed-in users with one of ``roles``; others get 404 (the page does not exist for them)."""

    def decorate(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                abort(404)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
