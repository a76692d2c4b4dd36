"""One organisation's results as files: agenda (DOCX, HTML), report (PDF), table (CSV, XLSX).

Each is built from the round's latest release (``survey.services.publication``), the same one
the dashboard shows, and each download is audited.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from analysis import WHOLE_ROUND
from questionnaires import Questionnaire
from survey.models import Organisation, ResultsRelease, SurveyRound
from survey.reports.agenda import Agenda, build_agenda
from survey.reports.agenda_document import agenda_docx, agenda_html
from survey.reports.bulk import Done, Job, jobs
from survey.reports.report import report_pdf
from survey.reports.spreadsheets import results_csv, results_xlsx
from survey.services import audit
from survey.services.assurance import report_assessment
from survey.services.errors import InputError
from survey.services.organisations import all_organisations
from survey.services.publication import (
    latest_release,
    release_comments,
    release_local,
    release_reliability,
    release_table,
)
from survey.services.results.evidence import RoundInfo, organisation_table
from survey.services.results.local import LocalResult
from survey.services.results.trend import organisation_trend, trend_columns
from survey.services.rounds import previous_round, questionnaire_for

Builder = Callable[[Organisation, SurveyRound], bytes]


@dataclass(frozen=True)
class ResultsFile:
    name: str
    media_type: str
    data: bytes

    @property
    def attachment(self) -> bool:
        """Whether a browser should save it rather than show it (everything but HTML)."""
        return not self.name.endswith(".html")


def _agenda(org: Organisation, survey_round: SurveyRound) -> Agenda:
    release = latest_release(survey_round)
    return build_agenda(
        release_table(release),
        org.code,
        round_info(survey_round, release),
        questionnaire_for(survey_round),
        organisation_name=org.name,
        previous=previous_round(survey_round),
        assessment=report_assessment(org, survey_round),
        trend=organisation_trend(org.code, survey_round, release),
        local=release_local(release).get(org.code, ()),
        comments=release_comments(release, survey_round, org.code),
    )


def _report(org: Organisation, survey_round: SurveyRound) -> bytes:
    release = latest_release(survey_round)
    return report_pdf(
        release_table(release),
        org.code,
        round_info(survey_round, release),
        questionnaire_for(survey_round),
        previous=previous_round(survey_round),
        organisation_name=org.name,
        local=release_local(release).get(org.code, ()),
        trend=organisation_trend(org.code, survey_round, release),
        reliability=release_reliability(release),
    )


def round_info(survey_round: SurveyRound, release: ResultsRelease | None) -> RoundInfo:
    """The round's facts as its files state them, with the release (its latest) their figures
    come from."""
    return RoundInfo.of(survey_round, previous_round(survey_round), release)


def _local(org: Organisation, release: ResultsRelease | None) -> list[tuple[str, LocalResult]]:
    return [(org.code, result) for result in release_local(release).get(org.code, [])]


def _csv(org: Organisation, survey_round: SurveyRound) -> bytes:
    release = latest_release(survey_round)
    table = organisation_table(release_table(release), org.code)
    extra = trend_columns(table, survey_round)
    provenance = round_info(survey_round, release).provenance()
    return results_csv(table, provenance, _local(org, release), extra)


def _xlsx(org: Organisation, survey_round: SurveyRound) -> bytes:
    release = latest_release(survey_round)
    table = organisation_table(release_table(release), org.code)
    extra = trend_columns(table, survey_round)
    reliability = release_reliability(release).of(org.code, WHOLE_ROUND)
    provenance = round_info(survey_round, release).provenance()
    return results_xlsx(table, provenance, _local(org, release), extra, reliability)


#: file name ending -> (media type, builder of the file's bytes)
FORMATS: dict[str, tuple[str, Builder]] = {
    "agenda.docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        lambda org, r: agenda_docx(_agenda(org, r)),
    ),
    "agenda.html": (
        "text/html; charset=utf-8",
        lambda org, r: agenda_html(_agenda(org, r)).encode("utf-8"),
    ),
    "report.pdf": ("application/pdf", _report),
    "results.csv": ("text/csv; charset=utf-8", _csv),
    "results.xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _xlsx,
    ),
}


def organisation_file(
    actor: audit.Actor, organisation: Organisation, survey_round: SurveyRound, name: str
) -> ResultsFile:
    """Build one of :data:`FORMATS` for ``organisation`` (access already checked), audited."""
    media_type, build = FORMATS[name]
    data = build(organisation, survey_round)
    audit.record(
        actor, f"export.{name}", target=f"organisation:{organisation.code}", round=survey_round.id
    )
    return ResultsFile(f"{organisation.code}-{survey_round.year}-{name}", media_type, data)


@dataclass(frozen=True)
class RoundReports:
    """Everything the bulk report writer needs, read once: no worker touches the database."""

    info: RoundInfo
    questionnaire: Questionnaire
    jobs: list[Job]


def plan_round_reports(survey_round: SurveyRound, codes: Sequence[str] = ()) -> RoundReports:
    """One report job per organisation of the round's results (or only ``codes``)."""
    release = latest_release(survey_round)
    table = release_table(release)
    wanted = [code.upper() for code in codes]
    unknown = sorted(set(wanted) - set(table.organisation.tolist()))
    if unknown:
        raise InputError(f"no results in round {survey_round.id} for {', '.join(unknown)}")
    organisations = {org.code: org for org in all_organisations()}
    names = {code: org.name for code, org in organisations.items()}
    local = release_local(release)
    reliability = release_reliability(release)
    comments = {
        code: release_comments(release, survey_round, code)
        for code in dict.fromkeys(table.organisation.tolist())
    }
    planned = [
        replace(
            job,
            reliability=reliability.of(job.code, WHOLE_ROUND),
            trend=organisation_trend(job.code, survey_round, release),
            comments=comments.get(job.code),
            assessment=report_assessment(organisations[job.code], survey_round)
            if job.code in organisations
            else None,
        )
        for job in jobs(table, names, local, wanted or None)
    ]
    return RoundReports(
        round_info(survey_round, release),
        questionnaire_for(survey_round),
        planned,
    )


def record_report(actor: audit.Actor, round_id: int, done: Done) -> None:
    """Audit one organisation's written report files."""
    audit.record(
        actor,
        "report.organisation",
        target=f"round:{round_id}",
        organisation=done.code,
        files=list(done.files),
    )
