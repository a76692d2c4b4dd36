"""``assure360 reports``: every organisation's report and agenda, in parallel, audited."""

from __future__ import annotations

import io
import re
from typing import Any

from docx import Document
from pypdf import PdfReader
from sqlalchemy import select

from survey.models import AuditEvent, Response
from tests.survey.stored import publish


def test_reports_for_every_organisation_in_two_worker_processes(
    seeded: Any, runner: Any, db: Any, tmp_path: Any
) -> None:
    survey_round = seeded.survey_round
    out = tmp_path / "reports"
    result = runner.invoke(
        args=["reports", str(survey_round.id), "--output", str(out), "--workers", "2"]
    )
    assert result.exit_code == 0, result.output
    codes = ["01T", "02T", "03T", "04T", "05W", "06B", "07S"]
    year = survey_round.year
    for code in codes:
        assert PdfReader(io.BytesIO((out / f"{code}-{year}-report.pdf").read_bytes())).pages
        assert Document(io.BytesIO((out / f"{code}-{year}-agenda.docx").read_bytes())).paragraphs
        assert "<script>" not in (out / f"{code}-{year}-agenda.html").read_text(encoding="utf-8")
    assert f"wrote {3 * len(codes)} file(s) for {len(codes)} organisation(s)" in result.output
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    per_org = [e for e in events if e.action == "report.organisation"]
    assert sorted(e.detail["organisation"] for e in per_org) == codes
    summary = [e for e in events if e.action == "export.reports"]
    assert len(summary) == 1 and summary[0].detail["files"] == 3 * len(codes)


def test_one_organisation_with_its_local_question_and_no_html(
    seeded: Any, runner: Any, db: Any, tmp_path: Any, make_local_question: Any
) -> None:
    survey_round = seeded.survey_round
    organisation = seeded.typical[1]
    make_local_question(survey_round, organisation, text="Our urgent care plan is working.")
    responses = db.session.scalars(
        select(Response).where(Response.organisation_id == organisation.id)
    ).all()
    for i, response in enumerate(responses[:12]):
        # as if they had answered them: local and open answers are kept beside the packed ones
        answers: dict[str, dict[str, object]] = {"local_1": {"score": (5, 4, 2, 1)[i % 4]}}
        if i < 6:
            answers["comment_does_well"] = {"text": f"Quick replies {i}"}
        response.other_answers = answers
    publish(survey_round)  # the local answers were added after the seeded release
    db.session.commit()
    out = tmp_path / "one"
    result = runner.invoke(
        args=[
            "reports",
            str(survey_round.id),
            "-o",
            str(out),
            "--workers",
            "1",
            "--organisation",
            organisation.code.lower(),
            "--no-html",
        ]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        f"02T-{survey_round.year}-agenda.docx",
        f"02T-{survey_round.year}-report.pdf",
    ]
    text = " ".join(
        page.extract_text() for page in PdfReader(out / f"02T-{survey_round.year}-report.pdf").pages
    )
    assert "Our urgent care plan is working." in " ".join(text.split())
    assert "12 50% " in " ".join(text.split())
    # the methods annex carries the round's alpha, computed once for every worker's report
    assert "Annex: methods" in text and "not computed" not in text
    assert re.search(r"Overall relationship 4 \d+ \d\.\d\d \(\d\.\d\d to", " ".join(text.split()))
    # The agenda, written apart from the database, counts the local question and the comments
    # and quotes them (40 respondents: over the comment threshold).
    agenda = Document(out / f"02T-{survey_round.year}-agenda.docx")
    lines = [p.text for p in agenda.paragraphs]
    assert "Local questions: 1 local question (results near the end of this agenda)" in lines
    assert any(
        line.startswith("\u201cOur urgent care plan is working.\u201d: 50% positive")
        for line in lines
    )
    assert "Comments: 6 comments to 3 open questions (quoted at the end of this agenda)" in lines
    assert sum(line.startswith("Quick replies") for line in lines) == 6


def test_an_unknown_organisation_fails_cleanly(seeded: Any, runner: Any, tmp_path: Any) -> None:
    result = runner.invoke(
        args=["reports", str(seeded.survey_round.id), "-o", str(tmp_path), "--organisation", "NOPE"]
    )
    assert result.exit_code == 1 and "no results in round" in result.output
