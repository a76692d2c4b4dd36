"""Two app servers (separate gunicorn processes) on one database serve the same release: the
snapshot lives in the database, not in a process, and neither changes until the next release.

Run with the rest of the database tests on PostgreSQL too (``-m db``)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from flask import Flask

from survey.models import Invitation, Organisation, SurveyRound
from survey.services.releases import release_pending
from tests.deploy.stack import free_port
from tests.factories import PASSWORD
from tests.survey.answering import save_answers, submit_response
from tests.survey.respond.live import HttpClient
from tests.survey.stored import publish

GUNICORN = Path(sys.executable).parent / "gunicorn"
ITEM = "overall_relationship"


@contextmanager
def _server(app: Flask, folder: Path) -> Iterator[str]:
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TEST_")}
    environment.update(
        SECRET_KEY=app.config["SECRET_KEY"],
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        INSECURE_COOKIES="1",
        RATELIMIT_DISABLED="1",
        MAIL_OUTBOX_DIR=str(folder / "outbox"),
    )
    log = folder / f"gunicorn-{port}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(GUNICORN), "--workers", "1", "--bind", f"127.0.0.1:{port}", "survey.wsgi:app"],
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=folder,
            env=environment,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if HttpClient(url).get("/health").status in (200, 503):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(log.read_text(errors="replace")) from None
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(15)


def _signed_in(url: str, email: str) -> HttpClient:
    client = HttpClient(url)
    page = client.get("/auth/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, page[:300]
    reply = client.post(
        "/auth/login", {"csrf_token": token.group(1), "email": email, "password": PASSWORD}
    )
    assert reply.status == 302, reply.text[:300]
    return client


def _shown(client: HttpClient, organisation: Organisation, survey_round: SurveyRound) -> str:
    """What the dashboard says about its release and the headline figures."""
    page = client.get(f"/results/{organisation.code}?round={survey_round.id}").text
    released = re.search(r"Results as of</dt>\s*<dd[^>]*>(.*?)</dd>", page, flags=re.S)
    assert released, page[:500]
    figures = re.findall(r"\d+(?:\.\d)?%", page)
    return re.sub(r"<[^>]+>", "", released.group(1)).strip() + " | " + " ".join(figures)


def test_two_server_processes_show_the_same_release_and_change_only_at_the_next(
    app: Flask,
    db: Any,
    tmp_path: Path,
    make_round: Callable[..., SurveyRound],
    make_organisation: Callable[..., Organisation],
    make_invitation: Callable[..., Any],
    make_user: Callable[..., Any],
) -> None:
    survey_round = make_round(suppression_threshold=3, comment_threshold=3)
    organisation = make_organisation(code="07T")
    commissioner = make_user(role="commissioner", organisation=organisation)

    def answered(scores: list[int]) -> None:
        for score in scores:
            invitation = db.session.get(
                Invitation,
                make_invitation(survey_round=survey_round, organisation=organisation).invitation.id,
            )
            save_answers(invitation, {ITEM: {"score": score}}, resume_section=1)
            submit_response(invitation, [ITEM])
        release_pending(survey_round, everything=True)
        db.session.commit()

    answered([9, 9, 2])
    publish(survey_round)
    db.session.commit()

    with ExitStack() as servers:
        first, second = (
            _signed_in(servers.enter_context(_server(app, tmp_path)), commissioner.email)
            for _ in range(2)
        )
        released = _shown(first, organisation, survey_round)
        assert ", 3 responses" in released
        assert _shown(second, organisation, survey_round) == released

        answered([1, 1, 1, 1])  # in the response store, not published: nobody sees it
        assert _shown(first, organisation, survey_round) == released
        assert _shown(second, organisation, survey_round) == released

        publish(survey_round)
        db.session.commit()
        now = _shown(second, organisation, survey_round)
        assert ", 7 responses" in now and now != released
        assert _shown(first, organisation, survey_round) == now
