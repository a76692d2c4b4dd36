"""The one reminder an organisation's commissioner may send to its non-responders per round."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from survey.extensions import Model
from survey.models.types import UTCDateTime, utcnow


class OrganisationReminder(Model):
    """A commissioner's reminder to their organisation's non-responders.

    The primary key (round, organisation) is what makes it "once per round": a second send,
    even from two browsers at the same moment, fails in the database.
    """

    __tablename__ = "organisation_reminder"
    __table_args__ = (CheckConstraint("emails >= 0", name="emails_not_negative"),)

    round_id: Mapped[int] = mapped_column(
        ForeignKey("survey_round.id", ondelete="CASCADE"), primary_key=True
    )
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), primary_key=True)
    sent_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: reminder emails queued
    emails: Mapped[int]
