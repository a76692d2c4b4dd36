"""``assure360 questionnaire``: check and list questionnaires."""

from __future__ import annotations

import click

import questionnaires


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
    """Validate a questionnaire (a bundled name or a YAML file) and summarise it; a broken one
    has every problem found listed, one a line."""
    try:
        loaded = questionnaires.load(name_or_path)
    except questionnaires.QuestionnaireError as error:
        click.echo(str(error), err=True)
        count = len(error.problems)
        raise click.ClickException(
            f"{count} problem{'' if count == 1 else 's'} in {error.file}"
        ) from None
    scale_items = [item for item in loaded.items if item.kind == "scale"]
    click.echo(f"{loaded.id} v{loaded.version}: {loaded.title}")
    click.echo(
        f"  {len(loaded.sections)} sections, {len(loaded.domains)} domains, "
        f"{len(scale_items)} scale items, {len(loaded.items) - len(scale_items)} open-text items, "
        f"{len(loaded.stakeholder_groups)} stakeholder groups"
    )
    click.echo("OK")
