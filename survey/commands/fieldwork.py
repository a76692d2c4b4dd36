"""``assure360 fieldwork``: what the mail worker will do for a round, and switching it off.

``plan`` is a dry run: who would get which email on which day, with no links in it.
"""

from __future__ import annotations

from datetime import date

import click

from survey.commands.common import command, parse_date, round_by_id
from survey.extensions import begin_write
from survey.services.audit import COMMAND_LINE
from survey.services.clock import uk_today
from survey.services.jobs import set_automatic
from survey.services.schedule_plan import PlannedEmail, plan_fieldwork


@click.group("fieldwork")
def fieldwork_group() -> None:
    """Fieldwork the mail worker runs on the round's dates."""


def _line(email: PlannedEmail) -> str:
    what = "invitation" if email.reminder is None else f"reminder {email.reminder}"
    due = f", due {email.due_on}" if email.due_on is not None else ""
    return f"    {email.email}  ({email.group}) {what}{due}: {', '.join(email.organisations)}"


@fieldwork_group.command("plan")
@click.argument("round_id", type=int)
@click.option("--days", type=click.IntRange(min=1), default=14, show_default=True)
@click.option("--today", callback=parse_date, help="Plan from this day (YYYY-MM-DD).")
@command
def fieldwork_plan(round_id: int, days: int, today: date | None) -> None:
    """Dry run: what the worker would send and do, day by day; nothing is queued."""
    survey_round = round_by_id(round_id)
    if not survey_round.auto_fieldwork:
        click.echo("automatic fieldwork is off for this round: the worker will do none of this")
    planned = plan_fieldwork(survey_round, today or uk_today(), days)
    for run in planned:
        if run.job == "close":
            click.echo(f"{run.day}  close the round (links stop working)")
            continue
        click.echo(f"{run.day}  {run.job}: {len(run.emails)} email(s)")
        for email in run.emails:
            click.echo(_line(email))
    click.echo(f"dry run: {len(planned)} scheduled run(s) in {days} day(s); nothing was queued")


@fieldwork_group.command("auto")
@click.argument("round_id", type=int)
@click.argument("setting", type=click.Choice(["on", "off"]))
@command
def fieldwork_auto(round_id: int, setting: str) -> None:
    """Leave the round's fieldwork to the worker (on) or run it by hand (off)."""
    begin_write()
    set_automatic(COMMAND_LINE, round_by_id(round_id), setting == "on")
    click.echo(f"automatic fieldwork {setting} for round {round_id}")
