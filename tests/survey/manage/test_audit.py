"""The audit log: written by every kind of change, visible to managers only, never changed."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from survey.models import AuditEvent
from survey.services.audit import COMMAND_LINE, AuditLogIsAppendOnly, record
from tests.survey.microdata_file import read_microdata
from tests.survey.stored import submit_released


def test_managers_see_the_log_with_who_did_what(
    client: Any, db: Any, make_user: Any, sign_in: Any, make_round: Any
) -> None:
    manager = make_user(role="manager", email="boss@example.org")
    make_round()
    sign_in(manager)
    page = client.get("/manage/audit")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "round.create" in html and "login" in html and "boss@example.org" in html
    only = client.get("/manage/audit?action=round.create").get_data(as_text=True)
    assert (
        "round.create" in only
        and '<td class="nhsuk-table__cell"><span class="nhsuk-table-responsive__heading" '
        'aria-hidden="true">Action </span>login</td>'
        not in only
    )


@pytest.mark.parametrize("role", ["assessor", "commissioner", "viewer"])
def test_other_roles_do_not_see_the_log(
    client: Any, db: Any, make_user: Any, make_organisation: Any, sign_in: Any, role: str
) -> None:
    sign_in(make_user(role=role, organisation=make_organisation() if role != "assessor" else None))
    assert client.get("/manage/audit").status_code == 404


def test_entries_cannot_be_changed_or_deleted(db: Any) -> None:
    entry = record(COMMAND_LINE, "test.entry", target="x")
    db.session.commit()
    entry.action = "rewritten"
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    stored = db.session.scalar(select(AuditEvent).where(AuditEvent.id == entry.id))
    db.session.delete(stored)
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    assert (
        db.session.scalar(select(AuditEvent.action).where(AuditEvent.id == entry.id))
        == "test.entry"
    )


def test_managers_download_anonymous_microdata_and_it_is_audited(
    client: Any, db: Any, make_user: Any, sign_in: Any, make_invitation: Any
) -> None:
    from survey.models import Invitation
    from tests.survey.answering import save_answers

    issued = make_invitation(email="named@example.org")
    invitation = db.session.get(Invitation, issued.invitation.id)
    save_answers(invitation, {"overall_relationship": {"score": 4}}, resume_section=1)
    submit_released(invitation, ["overall_relationship"])
    db.session.commit()
    sign_in(make_user(role="manager"))
    response = client.get(f"/manage/rounds/{invitation.round_id}/responses.csv")
    text = response.get_data(as_text=True)
    file = read_microdata(text)
    assert response.status_code == 200 and "named@example.org" not in text
    # a cell of one response is not in the file; the notes say so
    assert "overall_relationship" in file.header and file.rows == []
    assert file.notes["Left out"] == "1"
    db.session.rollback()
    assert "export.responses" in [e.action for e in db.session.scalars(select(AuditEvent))]
