"""The audit log: who did what, appended to and never changed by the application."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from survey.extensions import Model
from survey.models.types import UTCDateTime, utcnow


class AuditEvent(Model):
    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the account that acted, or NULL for the command line and the system
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    #: "cli", "web" or "system"
    channel: Mapped[str] = mapped_column(String(16))
    #: dotted verb such as "round.create" or "stakeholders.import"
    action: Mapped[str] = mapped_column(String(64))
    #: what was acted on, such as "round:3"
    target: Mapped[str] = mapped_column(String(128), default="")
    #: counts and ids only: never tokens, email addresses or answers
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
