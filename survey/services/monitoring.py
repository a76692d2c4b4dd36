"""Fieldwork monitoring: where each stakeholder's email and answers stand, response rates, bounces."""

from __future__ import annotations

import enum
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select

from survey.services import audit
from survey.extensions import db
from survey.models import (
    Invitation,
    InvitationStatus,
    Organisation,
    OutboxMessage,
    OutboxStatus,
    Stakeholder,
    SurveyRound,
)
from survey.models.types import utcnow
from survey.services.tabular import Problem, read_table


class DeliveryState(enum.StrEnum):
    #: nothing emailed yet (every invitation still pending)
    NOT_INVITED = "not invited"
    #: the latest email waits in the outbox (or is being handed over)
    QUEUED = "queued"
    #: the latest email was accepted by the mail server (or links were issued and their
    #: emails have since been purged)
    SENT = "sent"
    #: the latest email failed after every retry
    FAILED = "failed"
    #: the latest email may or may not have arrived: a person should check
    NEEDS_CHECKING = "needs checking"
    #: the address bounced (5xx, or on an uploaded bounce list)
    UNDELIVERABLE = "undeliverable"
    OPTED_OUT = "opted out"
    #: started answering at least one invitation, completed none
    OPENED = "opened"
    #: completed some invitations, not all
    PARTLY_ANSWERED = "partly answered"
    #: completed every live invitation
    COMPLETED = "completed"


_MAIL_STATES = {
    OutboxStatus.QUEUED: DeliveryState.QUEUED,
    OutboxStatus.SENDING: DeliveryState.QUEUED,
    OutboxStatus.SENT: DeliveryState.SENT,
    OutboxStatus.FAILED: DeliveryState.FAILED,
    OutboxStatus.AMBIGUOUS: DeliveryState.NEEDS_CHECKING,
    OutboxStatus.UNDELIVERABLE: DeliveryState.UNDELIVERABLE,
}


@dataclass(frozen=True)
class StakeholderStatus:
    stakeholder_id: int
    email: str
    name: str
    group: str
    state: DeliveryState
    #: live invitations (not revoked)
    invitations: int
    started: int
    completed: int
    reminders_sent: int
    #: the last mail error, if the latest email had one
    last_error: str | None


@dataclass(frozen=True)
class RateRow:
    organisation_code: str
    organisation_name: str
    group: str
    #: invitations emailed (issued, started or completed)
    invited: int
    started: int
    completed: int

    @property
    def rate(self) -> float | None:
        """Completed / invited, or None when nobody was invited."""
        return self.completed / self.invited if self.invited else None


@dataclass
class BounceReport:
    marked: int = 0
    already: int = 0
    #: addresses on the list that are not stakeholders of the round
    unknown: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _state(
    stakeholder: Stakeholder, counts: Counter[InvitationStatus], mail: OutboxStatus | None
) -> DeliveryState:
    live = sum(n for status, n in counts.items() if status is not InvitationStatus.REVOKED)
    completed = counts[InvitationStatus.COMPLETED]
    if live and completed == live:
        return DeliveryState.COMPLETED
    if completed:
        return DeliveryState.PARTLY_ANSWERED
    if counts[InvitationStatus.STARTED]:
        return DeliveryState.OPENED
    if stakeholder.opted_out_at is not None:
        return DeliveryState.OPTED_OUT
    if stakeholder.undeliverable_at is not None:
        return DeliveryState.UNDELIVERABLE
    if mail is not None:
        return _MAIL_STATES[mail]
    # No email on record: nothing issued yet, or links issued whose emails were since purged.
    issued = live - counts[InvitationStatus.PENDING]
    return DeliveryState.SENT if issued else DeliveryState.NOT_INVITED


