"""Queueing email: render the message and add it to the outbox in the caller's transaction."""

from __future__ import annotations

from typing import Any

from flask import render_template

from survey.extensions import db
from survey.models import OutboxMessage


def queue_email(
    *,
    kind: str,
    recipient: str,
    subject: str,
    template: str,
    context: dict[str, Any],
    stakeholder_id: int | None = None,
    unsubscribe_url: str | None = None,
) -> OutboxMessage:
    """Render ``email/<template>.txt`` and ``.html`` and queue them for ``recipient``.

    Nothing is sent here: the message leaves only once the surrounding transaction commits
    and a sender picks it up, so a rolled-back change never emails anybody. ``unsubscribe_url``
    adds one-click opt-out headers (RFC 8058) when the message is sent.
    """
    message = OutboxMessage(
        kind=kind,
        stakeholder_id=stakeholder_id,
        recipient=recipient,
        subject=subject,
        text_body=render_template(f"email/{template}.txt", **context),
        html_body=render_template(f"email/{template}.html", **context),
        unsubscribe_url=unsubscribe_url,
    )
    db.session.add(message)
    db.session.flush()
    return message
