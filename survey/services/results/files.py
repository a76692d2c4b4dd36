"""One organisation's results as files: agenda (DOCX, HTML), report (PDF), table (CSV, XLSX).

Each is built from the round's table (``survey.services.results.dashboard.round_table``), the
same one the dashboard shows, and each download is audited.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from analysis import WHOLE_ROUND
from questionnaires import Questionnaire
from survey.models import Organisation, SurveyRound
from survey.reports.agenda import Agenda, build_agenda
from survey.reports.agenda_document import agenda_docx, agenda_html
from survey.reports.bulk import Done, Job, jobs
from survey.reports.report import report_pdf
from survey.reports.spreadsheets import results_csv, results_xlsx
from survey.services import audit
from survey.services.assurance import report_assessment
from survey.services.errors import InputError
from survey.services.organisations import all_organisations
from survey.services.publication import latest_release, release_comments, release_local
from survey.services.results.dashboard import round_reliability, round_table
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
    return build_agenda(
        round_table(survey_round),
        org.code,
        round_info(survey_round),
        questionnaire_for(survey_round),
        organisation_name=org.name,
        previous=previous_round(survey_round),
        assessment=report_assessment(org, survey_round),
        trend=organisation_trend(org.code, survey_round),
        local=release_local(latest_release(survey_round)).get(org.code, ()),
        comments=release_comments(latest_release(survey_round), survey_round, org.code),
    )


def _report(org: Organisation, survey_round: SurveyRound) -> bytes:
    return report_pdf(
        round_table(survey_round),
        org.code,
        round_info(survey_round),
        questionnaire_for(survey_round),
        previous=previous_round(survey_round),
        organisation_name=org.name,
        local=release_local(latest_release(survey_round)).get(org.code, ()),
        trend=organisation_trend(org.code, survey_round),
        reliability=round_reliability(survey_round),
    )


def round_info(survey_round: SurveyRound) -> RoundInfo:
    """The round's facts as its files state them, with the release their figures come from."""
    return RoundInfo.of(survey_round, previous_round(survey_round), latest_release(survey_round))


def _provenance(survey_round: SurveyRound) -> list[tuple[str, str]]:
    return round_info(survey_round).provenance()


def _local(org: Organisation, survey_round: SurveyRound) -> list[tuple[str, LocalResult]]:
    local = release_local(latest_release(survey_round))
    return [(org.code, result) for result in local.get(org.code, [])]


def _csv(org: Organisation, survey_round: SurveyRound) -> bytes:
    table = organisation_table(round_table(survey_round), org.code)
    extra = trend_columns(table, survey_round)
    return results_csv(table, _provenance(survey_round), _local(org, survey_round), extra)


def _xlsx(org: Organisation, survey_round: SurveyRound) -> bytes:
    table = organisation_table(round_table(survey_round), org.code)
    extra = trend_columns(table, survey_round)
    reliability = round_reliability(survey_round).of(org.code, WHOLE_ROUND)
    return results_xlsx(
        table, _provenance(survey_round), _local(org, survey_round), extra, reliability
    )


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
    table = round_table(survey_round)
    wanted = [code.upper() for code in codes]
    unknown = sorted(set(wanted) - set(table.organisation.tolist()))
    if unknown:
        raise InputError(f"no results in round {survey_round.id} for {', '.join(unknown)}")
    organisations = {org.code: org for org in all_organisations()}
    names = {code: org.name for code, org in organisations.items()}
    release = latest_release(survey_round)
    local = release_local(release)
    reliability = round_reliability(survey_round)
    comments = {
        code: release_comments(release, survey_round, code)
        for code in dict.fromkeys(table.organisation.tolist())
    }
    planned = [
        replace(
            job,
            reliability=reliability.of(job.code, WHOLE_ROUND),
            trend=organisation_trend(job.code, survey_round),
            comments=comments.get(job.code),
            assessment=report_assessment(organisations[job.code], survey_round)
            if job.code in organisations
            else None,
        )
        for job in jobs(table, names, local, wanted or None)
    ]
    return RoundReports(
        round_info(survey_round),
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
