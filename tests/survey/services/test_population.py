"""One definition of invited: the monitor, the results adapter and the purge all count the same
stakeholders (issued, started or completed; never pending or revoked)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from survey.models import Invitation, InvitationStatus, Stakeholder
from survey.models.types import utcnow
from survey.services.audit import COMMAND_LINE
from survey.services.monitoring import monitor, response_rates
from survey.services.population import invited_counts
from survey.services.results.arrays import round_responses
from survey.services.retention import purge_date, purge_identities


def test_pending_and_revoked_are_not_invited_and_every_reader_agrees(
    db: Any, make_round: Any, make_organisation: Any, make_invitation: Any
) -> None:
    survey_round = make_round()
    org = make_organisation(code="07A")
    issued = [make_invitation(survey_round=survey_round, organisation=org) for _ in range(5)]
    # opted out and bounced after the link was sent: asked and silent, still invited
    stakeholders = [db.session.get(Stakeholder, i.invitation.stakeholder_id) for i in issued[:2]]
    stakeholders[0].opted_out_at = utcnow()
    stakeholders[1].undeliverable_at = utcnow()
    db.session.execute(
        update(Invitation)
        .where(Invitation.id == issued[2].invitation.id)
        .values(status=InvitationStatus.REVOKED)
    )
    for number in range(10):  # loaded, never sent
        person = Stakeholder(
            round_id=survey_round.id,
            email=f"later{number}@example.org",
            name="Later",
            group="gp_practice",
        )
        db.session.add(person)
        db.session.flush()
        db.session.add(
            Invitation(round_id=survey_round.id, stakeholder_id=person.id, organisation_id=org.id)
        )
    db.session.commit()

    assert invited_counts(survey_round) == {(org.id, "gp_practice"): 4}
    [rate] = response_rates(survey_round)
    assert (rate.organisation_code, rate.group, rate.invited) == ("07A", "gp_practice", 4)
    assert monitor(survey_round).by_group["gp_practice"].invited == 4
    arrays = round_responses(survey_round)
    group = arrays.group_labels.index("gp_practice")
    assert int(arrays.invited[arrays.organisation_labels.index("07A"), group]) == 4

    survey_round.close()
    db.session.commit()
    purge_identities(COMMAND_LINE, survey_round, purge_date(survey_round))
    db.session.commit()
    assert invited_counts(survey_round) == {(org.id, "gp_practice"): 4}
