"""Commands for delivery and fieldwork: the mail worker, bounces, reminders, round status.

``init_app`` adds them to the ``mail`` and ``round`` groups of ``survey.cli`` and registers the
``reminders`` group.
"""

from __future__ import annotations

import signal
import threading
from datetime import date, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from survey.cli import _fails_cleanly, _read, _round, mail_group, round_group
from survey.extensions import begin_write, db
from survey.mail.sender import DeliveryReport, deliver_due


def _today(_ctx: Any, _param: Any, value: str | None) -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-01-15") from None


def _days(_ctx: Any, _param: Any, value: str | None) -> list[int] | None:
    if value is None:
        return None
    try:
        return [int(part) for part in value.replace(";", ",").split(",") if part.strip()]
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a list of whole days like 7,14") from None


def summary(report: DeliveryReport) -> str:
    """One line saying what a delivery run did."""
    where = (
        f" (written to {current_app.config['MAIL_OUTBOX_DIR']})"
        if current_app.config["MAIL_BACKEND"] == "file"
        else ""
    )
    return (
        f"{report.sent} sent{where}, {report.deferred} to retry, {report.undeliverable} undeliverable, "
        f"{report.ambiguous} need checking, {report.failed} failed"
    )


def deliver_with_progress(total: int, limit: int | None = None) -> DeliveryReport:
    """Deliver due messages with a progress bar of ``total`` (the number expected)."""
    with click.progressbar(length=max(total, 1), label="sending", show_pos=True) as bar:
        done = 0

        def advance(report: DeliveryReport) -> None:
            nonlocal done
            bar.update(report.handled - done)
            done = report.handled

        return deliver_due(current_app.config, limit=limit, on_progress=advance)


def due_count() -> int:
    """How many queued messages are due now."""
    from sqlalchemy import func, select

    from survey.models import OutboxMessage, OutboxStatus
    from survey.models.types import utcnow

    count = db.session.scalar(
        select(func.count()).where(
            OutboxMessage.status == OutboxStatus.QUEUED, OutboxMessage.next_attempt_at <= utcnow()
        )
    )
    db.session.rollback()
    return int(count or 0)


# -- mail ---------------------------------------------------------------------------------------


@click.command("worker")
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
@with_appcontext
def mail_worker(poll: float | None, stale_after: float) -> None:
    """Keep sending the outbox until stopped (SIGTERM or Ctrl-C finish the message in hand).

    Several workers may run at once on PostgreSQL; each sends at most MAIL_RATE_PER_SECOND.
    """
    from survey.mail.worker import run_worker

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
            on_round=lambda report: click.echo(summary(report), err=True),
        )
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    click.echo(
        f"mail worker stopped: {totals.sent} sent, {totals.deferred} deferred, "
        f"{totals.undeliverable} undeliverable, {totals.ambiguous + totals.recovered} need checking, "
        f"{totals.failed} failed"
    )


@click.command("bounces")
@click.argument("round_id", type=int)
@click.argument("path", type=click.Path(dir_okay=False))
@with_appcontext
@_fails_cleanly
def mail_bounces(round_id: int, path: str) -> None:
    """Mark the addresses in a CSV/XLSX (column 'email') as undeliverable: no more emails."""
    from survey.services.monitoring import mark_bounced

    begin_write()
    report = mark_bounced(_round(round_id), _read(path), Path(path).name)
    db.session.commit()
    click.echo(f"{report.marked} marked undeliverable, {report.already} already marked")
    for problem in report.problems:
        click.echo(f"  {problem}", err=True)
    if report.unknown:
        click.echo(f"{len(report.unknown)} address(es) not in round {round_id}:", err=True)
        for address in report.unknown:
            click.echo(f"  {address}", err=True)


# -- reminders ----------------------------------------------------------------------------------


@click.group("reminders")
def reminders_group() -> None:
    """Send reminder emails on the round's schedule."""


