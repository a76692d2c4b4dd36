"""``assure360 round``: create rounds, move them through fieldwork, and watch them."""

from __future__ import annotations

from datetime import date

import click
from flask import current_app

from survey.commands.common import command, parse_date, parse_days, round_by_id
from survey.extensions import begin_write
from survey.models import RoundStatus
from survey.services.audit import COMMAND_LINE
from survey.services.clock import uk_today
from survey.services.closing import close_round
from survey.services.monitoring import (
    delivery_status,
    response_rates,
    rounds_overview,
    state_counts,
)
from survey.services.publication import as_of, publish_results
from survey.services.releases import pending_count
from survey.services.reminders import set_schedule
from survey.services.retention import change_thresholds, purge_identities
from survey.services.rounds import create_round, open_round


@click.group("round")
def round_group() -> None:
    """Create survey rounds and move them through fieldwork."""


@round_group.command("create")
@click.option("--year", type=int, required=True, help="Survey year, e.g. 2026.")
@click.option(
    "--questionnaire", "questionnaire_name", required=True, help="Bundled name or YAML path."
)
@click.option("--opens", callback=parse_date, required=True, help="First day (YYYY-MM-DD).")
@click.option("--closes", callback=parse_date, required=True, help="Last day (YYYY-MM-DD).")
@click.option(
    "--title", help="Title shown to stakeholders (default: questionnaire title and year)."
)
@click.option("--threshold", type=click.IntRange(min=1), default=None, help="Smallest group shown.")
@click.option(
    "--comment-threshold",
    type=click.IntRange(min=1),
    default=None,
    help="Smallest group whose comments are shown.",
)
@click.option(
    "--retention-days",
    type=int,
    default=90,
    show_default=True,
    help="Days after closing that stakeholders' names, addresses and links are kept.",
)
@click.option(
    "--interim-release-every",
    "interim_release_every_days",
    type=click.IntRange(min=1),
    default=None,
    help="Automatic fieldwork publishes interim results every N days (default: by hand only).",
)
@command
def round_create(
    year: int,
    questionnaire_name: str,
    opens: date,
    closes: date,
    title: str | None,
    threshold: int | None,
    comment_threshold: int | None,
    retention_days: int,
    interim_release_every_days: int | None,
) -> None:
    """Create a draft round; prints its id."""
    survey_round = create_round(
        COMMAND_LINE,
        year=year,
        questionnaire=questionnaire_name,
        opens_on=opens,
        closes_on=closes,
        title=title,
        suppression_threshold=threshold or current_app.config["SUPPRESSION_THRESHOLD"],
        comment_threshold=comment_threshold or current_app.config["COMMENT_THRESHOLD"],
        retention_days=retention_days,
        interim_release_every_days=interim_release_every_days,
    )
    click.echo(
        f"created round {survey_round.id}: {survey_round.title} ({survey_round.status.value})"
    )


@round_group.command("open")
@click.argument("round_id", type=int)
@command
def round_open(round_id: int) -> None:
    """Open a draft round for fieldwork."""
    open_round(COMMAND_LINE, round_by_id(round_id))
    click.echo(f"round {round_id} is open")


@round_group.command("close")
@click.argument("round_id", type=int)
@command
def round_close(round_id: int) -> None:
    """Close a round: links stop working and unsubmitted drafts are deleted."""
    close_round(COMMAND_LINE, round_by_id(round_id))
    click.echo(f"round {round_id} is closed")


@round_group.command("publish")
@click.argument("round_id", type=int)
@command
def round_publish(round_id: int) -> None:
    """Release the round's pending responses and publish its results (an interim release
    during fieldwork, at most INTERIM_RELEASES_PER_DAY a day). Pending responses are released
    once at least the suppression threshold wait (all of them at the close); pages and files
    change only at a release."""
    begin_write()
    survey_round = round_by_id(round_id)
    kind = "close" if survey_round.status is RoundStatus.CLOSED else "interim"
    release = publish_results(COMMAND_LINE, survey_round, kind=kind)
    click.echo(
        f"round {round_id}: release {release.number} published, {as_of(release)}; "
        f"{pending_count(survey_round)} response(s) still pending"
    )


