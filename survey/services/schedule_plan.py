"""What automatic fieldwork would do for a round over the coming days: the dry run.

Who would get which email on which day (address, group, reminder number, organisations),
assuming nobody answers, opts out or bounces in between. Never a link: a dry run's output is
read, pasted and logged, and a link in it is a working key to someone's survey.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from survey.extensions import db
from survey.models import (
    Invitation,
    InvitationStatus,
    RoundStatus,
    ScheduledRun,
    Stakeholder,
    SurveyRound,
)
from survey.services.clock import uk_date
from survey.services.jobs import claimed, job_named, last_runs, release_day
from survey.services.reminders import schedule_days


@dataclass(frozen=True)
class PlannedEmail:
    email: str
    group: str
    organisations: tuple[str, ...]
    #: the reminder's number for this stakeholder (1, 2 ...); None for an invitation
    reminder: int | None = None
    #: the schedule day that makes a reminder due
    due_on: date | None = None


@dataclass
class PlannedDay:
    day: date
    #: "invitations", "reminders" or "close"
    job: str
    emails: list[PlannedEmail] = field(default_factory=list)


def invitation_day(survey_round: SurveyRound, today: date) -> date | None:
    """The day the worker sends the round's invitations, if it still will."""
    if survey_round.status is RoundStatus.CLOSED or today > survey_round.closes_on:
        return None
    if claimed(job_named("invitations"), survey_round.id, survey_round.opens_on):
        return None
    return max(survey_round.opens_on, today)


def close_day(survey_round: SurveyRound, today: date) -> date | None:
    """The day the worker closes the round (the first after its closing date)."""
    if survey_round.status is RoundStatus.CLOSED:
        return None
    return max(survey_round.closes_on + timedelta(days=1), today)


def _outstanding(survey_round: SurveyRound, with_pending: bool) -> dict[int, list[Invitation]]:
    statuses = [InvitationStatus.ISSUED, InvitationStatus.STARTED]
    if with_pending:
        statuses.append(InvitationStatus.PENDING)
    query = (
        select(Invitation)
        .join(Invitation.stakeholder)
        .options(joinedload(Invitation.stakeholder), joinedload(Invitation.organisation))
        .where(
            Invitation.round_id == survey_round.id,
            Invitation.status.in_(statuses),
            Stakeholder.opted_out_at.is_(None),
            Stakeholder.undeliverable_at.is_(None),
        )
        .order_by(Invitation.stakeholder_id, Invitation.id)
    )
    by_stakeholder: dict[int, list[Invitation]] = defaultdict(list)
    for invitation in db.session.scalars(query).unique():
        by_stakeholder[invitation.stakeholder_id].append(invitation)
    return by_stakeholder


def _email(
    invitations: list[Invitation], reminder: int | None = None, due_on: date | None = None
) -> PlannedEmail:
    stakeholder = invitations[0].stakeholder
    names = tuple(invitation.organisation.name for invitation in invitations)
    return PlannedEmail(stakeholder.email, stakeholder.group, names, reminder, due_on)


def plan_fieldwork(survey_round: SurveyRound, today: date, days: int = 14) -> list[PlannedDay]:
    """The runs the worker would make from ``today`` for ``days`` days, in order; changes
    nothing. Planned whether or not the round's automatic fieldwork is on (the caller says)."""
    end = today + timedelta(days=days - 1)
    inviting_on = invitation_day(survey_round, today)
    outstanding = _outstanding(survey_round, with_pending=inviting_on is not None)
    plan: list[PlannedDay] = []
    if inviting_on is not None and inviting_on <= end:
        pending = [
            [i for i in invitations if i.status is InvitationStatus.PENDING]
            for invitations in outstanding.values()
        ]
        plan.append(PlannedDay(inviting_on, "invitations", [_email(i) for i in pending if i]))
    reminders: dict[date, list[PlannedEmail]] = defaultdict(list)
    for invitations in outstanding.values():
        stakeholder = invitations[0].stakeholder
        if stakeholder.invited_at is not None:
            invited_on = uk_date(stakeholder.invited_at)
        elif inviting_on is not None:
            invited_on = inviting_on
        else:
            continue
        sent = stakeholder.reminders_sent
        last = uk_date(stakeholder.last_reminded_at) if stakeholder.last_reminded_at else None
        schedule = schedule_days(survey_round, invited_on)
        day = max(today, survey_round.opens_on)
        while day <= min(end, survey_round.closes_on) and sent < survey_round.reminder_limit:
            passed = [d for d in schedule if d <= day]
            if passed and (last is None or last < passed[-1]):
                sent += 1
                last = day
                reminders[day].append(_email(invitations, reminder=sent, due_on=passed[-1]))
            day += timedelta(days=1)
    plan.extend(PlannedDay(day, "reminders", emails) for day, emails in reminders.items())
    closing = close_day(survey_round, today)
    if closing is not None and closing <= end:
        plan.append(PlannedDay(closing, "close"))
    order = {"invitations": 0, "reminders": 1, "close": 2}
    return sorted(plan, key=lambda planned: (planned.day, order[planned.job]))


def next_scheduled(survey_round: SurveyRound, today: date) -> dict[str, date | None]:
    """The next day of each job, for the round page: invitations, reminders, interim
    release, close."""
    horizon = (survey_round.closes_on - today).days + 2
    upcoming = plan_fieldwork(survey_round, today, max(horizon, 1))
    first_reminder = next((p.day for p in upcoming if p.job == "reminders"), None)
    return {
        "invitations": invitation_day(survey_round, today),
        "reminders": first_reminder,
        "release": release_day(survey_round, today),
        # the closing date itself: links work all through it, the close follows
        "close": None if survey_round.status is RoundStatus.CLOSED else survey_round.closes_on,
    }


@dataclass
class FieldworkStatus:
    """The round page's line on automatic fieldwork."""

    automatic: bool
    #: job name -> its next day (None: nothing more to do)
    next_on: dict[str, date | None]
    #: the scheduler's last runs for the round, newest first
    last: list[ScheduledRun]

    def next_line(self) -> str:
        """E.g. "invitations on 3 March 2027, reminders on 10 March 2027, closes after ..."."""
        parts = [
            f"{job_named(job).label} {day.strftime('%-d %B %Y')}"
            for job, day in self.next_on.items()
            if day is not None
        ]
        return ", ".join(parts) or "nothing"


def fieldwork_status(survey_round: SurveyRound, today: date) -> FieldworkStatus:
    """Whether the worker runs the round's fieldwork, what it does next and what it last did."""
    return FieldworkStatus(
        survey_round.auto_fieldwork, next_scheduled(survey_round, today), last_runs(survey_round)
    )
