"""``assure360 organisations``: load and list assessed organisations."""

from __future__ import annotations

from pathlib import Path

import click

from survey.commands.common import command, read_file
from survey.services.audit import COMMAND_LINE
from survey.services.errors import InputError
from survey.services.organisations import all_organisations, import_organisations


@click.group("organisations")
def organisations_group() -> None:
    """Load and list assessed organisations."""


@organisations_group.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
@command
def organisations_import(path: str) -> None:
    """Create or update organisations from a CSV/XLSX with columns code, name, kind (ccg or
    direct), region and optionally area. All or nothing."""
    plan = import_organisations(COMMAND_LINE, read_file(path), Path(path).name)
    if not plan.ok:
        raise InputError(f"{plan.source}: " + "; ".join(str(problem) for problem in plan.problems))
    click.echo(f"{plan.created} organisation(s) created, {plan.updated} updated")


@organisations_group.command("list")
@command
def organisations_list() -> None:
    """List organisations by region."""
    for org in all_organisations():
        click.echo(f"{org.code:<8} {org.kind.value:<7} {org.region:<24} {org.name}")
