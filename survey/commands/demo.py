"""``assure360 demo`` and ``retention``: seed the demo; purge identities past retention."""

from __future__ import annotations

from pathlib import Path

import click
from flask_migrate import upgrade

from survey.commands.common import command, deliver_after_commit
from survey.demo import seed_demo
from survey.extensions import db
from survey.services.audit import COMMAND_LINE
from survey.services.clock import uk_today
from survey.services.retention import purge_due, rounds_due_for_purge


@click.command("demo")
@click.option("--seed", type=int, default=2026, help="Random seed for the demo data.")
@click.option("--reset", is_flag=True, help="Delete the existing demo database first.")
@command
def demo_command(seed: int, reset: bool) -> None:
    """Create the database and seed a realistic demo: three years of rounds and responses."""
    if reset:
        _reset_sqlite()
    click.echo("creating the database")
    upgrade()
    result = seed_demo(seed=seed, today=uk_today(), on_step=click.echo)
    deliver_after_commit(result.emails)
    click.echo(result.summary())


def _reset_sqlite() -> None:
    url = db.engine.url
    if url.get_backend_name() != "sqlite" or not url.database:
        raise click.ClickException("--reset only deletes a SQLite database; drop others yourself")
    db.session.remove()
    db.engine.dispose()
    for suffix in ("", "-wal", "-shm"):
        Path(url.database + suffix).unlink(missing_ok=True)


@click.command("retention")
@click.option("--dry-run", is_flag=True, help="List the rounds that would be purged; purge none.")
@command
def retention_command(dry_run: bool) -> None:
    """Purge identities of every closed round past its retention period (run it daily).

    A round keeps its stakeholders' names, addresses and links for its retention period after it
    closes (90 days unless set otherwise); its answers and published results are kept for good.
    """
    if dry_run:
        due = rounds_due_for_purge(uk_today())
        for survey_round, stakeholders in due:
            click.echo(
                f"round {survey_round.id} ({survey_round.title}): {stakeholders} stakeholder(s), "
                f"closed {survey_round.closes_on}, kept {survey_round.retention_days} days"
            )
        click.echo(f"dry run: {len(due)} round(s) would be purged; nothing was purged")
        return
    reports = purge_due(COMMAND_LINE, uk_today())
    click.echo(
        f"{len(reports)} round(s) purged"
        + "".join(f"\n  round {r.round_id}: {r.stakeholders} stakeholder(s)" for r in reports)
    )
