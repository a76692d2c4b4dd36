"""The mail worker: several at once send each message once; a killed worker loses nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from survey.mail.worker import WorkerReport, run_worker
from survey.models import OutboxMessage, OutboxStatus
from tests.smtp import SmtpSink
from tests.survey.mail.helpers import deliver, queue_invitations, smtp_config, statuses


def _wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _unfinished(db: Any) -> int:
    counts = statuses(db)
    return counts.get(OutboxStatus.QUEUED, 0) + counts.get(OutboxStatus.SENDING, 0)


@pytest.mark.parametrize("claim_size", [1, 5])
def test_three_workers_at_once_send_every_message_exactly_once(
    app, db, smtp_sink: SmtpSink, make_round, make_organisation, claim_size: int
) -> None:
    """On PostgreSQL (TEST_DATABASE_URL) this is the SKIP LOCKED + conditional claim proof."""
    queue_invitations(db, make_round(), [make_organisation().id], 240)
    config = smtp_config(app, smtp_sink, MAIL_BATCH_SIZE=20, MAIL_CLAIM_SIZE=claim_size)
    stop = threading.Event()
    totals: list[WorkerReport] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            with app.app_context():
                totals.append(run_worker(config, stop, poll_seconds=0.05))
        except BaseException as error:  # reported by the test below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        _wait_until(lambda: _unfinished(db) == 0, 120, "the outbox to empty")
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
    assert errors == []
    assert statuses(db) == {OutboxStatus.SENT: 240}
    ids = smtp_sink.outbox_ids()
    assert len(ids) == 240 and set(ids.values()) == {1}
    assert sum(total.sent for total in totals) == 240
    # the work was shared, not done by one worker while the others idled
    assert sum(1 for total in totals if total.sent > 0) >= 2


def _worker(app: Any, sink: SmtpSink, tmp_path: Path, *extra: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": app.config["SECRET_KEY"],
        "PUBLIC_BASE_URL": app.config["PUBLIC_BASE_URL"],
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(sink.port),
        "MAIL_RATE_PER_SECOND": "150",
        "MAIL_BATCH_SIZE": "25",
        "MAIL_WORKER_POLL_SECONDS": "0.1",
    }
    env.pop("ASSURE360_DEMO", None)
    command = [
        sys.executable,
        "-c",
        "from survey.commands import main; main()",
        "mail",
        "worker",
        *extra,
    ]
    log = (tmp_path / f"worker-{time.monotonic_ns()}.log").open("wb")
    try:
        return subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=Path(__file__).parents[3]
        )
    finally:
        log.close()


def test_worker_killed_mid_batch_and_restarted_loses_nothing_and_repeats_nothing(
    app, db, smtp_sink: SmtpSink, tmp_path: Path, make_round, make_organisation
) -> None:
    queue_invitations(db, make_round(), [make_organisation().id], 300)

    first = _worker(app, smtp_sink, tmp_path)
    try:
        _wait_until(lambda: smtp_sink.handler.accepted >= 60, 60, "the first worker to send 60")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    assert first.returncode == -signal.SIGKILL
    assert _unfinished(db) > 0, "the worker finished before it was killed: the test proves nothing"

    # Restarted alone, it may flag what the dead worker left mid-send at once.
    second = _worker(app, smtp_sink, tmp_path, "--stale-after", "0")
    try:
        _wait_until(lambda: _unfinished(db) == 0, 60, "the restarted worker to empty the outbox")
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(20)
    assert second.returncode == 0, [p.read_text() for p in tmp_path.glob("worker-*.log")]

    messages = db.session.scalars(select(OutboxMessage)).all()
    received = smtp_sink.outbox_ids()
    ambiguous = {m.id for m in messages if m.status is OutboxStatus.AMBIGUOUS}
    assert {m.status for m in messages} <= {OutboxStatus.SENT, OutboxStatus.AMBIGUOUS}
    # at most the message in hand and the one before it, whose outcome goes with the next claim
    assert len(ambiguous) <= 2
    for message in messages:
        if message.status is OutboxStatus.SENT:
            assert received[message.id] == 1, message.id  # nothing lost, nothing twice
        else:
            assert received[message.id] <= 1, message.id  # flagged for a person, never resent
    assert max(received.values()) == 1


@pytest.mark.parametrize("claim_size", [1, 4])
def test_a_stop_request_ends_delivery_between_messages(
    app, db, smtp_sink: SmtpSink, make_round, make_organisation, claim_size: int
) -> None:
    app.config["MAIL_CLAIM_SIZE"] = claim_size
    queue_invitations(db, make_round(), [make_organisation().id], 30)
    asked = 0

    def stop_after_five() -> bool:
        nonlocal asked
        asked += 1
        return asked > 5

    report = deliver(app, smtp_sink, should_stop=stop_after_five)

    assert report.sent == 5
    assert statuses(db) == {OutboxStatus.SENT: 5, OutboxStatus.QUEUED: 25}
    assert len(smtp_sink.received()) == 5
