"""The one door for transactions: each request and each command is one unit of work.

Services only ``flush()``. A request commits once, when its view has returned; a command once,
when it has finished; anything raised on the way rolls everything back (the error pages and
the command's error message then say what went wrong). Work that must wait for the commit,
such as handing queued email to the sender, is registered with :func:`after_commit` and runs
only once the commit has succeeded, never after a rollback. Model: indico's request handler.

Only the mail sender (``survey.mail.sender``) owns units of work of its own: delivering exactly
once needs each claim committed before its message leaves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from flask.typing import ResponseReturnValue

from survey.extensions import db

_AFTER_COMMIT = "assure360.after_commit"


def after_commit(callback: Callable[[], Any], *, key: object = None) -> None:
    """Run ``callback`` once the current unit of work has committed (skipped on rollback).

    :param key: a callback registered under a key replaces the one registered before under
        the same key, so it runs once however often it is registered.
    """
    pending: dict[object, Callable[[], Any]] = db.session.info.setdefault(_AFTER_COMMIT, {})
    pending[key if key is not None else object()] = callback


def _take_callbacks() -> list[Callable[[], Any]]:
    pending: dict[object, Callable[[], Any]] = db.session.info.pop(_AFTER_COMMIT, {})
    return list(pending.values())


@contextmanager
def unit_of_work() -> Iterator[None]:
    """Commit what the block did if it finishes, roll it back if it raises; then run the
    after-commit callbacks."""
    _take_callbacks()  # anything registered before the unit began belongs to no unit
    try:
        yield
        db.session.commit()
    except BaseException:
        _take_callbacks()
        db.session.rollback()
        raise
    for callback in _take_callbacks():
        callback()


class TransactionalFlask(Flask):
    """Flask with each request's view run as one unit of work.

    The commit happens inside dispatch, so a failing commit (a lost database connection) reaches
    the error handlers like any other error (503 for a database that is away).
    """

    def dispatch_request(self) -> ResponseReturnValue:
        with unit_of_work():
            return super().dispatch_request()
