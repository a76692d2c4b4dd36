"""Security headers on every response, and no secrets in log lines."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.survey.helpers import answer_everything, csrf_token


def _pages(client: Any, issued: Any) -> list[Any]:
    responses = [
        client.get(issued.path),
        client.get(f"{issued.path}/1"),
        client.get("/s/not-a-link"),
        client.get("/auth/login"),
        client.get("/static/nhsuk/nhsuk-frontend.min.css"),
        client.post(f"{issued.path}/1", data={}),
    ]
    for response in responses:
        response.close()  # the static file's handle
    return responses


def test_every_response_carries_the_security_headers(client: Any, make_invitation: Any) -> None:
    issued = make_invitation()
    for response in _pages(client, issued):
        headers = response.headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert "Strict-Transport-Security" not in headers  # plain HTTP here


def test_survey_and_account_pages_are_never_cached(client: Any, make_invitation: Any) -> None:
    issued = make_invitation()
    for response in _pages(client, issued)[:4]:
        assert response.headers["Cache-Control"] == "no-store"


def test_hsts_when_served_over_https(client: Any) -> None:
    response = client.get("/auth/login", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_no_token_email_or_comment_reaches_a_log_line(
    client: Any, runner: Any, make_invitation: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    issued = make_invitation(email="secret.person@example.org")
    comment = "A very particular remark about Dr Example"
    answer_everything(client, issued.path, comment=comment)
    check = client.get(f"{issued.path}/check")
    client.post(
        f"{issued.path}/check", data={"csrf_token": csrf_token(check.get_data(as_text=True))}
    )
    runner.invoke(args=["mail", "send"])
    token = issued.path.rsplit("/", 1)[1]
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert logged  # the flow did log something: the check below is not vacuous
    for secret in (token, token.split(".")[0], "secret.person", comment):
        assert secret not in logged


def test_probing_dead_links_is_rate_limited_but_answering_is_not(
    app: Any, db: Any, make_invitation: Any
) -> None:
    from survey import create_app
    from survey.extensions import db as extension

    issued = make_invitation()
    limited = create_app({**app.config, "RATELIMIT_ENABLED": True})
    client = limited.test_client()
    for _ in range(40):
        assert client.get(f"{issued.path}/1").status_code == 200  # a live link is never throttled
    statuses = [client.get(f"/s/dead-link-{n}").status_code for n in range(32)]
    assert statuses[:30] == [404] * 30 and statuses[30:] == [429, 429]
    with limited.app_context():
        extension.engine.dispose()


def test_a_lost_database_connection_is_a_503_that_stores_nothing(app: Any) -> None:
    from sqlalchemy.exc import DBAPIError, OperationalError

    from survey.errors import _render_database_error

    lost = DBAPIError(
        "SELECT 1", {}, Exception("server closed the connection"), connection_invalidated=True
    )
    refused = OperationalError("SELECT 1", {}, Exception("connection refused"))
    other = DBAPIError("SELECT 1", {}, Exception("syntax error"), connection_invalidated=False)
    with app.test_request_context("/s/anything/1", method="POST"):
        for error in (lost, refused):
            page, status, headers = _render_database_error(error)  # type: ignore[misc]
            assert status == 503 and headers["Retry-After"] == "5" and "try again" in page
        assert _render_database_error(other)[1] == 500
