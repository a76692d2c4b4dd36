"""``assure360 stakeholders`` and ``invitations``: load lists, erase a person, send links."""

from __future__ import annotations

from pathlib import Path

import click

from survey.commands.common import (
    column_help,
    command,
    deliver_after_commit,
    parse_columns,
    read_file,
    round_by_id,
)
from survey.services.audit import COMMAND_LINE
from survey.services.errors import InputError
from survey.services.invitations import issue_invitations, link_on_request
from survey.services.organisations import organisation_by_code
from survey.services.retention import erase_stakeholder
from survey.services.stakeholders import (
    StakeholderImportPlan,
    apply_stakeholder_import,
    plan_stakeholder_import,
)
from survey.services.tabular import STAKEHOLDER_LIST

COLUMN_OPTION = click.option(
    "--column",
    "chosen",
    multiple=True,
    callback=parse_columns,
    metavar="NAME=HEADER",
    help="The file's header for a column its headers do not name (repeatable), "
    "e.g. --column email='Contact address'.",
)


@click.group("stakeholders")
def stakeholders_group() -> None:
    """Load stakeholder lists."""


def _show_plan(path: str, plan: StakeholderImportPlan) -> None:
    click.echo(
        f"{path}: {len(plan.rows)} good row(s): {plan.new_stakeholders} new stakeholder(s), "
        f"{plan.updated_stakeholders} updated, {plan.new_invitations} new invitation(s)"
    )
    for group, count in sorted(plan.by_group.items()):
        click.echo(f"  {group}: {count}")
    for problem in plan.problems:
        click.echo(f"  {problem}", err=True)
    if plan.missing_columns:
        click.echo(f"  columns and headers understood: {column_help(STAKEHOLDER_LIST)}", err=True)
        click.echo("  or name the header with --column NAME=HEADER", err=True)


@stakeholders_group.command("import")
@click.argument("round_id", type=int)
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="Load without asking after the preview.")
@click.option("--dry-run", is_flag=True, help="Show the preview and problems only.")
@COLUMN_OPTION
@command
def stakeholders_import(
    round_id: int, path: str, yes: bool, dry_run: bool, chosen: dict[str, str]
) -> None:
    """Check a CSV/XLSX of stakeholders (columns email, name, group, assesses, and optionally
    employer, under headers such as 'EMAIL address' or 'Organisation Code' too), preview it,
    then load it all or nothing. 'assesses' holds one or more organisation codes separated by
    ';'; a group is its id or the questionnaire's name for it."""
    survey_round = round_by_id(round_id)
    plan = plan_stakeholder_import(survey_round, read_file(path), Path(path).name, chosen)
    _show_plan(path, plan)
    if not plan.ok:
        raise InputError(f"{len(plan.problems)} problem(s) in {path}; nothing was loaded")
    if dry_run:
        click.echo("dry run: nothing was loaded")
        return
    if not yes and not click.confirm("Load these stakeholders?", default=True):
        click.echo("nothing was loaded")
        return
    with click.progressbar(length=len(plan.rows), label="loading rows", show_pos=True) as bar:
        apply_stakeholder_import(
            COMMAND_LINE, survey_round, plan, on_progress=lambda done: bar.update(done - bar.pos)
        )
    click.echo("loaded")


@stakeholders_group.command("erase")
@click.argument("round_id", type=int)
@click.argument("email")
@command
def stakeholders_erase(round_id: int, email: str) -> None:
    """Erase one stakeholder on request: name, address, links, saved answers and emails."""
    erase_stakeholder(COMMAND_LINE, round_by_id(round_id), email)
    click.echo(f"erased the stakeholder from round {round_id}")


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
@command
def invitations_issue(round_id: int, codes: tuple[str, ...], queue_only: bool) -> None:
    """Make links for pending invitations and email them, one email per stakeholder."""
    survey_round = round_by_id(round_id)
    ids = {organisation_by_code(code).id for code in codes} if codes else None
    report = issue_invitations(COMMAND_LINE, survey_round, ids)
    click.echo(f"{report.invitations} invitation(s) in {report.emails} email(s) queued")
    deliver_after_commit(report.emails, queue_only=queue_only)


@invitations_group.command("link")
@click.argument("round_id", type=int)
@click.option("--email", required=True, help="The stakeholder's email address.")
@click.option("--organisation", "code", required=True, help="The assessed organisation's code.")
@click.option("--reissue", is_flag=True, help="Make a new link; the old one stops working.")
@command
def invitations_link(round_id: int, email: str, code: str, reissue: bool) -> None:
    """Print one stakeholder's survey link about one organisation (to test the round, or for a
    stakeholder who lost their email), or with --reissue replace it. Audited: the link lets
    whoever holds it answer as that stakeholder."""
    link = link_on_request(
        COMMAND_LINE,
        round_by_id(round_id),
        email,
        organisation_by_code(code).id,
        reissue=reissue,
    )
    click.echo(link)
