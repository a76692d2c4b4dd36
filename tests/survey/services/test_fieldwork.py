"""An organisation's fieldwork: its response rates per group, and its one reminder."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from survey.models import AuditEvent, Invitation, OutboxMessage, Stakeholder
from survey.models.types import utcnow
from survey.services.audit import COMMAND_LINE
from survey.services.errors import InputError
from survey.services.fieldwork import (
    fieldwork_rounds,
    organisation_fieldwork,
    send_organisation_reminder,
)
from tests.survey.answering import save_answers
from tests.survey.stored import submit_released

TODAY = date.today()


def _complete(db: Any, issued: Any) -> None:
    invitation = db.session.get(Invitation, issued.invitation.id)
    save_answers(invitation, {"overall_relationship": {"score": 4}}, resume_section=1)
    submit_released(invitation, ["overall_relationship"])
    db.session.commit()


def _reminded(db: Any) -> list[str]:
    return sorted(
        db.session.scalars(select(OutboxMessage.recipient).where(OutboxMessage.kind == "reminder"))
    )


@pytest.fixture
def fieldwork(db: Any, make_round: Any, make_organisation: Any, make_invitation: Any) -> Any:
    survey_round = make_round()
    alpha = make_organisation(code="01A", name="NHS Alpha ICB")
    beta = make_organisation(code="02B", name="NHS Beta ICB")
    done = make_invitation(survey_round=survey_round, organisation=alpha, email="done@example.org")
    _complete(db, done)
    for email in ("waiting@example.org", "other@example.org"):
        make_invitation(survey_round=survey_round, organisation=alpha, email=email)
    make_invitation(
        survey_round=survey_round, organisation=alpha, group="local_authority", email="la@x.org"
    )
    hwb = make_invitation(
        survey_round=survey_round,
        organisation=alpha,
        group="health_wellbeing_board",
        email="hwb@x.org",
    )
    _complete(db, hwb)
    make_invitation(survey_round=survey_round, organisation=beta, email="beta@example.org")
    opted = db.session.scalars(
        select(Stakeholder).where(Stakeholder.email == "other@example.org")
    ).one()
    opted.opted_out_at = utcnow()
    db.session.commit()
    return survey_round, alpha, beta


def test_rates_per_group_count_invited_as_the_monitor_does(db: Any, fieldwork: Any) -> None:
    survey_round, alpha, _beta = fieldwork
    board = organisation_fieldwork(survey_round, alpha)
    rows = [(g.group, g.invited, g.completed) for g in board.groups]
    # the opted-out stakeholder stays invited (nonresponse, not a smaller population)
    assert rows == [
        ("gp_practice", 3, 1),
        ("health_wellbeing_board", 1, 1),
        ("local_authority", 1, 0),
    ]
    assert (board.total.invited, board.total.completed) == (5, 2)
    assert board.groups[0].rate == pytest.approx(1 / 3)
    # the questionnaire's families with anybody invited, each the sum of its groups
    families = [(f.name, f.invited, f.completed) for f in board.families]
    assert families == [
        ("GP member practices", 3, 1),
        ("Local government and health and wellbeing boards", 2, 1),
    ]
    # the completed one, and the opted-out one, are not reminded
    assert board.can_remind == 2 and board.reminder is None


def test_one_reminder_goes_to_this_organisations_non_responders_only(
    db: Any, fieldwork: Any
) -> None:
    survey_round, alpha, _beta = fieldwork
    assert send_organisation_reminder(COMMAND_LINE, survey_round, alpha, TODAY) == 2
    db.session.commit()
    assert _reminded(db) == ["la@x.org", "waiting@example.org"]
    message = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.recipient == "waiting@example.org", OutboxMessage.kind == "reminder"
        )
    ).one()
    assert "NHS Alpha ICB" in message.text_body
    waiting = db.session.scalars(
        select(Stakeholder).where(Stakeholder.email == "waiting@example.org")
    ).one()
    assert waiting.reminders_sent == 1
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "reminders.organisation")
    ).one()
    assert event.detail == {"organisation": "01A", "emails": 2}
    board = organisation_fieldwork(survey_round, alpha)
    assert board.reminder is not None and board.reminder.emails == 2
    with pytest.raises(InputError, match="already sent this round"):
        send_organisation_reminder(COMMAND_LINE, survey_round, alpha, TODAY)
    assert len(_reminded(db)) == 2


def test_the_reminder_limit_and_fieldwork_dates_are_honoured(
    db: Any, fieldwork: Any, make_round: Any
) -> None:
    survey_round, alpha, beta = fieldwork
    survey_round.reminder_limit = 0
    db.session.commit()
    assert organisation_fieldwork(survey_round, alpha).can_remind == 0
    assert send_organisation_reminder(COMMAND_LINE, survey_round, alpha, TODAY) == 0
    after = survey_round.closes_on + timedelta(days=1)
    with pytest.raises(InputError, match="not in fieldwork"):
        send_organisation_reminder(COMMAND_LINE, survey_round, beta, after)
    assert fieldwork_rounds(alpha, TODAY) == [survey_round]
    assert fieldwork_rounds(alpha, after) == []
    assert _reminded(db) == []
