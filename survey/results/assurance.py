"""The assurance record pages: ratings and agreed actions per domain (assessors record, everyone
who sees the organisation's results reads)."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as WerkzeugResponse

from survey.access import visible_organisation_or_404
from survey.extensions import db
from survey.models import Organisation, SurveyRound
from survey.results import bp
from survey.results.forms import ActionForm, RatingForm, StatusForm
from survey.services.assurance import (
    DomainAssessment,
    action_of,
    add_action,
    assessment,
    edit_action,
    record_rating,
    set_action_done,
)
from survey.services.errors import InputError

View = str | WerkzeugResponse | tuple[str, int]


def _load(code: str, round_id: int) -> tuple[Organisation, SurveyRound]:
    organisation = visible_organisation_or_404(current_user, code)
    survey_round = db.session.get(SurveyRound, round_id)
    if survey_round is None:
        abort(404)
    return organisation, survey_round


def _recordable_domain(
    organisation: Organisation, survey_round: SurveyRound, domain: str
) -> DomainAssessment:
    """The domain's record this year, if it exists (404) and the person may record (403)."""
    record = assessment(current_user, organisation, survey_round)
    here = record.this_year.domain(domain)
    if here is None:
        abort(404)
    if not record.may_record:
        abort(403)
    return here


def _rating_form(here: DomainAssessment, *, posted: bool) -> RatingForm:
    """The rating form, filled with the recorded rating (and the post, when it is the one)."""
    current = {"rating": here.rating.value if here.rating else None, "note": here.note}
    return RatingForm(data=current) if posted else RatingForm(formdata=None, data=current)


def _action_fields(form: ActionForm) -> tuple[str, str, date | None]:
    return form.text.data or "", form.owner.data or "", form.due_on.data


def _overview(organisation: Organisation, survey_round: SurveyRound) -> str:
    """The round's overview, or the one the person came from (``?back=``: this year's page
    lists last year's actions too, whose buttons belong to last year's round)."""
    back = request.args.get("back", type=int)
    round_id = back if back is not None else survey_round.id
    return url_for("results.assurance", code=organisation.code, round_id=round_id)


@bp.get("/<code>/assurance/<int:round_id>")
@login_required
def assurance(code: str, round_id: int) -> View:
    """The organisation's ratings and actions of the round, beside last year's."""
    organisation, survey_round = _load(code, round_id)
    record = assessment(current_user, organisation, survey_round)
    return render_template(
        "results/assurance.html",
        organisation=organisation,
        survey_round=survey_round,
        record=record,
    )


@bp.route("/<code>/assurance/<int:round_id>/<domain>", methods=["GET", "POST"])
@login_required
def assurance_domain(code: str, round_id: int, domain: str) -> View:
    """One domain: record its rating; add an agreed action."""
    organisation, survey_round = _load(code, round_id)
    here = _recordable_domain(organisation, survey_round, domain)
    form = _rating_form(here, posted=True)
    action_form = ActionForm(formdata=None)
    if form.validate_on_submit():
        try:
            record_rating(
                current_user,
                organisation,
                survey_round,
                domain,
                form.rating.data or "",
                form.note.data or "",
            )
        except InputError as error:
            form.rating.errors = [*form.rating.errors, str(error)]
        else:
            flash(f"The rating of domain {here.number} was recorded.")
            return redirect(_overview(organisation, survey_round))
    return _domain_page(organisation, survey_round, here, form, action_form)


def _domain_page(
    organisation: Organisation,
    survey_round: SurveyRound,
    here: DomainAssessment,
    form: RatingForm,
    action_form: ActionForm,
) -> tuple[str, int]:
    status = 400 if form.errors or action_form.errors else 200
    return render_template(
        "results/assurance_domain.html",
        organisation=organisation,
        survey_round=survey_round,
        domain=here,
        form=form,
        action_form=action_form,
    ), status


@bp.post("/<code>/assurance/<int:round_id>/<domain>/actions")
@login_required
def assurance_add_action(code: str, round_id: int, domain: str) -> View:
    """Record an agreed action for one domain."""
    organisation, survey_round = _load(code, round_id)
    here = _recordable_domain(organisation, survey_round, domain)
    form = ActionForm()
    if form.validate_on_submit():
        try:
            add_action(current_user, organisation, survey_round, domain, *_action_fields(form))
        except InputError as error:
            form.text.errors = [*form.text.errors, str(error)]
        else:
            flash("The action was added.")
            return redirect(_overview(organisation, survey_round))
    return _domain_page(organisation, survey_round, here, _rating_form(here, posted=False), form)


@bp.route("/<code>/assurance/<int:round_id>/actions/<int:action_id>", methods=["GET", "POST"])
@login_required
def assurance_edit_action(code: str, round_id: int, action_id: int) -> View:
    """Change an action's wording, owner or due date."""
    organisation, survey_round = _load(code, round_id)
    action = action_of(current_user, organisation, survey_round, action_id)
    form = ActionForm(obj=action)
    if form.validate_on_submit():
        try:
            edit_action(current_user, organisation, survey_round, action_id, *_action_fields(form))
        except InputError as error:
            form.text.errors = [*form.text.errors, str(error)]
        else:
            flash("The action was changed.")
            return redirect(_overview(organisation, survey_round))
    return render_template(
        "results/assurance_action.html",
        organisation=organisation,
        survey_round=survey_round,
        action=action,
        form=form,
    ), (400 if form.errors else 200)


@bp.post("/<code>/assurance/<int:round_id>/actions/<int:action_id>/status")
@login_required
def assurance_action_status(code: str, round_id: int, action_id: int) -> View:
    """Mark an action done, or open again; back to the page the button was on."""
    organisation, survey_round = _load(code, round_id)
    action_of(current_user, organisation, survey_round, action_id)
    form = StatusForm()
    if not form.validate_on_submit():
        abort(400)
    set_action_done(current_user, organisation, survey_round, action_id, form.status.data == "done")
    flash(
        "The action was marked done." if form.status.data == "done" else "The action is open again."
    )
    return redirect(_overview(organisation, survey_round))
