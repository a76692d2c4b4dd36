"""``assure360 mail`` and ``reminders``: deliver the outbox, record bounces, remind.

``mail send`` and ``mail worker`` are not units of work: the sender commits each claim itself,
so that every message is handed over exactly once (``survey.mail.sender``).
"""

from __future__ import annotations

import signal
import threading
from datetime import date, timedelta
from pathlib import Path
from types import FrameType

import click
from flask import current_app
from flask.cli import with_appcontext

from survey.commands.common import (
    command,
    deliver_after_commit,
    deliver_with_progress,
    delivery_summary,
    due_count,
    parse_date,
    read_file,
    round_by_id,
)
from survey.extensions import begin_write
from survey.mail.sender import recover_interrupted
from survey.mail.worker import run_worker
from survey.services.audit import COMMAND_LINE
from survey.services.bounces import mark_bounced
from survey.services.clock import uk_today
from survey.services.errors import InputError
from survey.services.reminders import plan_reminders, send_reminders


@click.group("mail")
def mail_group() -> None:
    """Send the email outbox."""


@mail_group.command("send")
@click.option("--limit", type=click.IntRange(min=1), help="Send at most this many.")
@with_appcontext
def mail_send(limit: int | None) -> None:
    """Send the queued emails that are due, once."""
    flagged = recover_interrupted()
    if flagged:
        click.echo(f"{flagged} message(s) interrupted mid-send are flagged for checking")
    click.echo(delivery_summary(deliver_with_progress(due_count(), limit=limit)))


@mail_group.command("worker")
@click.option(
    "--poll",
    type=click.FloatRange(min=0),
    default=None,
    help="Seconds to wait when nothing is due (default MAIL_WORKER_POLL_SECONDS).",
)
@click.option(
    "--stale-after",
    type=click.FloatRange(min=0),
    default=600,
    show_default=True,
    help="Seconds after which a message left mid-send is flagged for checking.",
)
@click.option(
    "--no-fieldwork",
    is_flag=True,
    help="Only send mail: leave invitations, reminders and closes to the survey team.",
)
@with_appcontext
def mail_worker(poll: float | None, stale_after: float, no_fieldwork: bool) -> None:
    """Keep sending the outbox until stopped (SIGTERM or Ctrl-C finish the message in hand),
    and run fieldwork on each round's dates: invitations, the day's reminders, the close.

    Several workers may run at once on PostgreSQL; each sends at most MAIL_RATE_PER_SECOND,
    and each scheduled job runs once whichever worker gets to it.
    """
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        click.echo(f"{signal.Signals(signum).name}: stopping after the message in hand", err=True)
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    click.echo("mail worker started", err=True)
    try:
        totals = run_worker(
            current_app.config,
            stop,
            poll_seconds=poll,
            stale_after=timedelta(seconds=stale_after),
            fieldwork=not no_fieldwork,
            on_round=lambda report: click.echo(delivery_summary(report), err=True),
            on_outage=lambda error, wait: click.echo(
                f"database unreachable ({error}); trying again in {wait:.0f} s", err=True
            ),
        )
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    click.echo(
        f"mail worker stopped: {totals.sent} sent, {totals.deferred} deferred, "
        f"{totals.undeliverable} undeliverable, {totals.ambiguous + totals.recovered} need "
        f"checking, {totals.failed} failed, {totals.jobs} scheduled job(s) run"
    )


@mail_group.command("bounces")
@click.argument("round_id", type=int)
@click.argument("path", type=click.Path(dir_okay=False))
@command
def mail_bounces(round_id: int, path: str) -> None:
    """Mark the addresses in a CSV/XLSX (column 'email') as undeliverable: no more emails.
    All or nothing: a list with a bad row marks no one."""
    begin_write()
    report = mark_bounced(COMMAND_LINE, round_by_id(round_id), read_file(path), Path(path).name)
    for problem in report.problems:
        click.echo(f"  {problem}", err=True)
    if report.problems:
        raise InputError(f"{len(report.problems)} problem(s) in {path}; nothing was marked")
    click.echo(f"{report.marked} marked undeliverable, {report.already} already marked")
    if report.unknown:
        click.echo(f"{len(report.unknown)} address(es) not in round {round_id}:", err=True)
        for address in report.unknown:
            click.echo(f"  {address}", err=True)


@click.group("reminders")
def reminders_group() -> None:
    """Send reminder emails on the round's schedule."""


@reminders_group.command("send")
@click.argument("round_id", type=int)
@click.option("--dry-run", is_flag=True, help="List who would get a reminder; queue nothing.")
@click.option("--today", callback=parse_date, help="Plan as if it were this day (YYYY-MM-DD).")
@click.option("--queue-only", is_flag=True, help="Queue the emails without sending them now.")
@command
def reminders_send(round_id: int, dry_run: bool, today: date | None, queue_only: bool) -> None:
    """Remind stakeholders with unfinished invitations who are due one (one email each)."""
    today = today or uk_today()
    if dry_run:
        planned = plan_reminders(round_by_id(round_id), today)
        for plan in planned:
            # Never the links: a dry run's output is pasted and logged, a link is a live key.
            organisations = ", ".join(name for name, _link in plan.links)
            click.echo(
                f"{plan.email}  ({plan.group}) reminder {plan.number}, due {plan.due_on}: "
                f"{organisations}"
            )
        click.echo(f"dry run: {len(planned)} reminder(s) would be queued; nothing was queued")
        return
    begin_write()
    report = send_reminders(COMMAND_LINE, round_by_id(round_id), today)
    click.echo(f"{report.emails} reminder(s) covering {report.invitations} invitation(s) queued")
    deliver_after_commit(report.emails, queue_only=queue_only)