@round_group.command("list")
@command
def round_list() -> None:
    """List rounds with their invitations sent and responses."""
    for row in sorted(
        rounds_overview(), key=lambda row: (row.survey_round.year, row.survey_round.id)
    ):
        survey_round, taking_part = row.survey_round, row.participation
        click.echo(
            f"{survey_round.id:>3}  {survey_round.year}  {survey_round.status.value:<6}  "
            f"{survey_round.opens_on} to {survey_round.closes_on}  "
            f"{taking_part.invited} invited, {taking_part.responded} responded  "
            f"{survey_round.title}"
        )


@round_group.command("purge")
@click.argument("round_id", type=int)
@command
def round_purge(round_id: int) -> None:
    """Delete a closed round's stakeholders, invitations, drafts and emails once its retention
    period is over; its answers and results stay exactly as they were."""
    report = purge_identities(COMMAND_LINE, round_by_id(round_id), uk_today())
    click.echo(
        f"round {round_id}: purged {report.stakeholders} stakeholder(s), {report.invitations} "
        f"invitation(s), {report.messages} email(s), {report.drafts} draft(s)"
    )


@round_group.command("thresholds")
@click.argument("round_id", type=int)
@click.option("--threshold", type=int, help="Smallest group whose results are shown.")
@click.option("--comment-threshold", type=int, help="Smallest group whose comments are shown.")
@command
def round_thresholds(round_id: int, threshold: int | None, comment_threshold: int | None) -> None:
    """Change a round's suppression thresholds; once it has responses they can only be raised."""
    survey_round = round_by_id(round_id)
    change_thresholds(COMMAND_LINE, survey_round, suppression=threshold, comment=comment_threshold)
    click.echo(
        f"round {round_id}: results need {survey_round.suppression_threshold}, "
        f"comments {survey_round.comment_threshold}"
    )


@round_group.command("reminders")
@click.argument("round_id", type=int)
@click.option("--after", callback=parse_days, help="Days after each invitation, e.g. 7,14.")
@click.option("--before", callback=parse_days, help="Days before the round closes, e.g. 2.")
@click.option("--max", "limit", type=int, default=None, help="Most reminders per stakeholder.")
@command
def round_reminders(
    round_id: int, after: list[int] | None, before: list[int] | None, limit: int | None
) -> None:
    """Show the round's reminder schedule, or change it with --after, --before and --max."""
    if after is not None or before is not None or limit is not None:
        begin_write()
        survey_round = round_by_id(round_id)
        set_schedule(
            COMMAND_LINE,
            survey_round,
            after_invitation=survey_round.reminder_days_after_invitation
            if after is None
            else after,
            before_close=survey_round.reminder_days_before_close if before is None else before,
            limit=survey_round.reminder_limit if limit is None else limit,
        )
    survey_round = round_by_id(round_id)
    click.echo(
        f"round {round_id} reminders: days after invitation "
        f"{survey_round.reminder_days_after_invitation}, days before close "
        f"{survey_round.reminder_days_before_close}, "
        f"at most {survey_round.reminder_limit} per stakeholder"
    )


@round_group.command("status")
@click.argument("round_id", type=int)
@click.option(
    "--stakeholders", "list_stakeholders", is_flag=True, help="Also list every stakeholder."
)
@command
def round_status(round_id: int, list_stakeholders: bool) -> None:
    """Print delivery states and response rates per organisation and stakeholder group."""
    survey_round = round_by_id(round_id)
    statuses = delivery_status(survey_round)
    click.echo(f"{survey_round.title}: {len(statuses)} stakeholder(s)")
    for state, count in state_counts(statuses).items():
        click.echo(f"  {state.value:<16} {count:>6}")
    click.echo(f"  {'awaiting release':<16} {pending_count(survey_round):>6}")
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
        f"{'organisation':<10} {'group':<24} {'invited':>7} {'started':>7} "
        f"{'completed':>9} {'rate':>6}"
    )
    for rate in response_rates(survey_round):
        shown = "-" if rate.rate is None else f"{rate.rate:.0%}"
        click.echo(
            f"{rate.organisation_code:<10} {rate.group:<24} {rate.invited:>7} {rate.started:>7} "
            f"{rate.completed:>9} {shown:>6}"
        )
