"""Views of the respondent pages: parse the request, call one service, render or redirect.

Only POSTs change anything: a link scanner that GETs every page stores nothing. The forms'
protection is bound to the link (survey/respond/forms.py), so the session cookie's CSRF check is
off for these views: no respondent page needs a cookie.
"""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from survey.extensions import begin_write, csrf, read_outside_a_transaction
from survey.models import InvitationStatus
from survey.respond import bp, dead_link
from survey.respond.forms import form_for, submit_form
from survey.respond.pages import Page, pages_for
from survey.services.clock import uk_today
from survey.services.errors import AlreadySubmitted, DeadLink, InputError
from survey.services.links import Link, find_link, lock_link
from survey.services.responses import save_page, submit_response, unsealed_draft

View = str | WerkzeugResponse | tuple[str, int]


@bp.before_request
def _start_database_work() -> None:
    """A POST locks its link before reading it; a GET reads its link in one query and writes
    nothing."""
    if request.method == "POST":
        begin_write()
    else:
        read_outside_a_transaction()


def _read(token: str) -> Link:
    """What the link's pages show, or the dead-link page (404) for any bad link."""
    try:
        return find_link(token, uk_today())
    except DeadLink:
        dead_link()


def _locked(token: str) -> Link:
    """What the link's pages show, its row locked for a POST that saves or submits answers, or
    the dead-link page (404).

    Two requests on one link (a double click, two tabs) take turns: the second sees the first's
    draft or its submitted status instead of racing it.
    """
    try:
        return lock_link(token, uk_today())
    except DeadLink:
        dead_link()


def _saved(link: Link) -> dict[str, dict[str, object]]:
    return {item_id: dict(value) for item_id, value in unsealed_draft(link).items()}


def _complete_page(link: Link) -> tuple[str, int]:
    """What a submitted link shows: 200 to a GET; 409 to a POST (a re-submit, a late save)."""
    status = 409 if request.method == "POST" else 200
    return render_template("respond/complete.html", link=link), status


@bp.get("/<token>")
def start(token: str) -> View:
    """Start page: who is asking, how long it takes, and the confidentiality promise."""
    link = _read(token)
    if link.status is InvitationStatus.COMPLETED:
        return _complete_page(link)
    resume = link.resume_section
    return render_template(
        "respond/start.html",
        link=link,
        token=token,
        questionnaire=link.questionnaire,
        resume_at=min(resume, len(pages_for(link))) if resume is not None else None,
        threshold=link.suppression_threshold,
        comment_threshold=link.comment_threshold,
    )


@bp.route("/<token>/<int:number>", methods=["GET", "POST"])
@csrf.exempt
def section(token: str, number: int) -> View:
    """One section of questions; answers are saved whenever the page is posted.

    ``?return=check`` (the Change links) comes back to check your answers after the page.
    A post without the page's key still keeps its valid answers and shows the page again.
    """
    link = _locked(token) if request.method == "POST" else _read(token)
    if link.status is InvitationStatus.COMPLETED:
        return _complete_page(link)
    pages = pages_for(link)
    if not 1 <= number <= len(pages):
        abort(404)
    page = pages[number - 1]
    returning = request.args.get("return") == "check"
    form = form_for(page, _saved(link), token)
    if request.method == "POST":
        valid = form.validate()
        verified = "csrf_token" not in form.errors
        leaving = verified and request.form.get("action") == "save"
        answers = form.answers(valid_only=not valid)
        if answers or leaving:
            stay = leaving or not valid
            save_page(link, answers, resume_section=number if stay else number + 1)
        if leaving:
            return redirect(url_for("respond.saved", token=token))
        if valid:
            target = number + 1
            if returning or target > len(pages):
                return redirect(url_for("respond.check", token=token))
            return redirect(url_for("respond.section", token=token, number=target))
    if returning:
        back = url_for("respond.check", token=token)
    elif number > 1:
        back = url_for("respond.section", token=token, number=number - 1)
    else:
        back = url_for("respond.start", token=token)
    return render_template(
        "respond/section.html",
        link=link,
        token=token,
        form=form,
        page=page,
        number=number,
        total=len(pages),
        back=back,
        returning=returning,
    ), (400 if form.errors else 200)


@bp.get("/<token>/saved")
def saved(token: str) -> View:
    """Confirms that answers are saved and how to come back."""
    link = _read(token)
    if link.status is InvitationStatus.COMPLETED:
        return _complete_page(link)
    return render_template("respond/saved.html", link=link, token=token)


def _first_unanswered(pages: list[Page], answers: dict[str, dict[str, object]]) -> int | None:
    for number, page in enumerate(pages, start=1):
        if any(not q.is_text and q.id not in answers for q in page.questions):
            return number
    return None


@bp.route("/<token>/check", methods=["GET", "POST"])
@csrf.exempt
def check(token: str) -> View:
    """Check your answers, then submit them (once: a second submit is told it is done, 409)."""
    posted = request.method == "POST"
    link = _locked(token) if posted else _read(token)
    if link.status is InvitationStatus.COMPLETED:
        return _complete_page(link)
    pages = pages_for(link)
    answers = _saved(link)
    missing = _first_unanswered(pages, answers)
    form = submit_form(token)
    if posted and form.validate():
        if missing is not None:
            return redirect(url_for("respond.section", token=token, number=missing))
        try:
            submit_response(link, [q.id for page in pages for q in page.questions])
        except AlreadySubmitted:
            return _complete_page(link)
        except InputError:
            return redirect(url_for("respond.section", token=token, number=1))
        current_app.logger.info("response submitted for round %s", link.round_id)
        return redirect(url_for("respond.start", token=token))
    return render_template(
        "respond/check.html",
        link=link,
        token=token,
        form=form,
        pages=pages,
        answers=answers,
        missing=missing,
    ), (400 if form.errors else 200)
