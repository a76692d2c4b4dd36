"""Invitations: making links, emailing them (one email per stakeholder), and checking them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from survey import audit
from survey.errors import DeadLink
from survey.extensions import db
from survey.mail import queue_email
from survey.models import Invitation, InvitationStatus, Stakeholder, SurveyRound
from survey.models.types import utcnow
from survey.rounds import questionnaire_for
from survey.tokens import hash_from_link_token, new_link_token

#: the URL prefix of the respondent pages; a link is PUBLIC_BASE_URL + SURVEY_PATH + token
SURVEY_PATH = "/s/"


def survey_link(token: str) -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + SURVEY_PATH + token


@dataclass
class IssueReport:
    emails: int = 0
    invitations: int = 0
    #: invitation id -> link, so the caller (the demo, a test) can follow one
    links: dict[int, str] = field(default_factory=dict)


def _new_link(invitation: Invitation) -> str:
    token, token_hash = new_link_token(current_app.config["SECRET_KEY"])
    invitation.token_hash = token_hash
    invitation.issued_at = utcnow()
    return survey_link(token)


def issue_invitations(survey_round: SurveyRound, organisation_ids: set[int] | None = None) -> IssueReport:
    """Make links for the round's pending invitations and queue one email per stakeholder.

    Stakeholders who opted out or whose address bounced are left out. The emails are queued in
    the caller's transaction: nothing is sent unless it commits.
    """
    query = (
        select(Invitation)
        .join(Invitation.stakeholder)
        .options(joinedload(Invitation.stakeholder), joinedload(Invitation.organisation))
        .where(
            Invitation.round_id == survey_round.id,
            Invitation.status == InvitationStatus.PENDING,
            Stakeholder.opted_out_at.is_(None),
            Stakeholder.undeliverable_at.is_(None),
        )
        .order_by(Invitation.stakeholder_id, Invitation.id)
    )
    if organisation_ids is not None:
        query = query.where(Invitation.organisation_id.in_(organisation_ids))
    by_stakeholder: dict[int, list[Invitation]] = defaultdict(list)
    for invitation in db.session.scalars(query):
        by_stakeholder[invitation.stakeholder_id].append(invitation)
    questionnaire = questionnaire_for(survey_round)
    report = IssueReport()
    for invitations in by_stakeholder.values():
        stakeholder = invitations[0].stakeholder
        links = []
        for invitation in invitations:
            link = _new_link(invitation)
            invitation.status = InvitationStatus.ISSUED
            links.append((invitation.organisation.name, link))
            report.links[invitation.id] = link
        queue_email(
            kind="invitation",
            recipient=stakeholder.email,
            subject=_subject(survey_round, [name for name, _link in links]),
            template="invitation",
            context={
                "stakeholder": stakeholder,
                "survey_round": survey_round,
                "links": links,
                "minutes": questionnaire.estimated_minutes,
                "contact": current_app.config["SURVEY_CONTACT"],
            },
            stakeholder_id=stakeholder.id,
        )
        report.emails += 1
        report.invitations += len(invitations)
    db.session.flush()
    audit.record(
        "invitations.issue",
        target=f"round:{survey_round.id}",
        emails=report.emails,
        invitations=report.invitations,
    )
    return report


def _subject(survey_round: SurveyRound, organisation_names: list[str]) -> str:
    if len(organisation_names) == 1:
        return f"Your views on working with {organisation_names[0]}: {survey_round.title}"
    return f"Your views on working with {len(organisation_names)} NHS commissioners: {survey_round.title}"


def reissue_link(invitation: Invitation) -> str:
    """Replace an invitation's link: the old one stops working at once."""
    if invitation.status is InvitationStatus.COMPLETED:
        raise DeadLink("this invitation's response is already in; there is nothing to reissue")
    link = _new_link(invitation)
    if invitation.status in (InvitationStatus.PENDING, InvitationStatus.REVOKED):
        invitation.status = InvitationStatus.ISSUED
    db.session.flush()
    audit.record("invitation.reissue", target=f"invitation:{invitation.id}")
    return link


def revoke(invitation: Invitation) -> None:
    """Withdraw an invitation: its link dies and any saved answers are deleted."""
    from survey.responses import discard_draft

    if invitation.status is InvitationStatus.COMPLETED:
        raise DeadLink("this invitation's response is already in and cannot be withdrawn")
    invitation.status = InvitationStatus.REVOKED
    invitation.token_hash = None
    discard_draft(invitation)
    db.session.flush()
    audit.record("invitation.revoke", target=f"invitation:{invitation.id}")


def find_by_link(link_token: str, today: date, *, for_update: bool = False) -> Invitation:
    """The invitation a link stands for, or ``DeadLink`` if it is not usable today.

    Unknown, tampered, revoked and replaced links, and links of rounds that are not in
    fieldwork, all raise the same error, so a link's answer reveals nothing about it.
    """
    token_hash = hash_from_link_token(current_app.config["SECRET_KEY"], link_token)
    if token_hash is None:
        raise DeadLink("not a link of ours")
    query = (
        select(Invitation)
        .options(joinedload(Invitation.survey_round), joinedload(Invitation.stakeholder))
        .where(Invitation.token_hash == token_hash)
    )
    if for_update:
        query = query.with_for_update(of=Invitation)
    invitation = db.session.scalar(query)
    if invitation is None or invitation.status is InvitationStatus.REVOKED:
        raise DeadLink("no live invitation has this link")
    if not invitation.survey_round.accepts_answers(today):
        raise DeadLink("the round is not in fieldwork")
    return invitation
