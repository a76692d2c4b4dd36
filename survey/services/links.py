"""Survey links as their pages read them: which invitation a link stands for, whether it works
today, and what its pages show.

A page reads its link in one query and makes no ORM objects (``find_link``; ``lock_link`` for
a request that saves or submits answers): the ORM's loading and bookkeeping were a third of a
section page's time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import bindparam, select

from questionnaires import Questionnaire
from survey.extensions import db
from survey.models import (
    Invitation,
    InvitationStatus,
    LocalQuestion,
    Organisation,
    Stakeholder,
    SurveyRound,
)
from survey.models.round import in_fieldwork
from survey.services.errors import DeadLink
from survey.services.round_questionnaire import questionnaire_of
from survey.services.tokens import hash_from_link_token


@dataclass(frozen=True)
class Link:
    """What a link's pages show: its invitation's state, round and organisation, the local
    questions it asks and the answers saved so far (still sealed)."""

    invitation_id: int
    round_id: int
    organisation_id: int
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


#: a link's page in one query: one row per local question (one row without any)
_LINK_ROWS = (
    select(
        Invitation.id,
        Invitation.round_id,
        Invitation.organisation_id,
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
        Invitation.sealed_draft,
        Invitation.resume_section,
        LocalQuestion.item_id,
        LocalQuestion.text,
        LocalQuestion.scale,
    )
    .join(SurveyRound, SurveyRound.id == Invitation.round_id)
    .join(Stakeholder, Stakeholder.id == Invitation.stakeholder_id)
    .join(Organisation, Organisation.id == Invitation.organisation_id)
    .outerjoin(
        LocalQuestion,
        (LocalQuestion.round_id == Invitation.round_id)
        & (LocalQuestion.organisation_id == Invitation.organisation_id),
    )
    .where(Invitation.token_hash == bindparam("token_hash"))
    .order_by(LocalQuestion.position, LocalQuestion.id)
)

#: the same, its invitation's row locked as it is read (``lock_link``)
_LOCKED_LINK_ROWS = _LINK_ROWS.with_for_update(of=Invitation)


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
    """``find_link`` for a request that saves or submits answers, its invitation's row locked as
    it is read: two requests on one link (a double click, two tabs) take turns, and the second
    reads the draft and status the first wrote. One query; a dead link's request must roll back.

    On PostgreSQL ``SELECT ... FOR UPDATE`` waits for the row and then returns its latest
    version: the draft is in that row, so it is current (a draft in a joined table would be read
    as it was before the wait). SQLite takes its write lock at ``BEGIN IMMEDIATE``, before this.
    """
    return _read(_token_hash(link_token), today, lock=True)


def _read(token_hash: str, today: date, *, lock: bool = False) -> Link:
    query = _LOCKED_LINK_ROWS if lock else _LINK_ROWS
    rows = db.session.execute(query, {"token_hash": token_hash}).all()
    if not rows:
        raise DeadLink("no live invitation has this link")
    first = rows[0]
    _check_usable(
        first.status, in_fieldwork(first.round_status, first.opens_on, first.closes_on, today)
    )
    return Link(
        first.id,
        first.round_id,
        first.organisation_id,
        first.status,
        first.group,
        first.organisation_name,
        first.title,
        first.closes_on,
        first.suppression_threshold,
        first.comment_threshold,
        questionnaire_of(first.round_id, first.questionnaire_definition),
        tuple((row.item_id, row.text, row.scale) for row in rows if row.item_id is not None),
        first.sealed_draft,
        first.resume_section,
    )
