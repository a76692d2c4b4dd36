"""Views of the survey team's pages: each parses the request, calls one service, then renders.

Every page is for managers only (404 for everyone else, as if it did not exist); every change is
a POST with a CSRF token, made in one transaction that the view commits, and audited as the
signed-in manager's.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import SelectChoice

from survey.services import audit
from survey.access import roles_required
from survey.errors import InputError
from survey.extensions import begin_write, db
from survey.services.local_questions import add_local_question
from survey.mail import deliver_due
from survey.manage import bp, queries, services
from survey.services import uploads
from survey.manage.forms import (
    AccountForm,
    ConfirmForm,
    LocalQuestionForm,
    ReminderScheduleForm,
    RoundForm,
    UploadForm,
)
from survey.models import Role, SurveyRound, User
from survey.services.organisations import organisation_by_code
from survey.services.reminders import plan_reminders
from survey.services.responses import export_responses_csv
from survey.services.rounds import questionnaire_for

View = str | WerkzeugResponse | tuple[str, int]

#: the largest upload accepted (Flask answers 413 above it), unless the configuration sets one
UPLOAD_LIMIT = 5 * 1024 * 1024
_SESSION_KEY = "manage_upload"


@bp.record_once
def _limit_uploads(state: BlueprintSetupState) -> None:
    # Uploads are the only large requests; without a limit Flask would accept any size.
    if state.app.config.get("MAX_CONTENT_LENGTH") is None:
        state.app.config["MAX_CONTENT_LENGTH"] = UPLOAD_LIMIT


@bp.before_request
@roles_required(Role.MANAGER)
def _managers_only() -> None:
    """Every manage page, present and future, is for managers only; writers take the lock first."""
    if request.method == "POST":
        begin_write()


def _sentence(error: Exception) -> str:
    """An error message as a sentence (str.capitalize would lower-case codes such as 01A)."""
    message = str(error)
    return message[:1].upper() + message[1:]


def _round(round_id: int) -> SurveyRound:
    return db.get_or_404(SurveyRound, round_id)


# -- keeping an upload between its preview and its confirmation -------------------------------


def _upload_folder() -> str:
    return str(
        current_app.config.get("UPLOAD_FOLDER") or Path(current_app.instance_path) / "uploads"
    )


def _remember(data: bytes, source: str, kind: str, round_id: int | None = None) -> None:
    _forget()
    stashed = uploads.stash(_upload_folder(), data, source, kind, round_id)
    session[_SESSION_KEY] = stashed.to_session()


def _recall(kind: str, round_id: int | None = None) -> tuple[uploads.StashedUpload, bytes] | None:
    stashed = uploads.StashedUpload.from_session(session.get(_SESSION_KEY))
    if stashed is None or stashed.kind != kind or stashed.round_id != round_id:
        return None
    data = uploads.load(_upload_folder(), stashed)
    return None if data is None else (stashed, data)


def _forget() -> None:
    uploads.discard(
        _upload_folder(), uploads.StashedUpload.from_session(session.pop(_SESSION_KEY, None))
    )


# -- rounds -----------------------------------------------------------------------------------


@bp.get("/")
def index() -> View:
    """Every survey round with its status, dates and response rate."""
    return render_template("manage/index.html", rows=queries.rounds_overview())


@bp.route("/rounds/new", methods=["GET", "POST"])
def new_round() -> View:
    """Create a draft round."""
    form = RoundForm()
    if form.validate_on_submit():
        values = {name: form[name].data for name in form.data if name != "csrf_token"}
        try:
            survey_round = services.new_round(current_user, **values)
        except InputError as error:
            form.year.errors = [*form.year.errors, _sentence(error)]
        else:
            db.session.commit()
            flash(f"Round {survey_round.title} was created as a draft.")
            return redirect(url_for("manage.round_page", round_id=survey_round.id))
    return render_template("manage/new_round.html", form=form), (400 if form.errors else 200)


@bp.get("/rounds/<int:round_id>")
def round_page(round_id: int) -> View:
    """One round: its figures and what can be done next."""
    survey_round = _round(round_id)
    return render_template(
        "manage/round.html",
        survey_round=survey_round,
        counts=queries.invitation_counts(survey_round),
        pending=queries.pending_send(survey_round),
        form=ConfirmForm(),
    )


@bp.route("/rounds/<int:round_id>/<any(open, close):action>", methods=["GET", "POST"])
def change_status(round_id: int, action: str) -> View:
    """Open or close a round; GET shows the confirmation page, POST (a button) makes the change."""
    survey_round = _round(round_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return render_template(
            "manage/confirm_status.html", survey_round=survey_round, action=action, form=form
        )
    try:
        services.change_round_status(current_user, survey_round, action)
    except InputError as error:
        flash(_sentence(error), "error")
    else:
        db.session.commit()
        flash(f"The round is now {survey_round.status.value}.")
    return redirect(url_for("manage.round_page", round_id=round_id))


# -- stakeholder lists ------------------------------------------------------------------------


@bp.route("/rounds/<int:round_id>/stakeholders", methods=["GET", "POST"])
def upload_stakeholders(round_id: int) -> View:
    """Step 1: upload a stakeholder list and see what it would load, or every problem in it."""
    survey_round = _round(round_id)
    form = UploadForm()
    if not form.validate_on_submit():
        return render_template(
            "manage/upload_stakeholders.html", survey_round=survey_round, form=form
        ), (400 if form.errors else 200)
    data, source = form.upload.data.read(), form.upload.data.filename or "upload.csv"
    plan = services.preview_stakeholders(survey_round, data, source)
    if plan.ok:
        _remember(data, source, "stakeholders", round_id)
    template = "manage/preview_stakeholders.html" if plan.ok else "manage/upload_stakeholders.html"
    names = queries.group_names(survey_round)
    return render_template(
        template, survey_round=survey_round, form=form, plan=plan, group_names=names
    ), (200 if plan.ok else 400)


@bp.post("/rounds/<int:round_id>/stakeholders/confirm")
def confirm_stakeholders(round_id: int) -> View:
    """Step 2: load the previewed list, all or nothing."""
    survey_round = _round(round_id)
    recalled = _recall("stakeholders", round_id)
    if recalled is None:
        flash("The uploaded list has expired or was already loaded. Upload it again.", "error")
        return redirect(url_for("manage.upload_stakeholders", round_id=round_id))
    plan = services.load_stakeholders(current_user, survey_round, recalled[1], recalled[0].source)
    if not plan.ok:
        db.session.rollback()
        _forget()
        return render_template(
            "manage/upload_stakeholders.html",
            survey_round=survey_round,
            form=UploadForm(),
            plan=plan,
        ), 400
    db.session.commit()
    _forget()
    flash(
        f"Loaded {plan.new_stakeholders} new stakeholder(s), {plan.updated_stakeholders} "
        f"updated, and {plan.new_invitations} new invitation(s)."
    )
    return redirect(url_for("manage.round_page", round_id=round_id))


# -- organisations ----------------------------------------------------------------------------


@bp.route("/organisations", methods=["GET", "POST"])
def organisations() -> View:
    """Step 1: upload the list of assessed organisations and preview it."""
    form = UploadForm()
    if not form.validate_on_submit():
        return render_template(
            "manage/organisations.html", form=form, listed=queries.organisations()
        ), (400 if form.errors else 200)
    data, source = form.upload.data.read(), form.upload.data.filename or "upload.csv"
    preview = services.preview_organisations(data, source)
    if preview.ok:
        _remember(data, source, "organisations")
    template = "manage/preview_organisations.html" if preview.ok else "manage/organisations.html"
    status = 200 if preview.ok else 400
    return render_template(
        template, form=form, preview=preview, listed=queries.organisations()
    ), status


@bp.post("/organisations/confirm")
def confirm_organisations() -> View:
    """Step 2: create or update the previewed organisations, all or nothing."""
    recalled = _recall("organisations")
    if recalled is None:
        flash("The uploaded list has expired or was already loaded. Upload it again.", "error")
        return redirect(url_for("manage.organisations"))
    result = services.load_organisations(current_user, recalled[1], recalled[0].source)
    _forget()
    if not result.ok:
        db.session.rollback()
        return render_template(
            "manage/organisations.html",
            form=UploadForm(),
            preview=result,
            listed=queries.organisations(),
        ), 400
    db.session.commit()
    flash(f"{result.created} organisation(s) created and {result.updated} updated.")
    return redirect(url_for("manage.organisations"))


# -- invitations and monitoring ---------------------------------------------------------------


@bp.route("/rounds/<int:round_id>/invitations", methods=["GET", "POST"])
def send_invitations(round_id: int) -> View:
    """Show what would be sent; POST makes the links and queues one email per stakeholder."""
    survey_round = _round(round_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return render_template(
            "manage/send.html",
            survey_round=survey_round,
            pending=queries.pending_send(survey_round),
            form=form,
        )
    try:
        report = services.send_invitations(current_user, survey_round)
    except InputError as error:
        flash(_sentence(error), "error")
        return redirect(url_for("manage.send_invitations", round_id=round_id))
    db.session.commit()
    if current_app.config["MAIL_BACKEND"] == "file":
        deliver_due(current_app.config)  # demo and tests: the mail worker does this in production
    flash(f"{report.invitations} invitation(s) in {report.emails} email(s) queued for sending.")
    return redirect(url_for("manage.monitor", round_id=round_id))


@bp.get("/rounds/<int:round_id>/monitor")
def monitor(round_id: int) -> View:
    """Response rates per organisation and group, and emails whose delivery needs checking."""
    survey_round = _round(round_id)
    return render_template(
        "manage/monitor.html",
        survey_round=survey_round,
        monitor=queries.monitor(survey_round),
        delivery=queries.delivery_counts(survey_round),
        states=queries.stakeholder_states(survey_round),
        to_check=queries.messages_to_check(survey_round),
    )


# -- reminders and bounces --------------------------------------------------------------------


def _reminders_page(survey_round: SurveyRound, form: ReminderScheduleForm) -> tuple[str, int]:
    planned = plan_reminders(survey_round, date.today())
    page = render_template(
        "manage/reminders.html", survey_round=survey_round, form=form, planned=planned
    )
    return page, (400 if form.errors else 200)


@bp.get("/rounds/<int:round_id>/reminders")
def reminders(round_id: int) -> View:
    """The round's reminder schedule, and who would get a reminder if they were sent now."""
    survey_round = _round(round_id)
    form = ReminderScheduleForm(
        after_invitation=", ".join(map(str, survey_round.reminder_days_after_invitation)),
        before_close=", ".join(map(str, survey_round.reminder_days_before_close)),
        limit=survey_round.reminder_limit,
    )
    return _reminders_page(survey_round, form)


