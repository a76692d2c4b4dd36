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
) -> OutboxMessage:
    """Render ``email/<template>.txt`` and ``.html`` and queue them for ``recipient``.

    Nothing is sent here: the message leaves only once the surrounding transaction commits
    and a sender picks it up, so a rolled-back change never emails anybody.
    """
    message = OutboxMessage(
        kind=kind,
        stakeholder_id=stakeholder_id,
        recipient=recipient,
        subject=subject,
        text_body=render_template(f"email/{template}.txt", **context),
        html_body=render_template(f"email/{template}.html", **context),
    )
    db.session.add(message)
    db.session.flush()
    return message
