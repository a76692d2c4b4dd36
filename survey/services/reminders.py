"""Reminder emails: a per-round schedule, sent only to stakeholders with something left to do.

A stakeholder gets a reminder when a schedule day has come since their last email (days after
their first invitation, and days before the round closes), they still have at least one live
invitation not completed, they have not opted out, their address has not bounced, and they have
had fewer than the round's maximum. One email lists all their unfinished links, rebuilt from the
invitations' nonces: the same links as in the invitation.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from survey.extensions import db
from survey.mail import queue_email
from survey.models import Invitation, InvitationStatus, Stakeholder, SurveyRound
from survey.models.types import utcnow
from survey.services import audit
from survey.services.clock import uk_date
from survey.services.errors import InputError
from survey.services.invitations import current_link, email_context, opt_out_link

#: invitations whose stakeholder can still answer
OUTSTANDING = (InvitationStatus.ISSUED, InvitationStatus.STARTED)


@dataclass(frozen=True)
class PlannedReminder:
    """One reminder email that would be queued now."""

    stakeholder_id: int
    email: str
    name: str
    group: str
    #: 1 for the first reminder this stakeholder gets, 2 for the second ...
    number: int
    #: the schedule day that made it due
    due_on: date
    #: (organisation name, survey link) for every unfinished invitation
    links: tuple[tuple[str, str], ...]


@dataclass
class ReminderReport:
    emails: int = 0
    invitations: int = 0
    planned: list[PlannedReminder] = field(default_factory=list)


def schedule_days(survey_round: SurveyRound, invited_on: date) -> list[date]:
    """The days a stakeholder first invited on ``invited_on`` is due a reminder, in order."""
    days = {invited_on + timedelta(days=d) for d in survey_round.reminder_days_after_invitation}
    days |= {
        survey_round.closes_on - timedelta(days=d) for d in survey_round.reminder_days_before_close
    }
    return sorted(day for day in days if invited_on < day <= survey_round.closes_on)


def set_schedule(
    actor: audit.Actor,
    survey_round: SurveyRound,
    *,
    after_invitation: list[int],
    before_close: list[int],
    limit: int,
) -> None:
    """Set the round's reminder schedule (days after invitation, days before close, maximum).

    :raises InputError: a negative or zero day, or a negative maximum.
    """
    for name, days, least in (
        ("after invitation", after_invitation, 1),
        ("before close", before_close, 0),
    ):
        bad = [d for d in days if d < least]
        if bad:
            raise InputError(f"reminder days {name} must be at least {least}, got {bad}")
    if limit < 0:
        raise InputError(f"the maximum number of reminders must not be negative, got {limit}")
    survey_round.reminder_days_after_invitation = sorted(set(after_invitation))
    survey_round.reminder_days_before_close = sorted(set(before_close), reverse=True)
    survey_round.reminder_limit = limit
    db.session.flush()
    audit.record(
        actor,
        "round.reminders",
        target=f"round:{survey_round.id}",
        after_invitation=survey_round.reminder_days_after_invitation,
        before_close=survey_round.reminder_days_before_close,
        limit=limit,
    )


def _due_on(survey_round: SurveyRound, stakeholder: Stakeholder, today: date) -> date | None:
    if stakeholder.invited_at is None or stakeholder.reminders_sent >= survey_round.reminder_limit:
        return None
    passed = [
        day for day in schedule_days(survey_round, uk_date(stakeholder.invited_at)) if day <= today
    ]
    if not passed:
        return None
    last = uk_date(stakeholder.last_reminded_at) if stakeholder.last_reminded_at else None
    if last is not None and last >= passed[-1]:
        return None
    return passed[-1]


def remindable(
    survey_round: SurveyRound, *, lock: bool, organisation_id: int | None = None
) -> dict[int, list[Invitation]]:
    """Unfinished invitations per stakeholder who may be reminded (not opted out, address not
    bounced, under the round's limit), of one organisation if ``organisation_id`` is given."""
    query = (
        select(Invitation)
        .join(Invitation.stakeholder)
        .options(joinedload(Invitation.stakeholder), joinedload(Invitation.organisation))
        .where(
            Invitation.round_id == survey_round.id,
            Invitation.status.in_(OUTSTANDING),
            Stakeholder.opted_out_at.is_(None),
            Stakeholder.undeliverable_at.is_(None),
            Stakeholder.invited_at.is_not(None),
            Stakeholder.reminders_sent < survey_round.reminder_limit,
        )
        .order_by(Invitation.stakeholder_id, Invitation.id)
    )
    if organisation_id is not None:
        query = query.where(Invitation.organisation_id == organisation_id)
    if lock:
        # Two reminder runs at once: the second waits, then sees the first's counts.
        query = query.with_for_update(of=Stakeholder)
    by_stakeholder: dict[int, list[Invitation]] = defaultdict(list)
    for invitation in db.session.scalars(query).unique():
        by_stakeholder[invitation.stakeholder_id].append(invitation)
    return by_stakeholder


def plan_reminders(
    survey_round: SurveyRound, today: date, *, _lock: bool = False
) -> list[PlannedReminder]:
    """Who would get a reminder today, and with which links; changes nothing (the dry run).

    :param survey_round: the round; nothing is planned unless it accepts answers today.
    :param today: the day to plan for.
    """
    if not survey_round.accepts_answers(today):
        return []
    planned = []
    for invitations in remindable(survey_round, lock=_lock).values():
        stakeholder = invitations[0].stakeholder
        due_on = _due_on(survey_round, stakeholder, today)
        if due_on is None:
            continue
        links = tuple(
            (invitation.organisation.name, link)
            for invitation in invitations
            if (link := current_link(invitation)) is not None
        )
        if not links:
            continue
        planned.append(
            PlannedReminder(
                stakeholder.id,
                stakeholder.email,
                stakeholder.name,
                stakeholder.group,
                stakeholder.reminders_sent + 1,
                due_on,
                links,
            )
        )
    return planned


def queue_reminder(
    survey_round: SurveyRound,
    stakeholder: Stakeholder,
    links: list[tuple[str, str]],
    now: datetime,
) -> None:
    """Queue one reminder email with ``links`` (organisation name, link) and count it against
    the stakeholder's maximum; it leaves when the caller's transaction commits."""
    queue_email(
        kind="reminder",
        recipient=stakeholder.email,
        subject=(
            f"Reminder: your views for {survey_round.title}, "
            f"closing {survey_round.closes_on.strftime('%-d %B')}"
        ),
        template="reminder",
        context=email_context(survey_round, stakeholder, links),
        stakeholder_id=stakeholder.id,
        unsubscribe_url=opt_out_link(stakeholder),
    )
    stakeholder.reminders_sent += 1
    stakeholder.last_reminded_at = now


def send_reminders(actor: audit.Actor, survey_round: SurveyRound, today: date) -> ReminderReport:
    """Queue today's reminders (one email per stakeholder) in the caller's transaction.

    Only a round in fieldwork ``today`` sends. On SQLite call ``begin_write()`` first; on
    PostgreSQL the stakeholders are locked, so two runs at once cannot both remind the same
    person.
    """
    if not survey_round.accepts_answers(today):
        raise InputError(
            f"round {survey_round.year} is not in fieldwork today: no reminders are sent"
        )
    report = ReminderReport(planned=plan_reminders(survey_round, today, _lock=True))
    now = utcnow()
    for plan in report.planned:
        stakeholder = db.session.get_one(Stakeholder, plan.stakeholder_id)
        queue_reminder(survey_round, stakeholder, list(plan.links), now)
        report.emails += 1
        report.invitations += len(plan.links)
    db.session.flush()
    audit.record(
        actor,
        "reminders.send",
        target=f"round:{survey_round.id}",
        emails=report.emails,
        invitations=report.invitations,
    )
    return report
