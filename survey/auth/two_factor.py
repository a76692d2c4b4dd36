"""The second step of a password sign-in (a TOTP code), and enrolling an authenticator app."""

from __future__ import annotations

import hashlib

from flask import flash, redirect, render_template, session, url_for
from flask_login import current_user, login_required, login_user
from markupsafe import Markup

from survey.auth import bp
from survey.auth.forms import CodeForm
from survey.auth.routes import View
from survey.extensions import limiter
from survey.services import two_factor
from survey.services.accounts import user_for_session
from survey.services.errors import InputError


def _pending_key() -> str:
    """The account waiting for its code: code guesses are limited per account too."""
    pending = str(session.get("two_factor") or "")
    return "two-factor:" + hashlib.sha256(pending.encode()).hexdigest()


@bp.route("/two-factor", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
@limiter.limit("5 per minute; 20 per hour", key_func=_pending_key, methods=["POST"])
def two_factor_page() -> View:
    """After the right password: the code from the account's authenticator app."""
    user = user_for_session(str(session.get("two_factor") or ""))
    if user is None or not user.totp_secret:
        return redirect(url_for("auth.login"))
    form = CodeForm()
    failed = False
    if form.validate_on_submit():
        if two_factor.check_code(user, form.code.data or ""):
            target = session.get("two_factor_next") or url_for("home.index")
            session.pop("two_factor", None)
            session.pop("two_factor_next", None)
            login_user(user)
            return redirect(target)
        failed = True
        form.code.errors = ["The code is not right, or was used already: wait for the next one"]
    status = 400 if (form.errors or failed) else 200
    return render_template("auth/two_factor.html", form=form), status


@bp.route("/two-factor/setup", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per minute", methods=["POST"])
def two_factor_setup() -> View:
    """Enrol an authenticator app: its secret is shown once and kept only when a code proves
    the app has it (until then it waits, encrypted, in the session)."""
    sealed = session.get("two_factor_setup")
    secret = two_factor.unseal(sealed) if isinstance(sealed, str) else None
    if secret is None:
        secret = two_factor.new_secret()
        session["two_factor_setup"] = two_factor.seal(secret)
    uri = two_factor.provisioning_uri(current_user, secret)
    form = CodeForm()
    if form.validate_on_submit():
        try:
            two_factor.enrol(current_user, secret, form.code.data or "")
        except InputError as error:
            form.code.errors = [str(error).capitalize()]
        else:
            session.pop("two_factor_setup", None)
            flash("Two-factor sign-in is on: you will be asked for a code each time.")
            return redirect(url_for("home.index"))
    return render_template(
        "auth/two_factor_setup.html",
        form=form,
        secret=secret,
        uri=uri,
        qr_code=Markup(two_factor.qr_code_svg(uri)),  # segno draws it from our own URI
    ), (400 if form.errors else 200)
