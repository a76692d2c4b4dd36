"""The ``assure360`` command: every step of a round from the command line.

Commands are thin: they parse options, call one service, commit, and report. Errors a person
can fix end the command with a message and exit status 1, never a traceback.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import func, select

import questionnaires
from survey.config import ConfigError
from survey.errors import Assure360Error
from survey.extensions import db
from survey.models import Role

F = TypeVar("F", bound=Callable[..., Any])


def _fails_cleanly(command: F) -> F:
    """Turn errors a person can act on into a message and exit status 1, rolling back."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (Assure360Error, questionnaires.QuestionnaireError) as error:
            db.session.rollback()
            raise click.ClickException(str(error)) from None

    return wrapper  # type: ignore[return-value]


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise click.ClickException(f"cannot read {path}: {error.strerror or error}") from None


def _round(round_id: int) -> Any:
    from survey.services.rounds import get_round

    return get_round(round_id)


# -- questionnaires ---------------------------------------------------------------------------


@click.group("questionnaire")
def questionnaire_group() -> None:
    """Check and list questionnaires."""


@questionnaire_group.command("list")
def questionnaire_list() -> None:
    """List the bundled questionnaires."""
    for name in questionnaires.bundled_names():
        loaded = questionnaires.load(name)
        click.echo(f"{name}  v{loaded.version}  {len(loaded.items)} items  {loaded.title}")


@questionnaire_group.command("check")
@click.argument("name_or_path")
def questionnaire_check(name_or_path: str) -> None:
    """Validate a questionnaire (a bundled name or a YAML file) and summarise it."""
    try:
        loaded = questionnaires.load(name_or_path)
    except questionnaires.QuestionnaireError as error:
        raise click.ClickException(str(error)) from None
    scale_items = [item for item in loaded.items if item.kind == "scale"]
    click.echo(f"{loaded.id} v{loaded.version}: {loaded.title}")
    click.echo(
        f"  {len(loaded.sections)} sections, {len(loaded.domains)} domains, "
        f"{len(scale_items)} scale items, {len(loaded.items) - len(scale_items)} open-text items, "
        f"{len(loaded.stakeholder_groups)} stakeholder groups"
    )
    click.echo("OK")


# -- organisations ------------------------------------------------------------------------------


@click.group("organisations")
def organisations_group() -> None:
    """Load and list assessed organisations."""


@organisations_group.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
@with_appcontext
@_fails_cleanly
def organisations_import(path: str) -> None:
    """Create or update organisations from a CSV/XLSX with columns code, name, kind (ccg or
    direct), region and optionally area. All or nothing."""
    from survey.services.organisations import import_organisations

    result = import_organisations(_read(path), Path(path).name)
    db.session.commit()
    click.echo(f"{result.created} organisation(s) created, {result.updated} updated")


@organisations_group.command("list")
@with_appcontext
def organisations_list() -> None:
    """List organisations by region."""
    from survey.models import Organisation

    for org in db.session.scalars(
        select(Organisation).order_by(Organisation.region, Organisation.code)
    ):
        click.echo(f"{org.code:<8} {org.kind.value:<7} {org.region:<24} {org.name}")


# -- rounds -------------------------------------------------------------------------------------


@click.group("round")
def round_group() -> None:
    """Create survey rounds and move them through fieldwork."""


def _date(_ctx: Any, _param: Any, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-01-15") from None


@round_group.command("create")
@click.option("--year", type=int, required=True, help="Survey year, e.g. 2026.")
@click.option(
    "--questionnaire", "questionnaire_name", required=True, help="Bundled name or YAML path."
)
@click.option("--opens", callback=_date, required=True, help="First day of fieldwork (YYYY-MM-DD).")
@click.option("--closes", callback=_date, required=True, help="Last day of fieldwork (YYYY-MM-DD).")
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
@with_appcontext
@_fails_cleanly
def round_create(
    year: int,
    questionnaire_name: str,
    opens: date,
    closes: date,
    title: str | None,
    threshold: int | None,
    comment_threshold: int | None,
) -> None:
    """Create a draft round; prints its id."""
    from survey.services.rounds import create_round

    survey_round = create_round(
        year=year,
        questionnaire=questionnaire_name,
        opens_on=opens,
        closes_on=closes,
        title=title,
        suppression_threshold=threshold or current_app.config["SUPPRESSION_THRESHOLD"],
        comment_threshold=comment_threshold or current_app.config["COMMENT_THRESHOLD"],
    )
    db.session.commit()
    click.echo(
        f"created round {survey_round.id}: {survey_round.title} ({survey_round.status.value})"
    )


@round_group.command("open")
@click.argument("round_id", type=int)
@with_appcontext
@_fails_cleanly
def round_open(round_id: int) -> None:
    """Open a draft round for fieldwork."""
    from survey.models.round import RoundStateError
    from survey.services.rounds import open_round

    try:
        open_round(_round(round_id))
    except RoundStateError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"round {round_id} is open")


