"""Invitations: making links and emailing them (one email per stakeholder); a link is checked
by survey.services.links."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from survey.extensions import db
from survey.mail import queue_email
from survey.models import Invitation, InvitationStatus, RoundStatus, Stakeholder, SurveyRound
from survey.models.types import utcnow
from survey.services import audit
from survey.services.errors import DeadLink, InputError
from survey.services.responses import discard_draft
from survey.services.rounds import questionnaire_for
from survey.services.tokens import (
    link_token_for,
    new_link,
    opt_out_token,
    stakeholder_from_opt_out_token,
)

#: the URL prefix of the respondent pages; a link is PUBLIC_BASE_URL + SURVEY_PATH + token
SURVEY_PATH = "/s/"


def survey_link(token: str) -> str:
    """The full survey URL for a link token."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + SURVEY_PATH + token


def opt_out_link(stakeholder: Stakeholder) -> str:
    """The stakeholder's one-click opt-out URL (also sent in the List-Unsubscribe header)."""
    token = opt_out_token(current_app.config["SECRET_KEY"], stakeholder.id)
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + SURVEY_PATH + "opt-out/" + token


def current_link(invitation: Invitation) -> str | None:
    """The invitation's live link, rebuilt from its nonce; None if it has none (pending,
    revoked)."""
    if invitation.token_nonce is None or invitation.status is InvitationStatus.REVOKED:
        return None
    made = link_token_for(current_app.config["SECRET_KEY"], invitation.token_nonce)
    if made.token_hash != invitation.token_hash:
        return None  # SECRET_KEY changed since the link was issued: only a re-issue helps
    return survey_link(made.token)


def email_context(
    survey_round: SurveyRound, stakeholder: Stakeholder, links: list[tuple[str, str]]
) -> dict[str, object]:
    """What the invitation and reminder templates show besides the links (the governance
    pages' addresses carry the round, never a token, so the notice gives its retention)."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return {
        "stakeholder": stakeholder,
        "survey_round": survey_round,
        "links": links,
        "minutes": questionnaire_for(survey_round).estimated_minutes,
        "contact": current_app.config["SURVEY_CONTACT"],
        "opt_out_link": opt_out_link(stakeholder),
        "privacy_link": f"{base}/privacy?round={survey_round.id}",
        "why_link": f"{base}/why-am-i-being-asked",
        "accessibility_link": f"{base}/accessibility",
    }


@dataclass
class IssueReport:
    emails: int = 0
    invitations: int = 0
    #: invitation id -> link, so the caller (the demo, a test) can follow one
    links: dict[int, str] = field(default_factory=dict)


def _new_link(invitation: Invitation) -> str:
    made = new_link(current_app.config["SECRET_KEY"])
    invitation.token_nonce = made.nonce
    invitation.token_hash = made.token_hash
    invitation.issued_at = utcnow()
    return survey_link(made.token)


def issue_invitations(
    actor: audit.Actor, survey_round: SurveyRound, organisation_ids: set[int] | None = None
) -> IssueReport:
    """Make links for the round's pending invitations and queue one email per stakeholder.

    Only an open round sends. Stakeholders who opted out or whose address bounced are left out.
    The emails are queued in the caller's transaction: nothing is sent unless it commits.
    """
    if survey_round.status is not RoundStatus.OPEN:
        raise InputError(
            f"round {survey_round.year} is {survey_round.status.value}: "
            "open it before sending invitations"
        )
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
    report = IssueReport()
    for invitations in by_stakeholder.values():
        stakeholder = invitations[0].stakeholder
        links = []
        for invitation in invitations:
            link = _new_link(invitation)
            invitation.status = InvitationStatus.ISSUED
            links.append((invitation.organisation.name, link))
            report.links[invitation.id] = link
        if stakeholder.invited_at is None:
            stakeholder.invited_at = utcnow()
        queue_email(
            kind="invitation",
            recipient=stakeholder.email,
            subject=_subject(survey_round, [name for name, _link in links]),
            template="invitation",
            context=email_context(survey_round, stakeholder, links),
            stakeholder_id=stakeholder.id,
            unsubscribe_url=opt_out_link(stakeholder),
        )
        report.emails += 1
        report.invitations += len(invitations)
    db.session.flush()
    audit.record(
        actor,
        "invitations.issue",
        target=f"round:{survey_round.id}",
        emails=report.emails,
        invitations=report.invitations,
    )
    return report


def _subject(survey_round: SurveyRound, organisation_names: list[str]) -> str:
    if len(organisation_names) == 1:
        return f"Your views on working with {organisation_names[0]}: {survey_round.title}"
    count = len(organisation_names)
    return f"Your views on working with {count} NHS commissioners: {survey_round.title}"


def reissue_link(actor: audit.Actor, invitation: Invitation) -> str:
    """Replace an invitation's link: the old one stops working at once."""
    if invitation.status is InvitationStatus.COMPLETED:
        raise DeadLink("this invitation's response is already in; there is nothing to reissue")
    link = _new_link(invitation)
    if invitation.status in (InvitationStatus.PENDING, InvitationStatus.REVOKED):
        invitation.status = InvitationStatus.ISSUED
    db.session.flush()
    audit.record(actor, "invitation.reissue", target=f"invitation:{invitation.id}")
    return link


