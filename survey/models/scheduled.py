"""Scheduled fieldwork runs: one row per job, round and day, claimed by whoever runs it first."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from survey.extensions import Model
from survey.models.types import UTCDateTime, utcnow


class ScheduledRun(Model):
    """A job done for a round on a day. The unique key is the claim: a second worker's insert
    waits for the first's transaction and then fails, so no job runs twice for one day."""

    __tablename__ = "scheduled_run"
    __table_args__ = (UniqueConstraint("job", "round_id", "day", name="uq_scheduled_run_claim"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "invitations", "reminders", "close" ... (survey.services.jobs.JOBS)
    job: Mapped[str] = mapped_column(String(40))
    round_id: Mapped[int] = mapped_column(ForeignKey("survey_round.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    ran_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the worker that ran it (host and process)
    worker: Mapped[str] = mapped_column(String(200))
    #: counts only, as in the audit log
    outcome: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
