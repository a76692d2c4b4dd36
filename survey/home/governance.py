"""Public governance pages: accessibility statement, privacy notice, why am I being asked.

Anyone may read them, signed in or not, and they set no cookie. Organisation-specific text
comes from the deployment's settings (README, "Configuration").
"""

from __future__ import annotations

from flask import render_template, request

from survey.home import bp
from survey.services.governance import round_privacy


@bp.get("/accessibility")
def accessibility() -> str:
    """The accessibility statement (the sections of the GOV.UK model statement)."""
    return render_template("home/accessibility.html")


@bp.get("/privacy")
def privacy() -> str:
    """The privacy notice; ``?round=<id>`` (the respondent pages' link) gives its retention."""
    round_id = request.args.get("round", type=int)
    return render_template("home/privacy.html", facts=round_privacy(round_id))


@bp.get("/why-am-i-being-asked")
def why_asked() -> str:
    """Why a stakeholder got the email, whether they must answer, and whom to contact."""
    return render_template("home/why_asked.html")
