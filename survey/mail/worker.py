"""The mail worker: deliver what is due, wait, repeat, until told to stop.

Several workers may run at once (on PostgreSQL): each message is claimed in a committed
transaction of its own, so it is handed over once. MAIL_RATE_PER_SECOND paces each worker.

The worker owns its units of work (its heartbeat and, through the sender, each claim and
outcome), because delivering exactly once needs each claim committed before its message
leaves; nothing else in the application commits outside ``survey.transactions``.

A database that restarts or fails over, or a connection that dies, does not end the worker: it
logs the outage, waits (1, 2, 4 ... up to 60 seconds) and tries again. Each loop stamps a
heartbeat, so the survey team's pages can say when no worker has run for a while.

Each loop also runs the fieldwork jobs due today (``survey.services.jobs``: invitations on the
opening date, the day's reminders, the close), each in a committed transaction of its own that
holds its claim, so two workers never run one twice.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError

from survey.extensions import begin_write, db
from survey.mail.sender import DeliveryReport, deliver_due, recover_interrupted
from survey.models import WorkerHeartbeat
from survey.models.types import utcnow
from survey.services.audit import SYSTEM
from survey.services.clock import uk_today
from survey.services.errors import InputError, RoundStateError
from survey.services.jobs import due_now, run_job
from survey.services.publication import closed_rounds_unpublished, publish_results
from survey.services.releases import ReleaseTaken
from survey.services.rounds import get_round
from survey.services.sealing import SealBroken

log = logging.getLogger(__name__)

#: the longest wait between tries while the database is away
MAX_OUTAGE_WAIT = 60.0


@dataclass
class WorkerReport:
    rounds: int = 0
    sent: int = 0
    deferred: int = 0
    undeliverable: int = 0
    ambiguous: int = 0
    failed: int = 0
    #: SENDING messages a dead sender left behind, flagged for checking
    recovered: int = 0
    #: loops that found the database unreachable
    outages: int = 0
    #: scheduled fieldwork jobs this worker ran (invitations, reminders, closes ...)
    jobs: int = 0

    def add(self, report: DeliveryReport) -> None:
        self.rounds += 1
        self.sent += report.sent
        self.deferred += report.deferred
        self.undeliverable += report.undeliverable
        self.ambiguous += report.ambiguous
        self.failed += report.failed


def worker_name() -> str:
    """This worker's heartbeat name: host and process, so several workers show apart."""
    return f"mail@{socket.gethostname()}:{os.getpid()}"


def beat(name: str) -> None:
    """Stamp this worker's heartbeat (its own committed unit of work).

    One upsert, so workers sharing a name (threads of one process) never race to insert it.
    """
    begin_write()
    now = utcnow()
    insert = (
        postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    )
    statement = insert(WorkerHeartbeat).values(
        name=name, kind="mail", started_at=now, last_seen_at=now
    )
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=[WorkerHeartbeat.name], set_={"last_seen_at": now}
        )
    )
    db.session.commit()


def run_fieldwork(name: str, today: date) -> int:
    """Run the fieldwork jobs due today, each claimed and committed on its own; returns how
    many this worker ran (a job another worker claimed first is left to it)."""
    db.session.rollback()
    ran = 0
    for job, round_id in due_now(today):
        begin_write()
        try:
            done = run_job(job, get_round(round_id), today, name)
        except IntegrityError:
            db.session.rollback()
            continue
        except (InputError, RoundStateError, ReleaseTaken, SealBroken) as error:
            # The round changed under the job (a manager acted, another release took its
            # pending responses) or a response does not open: leave it; log for the team.
            db.session.rollback()
            log.warning("scheduled %s for round %s not run: %s", job.name, round_id, error)
            continue
        db.session.commit()
        ran += done is not None
    _publish_closed_rounds()
    return ran


def _publish_closed_rounds() -> None:
    """Release and publish closed rounds that lack their close release (a close whose release
    did not run, a round closed before releases existed), each in a transaction of its own that
    touches no identity row."""
    for round_id in [survey_round.id for survey_round in closed_rounds_unpublished()]:
        begin_write()
        try:
            publish_results(SYSTEM, get_round(round_id), kind="close")
        except ReleaseTaken:
            db.session.rollback()
            continue
        except SealBroken as error:
            db.session.rollback()
            log.error("pending responses of round %s kept, not released: %s", round_id, error)
            continue
        db.session.commit()


def _forget_connection() -> None:
    """Drop the session whose connection died; the pool hands out a fresh one next time."""
    try:
        db.session.remove()
    except DBAPIError:
        db.session.remove()


def run_worker(
    config: dict[str, Any],
    stop: threading.Event,
    *,
    poll_seconds: float | None = None,
    stale_after: timedelta = timedelta(minutes=10),
    on_round: Callable[[DeliveryReport], None] | None = None,
    on_outage: Callable[[str, float], None] | None = None,
    fieldwork: bool = True,
) -> WorkerReport:
    """Deliver due messages until ``stop`` is set; returns totals. Needs an application context.

    :param stop: set it (a signal handler does) to finish the message in hand and return.
    :param poll_seconds: the wait when nothing is due (default MAIL_WORKER_POLL_SECONDS).
    :param stale_after: messages SENDING for longer than this are flagged as ambiguous (a
        sender died mid-send); keep it above MAIL_TIMEOUT so live senders are left alone.
    :param on_round: called with each delivery round's report that handled something.
    :param on_outage: called with the error and the wait before the next try, when the
        database cannot be reached.
    :param fieldwork: also run the fieldwork jobs due today (off: only deliver mail).
    """
    poll = float(
        config.get("MAIL_WORKER_POLL_SECONDS", 5) if poll_seconds is None else poll_seconds
    )
    name = worker_name()
    totals = WorkerReport()
    failures = 0
    while not stop.is_set():
        try:
            beat(name)
            totals.recovered += recover_interrupted(stale_after)
            if fieldwork:
                totals.jobs += run_fieldwork(name, uk_today())
            report = deliver_due(config, should_stop=stop.is_set)
        except (OperationalError, InterfaceError) as error:
            failures += 1
            totals.outages += 1
            wait = min(MAX_OUTAGE_WAIT, 2.0 ** (failures - 1))
            log.warning("database unreachable (%s); trying again in %.0f s", error.orig, wait)
            if on_outage is not None:
                on_outage(str(error.orig), wait)
            _forget_connection()
            stop.wait(wait)
            continue
        failures = 0
        totals.add(report)
        if report.handled and on_round is not None:
            on_round(report)
        if report.handled == 0 or report.deferred:
            # Nothing due, or the mail server is unreachable: wait (a stop ends it at once).
            stop.wait(poll)
    return totals
