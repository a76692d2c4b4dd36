"""Stakeholders (the identity side) and their invitations to assess organisations.

Everything here is personal data and is purged after the retention period. Nothing in
``survey.models.response`` points back here: answers are stored apart, with no key, token,
email or timestamp that could tie them to an invitation.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.extensions import Model
from survey.models.organisation import Organisation
from survey.models.round import SurveyRound
from survey.models.types import UTCDateTime, enum_column, utcnow

if TYPE_CHECKING:
    from survey.models.local_question import LocalQuestion


class Stakeholder(Model):
    __tablename__ = "stakeholder"
    __table_args__ = (UniqueConstraint("round_id", "email", name="uq_stakeholder_round_email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("survey_round.id", ondelete="CASCADE"))
    #: normalised by email-validator; one stakeholder per address per round
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200))
    #: the stakeholder's own organisation (a practice, council, trust ...)
    employer: Mapped[str] = mapped_column(String(200), default="")
    #: stakeholder group id from the round's questionnaire
    group: Mapped[str] = mapped_column(String(64))
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    undeliverable_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when the first invitation email was queued; reminders count their days from it
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: reminder emails queued so far (the round's reminder_limit caps it)
    reminders_sent: Mapped[int] = mapped_column(default=0)
    #: when the last reminder was queued; a schedule day after it makes the next one due
    last_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    survey_round: Mapped[SurveyRound] = relationship()
    invitations: Mapped[list[Invitation]] = relationship(
        back_populates="stakeholder", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Stakeholder {self.id} {self.group}>"


class InvitationStatus(enum.StrEnum):
    #: loaded from the stakeholder list; no link made or sent yet
    PENDING = "pending"
    #: a link was made and emailed; not used yet
    ISSUED = "issued"
    #: the stakeholder started answering (some answers saved)
    STARTED = "started"
    #: a response was submitted; the link now only says so
    COMPLETED = "completed"
    #: withdrawn by the survey team; the link is dead
    REVOKED = "revoked"


class Invitation(Model):
    """One stakeholder asked about one organisation in one round, with a link of its own.

    Starting and completing are recorded as a status with no time: a time could be lined up
    with the order in which anonymous responses were stored. The answers saved so far (the
    draft) are kept sealed in the invitation's own row, so a page that locks the row reads its
    current draft, and the submit that completes it clears the draft in the same UPDATE.
    """

    __tablename__ = "invitation"
    __table_args__ = (
        UniqueConstraint(
            "round_id", "stakeholder_id", "organisation_id", name="uq_invitation_assessment"
        ),
        CheckConstraint(
            "(sealed_draft IS NULL AND resume_section IS NULL)"
            " OR (sealed_draft IS NOT NULL AND resume_section IS NOT NULL"
            " AND status IN ('issued', 'started'))",
            name="draft_only_while_open",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("survey_round.id", ondelete="CASCADE"))
    stakeholder_id: Mapped[int] = mapped_column(ForeignKey("stakeholder.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    #: SHA-256 of the link token (NULL until issued); the token itself is never stored
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: random nonce the link token is derived from with SECRET_KEY (HMAC), so reminders can
    #: repeat the link; a new nonce on re-issue kills the old link, revoking clears it
    token_nonce: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[InvitationStatus] = mapped_column(
        enum_column(InvitationStatus, "invitation_status"), default=InvitationStatus.PENDING
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: when the link was last (re)issued; earlier links stop working then
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the answers saved so far, item id -> {"score": int} | {"dont_know": true} |
    #: {"text": str}, sealed (``survey.services.sealing``): this row names the stakeholder, so
    #: a database reader must not be able to read them. NULL before the first save, once
    #: submitted, revoked or closed.
    sealed_draft: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: the section the stakeholder should see when they come back (with the draft)
    resume_section: Mapped[int | None] = mapped_column()

    survey_round: Mapped[SurveyRound] = relationship()
    stakeholder: Mapped[Stakeholder] = relationship(back_populates="invitations")
    organisation: Mapped[Organisation] = relationship()
    #: the assessed organisation's local questions in the round, in the order they are asked
    local_questions: Mapped[list[LocalQuestion]] = relationship(
        primaryjoin=(
            "and_(Invitation.round_id == foreign(LocalQuestion.round_id), "
            "Invitation.organisation_id == foreign(LocalQuestion.organisation_id))"
        ),
        order_by="(LocalQuestion.position, LocalQuestion.id)",
        viewonly=True,
    )

    def __repr__(self) -> str:
        return f"<Invitation {self.id} {self.status.value}>"
