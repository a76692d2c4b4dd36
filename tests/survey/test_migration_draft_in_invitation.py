"""The drafts migration (3d9f6b2a8c51): drafts move from ``partial_answers`` into their
invitation's row and back, byte for byte, and still open as the pages open them.

Drafts are saved on the demo's open round by the answer service, taken down to the old table
and up again. A draft the old code left on a completed invitation (which should have been
deleted) is dropped on the way up rather than breaking the upgrade. Both on SQLite and, with
TEST_DATABASE_URL, on a fresh PostgreSQL database.
"""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import downgrade, upgrade

from survey.demo import seed_demo
from survey.extensions import db
from survey.models import Invitation, InvitationStatus, RoundStatus, SurveyRound
from tests.survey.answering import save_answers, saved_answers

pytestmark = pytest.mark.db

BEFORE = "5e2c8b1d7a44"

Drafts = dict[int, tuple[bytes, int]]


def _save_drafts() -> dict[int, dict[str, object]]:
    """Three issued invitations of the open rounds save a page each; returns what each saved."""
    invitations = db.session.scalars(
        sa.select(Invitation)
        .join(SurveyRound)
        .where(
            SurveyRound.status == RoundStatus.OPEN,
            Invitation.status == InvitationStatus.ISSUED,
        )
        .order_by(Invitation.id)
        .limit(3)
    ).all()
    assert len(invitations) == 3
    saved: dict[int, dict[str, object]] = {}
    for number, invitation in enumerate(invitations, start=1):
        answers = {
            "overall_relationship": {"score": number},
            "overall_comments": {"text": f"draft {number}"},
        }
        save_answers(invitation, answers, resume_section=number)
        saved[invitation.id] = answers
    db.session.commit()
    return saved


def _drafts_in_invitations() -> Drafts:
    rows = db.session.execute(
        sa.text(
            "SELECT id, sealed_draft, resume_section FROM invitation WHERE sealed_draft IS NOT NULL"
        )
    )
    return {row[0]: (bytes(row[1]), row[2]) for row in rows}


def _drafts_in_old_table() -> Drafts:
    rows = db.session.execute(
        sa.text("SELECT invitation_id, sealed, resume_section FROM partial_answers")
    )
    return {row[0]: (bytes(row[1]), row[2]) for row in rows}


def _leave_a_draft_on_a_completed_invitation(sealed: bytes) -> int:
    completed = db.session.scalar(
        sa.text("SELECT id FROM invitation WHERE status = 'completed' ORDER BY id LIMIT 1")
    )
    db.session.execute(
        sa.text("INSERT INTO partial_answers VALUES (:id, :sealed, 1)"),
        {"id": completed, "sealed": sealed},
    )
    db.session.commit()
    return int(completed)


def test_drafts_go_down_to_their_own_table_and_up_into_the_invitation_unchanged(
    migrating_app: Flask,
) -> None:
    upgrade()
    seed_demo(seed=5, today=date(2026, 12, 4))
    saved = _save_drafts()
    drafts = _drafts_in_invitations()
    assert set(drafts) == set(saved)
    db.session.remove()  # no read left open to hold the migration's locks

    downgrade(revision=BEFORE)
    assert _drafts_in_old_table() == drafts
    columns = {c["name"] for c in sa.inspect(db.engine).get_columns("invitation")}
    assert "sealed_draft" not in columns and "resume_section" not in columns
    leftover = _leave_a_draft_on_a_completed_invitation(next(iter(drafts.values()))[0])
    db.session.remove()

    upgrade()
    assert _drafts_in_invitations() == drafts  # the leftover is gone, the others unchanged
    assert leftover not in _drafts_in_invitations()
    assert "partial_answers" not in sa.inspect(db.engine).get_table_names()
    for invitation_id, answers in saved.items():
        invitation = db.session.get_one(Invitation, invitation_id)
        assert invitation.status is InvitationStatus.STARTED
        assert saved_answers(invitation) == answers
