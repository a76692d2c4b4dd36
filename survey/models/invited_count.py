"""Invited counts kept after identities are purged, so results never change afterwards."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from survey.extensions import Model


class InvitedCount(Model):
    """How many stakeholders of a group were asked about an organisation in a round.

    Written when the round's identities are purged: the response rates and the finite
    population correction need these numbers, and the invitation rows are gone after that.
    """

    __tablename__ = "invited_count"

    round_id: Mapped[int] = mapped_column(
        ForeignKey("survey_round.id", ondelete="CASCADE"), primary_key=True
    )
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), primary_key=True)
    stakeholder_group: Mapped[str] = mapped_column(String(64), primary_key=True)
    invited: Mapped[int]