@round_group.command("close")
@click.argument("round_id", type=int)
@with_appcontext
@_fails_cleanly
def round_close(round_id: int) -> None:
    """Close a round: links stop working and unsubmitted drafts are deleted."""
    from survey.models.round import RoundStateError
    from survey.services.rounds import close_round

    try:
        close_round(_round(round_id))
    except RoundStateError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"round {round_id} is closed")


@round_group.command("list")
@with_appcontext
def round_list() -> None:
    """List rounds with their invitation and response counts."""
    from survey.models import Invitation, Response, SurveyRound

    for survey_round in db.session.scalars(select(SurveyRound).order_by(SurveyRound.year)):
        invited = db.session.scalar(
            select(func.count()).where(Invitation.round_id == survey_round.id)
        )
        responses = db.session.scalar(
            select(func.count()).where(Response.round_id == survey_round.id)
        )
        click.echo(
            f"{survey_round.id:>3}  {survey_round.year}  {survey_round.status.value:<6}  "
            f"{survey_round.opens_on} to {survey_round.closes_on}  "
            f"{invited} invitations, {responses} responses  {survey_round.title}"
        )


# -- stakeholders and invitations --------------------------------------------------------------


@click.group("stakeholders")
def stakeholders_group() -> None:
    """Load stakeholder lists."""


@stakeholders_group.command("import")
@click.argument("round_id", type=int)
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="Load without asking after the preview.")
@click.option("--dry-run", is_flag=True, help="Show the preview and problems only.")
@with_appcontext
@_fails_cleanly
def stakeholders_import(round_id: int, path: str, yes: bool, dry_run: bool) -> None:
    """Check a CSV/XLSX of stakeholders (columns email, name, group, assesses, and optionally
    employer), preview it, then load it all or nothing. 'assesses' holds one or more
    organisation codes separated by ';'."""
    from survey.services.stakeholders import apply_stakeholder_import, plan_stakeholder_import

    survey_round = _round(round_id)
    plan = plan_stakeholder_import(survey_round, _read(path), Path(path).name)
    click.echo(
        f"{path}: {len(plan.rows)} good row(s): {plan.new_stakeholders} new stakeholder(s), "
        f"{plan.updated_stakeholders} updated, {plan.new_invitations} new invitation(s)"
    )
    for group, count in sorted(plan.by_group.items()):
        click.echo(f"  {group}: {count}")
    if not plan.ok:
        for problem in plan.problems:
            click.echo(f"  {problem}", err=True)
        raise click.ClickException(f"{len(plan.problems)} problem(s) in {path}; nothing was loaded")
    if dry_run:
        click.echo("dry run: nothing was loaded")
        return
    if not yes and not click.confirm("Load these stakeholders?", default=True):
        click.echo("nothing was loaded")
        return
    with click.progressbar(length=len(plan.rows), label="loading rows", show_pos=True) as bar:
        apply_stakeholder_import(
            survey_round, plan, on_progress=lambda done: bar.update(done - bar.pos)
        )
    db.session.commit()
    click.echo("loaded")


@click.group("invitations")
def invitations_group() -> None:
    """Issue survey links by email."""


@invitations_group.command("issue")
@click.argument("round_id", type=int)
@click.option(
    "--organisation",
    "codes",
    multiple=True,
    help="Only invitations about this organisation code (repeatable).",
)
@click.option("--queue-only", is_flag=True, help="Queue the emails without sending them now.")
@with_appcontext
@_fails_cleanly
def invitations_issue(round_id: int, codes: tuple[str, ...], queue_only: bool) -> None:
    """Make links for pending invitations and email them, one email per stakeholder."""
    from survey.services.invitations import issue_invitations
    from survey.services.organisations import organisation_by_code

    survey_round = _round(round_id)
    ids = {organisation_by_code(code).id for code in codes} if codes else None
    report = issue_invitations(survey_round, ids)
    db.session.commit()
    click.echo(f"{report.invitations} invitation(s) in {report.emails} email(s) queued")
    if not queue_only and report.emails:
        from survey.mail.cli import deliver_with_progress, summary

        click.echo(summary(deliver_with_progress(report.emails)))


