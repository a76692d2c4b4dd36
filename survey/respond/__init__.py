"""The stakeholder's pages: answering the survey by the link in their email (no account)."""

from flask import Blueprint

from survey.extensions import limiter

bp = Blueprint("respond", __name__, url_prefix="/s")

# Links carry 160 random bits, so guessing is hopeless; the limit keeps probing noisy and
# cheap to block. Only dead-link answers count, per client address: many stakeholders share
# one NHS gateway address and must never be throttled for answering.
limiter.limit(
    "30 per minute; 300 per hour", deduct_when=lambda response: response.status_code == 404
)(bp)

from survey.respond import opt_out, routes  # noqa: E402,F401  (registers the views on bp)
