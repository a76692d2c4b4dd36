"""The one-click opt-out link in every survey email (RFC 8058).

A GET only shows a page with a button, since link scanners GET every link in an email; a POST,
from that button or from a mail provider's one-click unsubscribe, opts the stakeholder out. The
POST needs no CSRF token: mail providers send none, and the signed link is the credential.
"""

from __future__ import annotations

from flask import render_template, request, url_for

from survey.extensions import csrf
from survey.models import Stakeholder
from survey.respond import bp, dead_link
from survey.services.audit import Actor
from survey.services.errors import DeadLink
from survey.services.invitations import opt_out, stakeholder_for_opt_out


def _load(token: str) -> Stakeholder:
    try:
        return stakeholder_for_opt_out(token)
    except DeadLink:
        dead_link()


@bp.route("/opt-out/<token>", methods=["GET", "POST"])
@csrf.exempt
def opt_out_page(token: str) -> str:
    """GET: ask to confirm; POST: stop all emails about this round to the stakeholder."""
    stakeholder = _load(token)
    if request.method == "POST":
        opt_out(Actor.web(), stakeholder)
    return render_template(
        "respond/opt_out.html",
        survey_round=stakeholder.survey_round,
        privacy_round=stakeholder.round_id,
        opted_out=stakeholder.opted_out_at is not None,
        action=url_for("respond.opt_out_page", token=token),
    )
