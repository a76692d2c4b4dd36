"""Fieldwork run by the mail worker, with two worker processes at once (two hosts): each
scheduled job is claimed once, so every stakeholder gets one invitation and the round closes
once. On PostgreSQL (TEST_DATABASE_URL) this is the proof of the claim's unique row."""

from __future__ import annotations

import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from survey.models import (
    AuditEvent,
    Invitation,
    RoundStatus,
    ScheduledRun,
    Stakeholder,
    SurveyRound,
)
from survey.services.clock import uk_today
from tests.smtp import SmtpSink
from tests.survey.mail.test_worker import _worker

STAKEHOLDERS = 40


def _wait_until(db: Any, condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while True:
        db.session.rollback()  # read what the workers committed
        if condition():
            return
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _two_workers(
    app: Any, sink: SmtpSink, tmp_path: Path, db: Any, done: Callable[[], bool], what: str
) -> None:
    workers = [_worker(app, sink, tmp_path) for _ in range(2)]
    try:
        _wait_until(db, done, 120, what)
        time.sleep(2)  # both go round their loops again: nothing more may happen
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
    assert [worker.returncode for worker in workers] == [0, 0]


def _runs(db: Any, job: str) -> int:
    return db.session.scalar(select(func.count()).where(ScheduledRun.job == job)) or 0


def _audited(db: Any, action: str) -> int:
    return db.session.scalar(select(func.count()).where(AuditEvent.action == action)) or 0


def test_two_workers_at_once_invite_each_stakeholder_once_and_close_the_round_once(
    app: Any, db: Any, smtp_sink: SmtpSink, tmp_path: Path, make_round: Any, make_organisation: Any
) -> None:
    today = uk_today()
    survey_round = make_round(status="draft", opens_on=today, closes_on=today + timedelta(days=14))
    organisation = make_organisation()
    for number in range(STAKEHOLDERS):
        person = Stakeholder(
            round_id=survey_round.id,
            email=f"partner{number}@example.org",
            name=f"Partner {number}",
            group="gp_practice",
        )
        db.session.add(person)
        db.session.flush()
        db.session.add(
            Invitation(
                round_id=survey_round.id, stakeholder_id=person.id, organisation_id=organisation.id
            )
        )
    db.session.commit()
    round_id = survey_round.id

    # The opening day: both workers find the invitations due.
    _two_workers(
        app,
        smtp_sink,
        tmp_path,
        db,
        lambda: smtp_sink.handler.accepted >= STAKEHOLDERS and _runs(db, "reminders") == 1,
        "the invitations to be sent",
    )
    recipients = Counter(str(message["To"]) for message in smtp_sink.received())
    assert len(recipients) == STAKEHOLDERS and set(recipients.values()) == {1}
    assert (_runs(db, "invitations"), _runs(db, "reminders")) == (1, 1)
    assert _audited(db, "invitations.issue") == 1 and _audited(db, "round.open") == 1
    assert db.session.get(SurveyRound, round_id).status is RoundStatus.OPEN

    # The day after the closing date: both workers find the close due.
    stored = db.session.get(SurveyRound, round_id)
    stored.opens_on, stored.closes_on = today - timedelta(days=15), today - timedelta(days=1)
    db.session.commit()
    _two_workers(
        app,
        smtp_sink,
        tmp_path,
        db,
        lambda: db.session.get(SurveyRound, round_id).status is RoundStatus.CLOSED,
        "the round to close",
    )
    assert _runs(db, "close") == 1 and _audited(db, "round.close") == 1
    assert len(smtp_sink.received()) == STAKEHOLDERS  # closing sent nobody anything
