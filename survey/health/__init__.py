"""``/health`` for load balancers and monitoring: 200 when this process can serve, else 503.

No sign-in and no rate limit; it tells nothing personal: reachability, migration revisions and
when a mail worker last ran.
"""

from __future__ import annotations

from flask import Blueprint, jsonify
from werkzeug.wrappers import Response

from survey.extensions import limiter
from survey.services.health import check_health

bp = Blueprint("health", __name__)


@bp.get("/health")
@limiter.exempt
def status() -> tuple[Response, int]:
    """The service's health as JSON."""
    health = check_health()
    return jsonify(health.as_dict()), (200 if health.serving else 503)
