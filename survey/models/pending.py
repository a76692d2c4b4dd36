"""Submitted responses waiting for release, sealed.

A pending response is written in the submitting transaction, beside its invitation's status
change, so on the database it is as linkable as that transaction: it holds nothing readable
but the round. Organisation, group and answers are sealed (``survey.services.sealing``); the
release step (``survey.services.releases``) opens a batch of them, writes them into the
response store in random order, in a transaction that touches no identity row, and deletes them.
"""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from survey.extensions import Model


def _random_id() -> str:
    return str(uuid.uuid4())


class PendingResponse(Model):
    __tablename__ = "pending_response"
    __table_args__ = {"sqlite_with_rowid": False}

    #: random, so neither key nor (on SQLite) storage order follows the order of submitting
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_random_id)
    round_id: Mapped[int] = mapped_column(ForeignKey("survey_round.id", ondelete="CASCADE"))
    #: {"organisation_id": int, "group": str, "answers": {item id: answer}}, sealed
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
