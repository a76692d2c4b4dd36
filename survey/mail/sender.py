"""Delivering the outbox: claim a message, hand it over, record the outcome, one at a time.

Each message is claimed (QUEUED -> SENDING) in a committed transaction of its own before it is
handed over, so several senders never send the same message, and a sender killed mid-send
leaves at most that one message in SENDING, which ``recover_interrupted`` flags as AMBIGUOUS for
a person to decide: it may have reached the recipient, so it is never resent automatically.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from survey.extensions import begin_write, db
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


def recover_interrupted(stale_after: timedelta = timedelta(minutes=10)) -> int:
    """Flag messages a dead sender left in SENDING as AMBIGUOUS; returns how many."""
    begin_write()
    cutoff = utcnow() - stale_after
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.next_attempt_at < cutoff)
        .values(
            status=OutboxStatus.AMBIGUOUS,
            last_error="sender stopped while handing this message over: check before resending",
        )
    )
    db.session.commit()
    return int(result.rowcount or 0)


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


def _claim(message_id: int) -> _Claimed | None:
    begin_write()
    claimed = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.QUEUED)
        .values(
            status=OutboxStatus.SENDING,
            attempts=OutboxMessage.attempts + 1,
            next_attempt_at=utcnow(),
        )
    )
    if claimed.rowcount != 1:
        db.session.rollback()
        return None
    message = db.session.get_one(OutboxMessage, message_id)
    copy = _Claimed(message.id, message.recipient, message.subject, message.text_body, message.html_body)
    db.session.commit()
    return copy


def _record(message_id: int, outcome: Exception | None, report: DeliveryReport) -> None:
    begin_write()
    message = db.session.get_one(OutboxMessage, message_id)
    now = utcnow()
    if outcome is None:
        message.status, message.sent_at, message.last_error = OutboxStatus.SENT, now, None
        report.sent += 1
    elif isinstance(outcome, PermanentFailure):
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
    if outcome is not None:
        report.errors.append(f"message {message.id}: {outcome}")
    db.session.commit()


def deliver_due(
    config: dict[str, Any],
    *,
    limit: int | None = None,
    backend: MailBackend | None = None,
    on_progress: Callable[[DeliveryReport], None] | None = None,
) -> DeliveryReport:
    """Send queued messages that are due, up to ``limit``; returns what happened to each.

    Call with an application context, outside any transaction of the caller's.
    """
    backend = backend or backend_from_config(config)
    rate = float(config.get("MAIL_RATE_PER_SECOND") or 0)
    interval = 1.0 / rate if rate > 0 else 0.0
    report = DeliveryReport()
    batch = int(config.get("MAIL_BATCH_SIZE", 500))
    try:
        while limit is None or report.handled < limit:
            take = batch if limit is None else min(batch, limit - report.handled)
            ids = _due_ids(utcnow(), take)
            if not ids:
                break
            for message_id in ids:
                message = _claim(message_id)
                if message is None:
                    continue
                started = time.monotonic()
                outcome: Exception | None = None
                try:
                    backend.send(
                        build_message(
                            sender=config["MAIL_SENDER"],
                            reply_to=config.get("MAIL_REPLY_TO"),
                            recipient=message.recipient,
                            subject=message.subject,
                            text=message.text_body,
                            html=message.html_body,
                        )
                    )
                except (TemporaryFailure, PermanentFailure, AmbiguousFailure) as error:
                    outcome = error
                _record(message.id, outcome, report)
                if on_progress is not None:
                    on_progress(report)
                if isinstance(outcome, ServerUnavailable):
                    # The server is down: leave the rest queued for the next run.
                    return report
                pause = interval - (time.monotonic() - started)
                if pause > 0:
                    time.sleep(pause)
    finally:
        backend.close()
    return report
