"""Anonymity by design: a stored response cannot be traced to an invitation or a person."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from survey.models import Invitation, Response
from tests.factories import IssuedInvitation
from tests.survey.answering import save_answers
from tests.survey.stored import submit_released


def test_response_tables_hold_nothing_that_leads_back_to_a_person(db: Any) -> None:
    inspector = sa.inspect(db.engine)
    response_columns = {column["name"] for column in inspector.get_columns("response")}
    assert response_columns == {
        "id",
        "round_id",
        "organisation_id",
        "stakeholder_group",
        "format_version",
        "scale_answers",
        "other_answers",
    }
    assert "answer" not in inspector.get_table_names()  # answers are packed into the response
    referenced = {fk["referred_table"] for fk in inspector.get_foreign_keys("response")}
    assert referenced <= {"survey_round", "organisation"}, referenced
    for column in inspector.get_columns("response"):
        assert not isinstance(column["type"], (sa.DateTime, sa.Date)), column["name"]
    # beside the identity side, answers exist only sealed, with no time that orders them:
    # waiting for release, and as drafts in the invitation's row
    pending = {column["name"] for column in inspector.get_columns("pending_response")}
    assert pending == {"id", "round_id", "sealed"}
    assert "partial_answers" not in inspector.get_table_names()
    invitation_columns = {column["name"] for column in inspector.get_columns("invitation")}
    assert invitation_columns == {
        "id",
        "round_id",
        "stakeholder_id",
        "organisation_id",
        "token_hash",
        "token_nonce",
        "status",
        "created_at",
        "issued_at",
        "sealed_draft",
        "resume_section",
    }
    invitation_times = {
        column["name"]
        for column in inspector.get_columns("invitation")
        if isinstance(column["type"], (sa.DateTime, sa.Date))
    }
    assert "started_at" not in invitation_times


def test_a_submitted_response_carries_no_token_email_or_invitation(
    db: Any, make_invitation: Any
) -> None:
    issued: IssuedInvitation = make_invitation(email="named.person@example.org")
    invitation = db.session.get(Invitation, issued.invitation.id)
    save_answers(invitation, {"overall_relationship": {"score": 5}}, resume_section=2)
    submit_released(invitation, ["overall_relationship"])
    db.session.commit()
    [response] = db.session.scalars(sa.select(Response)).all()
    stored = " ".join(
        str(value) for row in db.session.execute(sa.select(Response.__table__)) for value in row
    )
    token = issued.link.rsplit("/", 1)[1]
    for secret in (token, token.split(".")[0], "named.person", invitation.token_hash):
        assert secret not in stored
    assert str(invitation.id) != response.id
    assert len(response.id) == 36  # a random UUID: storage order says nothing about timing
    assert invitation.status.value == "completed"


def test_the_database_refuses_answers_packed_in_a_format_it_does_not_know(
    db: Any, make_invitation: Any
) -> None:
    issued = make_invitation()
    db.session.add(
        Response(
            round_id=issued.invitation.round_id,
            organisation_id=issued.invitation.organisation_id,
            stakeholder_group="gp_practice",
            format_version=2,
            scale_answers=b"\x04",
        )
    )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_one_invitation_per_stakeholder_organisation_and_round(
    db: Any, make_invitation: Any
) -> None:
    issued = make_invitation()
    first = issued.invitation
    db.session.add(
        Invitation(
            round_id=first.round_id,
            stakeholder_id=first.stakeholder_id,
            organisation_id=first.organisation_id,
        )
    )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
