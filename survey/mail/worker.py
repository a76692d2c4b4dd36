"""The mail worker: deliver what is due, wait, repeat, until told to stop.

Several workers may run at once (on PostgreSQL): each message is claimed in a committed
transaction of its own, so it is handed over once. MAIL_RATE_PER_SECOND paces each worker.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from survey.mail.sender import DeliveryReport, deliver_due, recover_interrupted


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

    def add(self, report: DeliveryReport) -> None:
        self.rounds += 1
        self.sent += report.sent
        self.deferred += report.deferred
        self.undeliverable += report.undeliverable
        self.ambiguous += report.ambiguous
        self.failed += report.failed


def run_worker(
    config: dict[str, Any],
    stop: threading.Event,
    *,
    poll_seconds: float | None = None,
    stale_after: timedelta = timedelta(minutes=10),
    on_round: Callable[[DeliveryReport], None] | None = None,
) -> WorkerReport:
    """Deliver due messages until ``stop`` is set; returns totals. Needs an application context.

    :param stop: set it (a signal handler does) to finish the message in hand and return.
    :param poll_seconds: the wait when nothing is due (default MAIL_WORKER_POLL_SECONDS).
    :param stale_after: messages SENDING for longer than this are flagged as ambiguous (a
        sender died mid-send); keep it above MAIL_TIMEOUT so live senders are left alone.
    :param on_round: called with each delivery round's report that handled something.
    """
    poll = float(
        config.get("MAIL_WORKER_POLL_SECONDS", 5) if poll_seconds is None else poll_seconds
    )
    totals = WorkerReport()
    while not stop.is_set():
        totals.recovered += recover_interrupted(stale_after)
        report = deliver_due(config, should_stop=stop.is_set)
        totals.add(report)
        if report.handled and on_round is not None:
            on_round(report)
        if report.handled == 0 or report.deferred:
            # Nothing due, or the server is unreachable: wait (a stop ends the wait at once).
            stop.wait(poll)
    return totals
