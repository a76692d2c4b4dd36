"""Exports of a round: aggregated results (CSV, XLSX) and the anonymous microdata (CSV).

:func:`results_export` and :func:`responses_export` are the services the commands and pages
call, each audited; the spreadsheets themselves are built by ``survey.reports.spreadsheets``.
"""

from __future__ import annotations

from survey.models import SurveyRound
from survey.reports.spreadsheets import results_csv, results_xlsx
from survey.services import audit
from survey.services.errors import InputError
from survey.services.microdata import microdata
from survey.services.publication import (
    as_of,
    latest_release,
    release_local,
    release_reliability,
    release_table,
)
from survey.services.results.evidence import RoundInfo
from survey.services.rounds import previous_round, questionnaire_for


def results_export(actor: audit.Actor, survey_round: SurveyRound, file_format: str) -> bytes:
    """The round's aggregated results (every organisation) as "csv" or "xlsx", audited."""
    if file_format not in ("csv", "xlsx"):
        raise InputError(f"results export as csv or xlsx, not {file_format!r}")
    release = latest_release(survey_round)
    if release is None:
        raise InputError(
            f"round {survey_round.id} has no results released yet (assure360 round publish)"
        )
    provenance = RoundInfo.of(survey_round, previous_round(survey_round), release).provenance()
    local = [
        (code, result) for code, results in release_local(release).items() for result in results
    ]
    table = release_table(release)
    if file_format == "xlsx":  # with every organisation's and the whole round's alpha
        data = results_xlsx(table, provenance, local, reliability=release_reliability(release))
    else:
        data = results_csv(table, provenance, local)
    audit.record(actor, "export.results", target=f"round:{survey_round.id}", format=file_format)
    return data


def responses_export(actor: audit.Actor, survey_round: SurveyRound) -> bytes:
    """The round's anonymous microdata as CSV (one row per published response), audited with
    what disclosure control did: records coarsened to family or combined, left out, answers
    withheld (counts only). It holds the responses of the round's latest release, as every
    other file does: between releases two downloads are the same."""
    release = latest_release(survey_round)
    if release is None:
        raise InputError(
            f"round {survey_round.id} has no results released yet (assure360 round publish)"
        )
    item_ids = [item.id for item in questionnaire_for(survey_round).items]
    made = microdata(survey_round, item_ids, as_of(release))
    audit.record(
        actor, "export.responses", target=f"round:{survey_round.id}", **made.audit_detail()
    )
    return made.data
