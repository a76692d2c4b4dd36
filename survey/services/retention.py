"""Retention and erasure: purging identities after a round, erasing one stakeholder on request,
and keeping anonymity settings from being loosened once answers exist."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Select, delete, func, insert, select

from survey.extensions import affected_rows, db
from survey.models import (
    Invitation,
    OutboxMessage,
    Response,
    RoundStatus,
    Stakeholder,
    SurveyRound,
)
from survey.models.invited_count import InvitedCount
from survey.models.types import utcnow
from survey.services import audit
from survey.services.errors import InputError, NotFound
from survey.services.population import live_invited_counts
from survey.services.publication import republish
from survey.services.rounds import check_thresholds


@dataclass(frozen=True)
class PurgeReport:
    round_id: int
    stakeholders: int
    invitations: int
    messages: int
    drafts: int


def purge_date(survey_round: SurveyRound) -> date:
    """The first day the round's identities may be purged."""
    return survey_round.closes_on + timedelta(days=survey_round.retention_days)


def _delete_identities(
    stakeholder_ids: Select[int], invitation_ids: Select[int]
) -> tuple[int, int, int, int]:
    """Delete drafts, emails, invitations and stakeholders; returns how many of each
    (stakeholders, invitations, messages, drafts)."""
    drafts = int(
        db.session.scalar(
            select(func.count()).where(
                Invitation.id.in_(invitation_ids), Invitation.sealed_draft.is_not(None)
            )
        )
        or 0
    )
    messages = affected_rows(
        db.session.execute(
            delete(OutboxMessage).where(OutboxMessage.stakeholder_id.in_(stakeholder_ids))
        )
    )
    invitations = affected_rows(
        db.session.execute(delete(Invitation).where(Invitation.id.in_(invitation_ids)))
    )
    stakeholders = affected_rows(
        db.session.execute(delete(Stakeholder).where(Stakeholder.id.in_(stakeholder_ids)))
    )
    return stakeholders, invitations, messages, drafts


def purge_identities(actor: audit.Actor, survey_round: SurveyRound, today: date) -> PurgeReport:
    """Delete the round's stakeholders, invitations, drafts and emails; keep every answer.

    The invited counts per organisation and group are kept first, so response rates and the
    finite population correction, and so every published number, stay exactly the same.
    """
    if survey_round.status is not RoundStatus.CLOSED:
        raise InputError(
            f"round {survey_round.id} is {survey_round.status.value}: "
            "identities are kept until it closes"
        )
    if today < purge_date(survey_round):
        raise InputError(
            f"round {survey_round.id} keeps identities until {purge_date(survey_round)} "
            f"({survey_round.retention_days} days after it closed)"
        )
    if survey_round.identities_purged_at is None:
        counts = live_invited_counts(survey_round)
        if counts:
            db.session.execute(
                insert(InvitedCount),
                [
                    {
                        "round_id": survey_round.id,
                        "organisation_id": org,
                        "stakeholder_group": group,
                        "invited": n,
                    }
                    for (org, group), n in counts.items()
                ],
            )
    stakeholder_ids = select(Stakeholder.id).where(Stakeholder.round_id == survey_round.id)
    invitation_ids = select(Invitation.id).where(Invitation.round_id == survey_round.id)
    stakeholders, invitations, messages, drafts = _delete_identities(
        stakeholder_ids, invitation_ids
    )
    survey_round.identities_purged_at = utcnow()
    db.session.flush()
    audit.record(
        actor,
        "round.purge_identities",
        target=f"round:{survey_round.id}",
        stakeholders=stakeholders,
        invitations=invitations,
        messages=messages,
        drafts=drafts,
    )
    return PurgeReport(survey_round.id, stakeholders, invitations, messages, drafts)


def rounds_due_for_purge(today: date) -> list[tuple[SurveyRound, int]]:
    """Closed rounds whose retention period is over and whose identities are still kept, each
    with the number of stakeholders a purge would delete (the dry run); changes nothing."""
    rounds = db.session.scalars(
        select(SurveyRound)
        .where(SurveyRound.status == RoundStatus.CLOSED, SurveyRound.identities_purged_at.is_(None))
        .order_by(SurveyRound.id)
    )
    due = [r for r in rounds if today >= purge_date(r)]
    counts: dict[int, int] = {
        round_id: count
        for round_id, count in db.session.execute(
            select(Stakeholder.round_id, func.count())
            .where(Stakeholder.round_id.in_([r.id for r in due]))
            .group_by(Stakeholder.round_id)
        )
    }
    return [(r, int(counts.get(r.id, 0))) for r in due]


def purge_due(actor: audit.Actor, today: date) -> list[PurgeReport]:
    """Purge every closed round whose retention period is over (for a daily scheduled job)."""
    return [purge_identities(actor, r, today) for r, _count in rounds_due_for_purge(today)]


def erase_stakeholder(actor: audit.Actor, survey_round: SurveyRound, email: str) -> None:
    """Erase a stakeholder on request: their name, address, links, drafts and emails.

    Any answer they already submitted stays, as it cannot be told apart from the others.
    """
    stakeholder = db.session.scalar(
        select(Stakeholder).where(
            Stakeholder.round_id == survey_round.id,
            func.lower(Stakeholder.email) == email.strip().lower(),
        )
    )
    if stakeholder is None:
        raise NotFound(f"no stakeholder with that address in round {survey_round.id}")
    stakeholder_id = stakeholder.id
    db.session.expunge(stakeholder)
    _delete_identities(
        select(Stakeholder.id).where(Stakeholder.id == stakeholder_id),
        select(Invitation.id).where(Invitation.stakeholder_id == stakeholder_id),
    )
    db.session.flush()
    audit.record(
        actor, "stakeholder.erase", target=f"round:{survey_round.id}", stakeholder=stakeholder_id
    )


def change_thresholds(
    actor: audit.Actor,
    survey_round: SurveyRound,
    *,
    suppression: int | None = None,
    comment: int | None = None,
) -> None:
    """Change a round's thresholds; once it has responses they can only be raised. Published
    results are published again at once with the new thresholds."""
    new_suppression = survey_round.suppression_threshold if suppression is None else suppression
    new_comment = survey_round.comment_threshold if comment is None else comment
    check_thresholds(new_suppression, new_comment)
    answered = db.session.scalar(
        select(func.count()).select_from(Response).where(Response.round_id == survey_round.id)
    )
    if answered and (
        new_suppression < survey_round.suppression_threshold
        or new_comment < survey_round.comment_threshold
    ):
        raise InputError(
            f"round {survey_round.id} already has {answered} responses: its thresholds "
            f"({survey_round.suppression_threshold}, comments {survey_round.comment_threshold}) "
            "can only be raised"
        )
    before = (survey_round.suppression_threshold, survey_round.comment_threshold)
    survey_round.suppression_threshold, survey_round.comment_threshold = (
        new_suppression,
        new_comment,
    )
    db.session.flush()
    audit.record(
        actor,
        "round.thresholds",
        target=f"round:{survey_round.id}",
        before=list(before),
        after=[new_suppression, new_comment],
    )
    # a raised threshold must hide at once what it now hides, not at the next release
    republish(actor, survey_round, reason="thresholds changed")
