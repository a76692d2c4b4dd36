"""The survey team's pages: rounds, stakeholder and organisation lists, invitations, monitoring."""

from flask import Blueprint

bp = Blueprint("manage", __name__, url_prefix="/manage")

from survey.manage import routes  # noqa: E402,F401  (registers the views on bp)
