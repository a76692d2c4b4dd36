"""Delivering the outbox: claim a message, hand it over, record the outcome, one at a time.

Each message is claimed (QUEUED -> SENDING) in a committed transaction before it is handed
over, so several senders never send the same message, and a sender killed mid-send leaves only
the messages it had claimed but not yet recorded in SENDING, which ``recover_interrupted`` flags
as AMBIGUOUS for a person to decide: they may have reached the recipient, so they are never
resent automatically. An outcome is stored with the next claim (one commit per message), so
that is at most two messages by default; MAIL_CLAIM_SIZE > 1 claims that many per commit, for
speed, and widens the window to about twice that many.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update

from survey.extensions import affected_rows, begin_write, db
from survey.mail.backends import (
    AmbiguousFailure,
    MailBackend,
    PermanentFailure,
    ServerUnavailable,
    TemporaryFailure,
    backend_from_config,
    build_message,
)
from survey.models import OutboxMessage, OutboxStatus, Stakeholder
from survey.models.types import utcnow

#: temporary failures are retried after 1, 2, 4 ... minutes, up to this many attempts
MAX_ATTEMPTS = 8
#: how long to wait before trying an unreachable mail server again
SERVER_RETRY = timedelta(seconds=30)


@dataclass
class DeliveryReport:
    sent: int = 0
    deferred: int = 0
    undeliverable: int = 0
    ambiguous: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return self.sent + self.deferred + self.undeliverable + self.ambiguous + self.failed


def backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


def recover_interrupted(
    stale_after: timedelta = timedelta(minutes=10), *, clock: Callable[[], datetime] = utcnow
) -> int:
    """Flag messages a dead sender left in SENDING as AMBIGUOUS; returns how many.

    :param stale_after: how long a message must have been SENDING; longer than any one send
        (MAIL_TIMEOUT), so that live senders' messages are left alone.
    """
    begin_write()
    cutoff = clock() - stale_after
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.next_attempt_at < cutoff)
        .values(
            status=OutboxStatus.AMBIGUOUS,
            last_error="sender stopped while handing this message over: check before resending",
        )
    )
    db.session.commit()
    return affected_rows(result)


def _due_ids(now: datetime, limit: int) -> list[int]:
    query = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == OutboxStatus.QUEUED, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = list(db.session.scalars(query))
    db.session.commit()
    return ids


@dataclass(frozen=True)
class _Claimed:
    id: int
    recipient: str
    subject: str
    text_body: str
    html_body: str
    unsubscribe_url: str | None


#: built once: constructing these statements cost more than running them
_CLAIM = (
    update(OutboxMessage)
    .where(OutboxMessage.id == bindparam("message_id"), OutboxMessage.status == OutboxStatus.QUEUED)
    .values(
        status=OutboxStatus.SENDING,
        attempts=OutboxMessage.attempts + 1,
        next_attempt_at=bindparam("now"),
    )
    .returning(
        OutboxMessage.id,
        OutboxMessage.recipient,
        OutboxMessage.subject,
        OutboxMessage.text_body,
        OutboxMessage.html_body,
        OutboxMessage.unsubscribe_url,
    )
    .execution_options(synchronize_session=False)
)
_SENT = (
    update(OutboxMessage)
    .where(OutboxMessage.id == bindparam("message_id"))
    .values(status=OutboxStatus.SENT, sent_at=bindparam("now"), last_error=None)
    .execution_options(synchronize_session=False)
)


def _claim(message_id: int, now: datetime) -> _Claimed | None:
    """QUEUED -> SENDING in the current write transaction (the caller commits before sending)."""
    row = db.session.execute(_CLAIM, {"message_id": message_id, "now": now}).one_or_none()
    return None if row is None else _Claimed(*row)


def _release(message_ids: list[int], retry_at: datetime) -> None:
    """Return claimed messages that were never handed over to the queue, attempt not counted."""
    if not message_ids:
        return
    begin_write()
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(message_ids), OutboxMessage.status == OutboxStatus.SENDING)
        .values(
            status=OutboxStatus.QUEUED,
            attempts=OutboxMessage.attempts - 1,
            next_attempt_at=retry_at,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _record(
    message_id: int, outcome: Exception | None, report: DeliveryReport, now: datetime
) -> None:
    """Store a send's outcome in the current write transaction (the caller commits)."""
    if outcome is None:
        # the common case, as one statement
        db.session.execute(_SENT, {"message_id": message_id, "now": now})
        report.sent += 1
        return
    message = db.session.get_one(OutboxMessage, message_id)
    if isinstance(outcome, PermanentFailure):
        message.status, message.last_error = OutboxStatus.UNDELIVERABLE, str(outcome)
        if message.stakeholder_id is not None:
            stakeholder = db.session.get(Stakeholder, message.stakeholder_id)
            if stakeholder is not None and stakeholder.undeliverable_at is None:
                stakeholder.undeliverable_at = now
        report.undeliverable += 1
    elif isinstance(outcome, AmbiguousFailure):
        message.status, message.last_error = OutboxStatus.AMBIGUOUS, str(outcome)
        report.ambiguous += 1
    elif isinstance(outcome, ServerUnavailable):
        # Not this message's fault: it keeps its attempts and waits for the server.
        message.status, message.last_error = OutboxStatus.QUEUED, str(outcome)
        message.attempts -= 1
        message.next_attempt_at = now + SERVER_RETRY
        report.deferred += 1
    elif message.attempts >= MAX_ATTEMPTS:
        message.status, message.last_error = OutboxStatus.FAILED, str(outcome)
        report.failed += 1
    else:
        message.status, message.last_error = OutboxStatus.QUEUED, str(outcome)
        message.next_attempt_at = now + backoff(message.attempts)
        report.deferred += 1
    report.errors.append(f"message {message.id}: {outcome}")
    db.session.flush()


