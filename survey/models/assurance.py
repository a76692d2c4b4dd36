"""The assessor's judgement after an assurance conversation: a rating per organisation and
domain, and the actions agreed, each with an owner and a due date.

Both belong to a survey round (the assurance year the survey evidence came from), so the next
round's agenda can show last year's rating and actions beside this year's evidence.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from survey.extensions import Model
from survey.models.types import UTCDateTime, enum_column, utcnow


class Rating(enum.StrEnum):
    ASSURED = "assured"
    ASSURED_WITH_SUPPORT = "assured_with_support"
    #: not assured: intervention is needed
    NOT_ASSURED = "not_assured"

    @property
    def label(self) -> str:
        return RATING_LABELS[self]


RATING_LABELS = {
    Rating.ASSURED: "Assured",
    Rating.ASSURED_WITH_SUPPORT: "Assured with support",
    Rating.NOT_ASSURED: "Not assured (intervention required)",
}


class ActionStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"


class AssuranceRating(Model):
    """One domain's rating of one organisation in one round (recorded again = replaced)."""

    __tablename__ = "assurance_rating"
    __table_args__ = (
        UniqueConstraint(
            "round_id", "organisation_id", "domain", name="uq_assurance_rating_domain"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("survey_round.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    #: the questionnaire's domain id, stable across the years of one questionnaire
    domain: Mapped[str] = mapped_column(String(64))
    rating: Mapped[Rating] = mapped_column(enum_column(Rating, "assurance_rating_value"))
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AssuranceAction(Model):
    """An action agreed in the conversation about one domain, with an owner and a due date."""

    __tablename__ = "assurance_action"
    __table_args__ = (
        CheckConstraint("length(text) > 0", name="text_not_empty"),
        CheckConstraint("length(owner) > 0", name="owner_not_empty"),
        CheckConstraint(
            "(status = 'done') = (completed_at IS NOT NULL)", name="done_when_completed"
        ),
        Index("ix_assurance_action_round_organisation", "round_id", "organisation_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("survey_round.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    domain: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    #: who will do it: a person or team, as agreed in the conversation
    owner: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[ActionStatus] = mapped_column(
        enum_column(ActionStatus, "assurance_action_status"), default=ActionStatus.OPEN
    )
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
