"""The one door: a request or a command commits once when it succeeds, stores nothing when it
fails, and mail leaves only after the commit."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import click
from flask import Flask
from sqlalchemy import func, select

from survey.commands.common import command
from survey.extensions import db as _db
from survey.mail import queue_email
from survey.models import Organisation, OrganisationKind, OutboxMessage, Role
from survey.services.errors import InputError
from survey.transactions import after_commit, unit_of_work


def _add_organisation(code: str) -> None:
    _db.session.add(
        Organisation(code=code, name=f"NHS {code} ICB", kind=OrganisationKind.CCG, region="R")
    )
    _db.session.flush()


def _queue(recipient: str) -> None:
    queue_email(
        kind="test",
        recipient=recipient,
        subject="Door test",
        template="set_password",
        context={
            "user": SimpleNamespace(name="Pat", email=recipient, role=Role.MANAGER),
            "link": "https://example.org/set-password",
            "contact": "the team",
        },
    )


def _routes(app: Flask) -> None:
    """Views that change things through services (flush only) and then succeed or fail."""

    def succeed() -> str:
        _add_organisation("OK1")
        _queue("kept@example.org")
        return "done"

    def fail_after_writing() -> str:
        _add_organisation("NO1")
        _queue("never@example.org")
        raise InputError("the second step failed")

    app.add_url_rule("/door/succeed", "door_succeed", succeed, methods=["GET"])
    app.add_url_rule("/door/fail", "door_fail", fail_after_writing, methods=["GET"])


def _codes(db: Any) -> list[str]:
    return list(db.session.scalars(select(Organisation.code).order_by(Organisation.code)))


def _sent(folder: Path) -> list[str]:
    return sorted(path.read_text() for path in folder.glob("*.eml"))


def test_a_request_that_fails_after_writing_stores_and_sends_nothing(
    app: Flask, client: Any, db: Any, tmp_path: Path
) -> None:
    _routes(app)
    failed = client.get("/door/fail")
    assert failed.status_code == 400 and "The second step failed." in failed.get_data(True)
    assert _codes(db) == []
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert _sent(tmp_path / "outbox") == []

    assert client.get("/door/succeed").get_data(as_text=True) == "done"
    assert _codes(db) == ["OK1"]
    [message] = _sent(tmp_path / "outbox")  # the file backend: handed over after the commit
    assert "kept@example.org" in message


def test_mail_waits_for_the_worker_when_not_sent_after_commit(
    app: Flask, client: Any, db: Any, tmp_path: Path
) -> None:
    _routes(app)
    app.config["MAIL_SEND_AFTER_COMMIT"] = False
    client.get("/door/succeed")
    assert db.session.scalar(select(OutboxMessage.status)) == "queued"
    assert _sent(tmp_path / "outbox") == []


def test_after_commit_work_runs_only_after_a_commit(app: Flask) -> None:
    ran: list[str] = []
    with app.app_context():
        try:
            with unit_of_work():
                after_commit(lambda: ran.append("rolled back"))
                raise InputError("no")
        except InputError:
            pass
        with unit_of_work():
            after_commit(lambda: ran.append("first"), key="same")
            after_commit(lambda: ran.append("second"), key="same")  # replaces the first
        after_commit(lambda: ran.append("outside any unit"))
        with unit_of_work():
            pass
    assert ran == ["second"]


def test_a_command_that_fails_stores_nothing_and_says_why(app: Flask) -> None:
    @click.command("door-test")
    @command
    def door_test() -> None:
        _add_organisation("CLI1")
        raise InputError("the file names an unknown group 'gp'")

    app.cli.add_command(door_test)
    result = app.test_cli_runner().invoke(args=["door-test"])
    assert result.exit_code == 1
    assert "Error: the file names an unknown group 'gp'" in result.output
    with app.app_context():  # the command ran in a context of its own, as on a server
        assert _codes(_db) == []
