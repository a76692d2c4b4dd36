"""Views for signing in and out and setting a password."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response as WerkzeugResponse

from survey.auth import bp
from survey.auth.forms import LoginForm, SetPasswordForm
from survey.extensions import db, limiter, login_manager
from survey.models import User
from survey.services.accounts import (
    authenticate,
    set_password,
    sign_out,
    user_for_set_password,
)

View = str | WerkzeugResponse | tuple[str, int]


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    user = db.session.get(User, int(user_id))
    return user if user is not None and user.active else None


def _safe_next(target: str | None) -> str:
    """Only same-site paths: a crafted ?next= must not send people elsewhere."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and not urlsplit(target).netloc
    ):
        return target
    return url_for("home.index")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute; 100 per hour", methods=["POST"])
def login() -> View:
    """Sign in with email and password."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    failed = False
    if form.validate_on_submit():
        user = authenticate(form.email.data or "", form.password.data or "")
        if user is not None:
            # A fresh session at sign-in: nothing carried over from before, not even the CSRF
            # token cached for the old one.
            session.clear()
            g.pop("csrf_token", None)
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        failed = True
    status = 400 if (form.errors or failed) else 200
    return render_template("auth/login.html", form=form, failed=failed), status


@bp.post("/logout")
@login_required
def logout() -> View:
    """Sign out and end the session."""
    sign_out(current_user)
    logout_user()
    session.clear()
    flash("You have signed out.")
    return redirect(url_for("auth.login"))


@bp.route("/set-password/<token>", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def set_password_page(token: str) -> View:
    """Set a password from the one-time link in the account email."""
    user = user_for_set_password(token)
    if user is None:
        abort(404)
    form = SetPasswordForm()
    if form.validate_on_submit():
        set_password(user, form.password.data or "")
        flash("Your password is set. Sign in with it now.")
        return redirect(url_for("auth.login"))
    return render_template("auth/set_password.html", form=form, user=user), (
        400 if form.errors else 200
    )
