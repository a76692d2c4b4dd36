"""The stakeholder's pages: answering the survey by the link in their email (no account)."""

from __future__ import annotations

from typing import NoReturn

from flask import Blueprint, abort
from flask_limiter.util import get_remote_address
from limits import parse_many

from survey.extensions import limiter

bp = Blueprint("respond", __name__, url_prefix="/s")

#: dead-link answers allowed per client address. Links carry 160 random bits, so guessing is
#: hopeless; the limit keeps probing noisy and cheap to block. Only dead links count and only
#: they are ever refused: many stakeholders share one NHS gateway address and a valid link is
#: never answered 429, whatever a scanner from the same address has done.
DEAD_LINK_LIMITS = parse_many("30 per minute; 300 per hour")


def dead_link() -> NoReturn:
    """Answer a dead or unknown link: the 404 page, or 429 once its address probes too much."""
    if limiter.enabled:
        address = get_remote_address()
        for item in DEAD_LINK_LIMITS:
            if not limiter.limiter.hit(item, "dead-link", address):
                abort(429)
    abort(404)


from survey.respond import markup, opt_out, routes  # noqa: E402,F401  (registers on bp)
