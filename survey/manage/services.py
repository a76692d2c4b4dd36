"""What the survey team's pages do: the shared services, acting for a signed-in manager.

The shared services (rounds, stakeholders, organisations, invitations) record their own audit
events, which name the signed-in manager of the request (``survey.services.audit.record``). Like every
service, these flush and never commit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from survey.services import audit
from survey.errors import InputError
from survey.extensions import db
from survey.services.invitations import IssueReport, issue_invitations
from survey.models import Role, RoundStatus, SurveyRound, User
from survey.models.round import RoundStateError
from survey.services.monitoring import BounceReport, mark_bounced
from survey.services.organisations import import_organisations
from survey.services.reminders import ReminderReport, send_reminders, set_schedule
from survey.services.rounds import close_round, create_round, open_round
from survey.services.stakeholders import (
    StakeholderImportPlan,
    apply_stakeholder_import,
    plan_stakeholder_import,
)
from survey.services.tabular import Problem


def new_round(user: User, **values: Any) -> SurveyRound:
    """Create a draft round from the form's values (see ``survey.services.rounds.create_round``).

    :param user: the manager creating it.
    :param values: year, questionnaire, opens_on, closes_on, title, suppression_threshold,
        comment_threshold.
    """
    values["title"] = values.get("title") or None
    return create_round(**values)


def change_round_status(user: User, survey_round: SurveyRound, action: str) -> None:
    """Open or close ``survey_round``; an illegal move raises ``InputError``.

    :param action: "open" or "close".
    """
    move = {"open": open_round, "close": close_round}[action]
    try:
        move(survey_round)
    except RoundStateError as error:
        raise InputError(str(error)) from None


def _check_loadable(survey_round: SurveyRound) -> None:
    if survey_round.status is RoundStatus.CLOSED:
        raise InputError(
            f"round {survey_round.year} is closed: stakeholders can no longer be loaded"
        )


def preview_stakeholders(
    survey_round: SurveyRound, data: bytes, source: str
) -> StakeholderImportPlan:
    """Check an uploaded stakeholder list; stores nothing. An unreadable file is one problem."""
    try:
        _check_loadable(survey_round)
        return plan_stakeholder_import(survey_round, data, source)
    except InputError as error:
        return StakeholderImportPlan(source=source, problems=[Problem(0, "", str(error))])


def load_stakeholders(
    user: User, survey_round: SurveyRound, data: bytes, source: str
) -> StakeholderImportPlan:
    """Check the confirmed upload again (the round may have changed) and load it if it is clean.

    All or nothing: a plan with problems is returned and nothing is loaded.
    """
    plan = preview_stakeholders(survey_round, data, source)
    if plan.ok:
        apply_stakeholder_import(survey_round, plan)
    return plan


@dataclass
class OrganisationPreview:
    """What an organisation list would change, or why it cannot be loaded."""

    source: str
    created: int = 0
    updated: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


_PROBLEM = re.compile(r"^row (\d+), column '([^']*)': (.*)$", re.DOTALL)


def _problems(error: InputError, source: str) -> list[Problem]:
    # import_organisations reports every problem in one message, "<source>: problem; problem",
    # each problem written by tabular.Problem.__str__: turn them back into rows of a table.
    parts = [part for part in str(error).removeprefix(f"{source}: ").split("; ") if part]
    problems = []
    for part in parts or [str(error)]:
        match = _PROBLEM.match(part)
        problems.append(
            Problem(int(match[1]), match[2], match[3]) if match else Problem(0, "", part)
        )
    return problems


def preview_organisations(data: bytes, source: str) -> OrganisationPreview:
    """Check an organisation list by loading it in a savepoint that is then rolled back."""
    savepoint = db.session.begin_nested()
    try:
        result = import_organisations(data, source)
        preview = OrganisationPreview(source, result.created, result.updated)
    except InputError as error:
        preview = OrganisationPreview(source, problems=_problems(error, source))
    savepoint.rollback()
    return preview


def load_organisations(user: User, data: bytes, source: str) -> OrganisationPreview:
    """Create or update organisations from a confirmed upload, all or nothing."""
    try:
        result = import_organisations(data, source)
    except InputError as error:
        return OrganisationPreview(source, problems=_problems(error, source))
    return OrganisationPreview(source, result.created, result.updated)


def send_invitations(user: User, survey_round: SurveyRound) -> IssueReport:
    """Make links for the round's pending invitations and queue their emails (sent after commit)."""
    if survey_round.status is not RoundStatus.OPEN:
        raise InputError(
            f"round {survey_round.year} is {survey_round.status.value}: "
            "open it before sending invitations"
        )
    return issue_invitations(survey_round)


def change_reminder_schedule(
    user: User,
    survey_round: SurveyRound,
    *,
    after_invitation: list[int],
    before_close: list[int],
    limit: int,
) -> None:
    """Set the round's reminder schedule (see ``survey.services.reminders.set_schedule``)."""
    set_schedule(
        survey_round, after_invitation=after_invitation, before_close=before_close, limit=limit
    )


def remind(user: User, survey_round: SurveyRound, today: date) -> ReminderReport:
    """Queue the reminders due ``today`` (one email per stakeholder; sent after commit)."""
    if not survey_round.accepts_answers(today):
        raise InputError(
            f"round {survey_round.year} is not in fieldwork today: no reminders are sent"
        )
    return send_reminders(survey_round, today)


def record_bounces(user: User, survey_round: SurveyRound, data: bytes, source: str) -> BounceReport:
    """Mark the addresses on a bounce list undeliverable; an unreadable file is one problem."""
    try:
        return mark_bounced(survey_round, data, source)
    except InputError as error:
        return BounceReport(problems=[Problem(0, "", str(error))])


def new_account(
    *, email: str, name: str, role: str, organisation: str | None, region: str | None
) -> User:
    """Create an account (see ``survey.services.accounts.create_user``); the organisation by code."""
    from survey.services.accounts import create_user
    from survey.services.organisations import organisation_by_code

    org = (
        organisation_by_code(organisation.strip())
        if organisation and organisation.strip()
        else None
    )
    user, _link = create_user(
        email=email,
        name=name,
        role=Role(role),
        organisation=org,
        region=(region or "").strip() or None,
    )
    return user


def toggle_account(user: User, *, by: User) -> User:
    """Switch an account off or on (a permission change, audited); nobody switches off themselves."""
    if user.id == by.id:
        raise InputError("you cannot switch off your own account")
    user.active = not user.active
    db.session.flush()
    audit.record("user.access", target=f"user:{user.id}", active=user.active)
    return user
