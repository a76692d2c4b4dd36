"""Survey rounds: one year's fieldwork with one version of a questionnaire."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, String, Text, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column

from survey.extensions import Model
from survey.models.types import UTCDateTime, enum_column, utcnow
from survey.services.errors import RoundStateError


class RoundStatus(enum.StrEnum):
    #: being set up: stakeholders can be loaded, nobody can answer yet
    DRAFT = "draft"
    #: fieldwork: links work between the opening and closing dates
    OPEN = "open"
    #: fieldwork over: links are dead, results are final
    CLOSED = "closed"


def in_fieldwork(status: RoundStatus, opens_on: date, closes_on: date, today: date) -> bool:
    """Whether a round with these columns takes answers today: open, and within its dates."""
    return status is RoundStatus.OPEN and opens_on <= today <= closes_on


class SurveyRound(Model):
    __tablename__ = "survey_round"
    __table_args__ = (
        UniqueConstraint("year", "questionnaire_id", name="uq_survey_round_year_questionnaire"),
        CheckConstraint("closes_on >= opens_on", name="closes_after_opening"),
        CheckConstraint("suppression_threshold >= 1", name="suppression_threshold_positive"),
        CheckConstraint(
            "comment_threshold >= suppression_threshold", name="comment_threshold_not_below"
        ),
        CheckConstraint("reminder_limit >= 0", name="reminder_limit_not_negative"),
        CheckConstraint("retention_days >= 0", name="retention_days_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the survey year (fieldwork year), used to find last year's round for trends
    year: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    #: bundled questionnaire name or file id, and the version the round was created with
    questionnaire_id: Mapped[str] = mapped_column(String(100))
    questionnaire_version: Mapped[int]
    #: the questionnaire file as it was when the round was created, so the round never changes
    #: under its respondents or its results when the bundled file is edited later
    questionnaire_definition: Mapped[str] = mapped_column(Text)
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)
    status: Mapped[RoundStatus] = mapped_column(
        enum_column(RoundStatus, "round_status"), default=RoundStatus.DRAFT
    )
    #: the smallest group whose results are shown
    suppression_threshold: Mapped[int] = mapped_column(default=5)
    #: the smallest group whose open comments are shown
    comment_threshold: Mapped[int] = mapped_column(default=10)
    #: reminder days counted from each stakeholder's invitation, e.g. [7, 14]
    reminder_days_after_invitation: Mapped[list[int]] = mapped_column(JSON, default=lambda: [7, 14])
    #: reminder days counted back from the closing date, e.g. [2]
    reminder_days_before_close: Mapped[list[int]] = mapped_column(JSON, default=lambda: [2])
    #: the most reminders one stakeholder gets in this round
    reminder_limit: Mapped[int] = mapped_column(default=3)
    #: the mail worker opens, invites, reminds and closes on the dates (off: the manager does);
    #: on for new rounds, off for rounds made before the scheduler (they were run by hand)
    auto_fieldwork: Mapped[bool] = mapped_column(default=True, server_default=sa_false())
    #: automatic fieldwork also publishes interim results every so many days from the opening
    #: (None: interim results only when a manager releases them)
    interim_release_every_days: Mapped[int | None] = mapped_column(default=None)
    #: days after closing that stakeholder identities are kept, then purged
    retention_days: Mapped[int] = mapped_column(default=90)
    #: when the identities were purged (the round's answers and results stay)
    identities_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def open(self) -> None:
        if self.status is not RoundStatus.DRAFT:
            raise RoundStateError(f"round {self.year} is {self.status.value}; only a draft opens")
        self.status = RoundStatus.OPEN

    def close(self) -> None:
        if self.status is not RoundStatus.OPEN:
            raise RoundStateError(
                f"round {self.year} is {self.status.value}; only an open round closes"
            )
        self.status = RoundStatus.CLOSED

    def accepts_answers(self, today: date) -> bool:
        """Whether stakeholders can answer today: open, and within the fieldwork dates."""
        return in_fieldwork(self.status, self.opens_on, self.closes_on, today)

    def __repr__(self) -> str:
        return f"<SurveyRound {self.year} {self.questionnaire_id} {self.status.value}>"
