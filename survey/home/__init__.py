"""The signed-in landing page: what this account can see."""

from __future__ import annotations

from flask import Blueprint, current_app, has_request_context, render_template, url_for
from flask_login import current_user, login_required

from survey.extensions import db
from survey.services.organisations import visible_organisations

bp = Blueprint("home", __name__)

#: the header's navigation for signed-in people: (endpoint, label, roles); an entry shows when
#: its endpoint exists and the account has one of the roles
NAVIGATION = (
    ("home.index", "Your organisations", ("manager", "assessor", "commissioner", "viewer")),
    ("results.national", "Compare organisations", ("manager", "assessor")),
    ("manage.index", "Survey rounds", ("manager",)),
)


@bp.app_context_processor
def _navigation() -> dict[str, object]:
    if not has_request_context() or not current_user.is_authenticated:
        return {"navigation": []}  # emails and the command line have no one signed in
    endpoints = current_app.view_functions
    return {
        "navigation": [
            (url_for(endpoint), label)
            for endpoint, label, roles in NAVIGATION
            if endpoint in endpoints and current_user.role.value in roles
        ]
    }


@bp.get("/")
@login_required
def index() -> str:
    """The organisations this account may see results of."""
    organisations = list(db.session.scalars(visible_organisations(current_user)))
    return render_template("home/index.html", organisations=organisations)


from survey.home import governance  # noqa: E402,F401  (registers the public pages on bp)
