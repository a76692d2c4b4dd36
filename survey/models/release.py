"""Published results: a snapshot of a round's results, computed once at a release point.

Every page, export and report of a round reads its latest release, so between releases nothing
a commissioner, an assessor or a file shows changes (a new response cannot be read off a
change), and every worker and app server shows the same numbers: the snapshot is in the
database, not in a process. The stored tables are loaded only when a process first unpacks
them (deferred): finding a round's latest release reads a few small columns.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from survey.extensions import Model
from survey.models.types import UTCDateTime, utcnow


class ResultsRelease(Model):
    __tablename__ = "results_release"
    __table_args__ = (UniqueConstraint("round_id", "number", name="one_number_per_round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("survey_round.id", ondelete="CASCADE"))
    #: 1, 2, ... within the round
    number: Mapped[int]
    released_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: "interim" (a manager's or the schedule's) or "close"
    kind: Mapped[str] = mapped_column(String(16))
    #: who released it (an audit actor's description)
    released_by: Mapped[str] = mapped_column(String(200))
    #: responses in the round's response store at the release
    responses: Mapped[int]
    #: the close date while fieldwork was still open at the release ("provisional"), else None
    provisional_until: Mapped[date | None]
    #: the format of ``table`` and ``reliability`` (``survey.services.release_format``)
    format_version: Mapped[int] = mapped_column(default=1)
    #: the engine's RoundTable, packed as ``format_version`` says (``release_format``; no pickles);
    #: on PostgreSQL stored out of line uncompressed (STORAGE EXTERNAL: it is compressed already)
    table: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    #: Cronbach's alpha per organisation and domain (analysis.DomainReliability), packed alike
    reliability: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    #: local questions' results and the comments that may be shown, per organisation code
    extras: Mapped[dict[str, Any]] = mapped_column(JSON, deferred=True)

    def __repr__(self) -> str:
        return f"<ResultsRelease round {self.round_id} #{self.number} {self.kind}>"