@click.group("mail")
def mail_group() -> None:
    """Send the email outbox."""


@mail_group.command("send")
@click.option("--limit", type=click.IntRange(min=1), help="Send at most this many.")
@with_appcontext
def mail_send(limit: int | None) -> None:
    """Send the queued emails that are due, once."""
    from survey.mail.cli import deliver_with_progress, due_count, summary
    from survey.mail.sender import recover_interrupted

    flagged = recover_interrupted()
    if flagged:
        click.echo(f"{flagged} message(s) interrupted mid-send are flagged for checking")
    click.echo(summary(deliver_with_progress(due_count(), limit=limit)))


# -- retention and erasure ----------------------------------------------------------------------


@round_group.command("purge")
@click.argument("round_id", type=int)
@with_appcontext
@_fails_cleanly
def round_purge(round_id: int) -> None:
    """Delete a closed round's stakeholders, invitations, drafts and emails once its retention
    period is over; its answers and results stay exactly as they were."""
    from survey.services.retention import purge_identities

    report = purge_identities(_round(round_id), date.today())
    db.session.commit()
    click.echo(
        f"round {round_id}: purged {report.stakeholders} stakeholder(s), {report.invitations} "
        f"invitation(s), {report.messages} email(s), {report.drafts} draft(s)"
    )


@click.command("retention")
@with_appcontext
@_fails_cleanly
def retention_command() -> None:
    """Purge identities of every closed round past its retention period (run it daily)."""
    from survey.services.retention import purge_due

    reports = purge_due(date.today())
    db.session.commit()
    click.echo(
        f"{len(reports)} round(s) purged"
        + "".join(f"\n  round {r.round_id}: {r.stakeholders} stakeholder(s)" for r in reports)
    )


@round_group.command("thresholds")
@click.argument("round_id", type=int)
@click.option("--threshold", type=int, help="Smallest group whose results are shown.")
@click.option("--comment-threshold", type=int, help="Smallest group whose comments are shown.")
@with_appcontext
@_fails_cleanly
def round_thresholds(round_id: int, threshold: int | None, comment_threshold: int | None) -> None:
    """Change a round's suppression thresholds; once it has responses they can only be raised."""
    from survey.services.retention import change_thresholds

    survey_round = _round(round_id)
    change_thresholds(survey_round, suppression=threshold, comment=comment_threshold)
    db.session.commit()
    click.echo(
        f"round {round_id}: results need {survey_round.suppression_threshold}, comments {survey_round.comment_threshold}"
    )


@stakeholders_group.command("erase")
@click.argument("round_id", type=int)
@click.argument("email")
@with_appcontext
@_fails_cleanly
def stakeholders_erase(round_id: int, email: str) -> None:
    """Erase one stakeholder on request: name, address, links, saved answers and emails."""
    from survey.services.retention import erase_stakeholder

    erase_stakeholder(_round(round_id), email)
    db.session.commit()
    click.echo(f"erased the stakeholder from round {round_id}")


# -- results ------------------------------------------------------------------------------------


def _write(data: bytes, output: str | None) -> None:
    if output:
        Path(output).write_bytes(data)
        click.echo(f"wrote {output}")
    else:
        sys.stdout.buffer.write(data)


@click.group("export")
def export_group() -> None:
    """Export results."""


@export_group.command("responses")
@click.argument("round_id", type=int)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False), help="File to write (default: stdout)."
)
@with_appcontext
@_fails_cleanly
def export_responses(round_id: int, output: str | None) -> None:
    """Export the round's anonymous responses as CSV (one row per response)."""
    from survey.services import audit
    from survey.services.responses import export_responses_csv
    from survey.services.rounds import questionnaire_for

    survey_round = _round(round_id)
    item_ids = [item.id for item in questionnaire_for(survey_round).items]
    data = export_responses_csv(survey_round, item_ids)
    audit.record("export.responses", target=f"round:{round_id}")
    db.session.commit()
    _write(data, output)


