"""Values remembered per application process: what a results release gives never changes, so
its unpacked tables, parsed extras and drawn charts are computed once and kept (least recently
used dropped beyond a store's size). Keys must name the release they come from."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import current_app

_MEMO_KEY = "assure360.memo"
_memo_lock = threading.Lock()

T = TypeVar("T")


def memoised(store: str, key: tuple[Any, ...], size: int, compute: Callable[[], T]) -> T:
    """``compute()``, remembered in this application process in ``store`` under ``key``."""
    memos: dict[str, OrderedDict[tuple[Any, ...], Any]] = current_app.extensions.setdefault(
        _MEMO_KEY, {}
    )
    with _memo_lock:
        memo = memos.setdefault(store, OrderedDict())
        if key in memo:
            memo.move_to_end(key)
            return cast(T, memo[key])
    value = compute()
    with _memo_lock:
        memo[key] = value
        while len(memo) > size:
            memo.popitem(last=False)
    return value
