"""Accounts: signing in, setting a password from a one-time link, signing out."""

from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/auth")

from survey.auth import routes, single_sign_on, two_factor  # noqa: E402,F401  (registers the views on bp)
