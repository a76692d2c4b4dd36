"""Survey links as their pages read them: which invitation a link stands for, whether it works
today, and what its pages show.

A page reads its link in one query and makes no ORM objects (``find_link``; ``lock_link`` to
save answers): the ORM's loading and bookkeeping were a third of a section page's time. A
submit locks the invitation and loads it through the ORM (``find_by_link``), which the submit
service writes through.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, case, select, update
from sqlalchemy.orm import joinedload
from sqlalchemy.sql import ColumnElement

from questionnaires import Questionnaire
from survey.extensions import db
from survey.models import (
    Invitation,
    InvitationStatus,
    LocalQuestion,
    Organisation,
    PartialAnswers,
    Stakeholder,
    SurveyRound,
)
from survey.models.round import in_fieldwork
from survey.services.errors import DeadLink
from survey.services.round_questionnaire import questionnaire_for, questionnaire_of
from survey.services.tokens import hash_from_link_token

_OPEN = (InvitationStatus.ISSUED, InvitationStatus.STARTED)


@dataclass(frozen=True)
class Link:
    """What a link's pages show: its invitation's state, round and organisation, the local
    questions it asks and the answers saved so far (still sealed)."""

    invitation_id: int
    round_id: int
    status: InvitationStatus
    group: str
    organisation_name: str
    round_title: str
    closes_on: date
    suppression_threshold: int
    comment_threshold: int
    questionnaire: Questionnaire
    #: the organisation's local questions in the round, in order: (item id, text, scale)
    local_questions: tuple[tuple[str, str, str], ...]
    #: the sealed draft and the section to resume at, None before any answer is saved
    sealed_draft: bytes | None
    resume_section: int | None

    @classmethod
    def of(cls, invitation: Invitation) -> Link:
        """The link of an invitation loaded through the ORM (by ``find_by_link``)."""
        survey_round, draft = invitation.survey_round, invitation.draft
        return cls(
            invitation.id,
            invitation.round_id,
            invitation.status,
            invitation.stakeholder.group,
            invitation.organisation.name,
            survey_round.title,
            survey_round.closes_on,
            survey_round.suppression_threshold,
            survey_round.comment_threshold,
            questionnaire_for(survey_round),
            tuple((q.item_id, q.text, q.scale) for q in invitation.local_questions),
            draft.sealed if draft else None,
            draft.resume_section if draft else None,
        )


#: a link's page in one query: one row per local question (one row without any)
_LINK_ROWS = (
    select(
        Invitation.id,
        Invitation.round_id,
        Invitation.status,
        Stakeholder.group,
        Organisation.name.label("organisation_name"),
        SurveyRound.status.label("round_status"),
        SurveyRound.opens_on,
        SurveyRound.closes_on,
        SurveyRound.title,
        SurveyRound.suppression_threshold,
        SurveyRound.comment_threshold,
        SurveyRound.questionnaire_definition,
        PartialAnswers.sealed,
        PartialAnswers.resume_section,
        LocalQuestion.item_id,
        LocalQuestion.text,
        LocalQuestion.scale,
    )
    .join(SurveyRound, SurveyRound.id == Invitation.round_id)
    .join(Stakeholder, Stakeholder.id == Invitation.stakeholder_id)
    .join(Organisation, Organisation.id == Invitation.organisation_id)
    .outerjoin(PartialAnswers, PartialAnswers.invitation_id == Invitation.id)
    .outerjoin(
        LocalQuestion,
        (LocalQuestion.round_id == Invitation.round_id)
        & (LocalQuestion.organisation_id == Invitation.organisation_id),
    )
    .where(Invitation.token_hash == bindparam("token_hash"))
    .order_by(LocalQuestion.position, LocalQuestion.id)
)

#: the invitation with everything its pages and the answer services use, in one query
_LINK_QUERY = (
    select(Invitation)
    .options(
        joinedload(Invitation.survey_round),
        joinedload(Invitation.stakeholder),
        joinedload(Invitation.organisation),
        joinedload(Invitation.local_questions),
        joinedload(Invitation.draft),
    )
    .where(Invitation.token_hash == bindparam("token_hash"))
    # read after the lock: an invitation the session already holds takes the status written
    .execution_options(populate_existing=True)
)


def _token_hash(link_token: str) -> str:
    token_hash = hash_from_link_token(current_app.config["SECRET_KEY"], link_token)
    if token_hash is None:
        raise DeadLink("not a link of ours")
    return token_hash


def _check_usable(status: InvitationStatus, works_today: bool) -> None:
    """Refuse a revoked invitation and a round out of fieldwork as a missing invitation is, so
    a link's answer reveals nothing about it."""
    if status is InvitationStatus.REVOKED:
        raise DeadLink("no live invitation has this link")
    if not works_today:
        raise DeadLink("the round is not in fieldwork")


def find_link(link_token: str, today: date) -> Link:
    """What the pages of a link show, or ``DeadLink`` if it is not usable today (unknown,
    tampered, revoked and replaced links, and rounds not in fieldwork). One query."""
    return _read(_token_hash(link_token), today)


def lock_link(link_token: str, today: date) -> Link:
    """``find_link`` for a request that saves answers: the invitation's row is locked first and
    an issued link marked started (``_lock``), then read, so the draft read is current. Two
    statements; a dead link's request must roll back."""
    token_hash = _token_hash(link_token)
    _lock(token_hash, starting=True)
    return _read(token_hash, today)


def _read(token_hash: str, today: date) -> Link:
    rows = db.session.execute(_LINK_ROWS, {"token_hash": token_hash}).all()
    if not rows:
        raise DeadLink("no live invitation has this link")
    first = rows[0]
    _check_usable(
        first.status, in_fieldwork(first.round_status, first.opens_on, first.closes_on, today)
    )
    return Link(
        first.id,
        first.round_id,
        first.status,
        first.group,
        first.organisation_name,
        first.title,
        first.closes_on,
        first.suppression_threshold,
        first.comment_threshold,
        questionnaire_of(first.round_id, first.questionnaire_definition),
        tuple((row.item_id, row.text, row.scale) for row in rows if row.item_id is not None),
        first.sealed,
        first.resume_section,
    )


def _lock(token_hash: str, *, starting: bool) -> None:
    """Lock an open invitation's row by updating it: marked started if ``starting``, else left as
    it is. An UPDATE takes PostgreSQL's row lock (SQLite's write lock is already held), so two
    requests on one link take turns, and what is read after it is current: a lock taken by
    SELECT ... FOR UPDATE would return the draft joined to it as it was before the wait."""
    status: ColumnElement[Any] = Invitation.status.expression
    if starting:
        status = case(
            (Invitation.status == InvitationStatus.ISSUED, InvitationStatus.STARTED.value),
            else_=Invitation.status,
        )
    db.session.execute(
        update(Invitation)
        .where(Invitation.token_hash == token_hash, Invitation.status.in_(_OPEN))
        .values(status=status)
        .execution_options(synchronize_session=False)
    )


def find_by_link(link_token: str, today: date) -> Invitation:
    """The invitation a link stands for, its row locked (``_lock``) for a request that submits,
    or ``DeadLink`` as ``find_link`` would answer. Two statements: the lock, then one query
    loading it through the ORM, which the submit service writes through."""
    token_hash = _token_hash(link_token)
    _lock(token_hash, starting=False)
    invitation = db.session.scalars(_LINK_QUERY, {"token_hash": token_hash}).unique().one_or_none()
    if invitation is None:
        raise DeadLink("no live invitation has this link")
    _check_usable(invitation.status, invitation.survey_round.accepts_answers(today))
    return invitation