def revoke(actor: audit.Actor, invitation: Invitation) -> None:
    """Withdraw an invitation: its link dies and any saved answers are deleted."""
    if invitation.status is InvitationStatus.COMPLETED:
        raise DeadLink("this invitation's response is already in and cannot be withdrawn")
    invitation.status = InvitationStatus.REVOKED
    invitation.token_hash = None
    invitation.token_nonce = None
    discard_draft(invitation)
    db.session.flush()
    audit.record(actor, "invitation.revoke", target=f"invitation:{invitation.id}")


def stakeholder_for_opt_out(token: str) -> Stakeholder:
    """The stakeholder an opt-out link stands for, or ``DeadLink`` for a token not of ours."""
    stakeholder_id = stakeholder_from_opt_out_token(current_app.config["SECRET_KEY"], token)
    stakeholder = (
        db.session.get(Stakeholder, stakeholder_id) if stakeholder_id is not None else None
    )
    if stakeholder is None:
        raise DeadLink("no stakeholder has this opt-out link")
    return stakeholder


def opt_out(actor: audit.Actor, stakeholder: Stakeholder) -> bool:
    """Stop all further email to the stakeholder in this round; False if already opted out.

    Their links keep working: opting out of email is not withdrawing from the survey.
    """
    if stakeholder.opted_out_at is not None:
        return False
    stakeholder.opted_out_at = utcnow()
    db.session.flush()
    audit.record(actor, "stakeholder.opt_out", target=f"stakeholder:{stakeholder.id}")
    return True


def link_on_request(
    actor: audit.Actor,
    survey_round: SurveyRound,
    email: str,
    organisation_id: int,
    *,
    reissue: bool = False,
) -> str:
    """One stakeholder's link about one organisation, shown to a manager on purpose (testing
    the round, or a stakeholder who lost their email), and audited; with ``reissue`` a new
    link that kills the old one. An invitation with no live link must be re-issued."""
    invitation = db.session.scalar(
        select(Invitation)
        .join(Stakeholder, Invitation.stakeholder_id == Stakeholder.id)
        .where(
            Invitation.round_id == survey_round.id,
            Invitation.organisation_id == organisation_id,
            func.lower(Stakeholder.email) == email.strip().lower(),
        )
    )
    if invitation is None:
        raise InputError(f"{email} has no invitation about that organisation in this round")
    if reissue:
        return reissue_link(actor, invitation)
    link = current_link(invitation)
    if link is None:
        raise InputError(
            f"{email}'s invitation has no live link ({invitation.status.value}): re-issue it"
        )
    audit.record(actor, "invitation.link_shown", target=f"invitation:{invitation.id}")
    return link