@bp.post("/rounds/<int:round_id>/reminders/schedule")
def reminder_schedule(round_id: int) -> View:
    """Change the round's reminder schedule."""
    survey_round = _round(round_id)
    form = ReminderScheduleForm()
    if not form.validate_on_submit():
        return _reminders_page(survey_round, form)
    try:
        services.change_reminder_schedule(
            current_user, survey_round, limit=form.limit.data or 0, **form.days()
        )
    except InputError as error:
        form.after_invitation.errors = [_sentence(error)]
        return _reminders_page(survey_round, form)
    db.session.commit()
    flash("The reminder schedule is saved.")
    return redirect(url_for("manage.reminders", round_id=round_id))


@bp.post("/rounds/<int:round_id>/reminders/send")
def send_reminders(round_id: int) -> View:
    """Queue the reminders due today, one email per stakeholder."""
    survey_round = _round(round_id)
    ConfirmForm().validate_on_submit()  # CSRFProtect has already refused a request without a token
    try:
        report = services.remind(current_user, survey_round, date.today())
    except InputError as error:
        flash(_sentence(error), "error")
        return redirect(url_for("manage.reminders", round_id=round_id))
    db.session.commit()
    if current_app.config["MAIL_BACKEND"] == "file":
        deliver_due(current_app.config)  # demo and tests: the mail worker does this in production
    flash(f"{report.emails} reminder email(s) queued for sending.")
    return redirect(url_for("manage.monitor", round_id=round_id))


