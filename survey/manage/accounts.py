"""Accounts (create one, switch one off or on) and the audit log."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from survey.access import acting_user
from survey.extensions import db
from survey.manage import bp
from survey.manage.common import View, sentence
from survey.manage.forms import AccountForm, ConfirmForm
from survey.models import User
from survey.services import audit, two_factor
from survey.services.accounts import (
    all_accounts,
    create_user,
    sign_out_everywhere,
    switch_access,
)
from survey.services.errors import InputError


@bp.route("/users", methods=["GET", "POST"])
def users() -> View:
    """Accounts: create one (it is emailed a one-time link to set its password) or list them."""
    form = AccountForm()
    if form.validate_on_submit():
        try:
            user, _link = create_user(
                acting_user(),
                email=form.email.data or "",
                name=form.name.data or "",
                role=form.role.data or "",
                organisation_code=form.organisation.data,
                region=form.region.data,
            )
        except InputError as error:
            form.email.errors = [*form.email.errors, sentence(error)]
        else:
            flash(
                f"The account for {user.email} was created and emailed a link to set its password."
            )
            return redirect(url_for("manage.users"))
    return render_template(
        "manage/users.html", form=form, accounts=all_accounts(), toggle=ConfirmForm()
    ), (400 if form.errors else 200)


@bp.post("/users/<int:user_id>/access")
def user_access(user_id: int) -> View:
    """Switch an account off (it can no longer sign in) or back on."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        user = switch_access(acting_user(), db.get_or_404(User, user_id))
    except InputError as error:
        flash(sentence(error) + ".")
    else:
        flash(f"{user.email} can {'now' if user.active else 'no longer'} sign in.")
    return redirect(url_for("manage.users"))


@bp.post("/users/<int:user_id>/sign-out")
def user_sign_out(user_id: int) -> View:
    """End every session of an account at once (a lost laptop, a shared screen)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    user = db.get_or_404(User, user_id)
    sign_out_everywhere(acting_user(), user)
    flash(f"Every session of {user.email} has ended: they must sign in again.")
    return redirect(url_for("manage.users"))


@bp.post("/users/<int:user_id>/two-factor-reset")
def user_two_factor_reset(user_id: int) -> View:
    """Remove an account's second factor (a lost phone): they enrol again at next sign-in."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    user = db.get_or_404(User, user_id)
    try:
        two_factor.reset(acting_user(), user)
    except InputError as error:
        flash(sentence(error) + ".")
    else:
        flash(f"Two-factor sign-in for {user.email} is reset: they set it up again next time.")
    return redirect(url_for("manage.users"))


@bp.get("/audit")
def audit_log() -> View:
    """The latest audit entries, newest first, optionally for one kind of action."""
    action = request.args.get("action", "").strip()
    return render_template(
        "manage/audit.html",
        events=audit.events(action=action or None, limit=500),
        actions=audit.actions(),
        action=action,
    )
