"""Views for signing in and out and setting a password."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from flask import (
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response as WerkzeugResponse

from survey.auth import bp
from survey.auth.forms import LoginForm, SetPasswordForm
from survey.extensions import limiter, login_manager
from survey.models import User
from survey.services.accounts import (
    authenticate,
    set_password,
    sign_out,
    user_for_session,
    user_for_set_password,
)

View = str | WerkzeugResponse | tuple[str, int]


@login_manager.user_loader
def _load_user(session_id: str) -> User | None:
    return user_for_session(session_id)


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


def _account_key() -> str:
    """The account a sign-in attempt names, whether or not it exists (so a 429 says nothing
    about which addresses have accounts), as a keyed hash: the counts never hold an address."""
    email = (request.form.get("email") or "").strip().lower()
    key = current_app.config["SECRET_KEY"].encode()
    return "account:" + hmac.new(key, email.encode(), hashlib.sha256).hexdigest()


def _failed(response: WerkzeugResponse) -> bool:
    return response.status_code == 400


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute; 100 per hour", methods=["POST"])
# Per account as well: guesses spread over many addresses still meet a limit. Only failures
# count, so the account's owner signing in does not use up their own allowance.
@limiter.limit(
    "5 per minute; 20 per hour", key_func=_account_key, methods=["POST"], deduct_when=_failed
)
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
            if user.totp_secret:
                # the password was right; the session is not signed in until the code is
                session["two_factor"] = user.get_id()
                session["two_factor_next"] = _safe_next(request.args.get("next"))
                return redirect(url_for("auth.two_factor_page"))
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
