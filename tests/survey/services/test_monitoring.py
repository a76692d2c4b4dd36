"""Fieldwork monitoring: each stakeholder's state and response rates (and their command)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from survey.models import Invitation, OutboxMessage, OutboxStatus, Stakeholder
from survey.models.types import utcnow
from survey.services.audit import COMMAND_LINE
from survey.services.invitations import opt_out
from survey.services.monitoring import (
    DeliveryState,
    delivery_status,
    response_rates,
    state_counts,
)
from tests.survey.answering import save_answers
from tests.survey.mail.helpers import queue_invitations
from tests.survey.stored import submit_released


def _invitation(db: Any, email: str, organisation_id: int) -> Invitation:
    return db.session.scalars(
        select(Invitation)
        .join(Invitation.stakeholder)
        .where(Stakeholder.email == email, Invitation.organisation_id == organisation_id)
    ).one()


def _complete(invitation: Invitation) -> None:
    save_answers(invitation, {"overall_relationship": {"score": 4}}, resume_section=2)
    submit_released(invitation, ["overall_relationship"])


def test_every_stakeholder_has_one_state_and_rates_count_per_organisation_and_group(
    db, make_round, make_organisation
) -> None:
    survey_round = make_round()
    first, second = make_organisation(code="AAA"), make_organisation(code="BBB")
    queue_invitations(db, survey_round, [first.id, second.id], 9)
    # person0: both done; person1: one done; person2: started; person3: opted out;
    # person4: bounced; person5: sent; person6: failed; person7: ambiguous; person8: queued
    _complete(_invitation(db, "person0@example.org", first.id))
    _complete(_invitation(db, "person0@example.org", second.id))
    _complete(_invitation(db, "person1@example.org", first.id))
    save_answers(
        _invitation(db, "person2@example.org", second.id), {"overall_relationship": {"score": 2}}, 2
    )
    stakeholders = {s.email: s for s in db.session.scalars(select(Stakeholder))}
    opt_out(COMMAND_LINE, stakeholders["person3@example.org"])
    stakeholders["person4@example.org"].undeliverable_at = utcnow()
    for number, status in (
        (5, OutboxStatus.SENT),
        (6, OutboxStatus.FAILED),
        (7, OutboxStatus.AMBIGUOUS),
    ):
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.stakeholder_id == stakeholders[f"person{number}@example.org"].id)
            .values(status=status, last_error=None if status is OutboxStatus.SENT else "451 boom")
        )
    late = Stakeholder(
        round_id=survey_round.id, email="late@example.org", name="Late", group="gp_practice"
    )
    purged = Stakeholder(
        round_id=survey_round.id, email="purged@example.org", name="P", group="gp_practice"
    )
    db.session.add_all([late, purged])
    db.session.flush()
    db.session.add(
        Invitation(round_id=survey_round.id, stakeholder_id=late.id, organisation_id=first.id)
    )
    # links issued, their email since purged: counted as sent
    db.session.add(
        Invitation(
            round_id=survey_round.id,
            stakeholder_id=purged.id,
            organisation_id=first.id,
            status="issued",
        )
    )
    db.session.commit()

    rows = {row.email: row for row in delivery_status(survey_round)}

    expected = {
        "person0": DeliveryState.COMPLETED,
        "person1": DeliveryState.PARTLY_ANSWERED,
        "person2": DeliveryState.OPENED,
        "person3": DeliveryState.OPTED_OUT,
        "person4": DeliveryState.UNDELIVERABLE,
        "person5": DeliveryState.SENT,
        "person6": DeliveryState.FAILED,
        "person7": DeliveryState.NEEDS_CHECKING,
        "person8": DeliveryState.QUEUED,
        "late": DeliveryState.NOT_INVITED,
        "purged": DeliveryState.SENT,
    }
    assert {email.split("@")[0]: row.state for email, row in rows.items()} == expected
    assert (rows["person1@example.org"].completed, rows["person1@example.org"].invitations) == (
        1,
        2,
    )
    assert rows["person6@example.org"].last_error == "451 boom"
    counts = state_counts(list(rows.values()))
    assert sum(counts.values()) == 11 and counts[DeliveryState.COMPLETED] == 1

    rates = {(r.organisation_code, r.group): r for r in response_rates(survey_round)}
    assert set(rates) == {("AAA", "gp_practice"), ("BBB", "gp_practice")}
    assert (rates["AAA", "gp_practice"].invited, rates["AAA", "gp_practice"].completed) == (10, 2)
    assert (rates["BBB", "gp_practice"].completed, rates["BBB", "gp_practice"].started) == (1, 1)
    assert abs((rates["AAA", "gp_practice"].rate or 0) - 2 / 10) < 1e-12
