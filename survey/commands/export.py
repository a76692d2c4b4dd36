"""``assure360 export``: a round's aggregated results and its anonymous microdata."""

from __future__ import annotations

import click

from survey.commands.common import command, round_by_id, write_output
from survey.services.audit import COMMAND_LINE
from survey.services.exports import responses_export, results_export
from survey.transactions import after_commit

_OUTPUT = click.option(
    "--output", "-o", type=click.Path(dir_okay=False), help="File to write (default: stdout)."
)


@click.group("export")
def export_group() -> None:
    """Export results."""


@export_group.command("responses")
@click.argument("round_id", type=int)
@_OUTPUT
@command
def export_responses(round_id: int, output: str | None) -> None:
    """Export the round's anonymous responses as CSV (one row per response)."""
    data = responses_export(COMMAND_LINE, round_by_id(round_id))
    after_commit(lambda: write_output(data, output))  # handed out once the audit entry is in


@export_group.command("results")
@click.argument("round_id", type=int)
@_OUTPUT
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["csv", "xlsx"]),
    default="csv",
    show_default=True,
    help="File format.",
)
@command
def export_results(round_id: int, output: str | None, file_format: str) -> None:
    """Export the round's aggregated results as CSV or XLSX: every organisation x stakeholder
    group x domain and item, with intervals, benchmark and trend; small groups suppressed."""
    data = results_export(COMMAND_LINE, round_by_id(round_id), file_format)
    after_commit(lambda: write_output(data, output))
