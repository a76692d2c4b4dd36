"""The audit log: appended to in the transaction of the change it records, never changed.

Entries hold counts and ids only: never tokens, addresses or answers. Who acted is always
passed in (an :class:`Actor`): the web pages pass the signed-in account, the commands
:data:`COMMAND_LINE`, the scheduler :data:`SYSTEM`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from survey.extensions import db
from survey.models import AuditEvent, User


class AuditLogIsAppendOnly(RuntimeError):
    """Something tried to change or delete an audit entry."""


@dataclass(frozen=True)
class Actor:
    """Who did something: a channel ("web", "cli", "system") and the account, if any."""

    channel: str
    user_id: int | None = None

    @classmethod
    def web(cls, user: User | None = None) -> Actor:
        """A person on the web pages: a signed-in account, or nobody (a stakeholder's link)."""
        return cls("web", user.id if user is not None else None)


#: the command line: whoever runs ``assure360`` on the server
COMMAND_LINE = Actor("cli")
#: the application itself (scheduled work)
SYSTEM = Actor("system")


def record(actor: Actor, action: str, *, target: str = "", **detail: Any) -> AuditEvent:
    """Append an audit event for ``actor`` in the current transaction.

    :param action: a dotted verb such as "round.create".
    :param target: what was acted on, such as "round:3".
    :param detail: counts and ids (JSON), never personal data.
    """
    event_row = AuditEvent(
        action=action,
        target=target,
        channel=actor.channel,
        user_id=actor.user_id,
        detail=detail,
    )
    db.session.add(event_row)
    db.session.flush()
    return event_row


def events(*, action: str | None, limit: int) -> list[tuple[AuditEvent, str | None]]:
    """The newest audit entries with the email of the account that acted (if any)."""
    query = (
        select(AuditEvent, User.email)
        .outerjoin(User, User.id == AuditEvent.user_id)
        .order_by(AuditEvent.id.desc())
        .limit(limit)
    )
    if action:
        query = query.where(AuditEvent.action == action)
    return [(row[0], row[1]) for row in db.session.execute(query)]


def actions() -> list[str]:
    """Every kind of action the log holds, for the log page's filter."""
    query = select(AuditEvent.action).distinct().order_by(AuditEvent.action)
    return list(db.session.scalars(query))


@event.listens_for(Session, "before_flush")
def _refuse_changes_to_the_log(session: Session, _context: Any, _instances: Any) -> None:
    for entry in session.deleted:
        if isinstance(entry, AuditEvent):
            raise AuditLogIsAppendOnly(f"audit entry {entry.id} cannot be deleted")
    for entry in session.dirty:
        if isinstance(entry, AuditEvent) and session.is_modified(entry):
            raise AuditLogIsAppendOnly(f"audit entry {entry.id} cannot be changed")