def delivery_status(survey_round: SurveyRound) -> list[StakeholderStatus]:
    """Every stakeholder of the round with their delivery and answering state, by group and email."""
    counts: dict[int, Counter[InvitationStatus]] = defaultdict(Counter)
    for stakeholder_id, status, n in db.session.execute(
        select(Invitation.stakeholder_id, Invitation.status, func.count())
        .where(Invitation.round_id == survey_round.id)
        .group_by(Invitation.stakeholder_id, Invitation.status)
    ):
        counts[stakeholder_id][status] = n
    latest = (
        select(func.max(OutboxMessage.id))
        .join(Stakeholder, Stakeholder.id == OutboxMessage.stakeholder_id)
        .where(Stakeholder.round_id == survey_round.id)
        .group_by(OutboxMessage.stakeholder_id)
    )
    mail: dict[int, tuple[OutboxStatus, str | None]] = {
        stakeholder_id: (status, error)
        for stakeholder_id, status, error in db.session.execute(
            select(
                OutboxMessage.stakeholder_id, OutboxMessage.status, OutboxMessage.last_error
            ).where(OutboxMessage.id.in_(latest))
        )
    }
    rows = []
    for stakeholder in db.session.scalars(
        select(Stakeholder)
        .where(Stakeholder.round_id == survey_round.id)
        .order_by(Stakeholder.group, Stakeholder.email)
    ):
        mine = counts[stakeholder.id]
        status, error = mail.get(stakeholder.id, (None, None))
        rows.append(
            StakeholderStatus(
                stakeholder_id=stakeholder.id,
                email=stakeholder.email,
                name=stakeholder.name,
                group=stakeholder.group,
                state=_state(stakeholder, mine, status),
                invitations=sum(n for s, n in mine.items() if s is not InvitationStatus.REVOKED),
                started=mine[InvitationStatus.STARTED],
                completed=mine[InvitationStatus.COMPLETED],
                reminders_sent=stakeholder.reminders_sent,
                last_error=error,
            )
        )
    return rows


def state_counts(statuses: list[StakeholderStatus]) -> dict[DeliveryState, int]:
    """How many stakeholders are in each state (every state listed, zeros included)."""
    found = Counter(row.state for row in statuses)
    return {state: found[state] for state in DeliveryState}


def response_rates(survey_round: SurveyRound) -> list[RateRow]:
    """Invited, started and completed invitations per organisation x stakeholder group."""
    emailed = (InvitationStatus.ISSUED, InvitationStatus.STARTED, InvitationStatus.COMPLETED)
    table: dict[tuple[str, str, str], Counter[InvitationStatus]] = defaultdict(Counter)
    for code, name, group, status, n in db.session.execute(
        select(
            Organisation.code, Organisation.name, Stakeholder.group, Invitation.status, func.count()
        )
        .join(Invitation.organisation)
        .join(Invitation.stakeholder)
        .where(Invitation.round_id == survey_round.id, Invitation.status.in_(emailed))
        .group_by(Organisation.code, Organisation.name, Stakeholder.group, Invitation.status)
    ):
        table[(code, name, group)][status] = n
    return [
        RateRow(
            code,
            name,
            group,
            invited=sum(found.values()),
            started=found[InvitationStatus.STARTED],
            completed=found[InvitationStatus.COMPLETED],
        )
        for (code, name, group), found in sorted(table.items())
    ]


def mark_bounced(survey_round: SurveyRound, data: bytes, source: str) -> BounceReport:
    """Mark the stakeholders whose addresses are listed (CSV/XLSX, column ``email``) undeliverable.

    They get no more invitations or reminders. Addresses match without regard to case;
    addresses that are not the round's stakeholders are reported, not an error.
    """
    by_email = {
        stakeholder.email.lower(): stakeholder
        for stakeholder in db.session.scalars(
            select(Stakeholder).where(Stakeholder.round_id == survey_round.id)
        )
    }
    report = BounceReport()
    now = utcnow()
    for row in read_table(data, source, ("email",)):
        address = row.values["email"].strip().lower()
        if not address:
            report.problems.append(Problem(row.number, "email", "is empty"))
            continue
        stakeholder = by_email.get(address)
        if stakeholder is None:
            report.unknown.append(address)
        elif stakeholder.undeliverable_at is not None:
            report.already += 1
        else:
            stakeholder.undeliverable_at = now
            report.marked += 1
    db.session.flush()
    audit.record(
        "mail.bounces",
        target=f"round:{survey_round.id}",
        source=source,
        marked=report.marked,
        unknown=len(report.unknown),
    )
    return report
