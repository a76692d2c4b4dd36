"""Email: messages are queued in the outbox inside the request's transaction and sent after it."""

from survey.mail.outbox import queue_email
from survey.mail.sender import DeliveryReport, deliver_due

__all__ = ["DeliveryReport", "deliver_due", "queue_email"]
