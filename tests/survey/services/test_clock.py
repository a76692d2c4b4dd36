"""UK time on its own: the day and time people in the UK see for a stored UTC moment, across the
clock changes (BST starts 01:00 UTC on 29 March 2026 and ends 01:00 UTC on 25 October 2026),
whatever the server's own time zone."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from survey.services.clock import uk_date, uk_datetime, uk_now, uk_today

ROOT = Path(__file__).resolve().parents[3]


def _at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "shown"),
    [
        # GMT: UK time is UTC
        (_at(2026, 12, 3, 14, 5), "3 December 2026, 14:05 GMT"),
        # the spring change: 01:00 GMT jumps to 02:00 BST
        (_at(2026, 3, 29, 0, 59), "29 March 2026, 00:59 GMT"),
        (_at(2026, 3, 29, 1, 0), "29 March 2026, 02:00 BST"),
        (_at(2026, 3, 29, 1, 30), "29 March 2026, 02:30 BST"),
        # the autumn change: 01:00-02:00 happens twice, first in BST then in GMT
        (_at(2026, 10, 25, 0, 30), "25 October 2026, 01:30 BST"),
        (_at(2026, 10, 25, 1, 30), "25 October 2026, 01:30 GMT"),
        # summer: late evening UTC is already tomorrow in the UK
        (_at(2026, 6, 30, 23, 30), "1 July 2026, 00:30 BST"),
    ],
)
def test_stored_moments_are_shown_in_uk_time_with_its_zone(moment: datetime, shown: str) -> None:
    assert uk_datetime(moment) == shown


def test_nothing_stored_shows_as_nothing() -> None:
    assert uk_datetime(None) == ""


def test_a_moment_in_another_zone_is_shown_as_the_same_instant_in_the_uk() -> None:
    new_york = timezone(timedelta(hours=-4))
    assert uk_datetime(datetime(2026, 7, 1, 20, 15, tzinfo=new_york)) == "2 July 2026, 01:15 BST"


@pytest.mark.parametrize(
    ("moment", "day"),
    [
        (_at(2026, 6, 30, 23, 30), date(2026, 7, 1)),  # BST: past UK midnight
        (_at(2026, 6, 30, 22, 59), date(2026, 6, 30)),
        (_at(2026, 12, 31, 23, 30), date(2026, 12, 31)),  # GMT: still the same day
        (_at(2026, 3, 28, 23, 59), date(2026, 3, 28)),  # the night of the spring change
        (_at(2026, 10, 24, 23, 30), date(2026, 10, 25)),  # BST until 01:00 UTC on the 25th
        (_at(2026, 10, 25, 23, 30), date(2026, 10, 25)),  # GMT again that evening
    ],
)
def test_the_uk_day_of_a_stored_moment(moment: datetime, day: date) -> None:
    assert uk_date(moment) == day


def test_today_and_now_follow_the_given_clock_across_midnight_in_summer() -> None:
    def clock() -> datetime:
        return _at(2026, 3, 31, 23, 15)

    assert uk_today(clock) == date(2026, 4, 1)
    now = uk_now(clock)
    assert (now.hour, now.minute, now.tzname()) == (0, 15, "BST")
    assert now == clock()  # the same instant, only shown in UK time


def test_today_without_a_clock_is_the_uk_day_now() -> None:
    before = datetime.now(UTC)
    today = uk_today()
    after = datetime.now(UTC)
    assert today in {uk_date(before), uk_date(after)}
    assert uk_now().tzname() in {"GMT", "BST"}


def test_the_server_time_zone_does_not_change_the_uk_day_or_time() -> None:
    """A server set to Pacific time still shows UK days and times."""
    program = (
        "from datetime import UTC, datetime\n"
        "from survey.services.clock import uk_date, uk_datetime\n"
        "moment = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)\n"
        "print(uk_date(moment), uk_datetime(moment))\n"
    )
    environment = {**os.environ, "TZ": "America/Los_Angeles", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        env=environment,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "2026-07-01 1 July 2026, 00:30 BST"
