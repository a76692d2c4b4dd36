"""Who has not answered about an organisation: the survey team's list for chasing, on the page
and as a CSV (audited, since it names people). Commissioners never see it."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from survey.extensions import db
from survey.models import Invitation, InvitationStatus, Organisation, Stakeholder, SurveyRound
from survey.reports.spreadsheets import neutralise
from survey.services import audit
from survey.services.reminders import OUTSTANDING
from survey.services.rounds import group_names


@dataclass(frozen=True)
class NonResponder:
    name: str
    email: str
    group: str
    #: not started, started, opted out or undeliverable
    status: str
    reminders_sent: int


def _status(invitation: Invitation) -> str:
    stakeholder = invitation.stakeholder
    if stakeholder.opted_out_at is not None:
        return "opted out"
    if stakeholder.undeliverable_at is not None:
        return "undeliverable"
    return "started" if invitation.status is InvitationStatus.STARTED else "not started"


def non_responders(survey_round: SurveyRound, organisation: Organisation) -> list[NonResponder]:
    """Stakeholders asked about ``organisation`` (invitation issued or started, never pending
    or revoked) who have not completed, by group and email."""
    names = group_names(survey_round)
    invitations = db.session.scalars(
        select(Invitation)
        .join(Invitation.stakeholder)
        .options(joinedload(Invitation.stakeholder))
        .where(
            Invitation.round_id == survey_round.id,
            Invitation.organisation_id == organisation.id,
            Invitation.status.in_(OUTSTANDING),
        )
        .order_by(Stakeholder.group, Stakeholder.email)
    )
    return [
        NonResponder(
            i.stakeholder.name,
            i.stakeholder.email,
            names.get(i.stakeholder.group, i.stakeholder.group),
            _status(i),
            i.stakeholder.reminders_sent,
        )
        for i in invitations
    ]


def non_responders_csv(
    actor: audit.Actor, survey_round: SurveyRound, organisation: Organisation
) -> bytes:
    """The non-responders as CSV (UTF-8 with a byte-order mark, for spreadsheets), audited."""
    rows = non_responders(survey_round, organisation)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["name", "email", "stakeholder_group", "status", "reminders_sent"])
    for row in rows:
        writer.writerow(
            [
                *(neutralise(cell) for cell in (row.name, row.email, row.group, row.status)),
                row.reminders_sent,
            ]
        )
    audit.record(
        actor,
        "non_responders.download",
        target=f"round:{survey_round.id}",
        organisation=organisation.code,
        rows=len(rows),
    )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
