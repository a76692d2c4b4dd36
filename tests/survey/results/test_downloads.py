"""Downloads from the dashboard: the same isolation as the page, audited, numbers as the engine."""

from __future__ import annotations

import io
from typing import Any

import pytest
from docx import Document
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from survey.models import AuditEvent, Invitation, Role
from tests.survey.answering import save_answers
from tests.survey.stored import submit_released

NAMES = ("agenda.docx", "agenda.html", "report.pdf", "results.csv", "results.xlsx")


@pytest.fixture
def answered(
    db: Any, make_round: Any, make_organisation: Any, make_invitation: Any
) -> dict[str, Any]:
    survey_round = make_round()
    own = make_organisation(code="DL001", name="NHS Download ICB", region="Midlands")
    other = make_organisation(code="DL002", name="NHS Elsewhere ICB", region="London")
    for organisation in (own, other):
        for score in (5, 4, 4, 2, 5, 3):
            issued = make_invitation(survey_round=survey_round, organisation=organisation)
            invitation = db.session.get(Invitation, issued.invitation.id)
            save_answers(invitation, {"overall_relationship": {"score": score}}, resume_section=1)
            submit_released(invitation, ["overall_relationship"])
            db.session.commit()
    return {"round": survey_round, "own": own, "other": other}


@pytest.mark.parametrize("name", NAMES)
def test_a_commissioner_downloads_its_own_files_only(
    client: Any, db: Any, make_user: Any, sign_in: Any, answered: Any, name: str
) -> None:
    sign_in(make_user(role=Role.COMMISSIONER, organisation=answered["own"]))
    response = client.get(f"/results/DL001/{name}")
    assert response.status_code == 200
    data = response.get_data()
    assert len(data) > 200
    assert client.get(f"/results/DL002/{name}").status_code == 404
    db.session.rollback()
    actions = [
        e.action
        for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("export.%")))
    ]
    assert actions == [f"export.{name}"]


def test_the_files_carry_the_engines_numbers(
    client: Any, make_user: Any, sign_in: Any, answered: Any
) -> None:
    from survey.services.results.arrays import analyse

    sign_in(make_user(role=Role.MANAGER))
    [row] = (
        analyse(answered["round"])
        .filter(organisation="DL001", group="All stakeholders", unit="overall_relationship")
        .rows()
    )
    percent = f"{100 * row['positive']:.0f}%"
    workbook = load_workbook(
        io.BytesIO(client.get("/results/DL001/results.xlsx").get_data()), read_only=True
    )
    sheet = workbook["Results"]
    header = [cell for cell in next(sheet.iter_rows(values_only=True))]
    found = [
        dict(zip(header, values, strict=False))
        for values in sheet.iter_rows(min_row=2, values_only=True)
        if values[header.index("unit")] == "overall_relationship"
        and values[header.index("group")] == "All stakeholders"
    ]
    workbook.close()
    assert found and abs(float(found[0]["positive"]) - row["positive"]) < 1e-9
    text = " ".join(
        page.extract_text()
        for page in PdfReader(io.BytesIO(client.get("/results/DL001/report.pdf").get_data())).pages
    )
    assert "NHS Download ICB" in text and percent in text
    agenda = Document(io.BytesIO(client.get("/results/DL001/agenda.docx").get_data()))
    body = "\n".join(p.text for p in agenda.paragraphs) + "\n".join(
        c.text for t in agenda.tables for r in t.rows for c in r.cells
    )
    assert percent in body and "assured with support" in body.lower()
