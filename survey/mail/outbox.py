"""Queueing email: render the message and add it to the outbox in the caller's transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, render_template

from survey.extensions import db
from survey.mail.sender import deliver_due
from survey.models import OutboxMessage
from survey.transactions import after_commit


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

    Nothing is sent here: the message leaves only once the surrounding unit of work commits
    and a sender picks it up (the mail worker, or right after the commit when
    MAIL_SEND_AFTER_COMMIT is on), so a rolled-back change never emails anybody.
    ``unsubscribe_url`` adds one-click opt-out headers (RFC 8058) when the message is sent.
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
    if current_app.config["MAIL_SEND_AFTER_COMMIT"]:
        hand_over_after_commit(lambda: deliver_due(current_app.config))
    return message


#: the after-commit key of "hand queued mail to the sender"
MAIL_HANDOFF = "assure360.mail_handoff"


def hand_over_after_commit(deliver: Callable[[], object]) -> None:
    """How queued mail leaves once this unit of work commits: ``deliver`` replaces whatever was
    set before (a command shows progress, or leaves the mail to the worker)."""
    after_commit(deliver, key=MAIL_HANDOFF)
