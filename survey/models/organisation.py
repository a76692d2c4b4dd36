"""Assessed organisations: commissioners that a survey round asks stakeholders about."""

from __future__ import annotations

import enum

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from survey.extensions import Model
from survey.models.types import enum_column


class OrganisationKind(enum.StrEnum):
    #: a clinical commissioning group or integrated care board
    CCG = "ccg"
    #: an NHS England direct commissioning team (area or regional)
    DIRECT = "direct"


class Organisation(Model):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the national code (ODS code for CCGs/ICBs), unique and stable across years
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[OrganisationKind] = mapped_column(
        enum_column(OrganisationKind, "organisation_kind")
    )
    #: NHS England region, the unit an assessor covers
    region: Mapped[str] = mapped_column(String(100))
    #: the area (sub-region or ICS footprint) inside the region, where one applies
    area: Mapped[str | None] = mapped_column(String(100))

    def __repr__(self) -> str:
        return f"<Organisation {self.code} {self.name!r}>"
