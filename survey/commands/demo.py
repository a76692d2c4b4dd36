"""``assure360 demo`` and ``retention``: seed the demo; purge identities past retention."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click
from flask_migrate import upgrade

from survey.commands.common import command, deliver_after_commit
from survey.demo import seed_demo
from survey.extensions import db
from survey.services.audit import COMMAND_LINE
from survey.services.retention import purge_due


@click.command("demo")
@click.option("--seed", type=int, default=2026, help="Random seed for the demo data.")
@click.option("--reset", is_flag=True, help="Delete the existing demo database first.")
@command
def demo_command(seed: int, reset: bool) -> None:
    """Create the database and seed a realistic demo: two years of rounds and responses."""
    if reset:
        _reset_sqlite()
    upgrade()
    result = seed_demo(seed=seed, today=datetime.now().date())
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
@command
def retention_command() -> None:
    """Purge identities of every closed round past its retention period (run it daily)."""
    reports = purge_due(COMMAND_LINE, date.today())
    click.echo(
        f"{len(reports)} round(s) purged"
        + "".join(f"\n  round {r.round_id}: {r.stakeholders} stakeholder(s)" for r in reports)
    )
