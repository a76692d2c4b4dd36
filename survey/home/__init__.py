"""The signed-in landing page: what this account can see."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from survey.access import visible_organisations
from survey.extensions import db

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index() -> str:
    """The organisations this account may see results of."""
    organisations = list(db.session.scalars(visible_organisations(current_user)))
    return render_template("home/index.html", organisations=organisations)
