"""Fieldwork monitoring: where each stakeholder's email and answers stand, response rates,
and the figures of the survey team's pages.

Participation counts come from invitation statuses (never from responses, which hold no link
back to anyone): "invited" is :mod:`survey.services.population`'s one definition; "responded" is
completed.
"""

from __future__ import annotations

import enum
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, case, func, select

from survey.extensions import db
from survey.models import (
    Invitation,
    InvitationStatus,
    Organisation,
    OutboxMessage,
    OutboxStatus,
    Stakeholder,
    SurveyRound,
    WorkerHeartbeat,
)
from survey.models.types import utcnow
from survey.services.population import INVITED_STATUSES, invited_counts
from survey.services.rounds import group_names


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
    """Every stakeholder of the round with their delivery and answering state, by group and
    email."""
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
        stakeholder_id: (mail_status, error)
        for stakeholder_id, mail_status, error in db.session.execute(
            select(
                OutboxMessage.stakeholder_id, OutboxMessage.status, OutboxMessage.last_error
            ).where(OutboxMessage.id.in_(latest))
        )
        if stakeholder_id is not None
    }
    rows = []
    for stakeholder in db.session.scalars(
        select(Stakeholder)
        .where(Stakeholder.round_id == survey_round.id)
        .order_by(Stakeholder.group, Stakeholder.email)
    ):
        mine = counts[stakeholder.id]
        latest_mail, error = mail.get(stakeholder.id, (None, None))
        rows.append(
            StakeholderStatus(
                stakeholder_id=stakeholder.id,
                email=stakeholder.email,
                name=stakeholder.name,
                group=stakeholder.group,
                state=_state(stakeholder, mine, latest_mail),
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
    """Invited (:func:`survey.services.population.invited_counts`), started and completed
    invitations per organisation x stakeholder group."""
    invited = invited_counts(survey_round)
    found: dict[tuple[int, str], Counter[InvitationStatus]] = defaultdict(Counter)
    for org_id, group, status, n in db.session.execute(
        select(Invitation.organisation_id, Stakeholder.group, Invitation.status, func.count())
        .join(Invitation.stakeholder)
        .where(Invitation.round_id == survey_round.id, Invitation.status.in_(INVITED_STATUSES))
        .group_by(Invitation.organisation_id, Stakeholder.group, Invitation.status)
    ):
        found[(org_id, group)][status] = n
    orgs = {
        org.id: org
        for org in db.session.scalars(
            select(Organisation).where(Organisation.id.in_({org for org, _g in invited}))
        )
    }
    rows = [
        RateRow(
            orgs[org].code,
            orgs[org].name,
            group,
            invited=n,
            started=found[(org, group)][InvitationStatus.STARTED],
            completed=found[(org, group)][InvitationStatus.COMPLETED],
        )
        for (org, group), n in invited.items()
    ]
    return sorted(rows, key=lambda row: (row.organisation_code, row.organisation_name, row.group))


# -- figures for the survey team's pages ----------------------------------------------------

#: outbox states shown to the survey team, in this order
DELIVERY_STATES = (
    OutboxStatus.QUEUED,
    OutboxStatus.SENDING,
    OutboxStatus.SENT,
    OutboxStatus.FAILED,
    OutboxStatus.UNDELIVERABLE,
    OutboxStatus.AMBIGUOUS,
)
#: messages a person must look at
NEEDS_CHECKING = (OutboxStatus.AMBIGUOUS, OutboxStatus.FAILED, OutboxStatus.UNDELIVERABLE)


@dataclass(frozen=True)
class Participation:
    invited: int
    responded: int

    @property
    def rate(self) -> float | None:
        """Responses as a share of invitations sent, or None before any were sent."""
        return self.responded / self.invited if self.invited else None


_invited = func.sum(case((Invitation.status.in_(INVITED_STATUSES), 1), else_=0))
_responded = func.sum(case((Invitation.status == InvitationStatus.COMPLETED, 1), else_=0))


@dataclass(frozen=True)
class RoundRow:
    survey_round: SurveyRound
    participation: Participation


def rounds_overview() -> list[RoundRow]:
    """Every round, newest first, with its invitations sent and responses."""
    counts = {
        round_id: Participation(int(invited or 0), int(responded or 0))
        for round_id, invited, responded in db.session.execute(
            select(Invitation.round_id, _invited, _responded).group_by(Invitation.round_id)
        )
    }
    rounds = db.session.scalars(
        select(SurveyRound).order_by(SurveyRound.year.desc(), SurveyRound.id.desc())
    )
    return [RoundRow(r, counts.get(r.id, Participation(0, 0))) for r in rounds]


def invitation_counts(survey_round: SurveyRound) -> Counter[str]:
    """The round's invitations by status."""
    return Counter(
        {
            status.value: int(count)
            for status, count in db.session.execute(
                select(Invitation.status, func.count())
                .where(Invitation.round_id == survey_round.id)
                .group_by(Invitation.status)
            )
        }
    )


@dataclass(frozen=True)
class PendingSend:
    """What sending now would do: invitations waiting for a link, and the emails they need."""

    invitations: int
    emails: int
    #: pending invitations held back: the stakeholder opted out or their address bounced
    held_back: int


def pending_send(survey_round: SurveyRound) -> PendingSend:
    """Count what ``issue_invitations`` would send now (same filters)."""
    reachable = Stakeholder.opted_out_at.is_(None) & Stakeholder.undeliverable_at.is_(None)
    base = (
        select(Invitation.id, Invitation.stakeholder_id, reachable.label("reachable"))
        .join(Invitation.stakeholder)
        .where(
            Invitation.round_id == survey_round.id, Invitation.status == InvitationStatus.PENDING
        )
    )
    rows = db.session.execute(base).all()
    good = [row for row in rows if row.reachable]
    return PendingSend(len(good), len({row.stakeholder_id for row in good}), len(rows) - len(good))


@dataclass(frozen=True)
class MonitorRow:
    code: str
    name: str
    #: group id -> participation, for the groups with any invitation sent
    groups: dict[str, Participation]
    total: Participation


@dataclass(frozen=True)
class Monitor:
    #: (group id, group name) in questionnaire order
    groups: list[tuple[str, str]]
    rows: list[MonitorRow]
    total: Participation
    by_group: dict[str, Participation]


def monitor(survey_round: SurveyRound) -> Monitor:
    """Invitations sent, responses and response rate per organisation and stakeholder group,
    from ``survey.services.monitoring.response_rates``, arranged as a table with totals."""
    cells: dict[tuple[str, str], dict[str, Participation]] = {}
    for rate in response_rates(survey_round):
        key = (rate.organisation_name, rate.organisation_code)
        cells.setdefault(key, {})[rate.group] = Participation(rate.invited, rate.completed)
    names = group_names(survey_round)
    used = {group for groups in cells.values() for group in groups}
    groups = [(gid, name) for gid, name in names.items() if gid in used]
    groups += [(gid, gid) for gid in sorted(used - names.keys())]
    rows = [
        MonitorRow(code, name, found, _sum(found.values()))
        for (name, code), found in sorted(cells.items())
    ]
    by_group = {gid: _sum(c[gid] for c in cells.values() if gid in c) for gid, _name in groups}
    return Monitor(groups, rows, _sum(row.total for row in rows), by_group)


def stakeholder_states(survey_round: SurveyRound) -> dict[str, int]:
    """How many of the round's stakeholders are in each delivery and answering state."""
    counts = state_counts(delivery_status(survey_round))
    return {state.value: count for state, count in counts.items()}


def _sum(parts: Iterable[Participation]) -> Participation:
    items = list(parts)
    return Participation(sum(p.invited for p in items), sum(p.responded for p in items))


def _round_messages(survey_round: SurveyRound) -> Select[OutboxMessage]:
    return (
        select(OutboxMessage)
        .join(Stakeholder, OutboxMessage.stakeholder_id == Stakeholder.id)
        .where(Stakeholder.round_id == survey_round.id)
    )


def delivery_counts(survey_round: SurveyRound) -> dict[str, int]:
    """The round's emails in the outbox by delivery state (every state, zeros included)."""
    counts = dict.fromkeys((state.value for state in DELIVERY_STATES), 0)
    messages = _round_messages(survey_round).subquery()
    query = select(messages.c.status, func.count()).group_by(messages.c.status)
    for status, count in db.session.execute(query):
        counts[OutboxStatus(status).value] = int(count)
    return counts


def messages_to_check(survey_round: SurveyRound, limit: int = 200) -> list[OutboxMessage]:
    """The round's emails whose delivery failed or is unknown, for a person to check."""
    query = (
        _round_messages(survey_round)
        .where(OutboxMessage.status.in_(NEEDS_CHECKING))
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class MailWorkerStatus:
    """Whether a mail worker has run lately, and what waits in the outbox meanwhile."""

    #: when any mail worker last ran (None: never)
    last_seen: datetime | None
    #: messages waiting to be handed over (queued, or claimed and not yet recorded)
    waiting: int
    #: no heartbeat for this long means no worker is running
    stale_after: timedelta
    now: datetime

    @property
    def running(self) -> bool:
        return self.last_seen is not None and self.now - self.last_seen <= self.stale_after

    @property
    def needs_attention(self) -> bool:
        """Mail is waiting and no worker is there to send it."""
        return self.waiting > 0 and not self.running


def mail_worker_status(stale_after: timedelta) -> MailWorkerStatus:
    """The mail workers' latest heartbeat and the outbox's waiting messages."""
    last_seen = db.session.scalar(select(func.max(WorkerHeartbeat.last_seen_at)))
    waiting = db.session.scalar(
        select(func.count()).where(
            OutboxMessage.status.in_((OutboxStatus.QUEUED, OutboxStatus.SENDING))
        )
    )
    return MailWorkerStatus(last_seen, int(waiting or 0), stale_after, utcnow())
