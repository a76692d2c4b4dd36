"""Fieldwork for the organisation's own people: response rates per group while a round is open,
and the commissioner's one reminder to their non-responders."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as WerkzeugResponse

from survey.access import acting_user, roles_required, visible_organisation_or_404
from survey.models import Organisation, Role, SurveyRound
from survey.results import bp
from survey.services.clock import uk_today
from survey.services.errors import InputError
from survey.services.fieldwork import (
    fieldwork_rounds,
    organisation_fieldwork,
    send_organisation_reminder,
)


def _round_in_fieldwork(org: Organisation, round_id: int) -> SurveyRound:
    survey_round = next((r for r in fieldwork_rounds(org, uk_today()) if r.id == round_id), None)
    if survey_round is None:
        abort(404)
    return survey_round


@bp.get("/<code>/fieldwork")
@login_required
def fieldwork(code: str) -> str:
    """Invited, completed and the response rate per stakeholder group, per round in fieldwork."""
    org = visible_organisation_or_404(current_user, code)
    boards = [organisation_fieldwork(r, org) for r in fieldwork_rounds(org, uk_today())]
    return render_template(
        "results/fieldwork.html",
        organisation=org,
        boards=boards,
        may_remind=current_user.role is Role.COMMISSIONER,
    )


@bp.route("/<code>/fieldwork/<int:round_id>/reminder", methods=["GET", "POST"])
@roles_required(Role.COMMISSIONER)
def fieldwork_reminder(code: str, round_id: int) -> str | WerkzeugResponse:
    """How many reminders sending would queue; POST queues them (once per round)."""
    org = visible_organisation_or_404(current_user, code)
    survey_round = _round_in_fieldwork(org, round_id)
    form = FlaskForm()
    if form.validate_on_submit():
        try:
            emails = send_organisation_reminder(acting_user(), survey_round, org, uk_today())
        except InputError as error:
            flash(str(error)[:1].upper() + str(error)[1:], "error")
        else:
            flash(f"{emails} reminder{'' if emails == 1 else 's'} queued for sending.")
        return redirect(url_for("results.fieldwork", code=org.code))
    return render_template(
        "results/fieldwork_reminder.html", board=organisation_fieldwork(survey_round, org)
    )
