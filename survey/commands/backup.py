"""``assure360 backup PATH``: an online, checked copy of a SQLite database in one file."""

from __future__ import annotations

import click

from survey.commands.common import command
from survey.services.audit import COMMAND_LINE
from survey.services.backup import back_up


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False))
@command
def backup_command(path: str) -> None:
    """Copy the SQLite database to PATH (a new file) while the app keeps running, and check it.

    The copy is one consistent snapshot in one self-contained file; it is never written over an
    existing file. Restore by stopping the web app and the mail worker and copying the file back.
    On PostgreSQL use pg_dump --format=custom instead (docs/deployment.md).
    """
    click.echo(back_up(COMMAND_LINE, path).summary())
