"""Local questions: items an assessed organisation adds to its own stakeholders' questionnaire."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.extensions import Model
from survey.models.organisation import Organisation


class LocalQuestion(Model):
    __tablename__ = "local_question"
    __table_args__ = (
        UniqueConstraint("round_id", "organisation_id", "item_id", name="uq_local_question_item"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("survey_round.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    #: "local_1", "local_2" ...: the id answers are stored under
    item_id: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    #: a scale id the questionnaire's local question block allows
    scale: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(default=0)

    organisation: Mapped[Organisation] = relationship()
