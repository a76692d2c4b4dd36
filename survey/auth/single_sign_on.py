"""Sign in through an OpenID Connect provider with Authlib's Flask client.

Discovery from ``OIDC_ISSUER``/.well-known/openid-configuration; the authorization code flow
with PKCE (S256), state and nonce, all kept and checked by Authlib (the ID token's signature,
issuer, audience, expiry and nonce included). Pages answer 404 when no provider is configured.
"""

from __future__ import annotations

from typing import Any

from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Flask, abort, current_app, g, redirect, render_template, session, url_for
from flask.blueprints import BlueprintSetupState
from flask_login import login_user

from survey.auth import bp
from survey.auth.routes import View
from survey.extensions import limiter
from survey.services.single_sign_on import REASONS, identity_sign_in

_EXTENSION = "assure360.oidc"


def _register(app: Flask) -> None:
    issuer = str(app.config.get("OIDC_ISSUER") or "").rstrip("/")
    if not issuer:
        return
    oauth = OAuth(app)
    # Nothing is fetched here: discovery happens on the first sign-in.
    oauth.register(
        "oidc",
        client_id=app.config["OIDC_CLIENT_ID"],
        client_secret=app.config["OIDC_CLIENT_SECRET"],
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256"},
    )
    app.extensions[_EXTENSION] = oauth


@bp.record_once
def _on_register(state: BlueprintSetupState) -> None:
    # typed as Flask's sansio App; registered on a Flask application here
    _register(state.app)  # type: ignore[arg-type]


def _client() -> Any:
    oauth = current_app.extensions.get(_EXTENSION)
    if oauth is None:
        abort(404)
    return oauth.create_client("oidc")


@bp.get("/oidc/login")
@limiter.limit("20 per minute")
def oidc_login() -> View:
    """Send the person to the identity provider to sign in there."""
    redirect_uri = url_for("auth.oidc_callback", _external=True)
    response: View = _client().authorize_redirect(redirect_uri)
    return response


@bp.get("/oidc/callback")
@limiter.limit("20 per minute")
def oidc_callback() -> View:
    """The provider sends the person back here with a code: exchange it, check the identity."""
    client = _client()
    claims: dict[str, Any] | None
    try:
        token = client.authorize_access_token()
        claims = dict(token.get("userinfo") or {})
        if "email" not in claims:
            # Providers may keep scope claims out of the ID token (OIDC Core 5.4): ask userinfo,
            # which must speak of the same subject (OIDC Core 5.3.2).
            info = client.userinfo(token=token)
            if info.get("sub") != claims.get("sub"):
                raise OAuthError("invalid_userinfo", "userinfo is about another subject")
            claims.update(info)
    except OAuthError:
        claims = None
    user, reason = identity_sign_in(claims)
    if user is None:
        session.clear()
        return render_template("auth/sso_refused.html", reason=REASONS[reason]), 403
    # A fresh session, as for a password sign-in.
    session.clear()
    g.pop("csrf_token", None)
    login_user(user)
    session["signed_in_with"] = "oidc"
    return redirect(url_for("home.index"))
