"""``assure360 reports ROUND_ID --output DIR``: every organisation's report and agenda."""

from __future__ import annotations

import os
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from survey.cli import _fails_cleanly, _round


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
@with_appcontext
@_fails_cleanly
def reports_command(
    round_id: int, output: str, workers: int, codes: tuple[str, ...], html: bool
) -> None:
    """Write the report (PDF) and assurance agenda (DOCX, HTML) of every organisation of a round."""
    from survey.services import audit
    from survey.extensions import db
    from survey.models import Organisation
    from survey.reports.bulk import generate, jobs
    from survey.services.results.evidence import RoundInfo
    from survey.services.results.local import local_results
    from survey.services.results.arrays import analyse
    from survey.services.rounds import previous_round, questionnaire_for

    survey_round = _round(round_id)
    table = analyse(survey_round)
    info = RoundInfo.of(survey_round, previous_round(survey_round))
    organisations = db.session.scalars(select(Organisation)).all()
    by_id = {org.id: org.code for org in organisations}
    names = {org.code: org.name for org in organisations}
    local = {by_id[org_id]: results for org_id, results in local_results(survey_round).items()}
    wanted = [code.upper() for code in codes]
    unknown = sorted(set(wanted) - set(table.organisation.tolist()))
    if unknown:
        raise click.ClickException(f"no results in round {round_id} for {', '.join(unknown)}")
    work = jobs(table, names, local, wanted or None)
    db.session.rollback()  # release the read transaction while the workers render
    written = 0
    with click.progressbar(length=len(work), label=f"Reports for round {round_id}") as bar:
        for done in generate(
            work, info, questionnaire_for(survey_round), Path(output), workers=workers, html=html
        ):
            audit.record(
                "report.organisation",
                target=f"round:{round_id}",
                organisation=done.code,
                files=list(done.files),
            )
            written += len(done.files)
            bar.update(1)
    audit.record(
        "export.reports", target=f"round:{round_id}", organisations=len(work), files=written
    )
    db.session.commit()
    click.echo(f"wrote {written} file(s) for {len(work)} organisation(s) to {output}")
