"""Exports of a round: aggregated results (CSV, XLSX) and the anonymous microdata (CSV).

:func:`results_export` and :func:`responses_export` are the services the commands and pages
call, each audited; the spreadsheets themselves are built by ``survey.reports.spreadsheets``.
"""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from survey.extensions import db
from survey.models import Organisation, Response, SurveyRound
from survey.reports.spreadsheets import neutralise, results_csv, results_xlsx
from survey.services import audit
from survey.services.errors import InputError
from survey.services.packing import StoredAnswer, scale_columns, unpack
from survey.services.results.arrays import analyse
from survey.services.results.evidence import RoundInfo
from survey.services.results.local import local_results
from survey.services.rounds import previous_round, questionnaire_for


def _cell(answer: StoredAnswer) -> str:
    if answer.get("dont_know"):
        return "DK"
    if "score" in answer:
        return str(answer["score"])
    return str(answer.get("text") or "")


def responses_csv(survey_round: SurveyRound, item_ids: list[str]) -> bytes:
    """Anonymous microdata: one row per response, one column per item.

    Scores are numbers, "don't know" is ``DK``, blank means not answered or not shown. Rows come
    in random-key order, which says nothing about when anyone answered. Cells that a spreadsheet
    would run as a formula are prefixed with a quote.
    """
    rows = db.session.execute(
        select(
            Organisation.code,
            Organisation.kind,
            Response.stakeholder_group,
            Response.scale_answers,
            Response.other_answers,
        )
        .join(Organisation, Organisation.id == Response.organisation_id)
        .where(Response.round_id == survey_round.id)
        .order_by(Response.id)
    ).all()
    packed_columns = scale_columns(questionnaire_for(survey_round))
    answers = [
        {item_id: _cell(value) for item_id, value in unpack(scale, other, packed_columns).items()}
        for _code, _kind, _group, scale, other in rows
    ]
    local_ids = sorted({item for values in answers for item in values} - set(item_ids))
    columns = item_ids + local_ids
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["response", "year", "organisation", "kind", "stakeholder_group", *columns])
    for number, ((code, kind, group, _scale, _other), values) in enumerate(
        zip(rows, answers, strict=True), start=1
    ):
        writer.writerow(
            [
                number,
                survey_round.year,
                *(neutralise(cell) for cell in (code, kind.value, group)),
                *(neutralise(values.get(c, "")) for c in columns),
            ]
        )
    return buffer.getvalue().encode("utf-8-sig")


def results_export(actor: audit.Actor, survey_round: SurveyRound, file_format: str) -> bytes:
    """The round's aggregated results (every organisation) as "csv" or "xlsx", audited."""
    builders = {"csv": results_csv, "xlsx": results_xlsx}
    if file_format not in builders:
        raise InputError(f"results export as csv or xlsx, not {file_format!r}")
    provenance = RoundInfo.of(survey_round, previous_round(survey_round)).provenance()
    local = [
        (code, result)
        for code, results in local_results(survey_round).items()
        for result in results
    ]
    data = builders[file_format](analyse(survey_round), provenance, local)
    audit.record(actor, "export.results", target=f"round:{survey_round.id}", format=file_format)
    return data


def responses_export(actor: audit.Actor, survey_round: SurveyRound) -> bytes:
    """The round's anonymous microdata as CSV (one row per response), audited."""
    item_ids = [item.id for item in questionnaire_for(survey_round).items]
    data = responses_csv(survey_round, item_ids)
    audit.record(actor, "export.responses", target=f"round:{survey_round.id}")
    return data
