"""The email outbox: messages queued in the transaction that caused them, sent after commit."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from survey.extensions import Model
from survey.models.types import UTCDateTime, enum_column, utcnow


class OutboxStatus(enum.StrEnum):
    #: waiting to be sent (again, after a temporary failure: see next_attempt_at)
    QUEUED = "queued"
    #: claimed by a sender; if it stays here the sender died mid-send
    SENDING = "sending"
    SENT = "sent"
    #: permanently refused by the mail server
    UNDELIVERABLE = "undeliverable"
    #: the outcome is unknown (failure after handing over): a person must decide
    AMBIGUOUS = "ambiguous"
    #: temporary failures went on past the retry limit
    FAILED = "failed"


class OutboxMessage(Model):
    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: invitation, reminder, account ...
    kind: Mapped[str] = mapped_column(String(32))
    stakeholder_id: Mapped[int | None] = mapped_column(
        ForeignKey("stakeholder.id", ondelete="CASCADE")
    )
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    #: one-click opt-out URL for the List-Unsubscribe headers (RFC 8058), if the mail has one
    unsubscribe_url: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[OutboxStatus] = mapped_column(
        enum_column(OutboxStatus, "outbox_status"), default=OutboxStatus.QUEUED
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.kind} {self.status.value}>"
