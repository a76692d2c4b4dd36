"""``assure360 users``: create and list accounts."""

from __future__ import annotations

import click

from survey.commands.common import command, deliver_after_commit
from survey.models import Role
from survey.services import two_factor
from survey.services.accounts import account_by_email, all_accounts, create_user
from survey.services.audit import COMMAND_LINE


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
@click.option(
    "--show-link",
    is_flag=True,
    help="Also print the set-password link (whoever sees it can take the account over).",
)
@command
def users_create(
    email: str, name: str, role: str, code: str | None, region: str | None, show_link: bool
) -> None:
    """Create an account and email it a one-time link to set its password."""
    user, link = create_user(
        COMMAND_LINE, email=email, name=name, role=role, organisation_code=code, region=region
    )
    deliver_after_commit(1)
    click.echo(f"created {user.role.value} account {user.email}; a set-password link is emailed")
    if show_link:
        click.echo(f"  {link}")


@users_group.command("list")
@command
def users_list() -> None:
    """List accounts with their role and scope."""
    for user in all_accounts():
        scope = user.organisation.code if user.organisation else (user.region or "everything")
        state = "active" if user.active else "disabled"
        click.echo(f"{user.email:<40} {user.role.value:<12} {scope:<24} {state}")


@users_group.command("reset-two-factor")
@click.option("--email", required=True)
@command
def users_reset_two_factor(email: str) -> None:
    """Remove an account's second factor (a lost phone, or after SECRET_KEY was rotated: the
    stored secrets were encrypted with a key derived from it). They enrol again."""
    user = account_by_email(email)
    two_factor.reset(COMMAND_LINE, user)
    click.echo(f"two-factor sign-in for {user.email} is reset; their sessions have ended")