class _Delivery:
    """One delivery run: claims, hand-overs and their outcomes, with the run's settings."""

    def __init__(
        self,
        config: dict[str, Any],
        backend: MailBackend,
        on_progress: Callable[[DeliveryReport], None] | None,
        should_stop: Callable[[], bool] | None,
        clock: Callable[[], datetime],
    ) -> None:
        self.config, self.backend, self.clock = config, backend, clock
        self.on_progress = on_progress
        self.should_stop = should_stop or (lambda: False)
        rate = float(config.get("MAIL_RATE_PER_SECOND") or 0)
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.batch = int(config.get("MAIL_BATCH_SIZE", 500))
        self.claim_size = max(1, int(config.get("MAIL_CLAIM_SIZE") or 1))
        self.report = DeliveryReport()
        #: outcomes not stored yet: they go in the same transaction as the next claim (one
        #: commit per claim instead of two), and are always stored before the run ends
        self.unrecorded: list[tuple[int, Exception | None]] = []
        self.claimed = 0

    def store_unrecorded(self) -> None:
        """Record the outcomes waiting, in the current write transaction."""
        for message_id, outcome in self.unrecorded:
            _record(message_id, outcome, self.report, self.clock())
            if self.on_progress is not None:
                self.on_progress(self.report)
        self.unrecorded = []

    def claim(self, ids: list[int]) -> list[_Claimed]:
        """Store the outcomes so far and claim ``ids``, committed before any of them leaves: a
        sender killed from here on leaves them SENDING, flagged as ambiguous, never sent twice."""
        begin_write()
        self.store_unrecorded()
        now = self.clock()
        messages = [message for i in ids if (message := _claim(i, now))]
        db.session.commit()
        return messages

    def hand_over(self, message: _Claimed) -> Exception | None:
        """Send one claimed message; the failure it ended in, or None when it was accepted."""
        self.claimed += 1
        try:
            self.backend.send(
                build_message(
                    sender=self.config["MAIL_SENDER"],
                    reply_to=self.config.get("MAIL_REPLY_TO"),
                    recipient=message.recipient,
                    subject=message.subject,
                    text=message.text_body,
                    html=message.html_body,
                    unsubscribe_url=message.unsubscribe_url,
                    outbox_id=message.id,
                )
            )
        except (TemporaryFailure, PermanentFailure, AmbiguousFailure) as error:
            return error
        return None

    def pace(self, started: float) -> None:
        """Keep to MAIL_RATE_PER_SECOND; the wait is used to store the outcomes so far."""
        if self.interval - (time.monotonic() - started) <= 0:
            return
        begin_write()
        self.store_unrecorded()
        db.session.commit()
        time.sleep(max(0.0, self.interval - (time.monotonic() - started)))

    def send_claimed(self, messages: list[_Claimed]) -> bool:
        """Hand over claimed messages in order; False when the run must end (a stop was asked
        for, or the server is unreachable), the rest going back to the queue."""
        for position, message in enumerate(messages):
            if position and self.should_stop():
                _release([m.id for m in messages[position:]], self.clock())
                return False
            started = time.monotonic()
            outcome = self.hand_over(message)
            self.unrecorded.append((message.id, outcome))
            if isinstance(outcome, ServerUnavailable):
                # The server is down: the rest stay queued for the next run.
                rest = [m.id for m in messages[position + 1 :]]
                _release(rest, self.clock() + SERVER_RETRY)
                return False
            self.pace(started)
        return True

    def run(self, limit: int | None) -> None:
        while limit is None or self.claimed < limit:
            take = self.batch if limit is None else min(self.batch, limit - self.claimed)
            ids = _due_ids(self.clock(), take)
            if not ids:
                return
            for first in range(0, len(ids), self.claim_size):
                if self.should_stop():
                    return
                if not self.send_claimed(self.claim(ids[first : first + self.claim_size])):
                    return

    def finish(self) -> None:
        # The mail connection is closed even when the database is gone (an outage): the
        # worker carries on, and would otherwise leave one open connection per outage.
        try:
            if self.unrecorded:
                begin_write()
                self.store_unrecorded()
                db.session.commit()
        finally:
            self.backend.close()


def deliver_due(
    config: dict[str, Any],
    *,
    limit: int | None = None,
    backend: MailBackend | None = None,
    on_progress: Callable[[DeliveryReport], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> DeliveryReport:
    """Send queued messages that are due, up to ``limit``; returns what happened to each.

    Call with an application context, outside any transaction of the caller's. This is not a
    service of a unit of work: it commits each claim and outcome itself (see the module's
    docstring), which is what makes delivery exactly once.

    :param config: the application config (MAIL_* settings; MAIL_RATE_PER_SECOND caps the pace).
    :param backend: where to hand messages over (default: from config); closed on return.
    :param on_progress: called after each message with the report so far.
    :param should_stop: checked between messages; True ends the run early (a worker's signal).
    :param clock: the current time, for due dates and retry times (tests move it on).
    """
    delivery = _Delivery(
        config, backend or backend_from_config(config), on_progress, should_stop, clock
    )
    try:
        delivery.run(limit)
    finally:
        delivery.finish()
    return delivery.report
