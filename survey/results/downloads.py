"""Downloads of one organisation's results: agenda (DOCX, HTML), report (PDF), table (CSV, XLSX).

Each goes through the same isolation check as the dashboard and is written to the audit log.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from flask import abort, request, send_file
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as WerkzeugResponse

from survey.services import audit
from survey.access import visible_organisation_or_404
from survey.services.exports import results_csv, results_xlsx
from survey.extensions import db
from survey.models import Organisation, SurveyRound
from survey.reports.agenda import agenda_docx, agenda_html, build_agenda
from survey.services.results.evidence import RoundInfo, organisation_table
from survey.services.results.local import local_results
from survey.reports.report import report_pdf
from survey.results import bp
from survey.services.results.dashboard import default_round, round_table, rounds_of_organisation
from survey.services.rounds import previous_round, questionnaire_for

#: file name ending -> (media type, builder of the file's bytes)
Builder = Callable[[Organisation, SurveyRound], bytes]


def _agenda(org: Organisation, survey_round: SurveyRound) -> Any:
    return build_agenda(
        round_table(survey_round),
        org.code,
        survey_round,
        questionnaire_for(survey_round),
        organisation_name=org.name,
        previous=previous_round(survey_round),
    )


def _report(org: Organisation, survey_round: SurveyRound) -> bytes:
    return report_pdf(
        round_table(survey_round),
        org.code,
        survey_round,
        questionnaire_for(survey_round),
        previous=previous_round(survey_round),
        organisation_name=org.name,
        local=local_results(survey_round).get(org.id, ()),
    )


def _table(org: Organisation, survey_round: SurveyRound) -> Any:
    return organisation_table(round_table(survey_round), org.code)


def _provenance(survey_round: SurveyRound) -> list[tuple[str, str]]:
    return RoundInfo.of(survey_round, previous_round(survey_round)).provenance()


FORMATS: dict[str, tuple[str, Builder]] = {
    "agenda.docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        lambda org, r: agenda_docx(_agenda(org, r)),
    ),
    "agenda.html": (
        "text/html; charset=utf-8",
        lambda org, r: agenda_html(_agenda(org, r)).encode("utf-8"),
    ),
    "report.pdf": ("application/pdf", _report),
    "results.csv": (
        "text/csv; charset=utf-8",
        lambda org, r: results_csv(_table(org, r), _provenance(r)),
    ),
    "results.xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        lambda org, r: results_xlsx(_table(org, r), _provenance(r)),
    ),
}


@bp.get("/<code>/<any(" + ", ".join(f'"{name}"' for name in FORMATS) + "):name>")
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
    media_type, build = FORMATS[name]
    data = build(org, survey_round)
    audit.record(f"export.{name}", target=f"organisation:{org.code}", round=survey_round.id)
    db.session.commit()
    return send_file(
        io.BytesIO(data),
        mimetype=media_type,
        as_attachment=not name.endswith(".html"),
        download_name=f"{org.code}-{survey_round.year}-{name}",
    )