@bp.route("/rounds/<int:round_id>/bounces", methods=["GET", "POST"])
def bounces(round_id: int) -> View:
    """Upload a list of addresses that bounced: they get no more invitations or reminders."""
    survey_round = _round(round_id)
    form = UploadForm()
    if not form.validate_on_submit():
        return render_template("manage/bounces.html", survey_round=survey_round, form=form), (
            400 if form.errors else 200
        )
    data, source = form.upload.data.read(), form.upload.data.filename or "bounces.csv"
    report = services.record_bounces(current_user, survey_round, data, source)
    if report.problems:
        db.session.rollback()
        return render_template(
            "manage/bounces.html",
            survey_round=survey_round,
            form=form,
            report=report,
            source=source,
        ), 400
    db.session.commit()
    return render_template(
        "manage/bounces.html",
        survey_round=survey_round,
        form=UploadForm(formdata=None),
        report=report,
        source=source,
    )


# -- the audit log ------------------------------------------------------------------------------


@bp.get("/audit")
def audit_log() -> View:
    """The latest audit entries, newest first, optionally for one kind of action."""
    action = request.args.get("action", "").strip()
    return render_template(
        "manage/audit.html",
        events=queries.audit_events(action=action or None, limit=500),
        actions=queries.audit_actions(),
        action=action,
    )


