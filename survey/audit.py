"""Writing the audit log (counts and ids only: never tokens, addresses or answers)."""

from __future__ import annotations

from typing import Any

from survey.extensions import db
from survey.models import AuditEvent


def record(
    action: str, *, target: str = "", channel: str = "cli", user_id: int | None = None, **detail: Any
) -> AuditEvent:
    """Append an audit event in the current transaction."""
    event = AuditEvent(action=action, target=target, channel=channel, user_id=user_id, detail=detail)
    db.session.add(event)
    db.session.flush()
    return event
