"""The ``assure360`` command: every step of a round from the command line.

One module per command group; each command is thin (parse options, call a service, report)
and runs as one unit of work through ``survey.commands.common.command``.
"""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import FlaskGroup
from flask_migrate.cli import db as migrate_group  # type: ignore[import-not-found]

from survey.commands.backup import backup_command
from survey.commands.demo import demo_command, retention_command
from survey.commands.export import export_group
from survey.commands.fieldwork import fieldwork_group
from survey.commands.mail import mail_group, reminders_group
from survey.commands.organisations import organisations_group
from survey.commands.questionnaire import questionnaire_group
from survey.commands.reports import reports_command
from survey.commands.rounds import round_group
from survey.commands.stakeholders import invitations_group, stakeholders_group
from survey.commands.users import users_group
from survey.config import ConfigError

COMMANDS: tuple[click.Command, ...] = (
    questionnaire_group,
    organisations_group,
    round_group,
    stakeholders_group,
    invitations_group,
    mail_group,
    reminders_group,
    fieldwork_group,
    export_group,
    users_group,
    reports_command,
    demo_command,
    retention_command,
    backup_command,
)


def init_app(app: Flask) -> None:
    """Register every command on the application's CLI."""
    for group in COMMANDS:
        app.cli.add_command(group)


def _create_app() -> Flask:
    from survey import create_app

    try:
        return create_app()
    except ConfigError as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(1)


class _Assure360Group(FlaskGroup):
    """Finds its commands without building the application, so ``--help`` (and commands that
    need no database, such as ``questionnaire check``) work before SECRET_KEY is set; a
    command that needs the application builds it when it runs (``with_appcontext``), and the
    configuration is checked then."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_plugin_commands()
        return sorted(click.Group.list_commands(self, ctx))


@click.group(cls=_Assure360Group, create_app=_create_app, add_version_option=False)
def main() -> None:
    """Assure360: run a 360-degree stakeholder survey round."""


for _command in COMMANDS:
    main.add_command(_command)
main.add_command(migrate_group, name="db")  # what Flask-Migrate adds to the app's own CLI
