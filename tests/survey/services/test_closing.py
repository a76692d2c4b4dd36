"""Closing a round: the moves into and out of it, drafts deleted, and then, in a transaction
of its own, everything pending released and the round's final results published."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from survey.models import AuditEvent, RoundStatus, SurveyRound
from survey.services.audit import COMMAND_LINE
from survey.services.closing import close_round, move_round
from survey.services.errors import InputError, RoundStateError
from survey.services.rounds import create_round, open_round
from survey.transactions import unit_of_work
from tests.survey.answering import count_drafts, save_answers


def _create() -> SurveyRound:
    return create_round(
        COMMAND_LINE,
        year=2031,
        questionnaire="ccg-360",
        opens_on=date(2031, 3, 1),
        closes_on=date(2031, 3, 31),
    )


def _count(db: Any, model: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)))


def _actions(db: Any) -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_a_round_moves_draft_to_open_to_closed_and_never_back(db) -> None:
    survey_round = _create()
    with pytest.raises(RoundStateError, match="round 2031 is draft; only an open round closes"):
        close_round(COMMAND_LINE, survey_round)
    assert survey_round.status is RoundStatus.DRAFT

    open_round(COMMAND_LINE, survey_round)
    assert survey_round.status is RoundStatus.OPEN
    with pytest.raises(RoundStateError, match="round 2031 is open; only a draft opens"):
        open_round(COMMAND_LINE, survey_round)

    with unit_of_work():  # as a request or command runs it: the release follows the commit
        close_round(COMMAND_LINE, survey_round)
    for move in (open_round, close_round):
        with pytest.raises(RoundStateError, match="round 2031 is closed"):
            move(COMMAND_LINE, survey_round)
    db.session.rollback()

    assert db.session.get(SurveyRound, survey_round.id).status is RoundStatus.CLOSED
    # only the moves that happened are in the log, then the close's results release
    assert _actions(db) == ["round.create", "round.open", "round.close", "results.release"]


def test_closing_deletes_the_rounds_drafts_and_counts_them_in_the_log(
    db, make_round, make_invitation
) -> None:
    closing, staying = make_round(), make_round()
    for survey_round in (closing, closing, staying):
        invitation = make_invitation(survey_round=survey_round).invitation
        save_answers(invitation, {"overall_relationship": {"score": 3}}, resume_section=1)
    db.session.commit()

    close_round(COMMAND_LINE, closing)
    db.session.commit()

    assert count_drafts() == 1
    entry = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "round.close")).one()
    assert entry.target == f"round:{closing.id}" and entry.detail == {"drafts_discarded": 2}


def test_move_round_opens_and_closes_and_refuses_anything_else(db) -> None:
    survey_round = _create()
    with pytest.raises(InputError, match="opened or closed, not 'reopen'"):
        move_round(COMMAND_LINE, survey_round, "reopen")
    assert survey_round.status is RoundStatus.DRAFT

    move_round(COMMAND_LINE, survey_round, "open")
    assert survey_round.status is RoundStatus.OPEN
    move_round(COMMAND_LINE, survey_round, "close")
    assert survey_round.status is RoundStatus.CLOSED
    with pytest.raises(RoundStateError):
        move_round(COMMAND_LINE, survey_round, "open")
