"""UK time: fieldwork dates, reminder days and every time shown are in Europe/London, whatever
the server's own time zone (timestamps are stored in UTC)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")


def uk_now(clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> datetime:
    """The current time in the UK (GMT or BST)."""
    return clock().astimezone(UK)


def uk_today(clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> date:
    """Today's date in the UK: the day fieldwork opens, closes and reminders fall due."""
    return uk_now(clock).date()


def uk_date(moment: datetime) -> date:
    """The UK calendar day of a stored (UTC) timestamp."""
    return moment.astimezone(UK).date()


def uk_datetime(moment: datetime | None) -> str:
    """A stored timestamp as people in the UK read it: "3 December 2026, 14:05 GMT"."""
    if moment is None:
        return ""
    local = moment.astimezone(UK)
    return f"{local:%-d %B %Y, %H:%M} {local.tzname()}"
