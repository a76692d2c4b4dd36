"""A manager walks a round's questionnaire exactly as one stakeholder group would see it about
one organisation: the respondent pages (sections and items for that group, the organisation's
local questions) and their forms and validation, page by page. Nothing is saved: the answers
given so far travel in the page's own form, never in the database or the session.
"""

from __future__ import annotations

import json
from typing import Any

from flask import abort, redirect, render_template, request, url_for

from survey.manage import bp
from survey.manage.common import View, round_or_404
from survey.models import Organisation, SurveyRound
from survey.respond.forms import form_for
from survey.respond.pages import Page, pages_for_group
from survey.services.errors import InputError
from survey.services.local_questions import local_questions
from survey.services.organisations import all_organisations, organisation_by_code
from survey.services.rounds import questionnaire_for

Answers = dict[str, dict[str, Any]]


def _carried() -> Answers:
    """The answers given on earlier pages, from the form; anything malformed is left out."""
    try:
        value = json.loads(request.form.get("carried") or "{}")
    except ValueError:
        return {}
    answers: Answers = {}
    for item_id, answer in value.items() if isinstance(value, dict) else ():
        if answer == {"dont_know": True}:
            answers[item_id] = answer
        elif isinstance(answer, dict) and set(answer) == {"score"} and type(answer["score"]) is int:
            answers[item_id] = answer
        elif (
            isinstance(answer, dict) and set(answer) == {"text"} and isinstance(answer["text"], str)
        ):
            answers[item_id] = answer
    return answers


def _walk(round_id: int, code: str, group: str) -> tuple[SurveyRound, Organisation, list[Page]]:
    survey_round = round_or_404(round_id)
    questionnaire = questionnaire_for(survey_round)
    try:
        organisation = organisation_by_code(code)
    except InputError:
        abort(404)
    if group not in questionnaire.group_ids:
        abort(404)
    return (
        survey_round,
        organisation,
        pages_for_group(questionnaire, group, local_questions(survey_round.id, organisation.id)),
    )


@bp.get("/rounds/<int:round_id>/preview")
def preview(round_id: int) -> View:
    """Choose the organisation and stakeholder group to preview the questionnaire as."""
    survey_round = round_or_404(round_id)
    questionnaire = questionnaire_for(survey_round)
    organisations = [
        org for org in all_organisations() if org.kind.value == questionnaire.organisation_kind
    ]
    code, group = request.args.get("organisation", ""), request.args.get("group", "")
    if code.upper() in {org.code for org in organisations} and group in questionnaire.group_ids:
        return redirect(
            url_for(
                "manage.preview_page", round_id=round_id, code=code.upper(), group=group, number=1
            )
        )
    return render_template(
        "manage/preview_choose.html",
        survey_round=survey_round,
        organisations=organisations,
        groups=questionnaire.stakeholder_groups,
        chosen=(code, group),
    ), (400 if code or group else 200)


@bp.route("/rounds/<int:round_id>/preview/<code>/<group>/<int:number>", methods=["GET", "POST"])
def preview_page(round_id: int, code: str, group: str, number: int) -> View:
    """One page of the preview; Continue checks it as the respondent page does."""
    survey_round, organisation, pages = _walk(round_id, code, group)
    if not 1 <= number <= len(pages):
        abort(404)
    carried = _carried()
    form = form_for(pages[number - 1], carried, link_token=None)
    action = request.form.get("action")
    if request.method == "POST" and action in ("continue", "back"):
        valid = form.validate()
        carried.update(form.answers(valid_only=not valid))
        target = number - 1 if action == "back" else number + 1
        if action == "back" or valid:
            if target > len(pages):
                return _render_check(survey_round, organisation, group, pages, carried)
            number = max(target, 1)
            form = form_for(pages[number - 1], carried, link_token=None)
    page = pages[number - 1]
    return render_template(
        "manage/preview_section.html",
        survey_round=survey_round,
        organisation=organisation,
        group=group,
        group_name=questionnaire_for(survey_round).group(group).name,
        form=form,
        page=page,
        number=number,
        total=len(pages),
        carried=json.dumps(carried),
    ), (400 if form.errors else 200)


def _render_check(
    survey_round: SurveyRound,
    organisation: Organisation,
    group: str,
    pages: list[Page],
    answers: Answers,
) -> View:
    return render_template(
        "manage/preview_check.html",
        survey_round=survey_round,
        organisation=organisation,
        group=group,
        group_name=questionnaire_for(survey_round).group(group).name,
        pages=pages,
        answers=answers,
        carried=json.dumps(answers),
    )


@bp.post("/rounds/<int:round_id>/preview/<code>/<group>/end")
def preview_end(round_id: int, code: str, group: str) -> View:
    """Where a stakeholder would submit: the preview ends, having saved nothing."""
    survey_round, organisation, _pages = _walk(round_id, code, group)
    return render_template(
        "manage/preview_end.html",
        survey_round=survey_round,
        organisation=organisation,
        group_name=questionnaire_for(survey_round).group(group).name,
        answered=len(_carried()),
    )
