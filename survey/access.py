"""Who may open which page: roles per view, and organisation isolation for results.

Every results page and download loads its organisation through
:func:`visible_organisation_or_404`, which asks the one query that decides isolation
(``survey.services.organisations.visible_organisations``), so a page cannot forget the check.
Another organisation's page answers 404, as if it did not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user, login_required

from survey.extensions import db
from survey.models import Organisation, Role, User
from survey.services.audit import Actor
from survey.services.organisations import visible_organisations

F = TypeVar("F", bound=Callable[..., Any])


def visible_organisation_or_404(user: User, code: str) -> Organisation:
    """The organisation with ``code`` if ``user`` may see it; otherwise 404, never 403."""
    query = visible_organisations(user).where(Organisation.code == code.upper())
    organisation = db.session.scalar(query)
    if organisation is None:
        abort(404)
    return organisation


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Only signed-in users with one of ``roles``; others get 404 (the page does not exist for
    them)."""

    def decorate(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                abort(404)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def acting_user() -> Actor:
    """The signed-in account of this request as the actor services record, or an anonymous
    person on the web (a stakeholder following their link)."""
    user = current_user if current_user.is_authenticated else None
    return Actor.web(user)