@reminders_group.command("send")
@click.argument("round_id", type=int)
@click.option("--dry-run", is_flag=True, help="List who would get which links; queue nothing.")
@click.option("--today", callback=_today, help="Plan as if it were this day (YYYY-MM-DD).")
@click.option("--queue-only", is_flag=True, help="Queue the emails without sending them now.")
@with_appcontext
@_fails_cleanly
def reminders_send(round_id: int, dry_run: bool, today: date, queue_only: bool) -> None:
    """Remind stakeholders with unfinished invitations who are due one (one email each)."""
    from survey.services.reminders import plan_reminders, send_reminders

    survey_round = _round(round_id)
    if dry_run:
        planned = plan_reminders(survey_round, today)
        for plan in planned:
            click.echo(f"{plan.email}  ({plan.group}) reminder {plan.number}, due {plan.due_on}")
            for name, link in plan.links:
                click.echo(f"    {name}: {link}")
        click.echo(f"dry run: {len(planned)} reminder(s) would be queued; nothing was queued")
        db.session.rollback()
        return
    begin_write()
    report = send_reminders(_round(round_id), today)
    db.session.commit()
    click.echo(f"{report.emails} reminder(s) covering {report.invitations} invitation(s) queued")
    if not queue_only and report.emails:
        click.echo(summary(deliver_with_progress(due_count())))


# -- rounds -------------------------------------------------------------------------------------


@click.command("reminders")
@click.argument("round_id", type=int)
@click.option(
    "--after", callback=_days, help="Days after each stakeholder's invitation, e.g. 7,14."
)
@click.option("--before", callback=_days, help="Days before the round closes, e.g. 2.")
@click.option("--max", "limit", type=int, default=None, help="Most reminders per stakeholder.")
@with_appcontext
@_fails_cleanly
def round_reminders(
    round_id: int, after: list[int] | None, before: list[int] | None, limit: int | None
) -> None:
    """Show the round's reminder schedule, or change it with --after, --before and --max."""
    from survey.services.reminders import set_schedule

    survey_round = _round(round_id)
    if after is not None or before is not None or limit is not None:
        begin_write()
        survey_round = _round(round_id)
        set_schedule(
            survey_round,
            after_invitation=survey_round.reminder_days_after_invitation
            if after is None
            else after,
            before_close=survey_round.reminder_days_before_close if before is None else before,
            limit=survey_round.reminder_limit if limit is None else limit,
        )
        db.session.commit()
    click.echo(
        f"round {round_id} reminders: days after invitation {survey_round.reminder_days_after_invitation}, "
        f"days before close {survey_round.reminder_days_before_close}, "
        f"at most {survey_round.reminder_limit} per stakeholder"
    )


@click.command("status")
@click.argument("round_id", type=int)
@click.option(
    "--stakeholders", "list_stakeholders", is_flag=True, help="Also list every stakeholder."
)
@with_appcontext
@_fails_cleanly
def round_status(round_id: int, list_stakeholders: bool) -> None:
    """Print delivery states and response rates per organisation and stakeholder group."""
    from survey.services.monitoring import delivery_status, response_rates, state_counts

    survey_round = _round(round_id)
    statuses = delivery_status(survey_round)
    click.echo(f"{survey_round.title}: {len(statuses)} stakeholder(s)")
    for state, count in state_counts(statuses).items():
        click.echo(f"  {state.value:<16} {count:>6}")
    if list_stakeholders:
        click.echo("")
        click.echo(f"{'email':<40} {'group':<20} {'state':<16} {'done':>5} reminders")
        for row in statuses:
            click.echo(
                f"{row.email:<40} {row.group:<20} {row.state.value:<16} "
                f"{row.completed:>2}/{row.invitations:<2} {row.reminders_sent:>9}"
            )
    click.echo("")
    click.echo(
        f"{'organisation':<10} {'group':<24} {'invited':>7} {'started':>7} {'completed':>9} {'rate':>6}"
    )
    for rate in response_rates(survey_round):
        shown = "-" if rate.rate is None else f"{rate.rate:.0%}"
        click.echo(
            f"{rate.organisation_code:<10} {rate.group:<24} {rate.invited:>7} {rate.started:>7} "
            f"{rate.completed:>9} {shown:>6}"
        )
    db.session.rollback()


def init_app(app: Flask) -> None:
    """Add these commands to the application's ``mail`` and ``round`` groups and the CLI."""
    mail_group.add_command(mail_worker)
    mail_group.add_command(mail_bounces)
    round_group.add_command(round_reminders)
    round_group.add_command(round_status)
    app.cli.add_command(reminders_group)
