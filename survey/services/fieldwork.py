"""An organisation's fieldwork as its commissioner sees it: response rates per stakeholder group,
and the one reminder they may send their non-responders; and the non-responders the survey team
sees.

Rates use :mod:`survey.services.population`'s one definition of invited, as the survey team's
monitor does. A commissioner sees counts per group only (as the monitor shows them), never who
has answered: the reminder reports how many emails were queued, not to whom.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from survey.extensions import db
from survey.models import (
    Invitation,
    InvitationStatus,
    Organisation,
    OrganisationReminder,
    Stakeholder,
    SurveyRound,
)
from survey.models.types import utcnow
from survey.services import audit
from survey.services.errors import InputError
from survey.services.invitations import current_link
from survey.services.population import INVITED_STATUSES, invited_counts
from survey.services.reminders import queue_reminder, remindable
from survey.services.rounds import group_names, questionnaire_for


@dataclass(frozen=True)
class GroupRate:
    group: str
    name: str
    invited: int
    completed: int

    @property
    def rate(self) -> float | None:
        """Completed / invited, or None when nobody was invited."""
        return self.completed / self.invited if self.invited else None


@dataclass(frozen=True)
class OrganisationFieldwork:
    survey_round: SurveyRound
    organisation: Organisation
    #: groups with anybody invited, in questionnaire order
    groups: list[GroupRate]
    #: the questionnaire's reporting families with anybody invited: sums of their groups
    families: list[GroupRate]
    total: GroupRate
    #: the reminder already sent this round, if any
    reminder: OrganisationReminder | None
    #: reminder emails sending now would queue
    can_remind: int


def fieldwork_rounds(organisation: Organisation, today: date) -> list[SurveyRound]:
    """The rounds in fieldwork ``today`` that invited anybody about ``organisation``."""
    asked = select(Invitation.round_id).where(
        Invitation.organisation_id == organisation.id,
        Invitation.status.in_(INVITED_STATUSES),
    )
    # IN, not DISTINCT over a join: PostgreSQL cannot compare the round's JSON columns.
    query = (
        select(SurveyRound)
        .where(SurveyRound.id.in_(asked))
        .order_by(SurveyRound.closes_on, SurveyRound.id)
    )
    return [r for r in db.session.scalars(query) if r.accepts_answers(today)]


def _family_rates(survey_round: SurveyRound, groups: list[GroupRate]) -> list[GroupRate]:
    by_group = {rate.group: rate for rate in groups}
    families = []
    for family in questionnaire_for(survey_round).group_families:
        members = [by_group[g] for g in family.groups if g in by_group]
        if members:
            families.append(
                GroupRate(
                    family.id,
                    family.name,
                    sum(m.invited for m in members),
                    sum(m.completed for m in members),
                )
            )
    return families


def organisation_fieldwork(
    survey_round: SurveyRound, organisation: Organisation
) -> OrganisationFieldwork:
    """Invited, completed and the rate per stakeholder group of ``organisation`` in the round."""
    invited = {
        group: n
        for (org, group), n in invited_counts(survey_round).items()
        if org == organisation.id
    }
    completed: dict[str, int] = {
        str(group): int(n)
        for group, n in db.session.execute(
            select(Stakeholder.group, func.count())
            .join(Invitation.stakeholder)
            .where(
                Invitation.round_id == survey_round.id,
                Invitation.organisation_id == organisation.id,
                Invitation.status == InvitationStatus.COMPLETED,
            )
            .group_by(Stakeholder.group)
        )
    }
    names = group_names(survey_round)
    order = [g for g in names if g in invited] + sorted(invited.keys() - names.keys())
    groups = [GroupRate(g, names.get(g, g), invited[g], int(completed.get(g, 0))) for g in order]
    total = GroupRate(
        "", "All groups", sum(g.invited for g in groups), sum(g.completed for g in groups)
    )
    return OrganisationFieldwork(
        survey_round,
        organisation,
        groups,
        _family_rates(survey_round, groups),
        total,
        db.session.get(OrganisationReminder, (survey_round.id, organisation.id)),
        len(_non_responders_to_remind(survey_round, organisation)),
    )


def _non_responders_to_remind(
    survey_round: SurveyRound, organisation: Organisation, *, lock: bool = False
) -> dict[int, list[Invitation]]:
    """Stakeholders with an unfinished invitation about ``organisation`` who may be reminded:
    not opted out, address not bounced, fewer reminders than the round's maximum."""
    # Locked like the round's own reminder run, so one waits for the other's counts.
    candidates = remindable(survey_round, lock=lock, organisation_id=organisation.id)
    found: dict[int, list[Invitation]] = defaultdict(list)
    for stakeholder_id, invitations in candidates.items():
        for invitation in invitations:
            if current_link(invitation) is not None:
                found[stakeholder_id].append(invitation)
    return found


def send_organisation_reminder(
    actor: audit.Actor, survey_round: SurveyRound, organisation: Organisation, today: date
) -> int:
    """Queue one reminder to each of ``organisation``'s non-responders, with only that
    organisation's links; at most once per round and organisation. Returns the emails queued.

    :raises InputError: the round is not in fieldwork, or this organisation's reminder was
        already sent this round.
    """
    if not survey_round.accepts_answers(today):
        raise InputError(
            f"round {survey_round.year} is not in fieldwork today: no reminders are sent"
        )
    if db.session.get(OrganisationReminder, (survey_round.id, organisation.id)) is not None:
        raise InputError(f"a reminder for {organisation.name} was already sent this round")
    row = OrganisationReminder(
        round_id=survey_round.id,
        organisation_id=organisation.id,
        sent_by=actor.user_id,
        emails=0,
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        # Sent from another browser between the check above and now.
        raise InputError(
            f"a reminder for {organisation.name} was already sent this round"
        ) from None
    now = utcnow()
    for invitations in _non_responders_to_remind(survey_round, organisation, lock=True).values():
        links = [(organisation.name, link) for i in invitations if (link := current_link(i))]
        queue_reminder(survey_round, invitations[0].stakeholder, links, now)
        row.emails += 1
    db.session.flush()
    audit.record(
        actor,
        "reminders.organisation",
        target=f"round:{survey_round.id}",
        organisation=organisation.code,
        emails=row.emails,
    )
    return row.emails
