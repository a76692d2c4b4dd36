"""Fieldwork that runs itself: the daily jobs the mail worker does for rounds left to it.

Each job (invitations, reminders, interim results releases, the close) is a name, a
due-check and a run. The due-check says which day's run is due for a round today (that day is
the claim key), or None; the run does the work in the caller's transaction, audited as the
system, and returns counts. Adding a daily job is one entry in
:data:`JOBS`.

A run is claimed by inserting its ``scheduled_run`` row (unique on job, round and day) in the
same transaction as the work: a second worker's insert waits for the first to commit and then
fails, so nothing is sent twice, on SQLite or PostgreSQL, on one host or several.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from survey.extensions import db
from survey.models import RoundStatus, ScheduledRun, SurveyRound
from survey.services import audit
from survey.services.audit import SYSTEM
from survey.services.closing import close_round
from survey.services.invitations import issue_invitations
from survey.services.publication import interim_released_recently, publish_results
from survey.services.reminders import send_reminders
from survey.services.rounds import open_round


@dataclass(frozen=True)
class Job:
    name: str
    #: the day whose run is due for the round today (the claim key), or None
    due: Callable[[SurveyRound, date], date | None]
    #: does the work in the caller's transaction; returns counts for the record
    run: Callable[[SurveyRound, date], dict[str, int]]
    #: what the manager reads, e.g. "invitations on"
    label: str


def _invitations_due(survey_round: SurveyRound, today: date) -> date | None:
    # Once per round, on the first run from the opening date while fieldwork lasts.
    waiting = survey_round.status in (RoundStatus.DRAFT, RoundStatus.OPEN)
    in_fieldwork = survey_round.opens_on <= today <= survey_round.closes_on
    return survey_round.opens_on if waiting and in_fieldwork else None


def _invite(survey_round: SurveyRound, _today: date) -> dict[str, int]:
    if survey_round.status is RoundStatus.DRAFT:
        open_round(SYSTEM, survey_round)
    report = issue_invitations(SYSTEM, survey_round)
    return {"emails": report.emails, "invitations": report.invitations}


def _reminders_due(survey_round: SurveyRound, today: date) -> date | None:
    return today if survey_round.accepts_answers(today) else None


def _remind(survey_round: SurveyRound, today: date) -> dict[str, int]:
    report = send_reminders(SYSTEM, survey_round, today)
    return {"emails": report.emails, "invitations": report.invitations}


def _close_due(survey_round: SurveyRound, today: date) -> date | None:
    # Links work all through the closing day; the close is the first run after it.
    open_past_close = survey_round.status is RoundStatus.OPEN and today > survey_round.closes_on
    return survey_round.closes_on if open_past_close else None


def _close(survey_round: SurveyRound, _today: date) -> dict[str, int]:
    close_round(SYSTEM, survey_round)
    return {}


def release_day(survey_round: SurveyRound, today: date) -> date | None:
    """The next scheduled interim release from ``today``: every so many days from the opening
    (not on it: nothing to show yet) up to the close; None when none is scheduled."""
    every = survey_round.interim_release_every_days
    if not every or survey_round.status is RoundStatus.CLOSED:
        return None
    start = max(today, survey_round.opens_on + timedelta(days=1))
    day = start + timedelta(days=-(start - survey_round.opens_on).days % every)
    return day if day <= survey_round.closes_on else None


def _release_due(survey_round: SurveyRound, today: date) -> date | None:
    # while answers come in, unless a manager already released in the last day
    if not survey_round.accepts_answers(today) or release_day(survey_round, today) != today:
        return None
    return None if interim_released_recently(survey_round) else today


def _release(survey_round: SurveyRound, _today: date) -> dict[str, int]:
    release = publish_results(SYSTEM, survey_round, kind="interim")
    return {"responses": release.responses}


#: the daily jobs, in the order they run for a round
JOBS: list[Job] = [
    Job("invitations", _invitations_due, _invite, "invitations on"),
    Job("reminders", _reminders_due, _remind, "reminders on"),
    Job("release", _release_due, _release, "interim results released on"),
    Job("close", _close_due, _close, "closes at the end of"),
]


def job_named(name: str) -> Job:
    return next(job for job in JOBS if job.name == name)


def claimed(job: Job, round_id: int, day: date) -> bool:
    return (
        db.session.scalar(
            select(ScheduledRun.id).where(
                ScheduledRun.job == job.name,
                ScheduledRun.round_id == round_id,
                ScheduledRun.day == day,
            )
        )
        is not None
    )


def due_now(today: date) -> list[tuple[Job, int]]:
    """The (job, round id) runs due today and not yet claimed, for rounds left to the worker."""
    rounds = db.session.scalars(
        select(SurveyRound)
        .where(SurveyRound.auto_fieldwork, SurveyRound.status != RoundStatus.CLOSED)
        .order_by(SurveyRound.id)
    )
    due = []
    for survey_round in rounds:
        for job in JOBS:
            day = job.due(survey_round, today)
            if day is not None and not claimed(job, survey_round.id, day):
                due.append((job, survey_round.id))
    return due


def run_job(job: Job, survey_round: SurveyRound, today: date, worker: str) -> ScheduledRun | None:
    """Claim and do ``job`` for the round today, in the caller's transaction (flush only).

    Returns None when it is no longer due (another worker's run changed the round).

    :raises sqlalchemy.exc.IntegrityError: another worker claimed it first; roll back.
    """
    day = job.due(survey_round, today) if survey_round.auto_fieldwork else None
    if day is None:
        return None
    claim = ScheduledRun(job=job.name, round_id=survey_round.id, day=day, worker=worker)
    db.session.add(claim)
    db.session.flush()
    claim.outcome = job.run(survey_round, today)
    db.session.flush()
    audit.record(
        SYSTEM,
        f"scheduler.{job.name}",
        target=f"round:{survey_round.id}",
        day=day.isoformat(),
        **claim.outcome,
    )
    return claim


def last_runs(survey_round: SurveyRound, limit: int = 5) -> list[ScheduledRun]:
    """What the scheduler last did for the round, newest first."""
    return list(
        db.session.scalars(
            select(ScheduledRun)
            .where(ScheduledRun.round_id == survey_round.id)
            .order_by(ScheduledRun.ran_at.desc(), ScheduledRun.id.desc())
            .limit(limit)
        )
    )


def set_automatic(actor: audit.Actor, survey_round: SurveyRound, on: bool) -> None:
    """Leave the round's fieldwork to the worker (on) or to the manager (off)."""
    survey_round.auto_fieldwork = on
    db.session.flush()
    audit.record(actor, "round.auto_fieldwork", target=f"round:{survey_round.id}", on=on)
