"""Fieldwork: sending invitations, monitoring, reminders, bounces and the microdata download."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response as WerkzeugResponse

from survey.access import acting_user
from survey.extensions import db
from survey.manage import bp
from survey.manage.common import View, round_or_404, sentence
from survey.manage.forms import ConfirmForm, ReminderScheduleForm, UploadForm
from survey.models import Organisation, SurveyRound
from survey.services.bounces import mark_bounced
from survey.services.clock import uk_today
from survey.services.errors import InputError
from survey.services.exports import responses_export
from survey.services.invitations import issue_invitations
from survey.services.monitoring import (
    delivery_counts,
    messages_to_check,
    pending_send,
    stakeholder_states,
)
from survey.services.monitoring import (
    monitor as monitor_table,
)
from survey.services.non_responders import non_responders, non_responders_csv
from survey.services.reminders import plan_reminders, send_reminders, set_schedule


@bp.route("/rounds/<int:round_id>/invitations", methods=["GET", "POST"])
def send_invitations(round_id: int) -> View:
    """Show what would be sent; POST makes the links and queues one email per stakeholder."""
    survey_round = round_or_404(round_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return render_template(
            "manage/send.html",
            survey_round=survey_round,
            pending=pending_send(survey_round),
            form=form,
        )
    try:
        report = issue_invitations(acting_user(), survey_round)
    except InputError as error:
        flash(sentence(error), "error")
        return redirect(url_for("manage.send_invitations", round_id=round_id))
    flash(f"{report.invitations} invitation(s) in {report.emails} email(s) queued for sending.")
    return redirect(url_for("manage.monitor", round_id=round_id))


@bp.get("/rounds/<int:round_id>/monitor")
def monitor(round_id: int) -> View:
    """Response rates per organisation and group, and emails whose delivery needs checking."""
    survey_round = round_or_404(round_id)
    return render_template(
        "manage/monitor.html",
        survey_round=survey_round,
        monitor=monitor_table(survey_round),
        delivery=delivery_counts(survey_round),
        states=stakeholder_states(survey_round),
        to_check=messages_to_check(survey_round),
    )


def _reminders_page(survey_round: SurveyRound, form: ReminderScheduleForm) -> tuple[str, int]:
    planned = plan_reminders(survey_round, uk_today())
    page = render_template(
        "manage/reminders.html", survey_round=survey_round, form=form, planned=planned
    )
    return page, (400 if form.errors else 200)


@bp.get("/rounds/<int:round_id>/reminders")
def reminders(round_id: int) -> View:
    """The round's reminder schedule, and who would get a reminder if they were sent now."""
    survey_round = round_or_404(round_id)
    return _reminders_page(survey_round, ReminderScheduleForm.of(survey_round))


@bp.post("/rounds/<int:round_id>/reminders/schedule")
def reminder_schedule(round_id: int) -> View:
    """Change the round's reminder schedule."""
    survey_round = round_or_404(round_id)
    form = ReminderScheduleForm()
    if not form.validate_on_submit():
        return _reminders_page(survey_round, form)
    try:
        set_schedule(acting_user(), survey_round, limit=form.limit.data or 0, **form.days())
    except InputError as error:
        form.after_invitation.errors = [sentence(error)]
        return _reminders_page(survey_round, form)
    flash("The reminder schedule is saved.")
    return redirect(url_for("manage.reminders", round_id=round_id))


@bp.post("/rounds/<int:round_id>/reminders/send", endpoint="send_reminders")
def send_reminders_now(round_id: int) -> View:
    """Queue the reminders due today, one email per stakeholder (CSRFProtect has already
    refused a request without its token)."""
    survey_round = round_or_404(round_id)
    try:
        report = send_reminders(acting_user(), survey_round, uk_today())
    except InputError as error:
        flash(sentence(error), "error")
        return redirect(url_for("manage.reminders", round_id=round_id))
    flash(f"{report.emails} reminder email(s) queued for sending.")
    return redirect(url_for("manage.monitor", round_id=round_id))


@bp.route("/rounds/<int:round_id>/bounces", methods=["GET", "POST"])
def bounces(round_id: int) -> View:
    """Upload a list of addresses that bounced: they get no more invitations or reminders."""
    survey_round = round_or_404(round_id)
    form = UploadForm()
    if not form.validate_on_submit():
        return render_template("manage/bounces.html", survey_round=survey_round, form=form), (
            400 if form.errors else 200
        )
    data, source = form.upload.data.read(), form.upload.data.filename or "bounces.csv"
    report = mark_bounced(acting_user(), survey_round, data, source)
    return render_template(
        "manage/bounces.html",
        survey_round=survey_round,
        form=form if report.problems else UploadForm(formdata=None),
        report=report,
        source=source,
    ), (400 if report.problems else 200)


@bp.get("/rounds/<int:round_id>/responses.csv")
def responses_csv(round_id: int) -> WerkzeugResponse:
    """The round's anonymous microdata (one row per response), for survey managers only."""
    data = responses_export(acting_user(), round_or_404(round_id))
    return Response(
        data,
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=round-{round_id}-responses.csv"},
    )


def _organisation_or_404(code: str) -> Organisation:
    organisation = db.session.scalar(select(Organisation).where(Organisation.code == code.upper()))
    if organisation is None:
        abort(404)
    return organisation


@bp.get("/rounds/<int:round_id>/organisations/<code>/non-responders")
def non_responders_page(round_id: int, code: str) -> View:
    """Who has not answered about one organisation: name, email, group, status, reminders."""
    survey_round, organisation = round_or_404(round_id), _organisation_or_404(code)
    return render_template(
        "manage/non_responders.html",
        survey_round=survey_round,
        organisation=organisation,
        rows=non_responders(survey_round, organisation),
    )


@bp.get("/rounds/<int:round_id>/organisations/<code>/non-responders.csv")
def non_responders_download(round_id: int, code: str) -> WerkzeugResponse:
    """The same list as CSV (audited: it names people)."""
    survey_round, organisation = round_or_404(round_id), _organisation_or_404(code)
    data = non_responders_csv(acting_user(), survey_round, organisation)
    name = f"round-{round_id}-{organisation.code}-non-responders.csv"
    return Response(
        data,
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={name}"},
    )
