"""Read-only figures for the survey team's pages: rounds, participation and the outbox.

Participation counts come from invitation statuses (never from responses, which hold no link
back to anyone). "Invited" means a link was sent: issued, started or completed; "responded"
means completed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Select, case, func, select

from survey.extensions import db
from survey.models import (
    AuditEvent,
    Invitation,
    InvitationStatus,
    LocalQuestion,
    Organisation,
    OutboxMessage,
    OutboxStatus,
    Stakeholder,
    SurveyRound,
    User,
)
from survey.services.monitoring import delivery_status, response_rates, state_counts
from survey.services.rounds import questionnaire_for

_SENT = (InvitationStatus.ISSUED, InvitationStatus.STARTED, InvitationStatus.COMPLETED)
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


_invited = func.sum(case((Invitation.status.in_(_SENT), 1), else_=0))
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


def _round_messages(survey_round: SurveyRound) -> Select[tuple[OutboxMessage]]:
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


def organisations() -> list[Organisation]:
    """Every assessed organisation, by region and name."""
    return list(
        db.session.scalars(select(Organisation).order_by(Organisation.region, Organisation.name))
    )


def group_names(survey_round: SurveyRound) -> dict[str, str]:
    """The round's stakeholder group ids and names, in questionnaire order."""
    return {group.id: group.name for group in questionnaire_for(survey_round).stakeholder_groups}


def audit_events(*, action: str | None, limit: int) -> list[tuple[AuditEvent, str | None]]:
    """The newest audit entries with the email of the account that acted (if any)."""
    query = (
        select(AuditEvent, User.email)
        .outerjoin(User, User.id == AuditEvent.user_id)
        .order_by(AuditEvent.id.desc())
        .limit(limit)
    )
    if action:
        query = query.where(AuditEvent.action == action)
    return [(row[0], row[1]) for row in db.session.execute(query)]


def audit_actions() -> list[str]:
    return list(
        db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action))
    )


def accounts() -> list[User]:
    """Every account, managers first, then by email."""
    return list(db.session.scalars(select(User).order_by(User.role, User.email)))


def local_questions(survey_round: SurveyRound) -> list[tuple[LocalQuestion, Organisation]]:
    """The round's local questions with their organisations, by organisation."""
    return [
        (question, organisation)
        for question, organisation in db.session.execute(
            select(LocalQuestion, Organisation)
            .join(Organisation, Organisation.id == LocalQuestion.organisation_id)
            .where(LocalQuestion.round_id == survey_round.id)
            .order_by(Organisation.code, LocalQuestion.position)
        )
    ]
