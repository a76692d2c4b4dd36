"""``assure360 reports ROUND_ID --output DIR``: every organisation's report and agenda."""

from __future__ import annotations

import os
from pathlib import Path

import click

from survey.commands.common import command, round_by_id
from survey.extensions import db
from survey.reports.bulk import generate
from survey.services import audit
from survey.services.audit import COMMAND_LINE
from survey.services.results.files import plan_round_reports, record_report


@click.command("reports")
@click.argument("round_id", type=int)
@click.option(
    "--output",
    "-o",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder to write the files to.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=lambda: min(4, os.cpu_count() or 1),
    show_default="CPUs, at most 4",
    help="Worker processes.",
)
@click.option(
    "--organisation", "codes", multiple=True, help="Only this organisation code (repeatable)."
)
@click.option("--html/--no-html", default=True, help="Also write the agenda as HTML.")
@command
def reports_command(
    round_id: int, output: str, workers: int, codes: tuple[str, ...], html: bool
) -> None:
    """Write the report (PDF) and assurance agenda (DOCX, HTML) of every organisation of a round."""
    plan = plan_round_reports(round_by_id(round_id), codes)
    db.session.rollback()  # release the read transaction while the workers render
    written = 0
    with click.progressbar(length=len(plan.jobs), label=f"Reports for round {round_id}") as bar:
        for done in generate(
            plan.jobs, plan.info, plan.questionnaire, Path(output), workers=workers, html=html
        ):
            record_report(COMMAND_LINE, round_id, done)
            written += len(done.files)
            bar.update(1)
    audit.record(
        COMMAND_LINE,
        "export.reports",
        target=f"round:{round_id}",
        organisations=len(plan.jobs),
        files=written,
    )
    click.echo(f"wrote {written} file(s) for {len(plan.jobs)} organisation(s) to {output}")
