"""One organisation's results as files, and the bulk report plan, without a request.

Covers :mod:`survey.services.results.files`: every format of :data:`FORMATS` is built, named,
typed and audited for the acting account; a file holds the one organisation it was asked for
(its table rows, hand-counted, with hidden groups empty, and its own local question only);
an unknown format is refused with nothing audited; :func:`plan_round_reports` gives one job per
organisation with results (or only the codes asked for, any case) and refuses codes without
results, naming them; :func:`record_report` audits what was written.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

import pytest
from docx import Document
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from analysis import ALL_STAKEHOLDERS, WHOLE_ROUND
from survey.models import AuditEvent, LocalQuestion, Organisation, SurveyRound
from survey.reports.bulk import Done
from survey.services.audit import COMMAND_LINE, Actor
from survey.services.errors import InputError
from survey.services.results.files import (
    FORMATS,
    organisation_file,
    plan_round_reports,
    record_report,
)
from tests.survey.stored import publish, respond

ITEM = "overall_relationship"
OWN_GP = (5, 4, 4, 2, 5, 3)  # and one local authority answering 1
OWN_LOCAL = (5, 4, 2, 1, 4)
OWN_QUESTION = "Is our new urgent care hub working?"
OTHER_QUESTION = "Do you trust our estates plan?"


def _ask(db: Any, survey_round: Any, organisation: Any, text: str) -> None:
    db.session.add(
        LocalQuestion(
            round_id=survey_round.id,
            organisation_id=organisation.id,
            item_id="local_1",
            text=text,
            scale="agreement",
        )
    )
    db.session.commit()


@dataclass
class Files:
    survey_round: SurveyRound
    own: Organisation
    other: Organisation


@pytest.fixture
def answered(db: Any, make_round: Any, make_organisation: Any, make_invitation: Any) -> Files:
    survey_round = make_round(year=2040, suppression_threshold=5, comment_threshold=10)
    own = make_organisation(code="DL001", name="NHS Download ICB", region="Midlands")
    other = make_organisation(code="DL002", name="NHS Elsewhere ICB", region="London")
    silent = make_organisation(code="DL003", name="NHS Quiet ICB")
    make_organisation(code="DL004", name="NHS Absent ICB")  # not in the round
    _ask(db, survey_round, own, OWN_QUESTION)
    _ask(db, survey_round, other, OTHER_QUESTION)
    for index, score in enumerate(OWN_GP):
        answers: dict[str, dict] = {ITEM: {"score": score}}
        if index < len(OWN_LOCAL):
            answers["local_1"] = {"score": OWN_LOCAL[index]}
        respond(db, make_invitation, survey_round, own, answers, "gp_practice")
    respond(db, make_invitation, survey_round, own, {ITEM: {"score": 1}}, "local_authority")
    for score in (1, 1, 2, 1, 5, 1):
        respond(
            db,
            make_invitation,
            survey_round,
            other,
            {ITEM: {"score": score}, "local_1": {"score": 5}},
            "gp_practice",
        )
    make_invitation(survey_round=survey_round, organisation=silent)
    publish(survey_round)
    db.session.commit()
    return Files(survey_round, own, other)


def _audit(db: Any, like: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action.like(like)).order_by(AuditEvent.id)
        )
    )


def test_every_format_is_built_named_typed_and_audited(
    db: Any, answered: Files, make_user: Any
) -> None:
    user = make_user(role="commissioner", organisation=answered.own)
    year, round_id = answered.survey_round.year, answered.survey_round.id
    assert set(FORMATS) == {
        "agenda.docx",
        "agenda.html",
        "report.pdf",
        "results.csv",
        "results.xlsx",
    }

    made = {
        name: organisation_file(Actor.web(user), answered.own, answered.survey_round, name)
        for name in FORMATS
    }
    db.session.commit()

    for name, file in made.items():
        assert file.name == f"DL001-{year}-{name}"
        assert file.media_type == FORMATS[name][0]
        assert file.attachment is (name != "agenda.html")  # a browser shows the HTML agenda
    assert made["report.pdf"].media_type == "application/pdf"
    assert made["results.csv"].media_type.startswith("text/csv")
    pdf = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(made["report.pdf"].data)).pages)
    assert "NHS Download ICB" in pdf and "NHS Elsewhere ICB" not in pdf
    agenda = Document(io.BytesIO(made["agenda.docx"].data))
    assert any("NHS Download ICB" in p.text for p in agenda.paragraphs)
    html = made["agenda.html"].data.decode("utf-8")
    assert "NHS Download ICB" in html and "NHS Elsewhere ICB" not in html
    assert load_workbook(io.BytesIO(made["results.xlsx"].data), read_only=True).sheetnames == [
        "About",
        "Results",
        "Local questions",
        "Reliability",
    ]

    events = _audit(db, "export.%")
    assert [e.action for e in events] == [f"export.{name}" for name in FORMATS]
    for event in events:
        assert (event.channel, event.user_id) == ("web", user.id)
        assert event.target == "organisation:DL001" and event.detail == {"round": round_id}


def test_the_csv_holds_the_one_organisation_hand_counted(
    db: Any, answered: Files, make_user: Any
) -> None:
    made = organisation_file(COMMAND_LINE, answered.own, answered.survey_round, "results.csv")
    lines = made.data.decode("utf-8-sig").splitlines()
    rows = list(csv.DictReader(line for line in lines if not line.startswith("# ")))

    assert {row["organisation"] for row in rows} == {"DL001"}
    cells = {(row["group"], row["level"], row["unit"]): row for row in rows}
    everyone = cells[(ALL_STAKEHOLDERS, "item", ITEM)]
    scores = [*OWN_GP, 1]
    assert everyone["n"] == str(len(scores)) and everyone["suppressed"] == "no"
    assert float(everyone["positive"]) == pytest.approx(sum(s >= 4 for s in scores) / 7, 1e-5)
    assert float(everyone["mean"]) == pytest.approx(sum(scores) / 7, 1e-5)
    # one local authority (under 5) is hidden, and the GP practices that would give it away
    for group in ("local_authority", "gp_practice"):
        hidden = cells[(group, "item", ITEM)]
        assert hidden["suppressed"] == "yes"
        assert hidden["n"] == hidden["positive"] == hidden["positive_low"] == hidden["mean"] == ""
    # the organisation's own local question, after the table; nothing of the other's
    [local] = [row for row in rows if row["level"] == "local question"]
    assert (local["unit"], local["n"]) == ("local_1", str(len(OWN_LOCAL)))
    assert float(local["positive"]) == pytest.approx(sum(s >= 4 for s in OWN_LOCAL) / 5, 1e-5)
    provenance = {line.split(",", 1)[0] for line in lines if line.startswith("# ")}
    assert {"# Round", "# Questionnaire", "# Suppression threshold"} <= provenance
    events = _audit(db, "export.%")
    assert [(e.channel, e.user_id, e.target) for e in events] == [
        ("cli", None, "organisation:DL001")
    ]


def test_the_xlsx_local_questions_are_the_organisations_own(answered: Files) -> None:
    made = organisation_file(COMMAND_LINE, answered.other, answered.survey_round, "results.xlsx")
    book = load_workbook(io.BytesIO(made.data), read_only=True)
    results = list(book["Results"].iter_rows(values_only=True))
    column = results[0].index("organisation")
    assert {row[column] for row in results[1:]} == {"DL002"}
    header, *local = list(book["Local questions"].iter_rows(values_only=True))
    [question] = [dict(zip(header, row, strict=True)) for row in local]
    assert (question["organisation"], question["question"]) == ("DL002", OTHER_QUESTION)
    assert (question["n"], question["positive"], question["suppressed"]) == (6, 1.0, "no")
    # alpha: this organisation's domains and the whole round's, nobody else's
    reliability = list(book["Reliability"].iter_rows(values_only=True))
    scope = reliability[0].index("scope")
    assert {row[scope] for row in reliability[1:]} == {"DL002", WHOLE_ROUND}


def test_an_unknown_format_is_refused_and_nothing_is_audited(db: Any, answered: Files) -> None:
    before = len(_audit(db, "%"))
    with pytest.raises(KeyError, match="results.txt"):
        organisation_file(COMMAND_LINE, answered.own, answered.survey_round, "results.txt")
    assert len(_audit(db, "%")) == before and _audit(db, "export.%") == []


def test_the_report_plan_has_one_job_per_organisation_with_its_own_rows(
    answered: Files,
) -> None:
    survey_round = answered.survey_round

    plan = plan_round_reports(survey_round)

    assert [job.code for job in plan.jobs] == ["DL001", "DL002", "DL003"]  # not DL004
    assert [job.name for job in plan.jobs] == [
        "NHS Download ICB",
        "NHS Elsewhere ICB",
        "NHS Quiet ICB",
    ]
    for job in plan.jobs:
        assert set(job.table.organisation.tolist()) == {job.code}
        # the methods annex's alpha: this organisation's domains and the whole round's
        assert job.reliability is not None
        assert set(job.reliability.scope.tolist()) == {job.code, WHOLE_ROUND}
    own, other, silent = plan.jobs
    assert [r.text for r in own.local] == [OWN_QUESTION]
    assert [r.text for r in other.local] == [OTHER_QUESTION]
    assert silent.local == ()
    assert (plan.info.id, plan.info.year) == (survey_round.id, 2040)
    assert plan.info.suppression_threshold == 5 and plan.questionnaire.id == "ccg-360"

    only = plan_round_reports(survey_round, ["dl002"])
    assert [job.code for job in only.jobs] == ["DL002"]


def test_the_report_plan_refuses_codes_without_results_naming_them(
    db: Any, answered: Files
) -> None:
    round_id = answered.survey_round.id
    with pytest.raises(InputError, match=f"no results in round {round_id} for DL004, NOPE$"):
        plan_round_reports(answered.survey_round, ["DL001", "nope", "dl004"])
    assert _audit(db, "%report%") == []


def test_a_written_report_is_audited_with_its_files(
    db: Any, answered: Files, make_user: Any
) -> None:
    round_id = answered.survey_round.id
    files = ("DL001-2040-report.pdf", "DL001-2040-agenda.docx")
    record_report(COMMAND_LINE, round_id, Done("DL001", files, cpu_seconds=1.5))
    manager = make_user(role="manager")
    record_report(Actor.web(manager), round_id, Done("DL002", files[:1]))
    db.session.commit()

    first, second = _audit(db, "report.organisation")
    assert (first.channel, first.user_id, first.target) == ("cli", None, f"round:{round_id}")
    assert first.detail == {"organisation": "DL001", "files": list(files)}
    assert (second.channel, second.user_id) == ("web", manager.id)
    assert second.detail == {"organisation": "DL002", "files": [files[0]]}
