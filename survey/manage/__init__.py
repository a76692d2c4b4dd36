"""The survey team's pages: rounds, stakeholder and organisation lists, invitations, monitoring,
accounts and the audit log.

Every page is for managers only (404 for everyone else, as if it did not exist); every change is
a POST with a CSRF token, made as the request's one unit of work (``survey.transactions``) and
audited as the signed-in manager's.
"""

from datetime import timedelta

from flask import Blueprint, current_app, redirect, request, session, url_for
from flask.blueprints import BlueprintSetupState
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse

from survey.access import roles_required
from survey.extensions import begin_write
from survey.models import Role
from survey.services.monitoring import mail_worker_status
from survey.services.two_factor import needs_enrolment

bp = Blueprint("manage", __name__, url_prefix="/manage")

#: the largest upload accepted (Flask answers 413 above it), unless the configuration sets one
UPLOAD_LIMIT = 5 * 1024 * 1024


@bp.record_once
def _limit_uploads(state: BlueprintSetupState) -> None:
    # Uploads are the only large requests; without a limit Flask would accept any size.
    if state.app.config.get("MAX_CONTENT_LENGTH") is None:
        state.app.config["MAX_CONTENT_LENGTH"] = UPLOAD_LIMIT


@bp.before_request
@roles_required(Role.MANAGER)
def _managers_only() -> WerkzeugResponse | None:
    """Every manage page, present and future, is for managers only; writers take the lock first.

    A manager who signed in with a password and has no second factor enrols one first.
    """
    if (
        current_app.config["TWO_FACTOR_FOR_MANAGERS"]
        and session.get("signed_in_with") != "oidc"
        and needs_enrolment(current_user)
    ):
        return redirect(url_for("auth.two_factor_setup"))
    if request.method == "POST":
        begin_write()
    return None


@bp.context_processor
def _mail_worker() -> dict[str, object]:
    """Every manage page warns when mail is waiting and no mail worker is running."""
    stale_after = timedelta(seconds=float(current_app.config["MAIL_WORKER_STALE_SECONDS"]))
    return {"mail_worker": mail_worker_status(stale_after)}


from survey.manage import accounts, fieldwork, lists, preview, rounds  # noqa: E402,F401  (registers views)
