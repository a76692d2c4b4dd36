"""The stakeholder's pages: answering the survey by the link in their email (no account)."""

from flask import Blueprint

bp = Blueprint("respond", __name__, url_prefix="/s")

from survey.respond import routes  # noqa: E402,F401  (registers the views on bp)
