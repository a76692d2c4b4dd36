"""Values remembered per process: computed once per key, least recently used dropped beyond a
store's size, and kept apart per application and per store."""

from __future__ import annotations

from typing import Any

from survey import create_app
from survey.services.memo import memoised


def test_a_value_is_computed_once_and_the_least_recently_used_is_dropped(db: Any) -> None:
    computed: list[int] = []

    def compute(n: int) -> int:
        computed.append(n)
        return n * 10

    assert memoised("test", (1,), 2, lambda: compute(1)) == 10
    assert memoised("test", (1,), 2, lambda: compute(1)) == 10
    memoised("test", (2,), 2, lambda: compute(2))
    memoised("test", (1,), 2, lambda: compute(1))  # 1 is now the most recently used
    memoised("test", (3,), 2, lambda: compute(3))  # drops 2
    memoised("test", (1,), 2, lambda: compute(1))
    memoised("test", (2,), 2, lambda: compute(2))
    assert computed == [1, 2, 3, 2]


def test_stores_and_applications_keep_their_own_values(db: Any) -> None:
    assert memoised("one", (1,), 4, lambda: "one") == "one"
    assert memoised("two", (1,), 4, lambda: "two") == "two"
    other = create_app({"SECRET_KEY": "x" * 40, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with other.app_context():
        assert memoised("one", (1,), 4, lambda: "other app") == "other app"
    assert memoised("one", (1,), 4, lambda: "recomputed") == "one"
