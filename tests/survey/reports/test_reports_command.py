"""``assure360 reports``: every organisation's report and agenda, in parallel, audited."""

from __future__ import annotations

import io
from typing import Any

from docx import Document
from pypdf import PdfReader
from sqlalchemy import select

from survey.models import AuditEvent, LocalQuestion, Response


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
    seeded: Any, runner: Any, db: Any, tmp_path: Any
) -> None:
    survey_round = seeded.survey_round
    organisation = seeded.typical[1]
    db.session.add(
        LocalQuestion(
            round_id=survey_round.id,
            organisation_id=organisation.id,
            item_id="local_1",
            text="Our urgent care plan is working.",
            scale="agreement",
        )
    )
    db.session.commit()
    responses = db.session.scalars(
        select(Response).where(Response.organisation_id == organisation.id)
    ).all()
    for i, response in enumerate(responses[:12]):
        # as if they had answered it: a local question's answer is kept beside the packed ones
        response.other_answers = {"local_1": {"score": (5, 4, 2, 1)[i % 4]}}
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


def test_an_unknown_organisation_fails_cleanly(seeded: Any, runner: Any, tmp_path: Any) -> None:
    result = runner.invoke(
        args=["reports", str(seeded.survey_round.id), "-o", str(tmp_path), "--organisation", "NOPE"]
    )
    assert result.exit_code == 1 and "no results in round" in result.output
