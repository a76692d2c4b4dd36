"""What every command shares: its unit of work, errors as messages, options, files, delivery.

:func:`command` is the door of a command: it runs the command with an application context as
one unit of work (``survey.transactions``), and it is the one place the command line turns an
error a person can act on into a message and exit status 1, never a traceback.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

import questionnaires
from survey.extensions import db
from survey.mail import DeliveryReport, deliver_due
from survey.mail.outbox import hand_over_after_commit
from survey.models import OutboxMessage, OutboxStatus, SurveyRound
from survey.models.types import utcnow
from survey.services.errors import Assure360Error
from survey.services.rounds import get_round
from survey.services.tabular import Columns
from survey.transactions import unit_of_work

F = TypeVar("F", bound=Callable[..., Any])


def command(function: F) -> F:
    """Run ``function`` as one unit of work in an application context; errors a person can act
    on end it with their message and exit status 1, having stored nothing."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            with unit_of_work():
                return function(*args, **kwargs)
        except (Assure360Error, questionnaires.QuestionnaireError) as error:
            raise click.ClickException(str(error)) from None

    return with_appcontext(wrapper)  # type: ignore[return-value]


def read_file(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise click.ClickException(f"cannot read {path}: {error.strerror or error}") from None


def write_output(data: bytes, output: str | None) -> None:
    """Write ``data`` to the file ``output``, or to standard output."""
    if output:
        Path(output).write_bytes(data)
        click.echo(f"wrote {output}")
    else:
        sys.stdout.buffer.write(data)


def parse_columns(_ctx: Any, _param: Any, value: tuple[str, ...]) -> dict[str, str]:
    """A repeatable ``--column email='Contact address'`` callback: which header is which column."""
    chosen = {}
    for pair in value:
        column, _, header = pair.partition("=")
        if not header.strip():
            raise click.BadParameter(f"{pair!r} is not like email='Contact address'")
        chosen[column.strip()] = header.strip()
    return chosen


def column_help(columns: Columns) -> str:
    """The columns a list needs and headers understood for each, for a command's error."""
    return "; ".join(columns.described(name) for name in columns.required + columns.optional)


def round_by_id(round_id: int) -> SurveyRound:
    return get_round(round_id)


def parse_date(_ctx: Any, _param: Any, value: str | None) -> date | None:
    """A ``--option 2026-01-15`` callback."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-01-15") from None


def parse_days(_ctx: Any, _param: Any, value: str | None) -> list[int] | None:
    """A ``--option 7,14`` callback."""
    if value is None:
        return None
    try:
        return [int(part) for part in value.replace(";", ",").split(",") if part.strip()]
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a list of whole days like 7,14") from None


# -- handing queued email to the sender ---------------------------------------------------------


def delivery_summary(report: DeliveryReport) -> str:
    """One line saying what a delivery run did."""
    where = (
        f" (written to {current_app.config['MAIL_OUTBOX_DIR']})"
        if current_app.config["MAIL_BACKEND"] == "file"
        else ""
    )
    return (
        f"{report.sent} sent{where}, {report.deferred} to retry, "
        f"{report.undeliverable} undeliverable, {report.ambiguous} need checking, "
        f"{report.failed} failed"
    )


def due_count() -> int:
    """How many queued messages are due now (ends the read transaction it opens)."""
    count = db.session.scalar(
        select(func.count()).where(
            OutboxMessage.status == OutboxStatus.QUEUED, OutboxMessage.next_attempt_at <= utcnow()
        )
    )
    db.session.rollback()
    return int(count or 0)


def deliver_with_progress(total: int, limit: int | None = None) -> DeliveryReport:
    """Deliver due messages with a progress bar of ``total`` (the number expected)."""
    with click.progressbar(length=max(total, 1), label="sending", show_pos=True) as bar:
        done = 0

        def advance(report: DeliveryReport) -> None:
            nonlocal done
            bar.update(report.handled - done)
            done = report.handled

        return deliver_due(current_app.config, limit=limit, on_progress=advance)


def deliver_after_commit(expected: int, *, queue_only: bool = False) -> None:
    """Once the command's changes are committed, send the mail they queued with a progress bar
    (or, with ``queue_only``, leave it to the mail worker)."""
    if queue_only or not expected:
        hand_over_after_commit(lambda: None)
        return
    hand_over_after_commit(lambda: click.echo(delivery_summary(deliver_with_progress(expected))))