@export_group.command("results")
@click.argument("round_id", type=int)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False), help="File to write (default: stdout)."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "xlsx"]),
    default="csv",
    show_default=True,
    help="File format.",
)
@with_appcontext
@_fails_cleanly
def export_results(round_id: int, output: str | None, fmt: str) -> None:
    """Export the round's aggregated results as CSV or XLSX: every organisation x stakeholder
    group x domain and item, with intervals, benchmark and trend; small groups suppressed."""
    from survey.services import audit
    from survey.services.exports import results_csv, results_xlsx
    from survey.services.results.evidence import RoundInfo
    from survey.services.results.arrays import analyse
    from survey.services.rounds import previous_round

    survey_round = _round(round_id)
    provenance = RoundInfo.of(survey_round, previous_round(survey_round)).provenance()
    data = (results_xlsx if fmt == "xlsx" else results_csv)(analyse(survey_round), provenance)
    audit.record("export.results", target=f"round:{round_id}", format=fmt)
    db.session.commit()
    _write(data, output)


# -- accounts ---------------------------------------------------------------------------------


@click.group("users")
def users_group() -> None:
    """Create and list accounts."""


@users_group.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice([role.value for role in Role]), required=True)
@click.option(
    "--organisation", "code", help="Organisation code (commissioner and viewer accounts)."
)
@click.option("--region", help="Region (assessor accounts).")
@with_appcontext
@_fails_cleanly
def users_create(email: str, name: str, role: str, code: str | None, region: str | None) -> None:
    """Create an account and email it a one-time link to set its password."""
    from survey.services.accounts import create_user
    from survey.mail import deliver_due
    from survey.services.organisations import organisation_by_code

    organisation = organisation_by_code(code) if code else None
    user, link = create_user(
        email=email, name=name, role=Role(role), organisation=organisation, region=region
    )
    db.session.commit()
    deliver_due(current_app.config)
    click.echo(
        f"created {user.role.value} account {user.email}; set-password link (also emailed):\n  {link}"
    )


@users_group.command("list")
@with_appcontext
def users_list() -> None:
    """List accounts with their role and scope."""
    from survey.models import User

    for user in db.session.scalars(select(User).order_by(User.role, User.email)):
        scope = user.organisation.code if user.organisation else (user.region or "everything")
        state = "active" if user.active else "disabled"
        click.echo(f"{user.email:<40} {user.role.value:<12} {scope:<24} {state}")


# -- demo ---------------------------------------------------------------------------------------


@click.command("demo")
@click.option("--seed", type=int, default=2026, help="Random seed for the demo data.")
@click.option("--reset", is_flag=True, help="Delete the existing demo database first.")
@with_appcontext
def demo_command(seed: int, reset: bool) -> None:
    """Create the database and seed a realistic demo: two years of rounds and responses."""
    from survey.demo import seed_demo

    if reset:
        _reset_sqlite()
    from flask_migrate import upgrade

    upgrade()
    result = seed_demo(seed=seed, today=datetime.now().date())
    db.session.commit()
    click.echo(result.summary())


def _reset_sqlite() -> None:
    url = db.engine.url
    if url.get_backend_name() != "sqlite" or not url.database:
        raise click.ClickException("--reset only deletes a SQLite database; drop others yourself")
    db.engine.dispose()
    for suffix in ("", "-wal", "-shm"):
        Path(url.database + suffix).unlink(missing_ok=True)


def init_app(app: Flask) -> None:
    """Register the command groups on the application's CLI."""
    for group in (
        questionnaire_group,
        organisations_group,
        round_group,
        stakeholders_group,
        invitations_group,
        mail_group,
        export_group,
        users_group,
    ):
        app.cli.add_command(group)
    app.cli.add_command(demo_command)
    app.cli.add_command(retention_command)
    # Imported here: these command modules import helpers from this one.
    from survey.mail import cli as mail_cli
    from survey.reports.cli import reports_command

    mail_cli.init_app(app)
    app.cli.add_command(reports_command)


def _create_app() -> Flask:
    from survey import create_app

    try:
        return create_app()
    except ConfigError as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(1)


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """Assure360: run a 360-degree stakeholder survey round."""