@bp.get("/rounds/<int:round_id>/responses.csv")
def responses_csv(round_id: int) -> WerkzeugResponse:
    """The round's anonymous microdata (one row per response), for survey managers only."""
    survey_round = _round(round_id)
    data = export_responses_csv(
        survey_round, [item.id for item in questionnaire_for(survey_round).items]
    )
    audit.record("export.responses", target=f"round:{round_id}")
    db.session.commit()
    return Response(
        data,
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=round-{round_id}-responses.csv"},
    )


# -- accounts -----------------------------------------------------------------------------------


@bp.route("/users", methods=["GET", "POST"])
def users() -> View:
    """Accounts: create one (it is emailed a one-time link to set its password) or list them."""
    form = AccountForm()
    if form.validate_on_submit():
        try:
            user = services.new_account(
                **{
                    name: form[name].data
                    for name in ("email", "name", "role", "organisation", "region")
                }
            )
        except InputError as error:
            form.email.errors = [*form.email.errors, _sentence(error)]
        else:
            db.session.commit()
            if current_app.config["MAIL_BACKEND"] == "file":
                deliver_due(current_app.config)
            flash(
                f"The account for {user.email} was created and emailed a link to set its password."
            )
            return redirect(url_for("manage.users"))
    return render_template(
        "manage/users.html", form=form, accounts=queries.accounts(), toggle=ConfirmForm()
    ), (400 if form.errors else 200)


@bp.post("/users/<int:user_id>/access")
def user_access(user_id: int) -> View:
    """Switch an account off (it can no longer sign in) or back on."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        user = services.toggle_account(db.get_or_404(User, user_id), by=current_user)
    except InputError as error:
        flash(_sentence(error) + ".")
    else:
        db.session.commit()
        flash(f"{user.email} can {'now' if user.active else 'no longer'} sign in.")
    return redirect(url_for("manage.users"))


# -- local questions ----------------------------------------------------------------------------


@bp.route("/rounds/<int:round_id>/local-questions", methods=["GET", "POST"])
def local_questions(round_id: int) -> View:
    """Add a local question for one organisation, and list the round's local questions."""
    survey_round = _round(round_id)
    form = LocalQuestionForm()
    form.scale.choices = [
        SelectChoice(name, name) for name in questionnaire_for(survey_round).local_questions.scales
    ]
    if form.validate_on_submit():
        try:
            organisation = organisation_by_code(form.organisation.data or "")
            add_local_question(
                survey_round, organisation, form.text.data or "", form.scale.data or ""
            )
        except InputError as error:
            form.text.errors = [*form.text.errors, _sentence(error)]
        else:
            db.session.commit()
            flash(f"The question was added for {organisation.name}.")
            return redirect(url_for("manage.local_questions", round_id=round_id))
    return render_template(
        "manage/local_questions.html",
        survey_round=survey_round,
        form=form,
        questions=queries.local_questions(survey_round),
    ), (400 if form.errors else 200)
