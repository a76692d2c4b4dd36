"""Anonymous responses with their answers.

A ``Response`` carries the round, the assessed organisation and the stakeholder group, and
nothing that leads back to an invitation or a person: no foreign key to the identity side, no
token, no email, no timestamp, and a random key so that storage order reveals nothing either.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    SmallInteger,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from survey.extensions import Model


def _random_id() -> str:
    return str(uuid.uuid4())


class Response(Model):
    __tablename__ = "response"
    __table_args__ = (
        # a new format comes with the migration that converts the stored responses to it
        CheckConstraint("format_version = 1", name="known_format_version"),
        # an organisation's rounds with answers, read by every dashboard GET
        Index("ix_response_organisation_round", "organisation_id", "round_id"),
        # SQLite: a round's packed answers by cell, read without a lookup of the table per
        # response (``survey.services.results.arrays``); within a cell by the random key, the
        # order of the engine's sums. (PostgreSQL scans the table, as fast.)
        Index(
            "ix_response_cells",
            "round_id",
            "organisation_id",
            "stakeholder_group",
            "id",
            "scale_answers",
        ).ddl_if(dialect="sqlite"),
        # the responses that have open or local answers, read when results are published
        Index(
            "ix_response_others",
            "round_id",
            "organisation_id",
            sqlite_where=text("other_answers IS NOT NULL"),
            postgresql_where=text("other_answers IS NOT NULL"),
        ),
        # keyed and stored by the random id: on SQLite no rowid follows the order of release
        {"sqlite_with_rowid": False},
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_random_id)
    round_id: Mapped[int] = mapped_column(ForeignKey("survey_round.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    #: the stakeholder group id: the only thing known about who answered
    stakeholder_group: Mapped[str] = mapped_column(String(64))
    #: how the answers are packed (``survey.services.packing.FORMAT_VERSION``)
    format_version: Mapped[int] = mapped_column(SmallInteger)
    #: one byte per scale item of the round's questionnaire, in its order: 0 no answer,
    #: 1-10 the score, 255 don't know (``survey.services.packing``)
    scale_answers: Mapped[bytes] = mapped_column(LargeBinary)
    #: open-text and local questions' answers, item id -> answer; NULL when there are none
    other_answers: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
