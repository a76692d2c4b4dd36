"""``assure360 organisations``: load and list assessed organisations."""

from __future__ import annotations

from pathlib import Path

import click

from survey.commands.common import column_help, command, parse_columns, read_file
from survey.services.audit import COMMAND_LINE
from survey.services.errors import InputError
from survey.services.organisations import all_organisations, import_organisations
from survey.services.tabular import ORGANISATION_LIST


@click.group("organisations")
def organisations_group() -> None:
    """Load and list assessed organisations."""


@organisations_group.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option(
    "--column",
    "chosen",
    multiple=True,
    callback=parse_columns,
    metavar="NAME=HEADER",
    help="The file's header for a column its headers do not name (repeatable), "
    "e.g. --column code=ODS.",
)
@command
def organisations_import(path: str, chosen: dict[str, str]) -> None:
    """Create or update organisations from a CSV/XLSX with columns code, name, kind (ccg or
    direct), region and optionally area (headers such as 'Organisation code' too). All or
    nothing."""
    plan = import_organisations(COMMAND_LINE, read_file(path), Path(path).name, chosen)
    if not plan.ok:
        hint = (
            f"; columns and headers understood: {column_help(ORGANISATION_LIST)}; "
            "or name the header with --column NAME=HEADER"
            if plan.missing_columns
            else ""
        )
        raise InputError(
            f"{plan.source}: " + "; ".join(str(problem) for problem in plan.problems) + hint
        )
    click.echo(f"{plan.created} organisation(s) created, {plan.updated} updated")


@organisations_group.command("list")
@command
def organisations_list() -> None:
    """List organisations by region."""
    for org in all_organisations():
        click.echo(f"{org.code:<8} {org.kind.value:<7} {org.region:<24} {org.name}")
