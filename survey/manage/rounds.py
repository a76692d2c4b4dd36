"""Rounds: the list, a new round, one round's page, opening and closing, interim results
releases, local questions."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from wtforms import SelectChoice

from survey.access import acting_user
from survey.manage import bp
from survey.manage.common import View, round_or_404, sentence
from survey.manage.forms import ConfirmForm, LocalQuestionForm, RoundForm
from survey.services.clock import uk_today
from survey.services.closing import move_round
from survey.services.errors import Assure360Error, InputError
from survey.services.jobs import set_automatic
from survey.services.local_questions import add_local_question, round_local_questions
from survey.services.monitoring import (
    delivery_counts,
    invitation_counts,
    pending_send,
    rounds_overview,
)
from survey.services.publication import as_of, publish_results, releases_of
from survey.services.rounds import create_round, questionnaire_for
from survey.services.schedule_plan import fieldwork_status


@bp.get("/")
def index() -> View:
    """Every survey round with its status, dates and response rate."""
    return render_template("manage/index.html", rows=rounds_overview())


@bp.route("/rounds/new", methods=["GET", "POST"])
def new_round() -> View:
    """Create a draft round."""
    form = RoundForm()
    if form.validate_on_submit():
        try:
            survey_round = create_round(acting_user(), **form.round_values())
        except InputError as error:
            form.year.errors = [*form.year.errors, sentence(error)]
        else:
            flash(f"Round {survey_round.title} was created as a draft.")
            return redirect(url_for("manage.round_page", round_id=survey_round.id))
    return render_template("manage/new_round.html", form=form), (400 if form.errors else 200)


@bp.get("/rounds/<int:round_id>")
def round_page(round_id: int) -> View:
    """One round: its figures and what can be done next."""
    survey_round = round_or_404(round_id)
    return render_template(
        "manage/round.html",
        survey_round=survey_round,
        counts=invitation_counts(survey_round),
        pending=pending_send(survey_round),
        emails=delivery_counts(survey_round),
        schedule=fieldwork_status(survey_round, uk_today()),
        releases=releases_of(survey_round),
        form=ConfirmForm(),
    )


@bp.post("/rounds/<int:round_id>/publish")
def publish(round_id: int) -> View:
    """Publish interim results: what every results page and file shows until the next
    release (at most INTERIM_RELEASES_PER_DAY a day)."""
    survey_round = round_or_404(round_id)
    if ConfirmForm().validate_on_submit():
        try:
            release = publish_results(acting_user(), survey_round, kind="interim")
        except Assure360Error as error:
            flash(sentence(error), "error")
        else:
            flash(f"Interim results were published: {as_of(release)}.")
    return redirect(url_for("manage.round_page", round_id=round_id))


@bp.post("/rounds/<int:round_id>/automatic/<any(on, off):setting>")
def automatic_fieldwork(round_id: int, setting: str) -> View:
    """Leave the round's invitations, reminders and close to the mail worker, or not."""
    survey_round = round_or_404(round_id)
    if ConfirmForm().validate_on_submit():
        set_automatic(acting_user(), survey_round, setting == "on")
        flash(f"Automatic fieldwork is {setting}.")
    return redirect(url_for("manage.round_page", round_id=round_id))


@bp.route("/rounds/<int:round_id>/<any(open, close):action>", methods=["GET", "POST"])
def change_status(round_id: int, action: str) -> View:
    """Open or close a round; GET shows the confirmation page, POST (a button) makes the change."""
    survey_round = round_or_404(round_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return render_template(
            "manage/confirm_status.html", survey_round=survey_round, action=action, form=form
        )
    try:
        move_round(acting_user(), survey_round, action)
    except Assure360Error as error:
        flash(sentence(error), "error")
    else:
        flash(f"The round is now {survey_round.status.value}.")
    return redirect(url_for("manage.round_page", round_id=round_id))


@bp.route("/rounds/<int:round_id>/local-questions", methods=["GET", "POST"])
def local_questions(round_id: int) -> View:
    """Add a local question for one organisation, and list the round's local questions."""
    survey_round = round_or_404(round_id)
    form = LocalQuestionForm()
    scales = questionnaire_for(survey_round).local_questions.scales
    form.scale.choices = [SelectChoice(name, name) for name in scales]
    if form.validate_on_submit():
        try:
            question = add_local_question(
                acting_user(),
                survey_round,
                form.organisation.data or "",
                form.text.data or "",
                form.scale.data or "",
            )
        except InputError as error:
            form.text.errors = [*form.text.errors, sentence(error)]
        else:
            flash(f"The question was added for {question.organisation.name}.")
            return redirect(url_for("manage.local_questions", round_id=round_id))
    return render_template(
        "manage/local_questions.html",
        survey_round=survey_round,
        form=form,
        questions=round_local_questions(survey_round),
    ), (400 if form.errors else 200)
