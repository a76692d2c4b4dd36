"""What every response carries (security headers), where the client really is (trusted
proxies), and why a form post was refused (CSRF failures, logged without the path's token)."""

from __future__ import annotations

import re

from flask import Flask, current_app, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

#: path segments that are credentials: survey links, opt-out links, set-password links
_TOKEN_PATH = re.compile(r"^(/s/(?:opt-out/)?|/auth/set-password/)[^/]+")


def redacted_path(path: str) -> str:
    """``path`` with its link token replaced, fit for a log line."""
    return _TOKEN_PATH.sub(r"\1[token]", path)


def _add_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    # Survey links carry their token in the URL: a referrer may go to our own pages (the CSRF
    # check over HTTPS compares it with the host) but never to another site.
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if request.endpoint and not request.endpoint.endswith("static"):
        # Answers and results must not stay in shared or back-button caches.
        headers["Cache-Control"] = "no-store"
    return response


def _refused_post(error: CSRFError) -> tuple[str, int]:
    """A form post without a valid CSRF token: say why in the log (never the token itself)."""
    from survey.extensions import db

    db.session.rollback()
    current_app.logger.warning(
        "refused %s %s: %s (Origin %s, Referer %s)",
        request.method,
        redacted_path(request.path),
        error.description,
        request.headers.get("Origin", "none"),
        "same site"
        if request.referrer and request.referrer.startswith(request.host_url)
        else ("other site" if request.referrer else "none"),
    )
    return render_template("errors/400.html"), 400


def init_app(app: Flask) -> None:
    """Headers on every response; X-Forwarded-* from TRUSTED_PROXIES proxies only."""
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies
        )
    app.after_request(_add_headers)
    app.register_error_handler(CSRFError, _refused_post)
