"""Background workers' heartbeats: when each last ran, so pages can say when none is running."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from survey.extensions import Model
from survey.models.types import UTCDateTime, utcnow


class WorkerHeartbeat(Model):
    __tablename__ = "worker_heartbeat"

    #: "mail" for the mail worker; one row per host and process
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
