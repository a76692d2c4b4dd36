"""Stakeholder and organisation lists: upload and preview (step 1), then load (step 2).

The uploaded file waits between the two steps in the instance folder (``survey.services.uploads``),
named in the session; loading checks it again, all or nothing. A file whose headers do not name
every required column waits too, while the manager chooses which of its columns is which
(step 1b); the choice is remembered with the file and used again when it is loaded.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from flask import current_app, flash, redirect, render_template, request, session, url_for

from survey.access import acting_user
from survey.manage import bp
from survey.manage.common import View, round_or_404
from survey.manage.forms import UploadForm
from survey.models import SurveyRound
from survey.services import uploads
from survey.services.organisations import (
    OrganisationPlan,
    all_organisations,
    import_organisations,
    plan_organisations,
)
from survey.services.rounds import group_names
from survey.services.stakeholders import (
    StakeholderImportPlan,
    load_stakeholders,
    plan_stakeholder_import,
)

_SESSION_KEY = "manage_upload"
_EXPIRED = "The uploaded list has expired or was already loaded. Upload it again."


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


def _choose_columns(kind: str, round_id: int | None = None) -> uploads.StashedUpload | None:
    """The stashed upload with the columns the manager chose on the form (``column-<name>``)
    added to those chosen before, remembered for its preview and loading."""
    stashed = uploads.StashedUpload.from_session(session.get(_SESSION_KEY))
    if stashed is None or stashed.kind != kind or stashed.round_id != round_id:
        return None
    chosen = dict(stashed.chosen)
    for key, header in request.form.items():
        if key.startswith("column-") and header:
            chosen[key.removeprefix("column-")] = header
    stashed = replace(stashed, chosen=chosen)
    session[_SESSION_KEY] = stashed.to_session()
    return stashed


def _forget() -> None:
    uploads.discard(
        _upload_folder(), uploads.StashedUpload.from_session(session.pop(_SESSION_KEY, None))
    )


def _uploaded(form: UploadForm, default_name: str) -> tuple[bytes, str]:
    return form.upload.data.read(), form.upload.data.filename or default_name


@bp.route("/rounds/<int:round_id>/stakeholders", methods=["GET", "POST"])
def upload_stakeholders(round_id: int) -> View:
    """Step 1: upload a stakeholder list and see what it would load, or every problem in it."""
    survey_round = round_or_404(round_id)
    form = UploadForm()
    if not form.validate_on_submit():
        return render_template(
            "manage/upload_stakeholders.html", survey_round=survey_round, form=form
        ), (400 if form.errors else 200)
    data, source = _uploaded(form, "upload.csv")
    plan = plan_stakeholder_import(survey_round, data, source)
    if plan.ok or plan.missing_columns:
        _remember(data, source, "stakeholders", round_id)
    return _stakeholder_preview(survey_round, form, plan)


def _stakeholder_preview(
    survey_round: SurveyRound, form: UploadForm, plan: StakeholderImportPlan
) -> View:
    template = "manage/preview_stakeholders.html" if plan.ok else "manage/upload_stakeholders.html"
    return render_template(
        template,
        survey_round=survey_round,
        form=form,
        plan=plan,
        group_names=group_names(survey_round),
    ), (200 if plan.ok else 400)


@bp.post("/rounds/<int:round_id>/stakeholders/columns")
def stakeholder_columns(round_id: int) -> View:
    """Step 1b: say which of the file's columns is which, and preview it again."""
    survey_round = round_or_404(round_id)
    stashed = _choose_columns("stakeholders", round_id)
    data = None if stashed is None else uploads.load(_upload_folder(), stashed)
    if stashed is None or data is None:
        flash(_EXPIRED, "error")
        return redirect(url_for("manage.upload_stakeholders", round_id=round_id))
    plan = plan_stakeholder_import(survey_round, data, stashed.source, stashed.chosen)
    if not (plan.ok or plan.missing_columns):
        _forget()
    return _stakeholder_preview(survey_round, UploadForm(), plan)


@bp.post("/rounds/<int:round_id>/stakeholders/confirm")
def confirm_stakeholders(round_id: int) -> View:
    """Step 2: load the previewed list, all or nothing."""
    survey_round = round_or_404(round_id)
    recalled = _recall("stakeholders", round_id)
    if recalled is None:
        flash(_EXPIRED, "error")
        return redirect(url_for("manage.upload_stakeholders", round_id=round_id))
    stashed, data = recalled
    plan = load_stakeholders(acting_user(), survey_round, data, stashed.source, stashed.chosen)
    _forget()
    if not plan.ok:
        return render_template(
            "manage/upload_stakeholders.html",
            survey_round=survey_round,
            form=UploadForm(),
            plan=plan,
        ), 400
    flash(
        f"Loaded {plan.new_stakeholders} new stakeholder(s), {plan.updated_stakeholders} "
        f"updated, and {plan.new_invitations} new invitation(s)."
    )
    return redirect(url_for("manage.round_page", round_id=round_id))


@bp.route("/organisations", methods=["GET", "POST"])
def organisations() -> View:
    """Step 1: upload the list of assessed organisations and preview it."""
    form = UploadForm()
    if not form.validate_on_submit():
        return render_template(
            "manage/organisations.html", form=form, listed=all_organisations()
        ), (400 if form.errors else 200)
    data, source = _uploaded(form, "upload.csv")
    preview = plan_organisations(data, source)
    if preview.ok or preview.missing_columns:
        _remember(data, source, "organisations")
    return _organisation_preview(form, preview)


def _organisation_preview(form: UploadForm, preview: OrganisationPlan) -> View:
    template = "manage/preview_organisations.html" if preview.ok else "manage/organisations.html"
    return render_template(template, form=form, preview=preview, listed=all_organisations()), (
        200 if preview.ok else 400
    )


@bp.post("/organisations/columns")
def organisation_columns() -> View:
    """Step 1b: say which of the file's columns is which, and preview it again."""
    stashed = _choose_columns("organisations")
    data = None if stashed is None else uploads.load(_upload_folder(), stashed)
    if stashed is None or data is None:
        flash(_EXPIRED, "error")
        return redirect(url_for("manage.organisations"))
    preview = plan_organisations(data, stashed.source, stashed.chosen)
    if not (preview.ok or preview.missing_columns):
        _forget()
    return _organisation_preview(UploadForm(), preview)


@bp.post("/organisations/confirm")
def confirm_organisations() -> View:
    """Step 2: create or update the previewed organisations, all or nothing."""
    recalled = _recall("organisations")
    if recalled is None:
        flash(_EXPIRED, "error")
        return redirect(url_for("manage.organisations"))
    stashed, data = recalled
    result = import_organisations(acting_user(), data, stashed.source, stashed.chosen)
    _forget()
    if not result.ok:
        return render_template(
            "manage/organisations.html",
            form=UploadForm(),
            preview=result,
            listed=all_organisations(),
        ), 400
    flash(f"{result.created} organisation(s) created and {result.updated} updated.")
    return redirect(url_for("manage.organisations"))
