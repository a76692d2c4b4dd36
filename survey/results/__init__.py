"""Results pages: an organisation's dashboard, the national comparison and the methods summary."""

from flask import Blueprint

bp = Blueprint("results", __name__, url_prefix="/results")

from survey.results import assurance, downloads, fieldwork, routes  # noqa: E402,F401  (registers the views on bp)
