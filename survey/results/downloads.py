"""Downloads of one organisation's results, through the same isolation check as the dashboard."""

from __future__ import annotations

import io

from flask import abort, request, send_file
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as WerkzeugResponse

from survey.access import acting_user, visible_organisation_or_404
from survey.results import bp
from survey.services.results.dashboard import default_round, rounds_of_organisation
from survey.services.results.files import FORMATS, organisation_file

_NAMES = ", ".join(f'"{name}"' for name in FORMATS)


@bp.get("/<code>/<any(" + _NAMES + "):name>")
@login_required
def download(code: str, name: str) -> WerkzeugResponse:
    """One organisation's file for a round (default: the latest with data)."""
    org = visible_organisation_or_404(current_user, code)
    round_id = request.args.get("round", "")
    if round_id:
        survey_round = next((r for r in rounds_of_organisation(org) if str(r.id) == round_id), None)
    else:
        survey_round = default_round(org)
    if survey_round is None:
        abort(404)
    made = organisation_file(acting_user(), org, survey_round, name)
    return send_file(
        io.BytesIO(made.data),
        mimetype=made.media_type,
        as_attachment=made.attachment,
        download_name=made.name,
    )
