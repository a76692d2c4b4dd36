"""Export builders: each returns bytes; commands and routes wrap them."""

from __future__ import annotations

import csv
import io
import math

from analysis import RoundTable
from survey.responses import neutralise


def _cell(value: object) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.6g}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return neutralise(str(value))


def results_csv(table: RoundTable) -> bytes:
    """The aggregated results table as CSV; suppressed cells carry no numbers, only the flag."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    columns = table.columns()
    writer.writerow(columns)
    for row in table.rows():
        writer.writerow([_cell(row[name]) for name in columns])
    return buffer.getvalue().encode("utf-8-sig")
