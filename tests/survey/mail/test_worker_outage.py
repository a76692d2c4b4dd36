"""The mail worker rides out a PostgreSQL restart and a lost connection, backing off meanwhile.

These tests bring a PostgreSQL server of their own (tests/postgres_server.py), which they crash
and start again, so they run in the SQLite pass of the suite too. They use neither the ``app``
nor the ``db`` fixture, so they are not marked ``db`` and do not run again in the PostgreSQL pass.
Without the PostgreSQL server binaries they fail (the test command installs them).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select
from sqlalchemy.exc import DBAPIError

from survey import create_app
from survey.extensions import db as _db
from survey.mail import sender
from survey.mail.backends import MailBackend, backend_from_config
from survey.mail.worker import MAX_OUTAGE_WAIT, WorkerReport, run_worker
from survey.models import (
    Organisation,
    OrganisationKind,
    OutboxMessage,
    OutboxStatus,
    WorkerHeartbeat,
)
from survey.models.types import utcnow
from survey.services.audit import COMMAND_LINE
from survey.services.rounds import create_round
from tests.conftest import _settings, _upgrade
from tests.postgres_server import PostgresServer, server_binaries
from tests.smtp import SmtpSink
from tests.survey.mail.helpers import queue_invitations, smtp_config, statuses

TEMPLATE = "assure360_migrated"
#: 40 messages at 20 a second: two seconds of delivery, long enough to interrupt
MESSAGES = 40
PACED = {"MAIL_RATE_PER_SECOND": 20, "MAIL_BATCH_SIZE": 10, "MAIL_CLAIM_SIZE": 1}


@pytest.fixture(scope="module")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    """A PostgreSQL server of this module's, with a migrated template database."""
    binaries = server_binaries()
    if binaries is None:
        pytest.fail(
            "PostgreSQL server binaries (initdb, pg_ctl) not found in /usr/lib/postgresql/*/bin"
            " or on the PATH: install the 'postgresql' package (scripts/run-tests.sh does)",
            pytrace=False,
        )
    server = PostgresServer(binaries)
    try:
        server.start()
        server.execute(f'CREATE DATABASE "{TEMPLATE}"')
        _upgrade(server.url(TEMPLATE), tmp_path_factory.mktemp("outage"))
        yield server
    finally:
        server.destroy()


@dataclass
class Setup:
    server: PostgresServer
    database: str
    #: the worker's application (its thread pushes a context of its own)
    app: Flask
    #: the test's own session, in a context of a second application on the same database
    data: Any
    workers: list[Worker] = field(default_factory=list)

    def worker(self, config: dict[str, Any], stop: threading.Event | None = None) -> Worker:
        """A worker on this database, stopped at the end of the test whatever happens."""
        worker = Worker(self.app, config, stop or threading.Event())
        self.workers.append(worker)
        return worker

    def stop_workers(self) -> None:
        for worker in self.workers:
            worker.stop.set()
        for worker in self.workers:
            if worker.thread is not None:
                worker.thread.join(20)


@pytest.fixture
def setup(postgres: PostgresServer, tmp_path: Path) -> Iterator[Setup]:
    """A fresh database on the module's server (a copy of the migrated template)."""
    if not postgres.running():  # a test before this one failed while the server was down
        postgres.start()
    name = f"outage_{uuid.uuid4().hex[:12]}"
    postgres.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    # the production pool (pooled, pre-pinged): its idle connections are what the test kills
    settings = {
        **_settings(postgres.url(name), tmp_path),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    }
    worker_app = create_app(settings)
    data_app = create_app({**settings, "MAIL_SEND_AFTER_COMMIT": False})
    setup = Setup(postgres, name, worker_app, _db)
    with data_app.app_context():
        yield setup
        # even after a test that failed with the server down or a worker still running
        if not postgres.running():
            postgres.start()
        setup.stop_workers()
        try:
            _db.session.remove()
        except DBAPIError:
            _db.session.remove()
        _db.engine.dispose()
    with worker_app.app_context():
        _db.engine.dispose()
    postgres.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _queue(data: Any, count: int) -> None:
    organisation = Organisation(
        code="T001", name="NHS Testshire Integrated Care Board", kind=OrganisationKind.CCG,
        region="Midlands", area=None,
    )  # fmt: skip
    data.session.add(organisation)
    data.session.commit()
    today = date.today()
    survey_round = create_round(
        COMMAND_LINE, year=2031, questionnaire="ccg-360",
        opens_on=today - timedelta(days=7), closes_on=today + timedelta(days=21),
    )  # fmt: skip
    survey_round.open()
    data.session.commit()
    queue_invitations(data, survey_round, [organisation.id], count)


