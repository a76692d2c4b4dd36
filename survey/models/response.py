"""Anonymous responses and their answers, and the drafts that save-and-resume keeps.

A ``Response`` carries the round, the assessed organisation and the stakeholder group, and
nothing that leads back to an invitation or a person: no foreign key to the identity side, no
token, no email, no timestamp, and a random key so that storage order reveals nothing either.
"""

from __future__ import annotations

import uuid

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.extensions import Model


def _random_id() -> str:
    return str(uuid.uuid4())


class Response(Model):
    __tablename__ = "response"
    # keyed and stored by the random id: on SQLite no rowid follows the order of release
    __table_args__ = {"sqlite_with_rowid": False}

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_random_id)
    round_id: Mapped[int] = mapped_column(ForeignKey("survey_round.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    #: the stakeholder group id: the only thing known about who answered
    stakeholder_group: Mapped[str] = mapped_column(String(64))

    answers: Mapped[list[Answer]] = relationship(
        back_populates="response", cascade="all, delete-orphan", order_by="Answer.item_id"
    )


class Answer(Model):
    __tablename__ = "answer"
    __table_args__ = (
        CheckConstraint(
            "(score IS NOT NULL AND dont_know = false AND text IS NULL)"
            " OR (score IS NULL AND dont_know = true AND text IS NULL)"
            " OR (score IS NULL AND dont_know = false AND text IS NOT NULL)",
            name="exactly_one_kind_of_answer",
        ),
        CheckConstraint("score IS NULL OR score BETWEEN 1 AND 10", name="score_in_range"),
        {"sqlite_with_rowid": False},
    )

    response_id: Mapped[str] = mapped_column(
        ForeignKey("response.id", ondelete="CASCADE"), primary_key=True
    )
    #: the questionnaire item id (stable across years), or a local question's id
    item_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: the scale score, higher is better; NULL for "don't know" and open text
    score: Mapped[int | None]
    dont_know: Mapped[bool] = mapped_column(default=False)
    text: Mapped[str | None] = mapped_column(Text)

    response: Mapped[Response] = relationship(back_populates="answers")


class PartialAnswers(Model):
    """Answers saved so far on an invitation not yet submitted (identity side: purged).

    The answers are sealed (``survey.services.sealing``): this row names its invitation, so a
    database reader must not be able to read what it holds. It has no timestamp: the time a
    draft last changed would order the respondents.
    """

    __tablename__ = "partial_answers"

    invitation_id: Mapped[int] = mapped_column(
        ForeignKey("invitation.id", ondelete="CASCADE"), primary_key=True
    )
    #: item id -> {"score": int} | {"dont_know": true} | {"text": str}, sealed
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    #: the section the stakeholder should see when they come back
    resume_section: Mapped[int] = mapped_column(default=0)
