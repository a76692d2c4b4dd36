"""Retention and erasure: identities go, answers and every published number stay."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
import pytest
from sqlalchemy import func, select

from survey.models import (
    AuditEvent,
    Invitation,
    OutboxMessage,
    Response,
    Stakeholder,
)
from survey.services.audit import COMMAND_LINE
from survey.services.errors import InputError
from survey.services.results.arrays import analyse
from survey.services.retention import (
    change_thresholds,
    erase_stakeholder,
    purge_date,
    purge_identities,
)
from tests.survey.answering import save_answers
from tests.survey.stored import submit_released


def _count(db: Any, model: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)))


def _answer(db: Any, issued: Any, score: int) -> None:
    invitation = db.session.get(Invitation, issued.invitation.id)
    save_answers(invitation, {"overall_relationship": {"score": score}}, resume_section=1)
    submit_released(invitation, ["overall_relationship"])
    db.session.commit()


def _same(before: Any, after: Any) -> None:
    for column in before.columns():
        left, right = getattr(before, column), getattr(after, column)
        if left.dtype.kind == "f":
            np.testing.assert_array_equal(left, right, err_msg=column)
        else:
            assert left.tolist() == right.tolist(), column


def test_purging_identities_keeps_every_number(
    db: Any, make_round: Any, make_organisation: Any, make_invitation: Any
) -> None:
    survey_round = make_round()
    alpha, beta = make_organisation(), make_organisation()
    for index, score in enumerate([5, 4, 4, 3, 2, 5, 4]):
        _answer(
            db,
            make_invitation(survey_round=survey_round, organisation=alpha, group="gp_practice"),
            score,
        )
        make_invitation(
            survey_round=survey_round,
            organisation=beta,
            group="local_authority" if index % 2 else "gp_practice",
        )
    started = make_invitation(survey_round=survey_round, organisation=alpha)
    save_answers(
        db.session.get(Invitation, started.invitation.id),
        {"overall_relationship": {"score": 1}},
        resume_section=1,
    )
    db.session.commit()
    survey_round.close()
    db.session.commit()
    before = analyse(survey_round)

    with pytest.raises(InputError, match="keeps identities until"):
        purge_identities(COMMAND_LINE, survey_round, survey_round.closes_on)
    report = purge_identities(COMMAND_LINE, survey_round, purge_date(survey_round))
    db.session.commit()

    assert report.stakeholders == 15 and report.invitations == 15
    for model in (Stakeholder, Invitation, OutboxMessage):
        assert _count(db, model) == 0, model
    assert _count(db, Response) == 7
    _same(before, analyse(survey_round))
    assert "round.purge_identities" in [e.action for e in db.session.scalars(select(AuditEvent))]


def test_an_open_round_keeps_its_identities(db: Any, make_round: Any) -> None:
    survey_round = make_round()
    with pytest.raises(InputError, match="kept until it closes"):
        purge_identities(COMMAND_LINE, survey_round, date.today() + timedelta(days=999))


def test_a_stakeholder_can_be_erased_on_request(
    db: Any, make_round: Any, make_invitation: Any
) -> None:
    survey_round = make_round()
    keep = make_invitation(survey_round=survey_round, email="keep@example.org")
    gone = make_invitation(survey_round=survey_round, email="Erase.Me@example.org")
    _answer(db, gone, 4)
    erase_stakeholder(COMMAND_LINE, survey_round, "erase.me@example.org")
    db.session.commit()
    emails = list(db.session.scalars(select(Stakeholder.email)))
    assert emails == ["keep@example.org"]
    assert (
        _count(db, Invitation) == 1 and db.session.get(Invitation, keep.invitation.id) is not None
    )
    assert not any(
        m.recipient.lower() == "erase.me@example.org"
        for m in db.session.scalars(select(OutboxMessage))
    )
    assert _count(db, Response) == 1  # the submitted answer stays: it is anonymous
    audit_text = str(
        [(e.action, e.target, e.detail) for e in db.session.scalars(select(AuditEvent))]
    )
    assert "erase.me" not in audit_text.lower()


def test_thresholds_can_only_be_raised_once_there_are_responses(
    db: Any, make_round: Any, make_invitation: Any
) -> None:
    survey_round = make_round()
    change_thresholds(
        COMMAND_LINE, survey_round, suppression=4, comment=6
    )  # no responses yet: any sensible change
    _answer(db, make_invitation(survey_round=survey_round), 4)
    with pytest.raises(InputError, match="can only be raised"):
        change_thresholds(COMMAND_LINE, survey_round, suppression=3)
    with pytest.raises(InputError, match="can only be raised"):
        change_thresholds(COMMAND_LINE, survey_round, comment=5)
    change_thresholds(COMMAND_LINE, survey_round, suppression=6, comment=12)
    db.session.commit()
    assert (survey_round.suppression_threshold, survey_round.comment_threshold) == (6, 12)


def test_the_purge_command_refuses_an_open_round_and_names_why(
    runner: Any, make_round: Any
) -> None:
    survey_round = make_round()
    result = runner.invoke(args=["round", "purge", str(survey_round.id)])
    assert result.exit_code == 1
    assert f"round {survey_round.id} is open" in result.output