@dataclass
class Worker:
    """run_worker in a thread of its own, recording each outage it reports."""

    app: Flask
    config: dict[str, Any]
    stop: threading.Event = field(default_factory=threading.Event)
    outages: list[tuple[str, float]] = field(default_factory=list)
    report: WorkerReport | None = None
    error: BaseException | None = None
    thread: threading.Thread | None = None

    def start(self) -> Worker:
        self.thread = threading.Thread(target=self._run, name="mail-worker", daemon=True)
        self.thread.start()
        return self

    def _run(self) -> None:
        try:
            with self.app.app_context():
                self.report = run_worker(
                    self.config,
                    self.stop,
                    poll_seconds=0.1,
                    # one worker: whatever is SENDING when it starts a loop was left by a
                    # delivery the outage cut short, and may be flagged at once
                    stale_after=timedelta(0),
                    on_outage=lambda error, wait: self.outages.append((error, wait)),
                )
        except BaseException as error:  # reported by the test
            self.error = error

    def alive(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def finish(self) -> WorkerReport:
        self.stop.set()
        assert self.thread is not None
        self.thread.join(20)
        assert not self.thread.is_alive(), "the worker did not stop when asked"
        assert self.error is None, f"the worker died: {self.error!r}"
        assert self.report is not None
        return self.report


def _wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def _unfinished(data: Any) -> int:
    counts = statuses(data)
    return counts.get(OutboxStatus.QUEUED, 0) + counts.get(OutboxStatus.SENDING, 0)


def _assert_each_once_or_flagged(data: Any, sink: SmtpSink, *, most_flagged: int) -> set[int]:
    """What the sender promises: every message SENT and received once, or flagged AMBIGUOUS for
    a person (its outcome was never stored: it may have left, once) and never resent; the
    flagged ones at most the message in hand and the one before it per interruption."""
    messages = data.session.scalars(select(OutboxMessage)).all()
    received = sink.outbox_ids()
    assert len(messages) == MESSAGES
    assert {m.status for m in messages} <= {OutboxStatus.SENT, OutboxStatus.AMBIGUOUS}
    flagged = {m.id for m in messages if m.status is OutboxStatus.AMBIGUOUS}
    assert len(flagged) <= most_flagged, flagged
    for message in messages:
        if message.status is OutboxStatus.SENT:
            assert received[message.id] == 1, message.id  # nothing lost, nothing twice
        else:
            assert received[message.id] <= 1, message.id  # flagged for a person, not resent
    assert set(received) <= {m.id for m in messages}
    assert max(received.values()) == 1
    return flagged


class _Backends:
    """Makes the sender's mail backends, counting how many it opened and closed."""

    def __init__(self) -> None:
        self.opened = 0
        self.closed = 0

    def make(self, config: dict[str, Any]) -> MailBackend:
        backend = backend_from_config(config)
        self.opened += 1
        close = backend.close

        def counted_close() -> None:
            self.closed += 1
            close()

        backend.close = counted_close  # type: ignore[method-assign]
        return backend


def _expected_waits(count: int) -> list[float]:
    return [min(MAX_OUTAGE_WAIT, 2.0**number) for number in range(count)]


@pytest.mark.parametrize("moment", ["between messages", "while a message is handed over"])
def test_the_worker_rides_out_a_database_restart_mid_delivery(
    setup: Setup,
    smtp_sink: SmtpSink,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    moment: str,
) -> None:
    caplog.set_level(logging.WARNING, logger="survey.mail.worker")
    backends = _Backends()
    monkeypatch.setattr(sender, "backend_from_config", backends.make)
    _queue(setup.data, MESSAGES)
    down = threading.Event()
    if moment == "while a message is handed over":
        # The 10th message's DATA stops the database before the mail server accepts it: the
        # worker cannot store that it was sent.
        def crash_on_tenth(number: int) -> bool:
            if number == 9:
                setup.server.stop("immediate")
                down.set()
            return False

        smtp_sink.handler.fail_data = crash_on_tenth
    worker = setup.worker(smtp_config(setup.app, smtp_sink, **PACED)).start()
    _wait_until(lambda: smtp_sink.handler.accepted >= 2, 30, "2 messages to be sent")
    before = _last_seen(setup)
    assert before is not None
    if moment == "between messages":
        _wait_until(lambda: smtp_sink.handler.accepted >= 10, 30, "10 messages to be sent")
        setup.server.stop("immediate")
        down.set()
    _wait_until(down.is_set, 30, "the database to stop")
    sent_before_outage = smtp_sink.handler.accepted
    assert sent_before_outage < MESSAGES, "delivery ended before the outage: it proves nothing"

    # It tries again after a second, then after two more: it waits, it does not die.
    _wait_until(lambda: len(worker.outages) >= 2, 10, "two failed tries")
    assert worker.alive(), f"the worker died with the database: {worker.error!r}"
    # Nothing more leaves while no claim can be stored (at most the one it had in hand).
    assert smtp_sink.handler.accepted <= sent_before_outage + 1

    setup.server.start()
    restarted_at = utcnow()
    _wait_until(lambda: _unfinished(setup.data) == 0, 30, "the outbox to empty after the restart")
    _wait_until(
        lambda: _last_seen(setup) > restarted_at, 10, "a heartbeat after the restart"
    )  # fmt: skip
    assert worker.alive()
    report = worker.finish()

    flagged = _assert_each_once_or_flagged(setup.data, smtp_sink, most_flagged=2)
    if moment == "while a message is handed over":
        # exactly the message in hand: it left, but its outcome could not be stored
        tenth = sorted(smtp_sink.outbox_ids())[9]
        assert flagged == {tenth}
        assert smtp_sink.outbox_ids()[tenth] == 1
    assert report.outages == len(worker.outages) >= 2
    assert [wait for _error, wait in worker.outages] == _expected_waits(report.outages)
    assert report.recovered == len(flagged)
    assert before < restarted_at < _last_seen(setup)
    warnings = [r for r in caplog.records if r.name == "survey.mail.worker"]
    assert len(warnings) == report.outages
    assert all("database unreachable" in r.getMessage() for r in warnings)
    # every delivery closed its mail connection, the ones the outage cut short too
    assert backends.opened and backends.closed == backends.opened


class _QuickStop(threading.Event):
    """A stop event whose timed waits last a moment: the worker's backoff without the wait."""

    def __init__(self) -> None:
        super().__init__()
        self.waits: list[float] = []

    def wait(self, timeout: float | None = None) -> bool:
        if timeout is not None:
            self.waits.append(timeout)
            timeout = min(timeout, 0.01)
        return super().wait(timeout)


def test_the_worker_carries_on_when_its_connections_are_killed(
    setup: Setup, smtp_sink: SmtpSink
) -> None:
    """Three kills of every connection to the database while the worker runs (the server
    stays up): one while the worker's connection waits in the pool, one as it stores an
    outcome, one as it claims a message. It carries on and delivers everything, once."""
    _queue(setup.data, MESSAGES)
    killed: list[str] = []

    def kill(moment: str) -> None:
        ended = setup.server.terminate_backends(setup.database)
        assert ended >= 1, f"no connection to end {moment}"
        killed.append(moment)

    def kill_while_sending_the_sixth(number: int) -> bool:
        # the claim is committed and the worker's connection back in the pool
        if number == 5:
            kill("while idle in the pool")
        return False

    stored = claimed = 0

    def kill_mid_statement(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        nonlocal stored, claimed
        if not statement.startswith("UPDATE outbox_message"):
            return
        if "RETURNING" in statement:
            claimed += 1
            if claimed == 28:
                kill("while claiming")
        elif "sent_at" in statement:
            stored += 1
            if stored == 15:
                kill("while storing an outcome")

    smtp_sink.handler.fail_data = kill_while_sending_the_sixth
    with setup.app.app_context():
        engine = _db.engine
    event.listen(engine, "before_cursor_execute", kill_mid_statement)
    try:
        # the waits after each kill are cut short (the backoff itself is timed in the tests
        # around this one)
        stop = _QuickStop()
        worker = setup.worker(smtp_config(setup.app, smtp_sink, **PACED), stop).start()
        _wait_until(lambda: len(killed) == 3, 30, "three kills")
        assert worker.alive(), f"the worker died with its connection: {worker.error!r}"
        assert smtp_sink.handler.accepted < MESSAGES, "delivery ended first: it proves nothing"
        _wait_until(lambda: _unfinished(setup.data) == 0, 30, "the outbox to empty")
        report = worker.finish()
    finally:
        event.remove(engine, "before_cursor_execute", kill_mid_statement)

    assert killed == ["while idle in the pool", "while storing an outcome", "while claiming"]
    # Nothing ambiguous: a statement that failed on a dead connection changed nothing, and the
    # outcome it was storing is stored again, on a new connection, before the delivery ends.
    assert statuses(setup.data) == {OutboxStatus.SENT: MESSAGES}
    received = smtp_sink.outbox_ids()
    assert len(received) == MESSAGES and set(received.values()) == {1}
    # The pool tests a connection before handing it out (pool_pre_ping): the idle kill passes
    # unnoticed; each statement cut short is an outage. The wait grows with the outages since
    # the last delivery round the worker finished, and none finished between these two.
    assert report.outages == 2
    assert [wait for _error, wait in worker.outages] == _expected_waits(2)
    assert [wait for wait in stop.waits if wait >= 1] == _expected_waits(2)


def test_the_wait_between_tries_doubles_up_to_a_minute_while_the_database_is_down(
    setup: Setup, smtp_sink: SmtpSink
) -> None:
    stop = _QuickStop()
    worker = setup.worker(smtp_config(setup.app, smtp_sink), stop=stop)
    setup.server.stop("immediate")
    worker.start()
    _wait_until(lambda: len(worker.outages) >= 9, 20, "nine failed tries")
    assert worker.alive(), f"the worker died: {worker.error!r}"
    waits = [wait for _error, wait in worker.outages]
    assert waits[:9] == [1, 2, 4, 8, 16, 32, 60, 60, 60] == _expected_waits(9)
    # each wait reported is the one the worker then waited for
    assert stop.waits[:9] == waits[:9]
    assert all(f"port {setup.server.port}" in error for error, _wait in worker.outages)

    # Once the database is back the worker goes on (two heartbeats: a whole loop went well),
    # and the next outage starts again at a second.
    setup.server.start()
    _wait_until(lambda: _last_seen(setup) is not None, 20, "a heartbeat after the restart")
    first = _last_seen(setup)
    _wait_until(lambda: _last_seen(setup) > first, 20, "a second heartbeat")
    tries = len(worker.outages)
    setup.server.stop("immediate")
    _wait_until(lambda: len(worker.outages) >= tries + 3, 20, "three more failed tries")
    assert [wait for _error, wait in worker.outages[tries : tries + 3]] == [1, 2, 4]
    setup.server.start()
    assert worker.alive()
    report = worker.finish()
    assert report.outages == len(worker.outages)


def _last_seen(setup: Setup) -> Any:
    """The worker's heartbeat (None before its first), read in a transaction of its own."""
    try:
        return setup.data.session.scalar(select(WorkerHeartbeat.last_seen_at))
    finally:
        setup.data.session.rollback()
