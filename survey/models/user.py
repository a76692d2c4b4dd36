"""Accounts of people who log in: survey managers, assessors, commissioners and viewers."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.extensions import Model
from survey.models.organisation import Organisation
from survey.models.types import UTCDateTime, enum_column, utcnow


class Role(enum.StrEnum):
    #: runs rounds and sees everything
    MANAGER = "manager"
    #: assures the organisations of one region
    ASSESSOR = "assessor"
    #: works for one assessed organisation and sees its results
    COMMISSIONER = "commissioner"
    #: read-only access to one organisation's results
    VIEWER = "viewer"


class User(UserMixin, Model):
    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint(
            "(role NOT IN ('commissioner', 'viewer')) OR organisation_id IS NOT NULL",
            name="organisation_roles_have_organisation",
        ),
        CheckConstraint("role <> 'assessor' OR region IS NOT NULL", name="assessor_has_region"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(enum_column(Role, "user_role"))
    #: the organisation a commissioner or viewer belongs to
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    #: the region an assessor covers
    region: Mapped[str | None] = mapped_column(String(100))
    #: a hash from a maintained password library; NULL until the person sets a password
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    #: part of every signed-in session's id: raising it ends all of the account's sessions at
    #: once, server-side, even a copy of the cookie taken earlier (sign-out, password change,
    #: switch-off, a manager's "sign out everywhere")
    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0")
    #: the TOTP two-factor secret, encrypted (survey.services.two_factor); NULL: not enrolled
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    #: the last TOTP time step accepted: a code is never accepted twice
    totp_last_step: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation: Mapped[Organisation | None] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login: a disabled account cannot sign in
        return self.active

    def get_id(self) -> str:  # Flask-Login stores this in the session cookie
        return f"{self.id}:{self.session_epoch}"

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role.value}>"
