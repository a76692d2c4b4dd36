"""The audit log: appended to in the transaction of the change it records, never changed.

Entries hold counts and ids only: never tokens, addresses or answers.
"""

from __future__ import annotations

from typing import Any

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.orm import Session

from survey.extensions import db
from survey.models import AuditEvent


class AuditLogIsAppendOnly(RuntimeError):
    """Something tried to change or delete an audit entry."""


def _actor() -> tuple[str, int | None]:
    if not has_request_context():
        return "cli", None
    if current_user and current_user.is_authenticated:
        return "web", int(current_user.id)
    return "web", None


def record(
    action: str,
    *,
    target: str = "",
    channel: str | None = None,
    user_id: int | None = None,
    **detail: Any,
) -> AuditEvent:
    """Append an audit event in the current transaction.

    Without ``channel`` and ``user_id`` the entry names the signed-in account of the current
    request, or the command line outside a request.
    """
    default_channel, default_user = _actor()
    event_row = AuditEvent(
        action=action,
        target=target,
        channel=channel or default_channel,
        user_id=user_id if user_id is not None else default_user,
        detail=detail,
    )
    db.session.add(event_row)
    db.session.flush()
    return event_row


@event.listens_for(Session, "before_flush")
def _refuse_changes_to_the_log(session: Session, _context: Any, _instances: Any) -> None:
    for entry in session.deleted:
        if isinstance(entry, AuditEvent):
            raise AuditLogIsAppendOnly(f"audit entry {entry.id} cannot be deleted")
    for entry in session.dirty:
        if isinstance(entry, AuditEvent) and session.is_modified(entry):
            raise AuditLogIsAppendOnly(f"audit entry {entry.id} cannot be changed")
