"""The survey team's non-responders per organisation: who, their group, where they stand."""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy import select

from survey.models import AuditEvent, Invitation, InvitationStatus, Stakeholder
from survey.models.types import utcnow
from survey.services.audit import COMMAND_LINE
from survey.services.invitations import revoke
from survey.services.non_responders import non_responders, non_responders_csv
from tests.survey.answering import save_answers
from tests.survey.stored import submit_released


def _stakeholder(db: Any, email: str) -> Stakeholder:
    return db.session.scalars(select(Stakeholder).where(Stakeholder.email == email)).one()


def test_non_responders_leave_out_the_finished_and_other_organisations(
    db: Any, make_round: Any, make_organisation: Any, make_invitation: Any
) -> None:
    survey_round = make_round()
    alpha, beta = make_organisation(code="01A"), make_organisation(code="02B")
    done = make_invitation(survey_round=survey_round, organisation=alpha, email="done@x.org")
    invitation = db.session.get(Invitation, done.invitation.id)
    save_answers(invitation, {"overall_relationship": {"score": 4}}, resume_section=1)
    submit_released(invitation, ["overall_relationship"])
    started = make_invitation(survey_round=survey_round, organisation=alpha, email="b@x.org")
    db.session.get(Invitation, started.invitation.id).status = InvitationStatus.STARTED
    make_invitation(survey_round=survey_round, organisation=alpha, email="c@x.org")
    make_invitation(
        survey_round=survey_round, organisation=alpha, group="local_authority", email="=d@x.org"
    )
    gone = make_invitation(survey_round=survey_round, organisation=alpha, email="gone@x.org")
    revoke(COMMAND_LINE, db.session.get(Invitation, gone.invitation.id))
    make_invitation(survey_round=survey_round, organisation=beta, email="beta@x.org")
    _stakeholder(db, "c@x.org").opted_out_at = utcnow()
    _stakeholder(db, "b@x.org").reminders_sent = 2
    db.session.commit()
    rows = [
        (r.email, r.group, r.status, r.reminders_sent) for r in non_responders(survey_round, alpha)
    ]
    assert rows == [
        ("b@x.org", "GP member practices", "started", 2),
        ("c@x.org", "GP member practices", "opted out", 0),
        ("=d@x.org", "Local authority", "not started", 0),
    ]
    data = non_responders_csv(COMMAND_LINE, survey_round, alpha)
    assert data.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert table[0] == ["name", "email", "stakeholder_group", "status", "reminders_sent"]
    # a spreadsheet must not run an address as a formula
    assert [row[1] for row in table[1:]] == ["b@x.org", "c@x.org", "'=d@x.org"]
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "non_responders.download")
    ).one()
    assert event.detail == {"organisation": "01A", "rows": 3}
