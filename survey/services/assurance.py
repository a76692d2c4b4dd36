"""The assessor's ratings and the actions agreed in assurance conversations.

Only an assessor records, and only for the organisations of their own region; everyone who may
see an organisation's results (its commissioners and viewers, the region's assessors, the
survey team) may read them. Every change is audited (ids and the rating only, never the text).
A round's record sits beside the same organisation's record of last year's round of the same
questionnaire, so the next conversation starts from what was agreed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import exists, select

from survey.extensions import db
from survey.models import (
    ActionStatus,
    AssuranceAction,
    AssuranceRating,
    Invitation,
    Organisation,
    Rating,
    Response,
    Role,
    SurveyRound,
    User,
)
from survey.models.types import utcnow
from survey.services import audit
from survey.services.errors import InputError, NotAllowed, NotFound
from survey.services.organisations import visible_organisations
from survey.services.rounds import previous_round, questionnaire_for

MAX_NOTE = 4000
MAX_ACTION = 2000
MAX_OWNER = 200


@dataclass(frozen=True)
class AgreedAction:
    id: int
    domain: str
    text: str
    owner: str
    due_on: date
    done: bool

    @property
    def status(self) -> str:
        return "done" if self.done else "open"


@dataclass(frozen=True)
class DomainAssessment:
    """One domain's rating (None until recorded) and its actions, oldest first."""

    domain: str
    number: int
    title: str
    rating: Rating | None
    note: str
    recorded_at: datetime | None
    actions: tuple[AgreedAction, ...]

    @property
    def rating_label(self) -> str:
        return self.rating.label if self.rating is not None else "Not rated"

    @property
    def open_actions(self) -> int:
        return sum(not action.done for action in self.actions)


@dataclass(frozen=True)
class RoundAssessment:
    """An organisation's ratings and actions in one round, a domain each in questionnaire
    order."""

    round_id: int
    year: int
    title: str
    domains: tuple[DomainAssessment, ...]

    def domain(self, domain_id: str) -> DomainAssessment | None:
        return next((d for d in self.domains if d.domain == domain_id), None)

    @property
    def recorded(self) -> bool:
        return any(d.rating is not None or d.actions for d in self.domains)


@dataclass(frozen=True)
class Assessment:
    """What the pages, the dashboard and the agenda show: this round and last year's."""

    organisation_code: str
    this_year: RoundAssessment
    last_year: RoundAssessment | None
    #: whether the account reading it may change this year's record
    may_record: bool = False


# -- who may do what -----------------------------------------------------------------------


def may_record(user: User, organisation: Organisation) -> bool:
    """Only an assessor records, and only for an organisation of their own region."""
    return user.role is Role.ASSESSOR and user.region == organisation.region


def _check_visible(user: User, organisation: Organisation, survey_round: SurveyRound) -> None:
    """NotFound for an organisation the account may not see or a round that never asked about
    it: to the account it does not exist."""
    visible = db.session.scalar(
        visible_organisations(user).where(Organisation.id == organisation.id)
    )
    asked = db.session.scalar(
        select(
            exists().where(
                Invitation.round_id == survey_round.id,
                Invitation.organisation_id == organisation.id,
            )
            | exists().where(
                Response.round_id == survey_round.id, Response.organisation_id == organisation.id
            )
        )
    )
    if visible is None or not asked:
        raise NotFound(f"no assurance record of {organisation.code} in round {survey_round.id}")


def _check_recorder(user: User, organisation: Organisation, survey_round: SurveyRound) -> None:
    _check_visible(user, organisation, survey_round)
    if not may_record(user, organisation):
        raise NotAllowed(
            "only an assessor of the organisation's region records ratings and actions"
        )


def _domain(survey_round: SurveyRound, domain: str) -> str:
    known = [d.id for d in questionnaire_for(survey_round).domains]
    if domain not in known:
        raise InputError(f"{domain!r} is not a domain of this round (domains: {', '.join(known)})")
    return domain


# -- reading -------------------------------------------------------------------------------


def _round_assessment(organisation: Organisation, survey_round: SurveyRound) -> RoundAssessment:
    ratings = {
        r.domain: r
        for r in db.session.scalars(
            select(AssuranceRating).where(
                AssuranceRating.round_id == survey_round.id,
                AssuranceRating.organisation_id == organisation.id,
            )
        )
    }
    actions: dict[str, list[AgreedAction]] = {}
    for a in db.session.scalars(
        select(AssuranceAction)
        .where(
            AssuranceAction.round_id == survey_round.id,
            AssuranceAction.organisation_id == organisation.id,
        )
        .order_by(AssuranceAction.id)
    ):
        actions.setdefault(a.domain, []).append(
            AgreedAction(a.id, a.domain, a.text, a.owner, a.due_on, a.status is ActionStatus.DONE)
        )
    domains = []
    for d in questionnaire_for(survey_round).domains:
        rating = ratings.get(d.id)
        domains.append(
            DomainAssessment(
                domain=d.id,
                number=d.number,
                title=d.title,
                rating=rating.rating if rating else None,
                note=rating.note if rating else "",
                recorded_at=rating.recorded_at if rating else None,
                actions=tuple(actions.get(d.id, ())),
            )
        )
    return RoundAssessment(survey_round.id, survey_round.year, survey_round.title, tuple(domains))


def report_assessment(organisation: Organisation, survey_round: SurveyRound) -> Assessment:
    """The record of ``survey_round`` and of last year's round, for the agenda (access already
    checked by the caller)."""
    previous = previous_round(survey_round)
    return Assessment(
        organisation.code,
        _round_assessment(organisation, survey_round),
        _round_assessment(organisation, previous) if previous is not None else None,
    )


def assessment(user: User, organisation: Organisation, survey_round: SurveyRound) -> Assessment:
    """What ``user`` may read of the organisation's record (NotFound if nothing)."""
    _check_visible(user, organisation, survey_round)
    found = report_assessment(organisation, survey_round)
    return Assessment(
        found.organisation_code, found.this_year, found.last_year, may_record(user, organisation)
    )


def action_of(
    user: User, organisation: Organisation, survey_round: SurveyRound, action_id: int
) -> AssuranceAction:
    """One action of the organisation's round that ``user`` may change."""
    _check_recorder(user, organisation, survey_round)
    action = db.session.get(AssuranceAction, action_id)
    if (
        action is None
        or action.organisation_id != organisation.id
        or action.round_id != survey_round.id
    ):
        raise NotFound(f"no action {action_id} of {organisation.code} in round {survey_round.id}")
    return action


# -- recording -----------------------------------------------------------------------------


def _actor(user: User, actor: audit.Actor | None) -> audit.Actor:
    return actor if actor is not None else audit.Actor.web(user)


def record_rating(
    user: User,
    organisation: Organisation,
    survey_round: SurveyRound,
    domain: str,
    rating: str,
    note: str = "",
    *,
    actor: audit.Actor | None = None,
) -> AssuranceRating:
    """Record (or change) one domain's rating; ``actor`` defaults to ``user`` on the web."""
    _check_recorder(user, organisation, survey_round)
    domain = _domain(survey_round, domain)
    try:
        value = Rating(rating)
    except ValueError:
        choices = ", ".join(r.value for r in Rating)
        raise InputError(f"the rating must be one of {choices}; got {rating!r}") from None
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise InputError(f"the note has {len(note)} characters; the most is {MAX_NOTE}")
    row = db.session.scalar(
        select(AssuranceRating).where(
            AssuranceRating.round_id == survey_round.id,
            AssuranceRating.organisation_id == organisation.id,
            AssuranceRating.domain == domain,
        )
    )
    before = row.rating.value if row is not None else None
    if row is None:
        row = AssuranceRating(round_id=survey_round.id, organisation_id=organisation.id)
        row.domain = domain
        db.session.add(row)
    row.rating, row.note, row.recorded_by, row.recorded_at = value, note, user.id, utcnow()
    db.session.flush()
    audit.record(
        _actor(user, actor),
        "assurance.rate",
        target=f"organisation:{organisation.code}",
        round=survey_round.id,
        domain=domain,
        rating=value.value,
        previous=before,
    )
    return row


def _action_fields(text: str, owner: str, due_on: date | None) -> tuple[str, str, date]:
    text, owner = text.strip(), " ".join(owner.split())
    if not text or len(text) > MAX_ACTION:
        raise InputError(f"the action must have 1 to {MAX_ACTION} characters")
    if not owner or len(owner) > MAX_OWNER:
        raise InputError(f"the action's owner must have 1 to {MAX_OWNER} characters")
    if due_on is None:
        raise InputError("the action needs a due date")
    return text, owner, due_on


def add_action(
    user: User,
    organisation: Organisation,
    survey_round: SurveyRound,
    domain: str,
    text: str,
    owner: str,
    due_on: date | None,
    *,
    actor: audit.Actor | None = None,
) -> AssuranceAction:
    """Record an agreed action for one domain (open until marked done)."""
    _check_recorder(user, organisation, survey_round)
    domain = _domain(survey_round, domain)
    text, owner, due = _action_fields(text, owner, due_on)
    action = AssuranceAction(
        round_id=survey_round.id,
        organisation_id=organisation.id,
        domain=domain,
        text=text,
        owner=owner,
        due_on=due,
        status=ActionStatus.OPEN,
        created_by=user.id,
        updated_by=user.id,
    )
    db.session.add(action)
    db.session.flush()
    audit.record(
        _actor(user, actor),
        "assurance.action.add",
        target=f"organisation:{organisation.code}",
        round=survey_round.id,
        domain=domain,
        action_id=action.id,
    )
    return action


def edit_action(
    user: User,
    organisation: Organisation,
    survey_round: SurveyRound,
    action_id: int,
    text: str,
    owner: str,
    due_on: date | None,
) -> AssuranceAction:
    """Change an action's wording, owner or due date."""
    action = action_of(user, organisation, survey_round, action_id)
    action.text, action.owner, action.due_on = _action_fields(text, owner, due_on)
    action.updated_by, action.updated_at = user.id, utcnow()
    db.session.flush()
    audit.record(
        audit.Actor.web(user),
        "assurance.action.edit",
        target=f"organisation:{organisation.code}",
        round=survey_round.id,
        action_id=action.id,
    )
    return action


def set_action_done(
    user: User,
    organisation: Organisation,
    survey_round: SurveyRound,
    action_id: int,
    done: bool,
) -> AssuranceAction:
    """Mark an action done, or open again."""
    action = action_of(user, organisation, survey_round, action_id)
    action.status = ActionStatus.DONE if done else ActionStatus.OPEN
    action.completed_at = utcnow() if done else None
    action.updated_by, action.updated_at = user.id, utcnow()
    db.session.flush()
    audit.record(
        audit.Actor.web(user),
        "assurance.action.done" if done else "assurance.action.reopen",
        target=f"organisation:{organisation.code}",
        round=survey_round.id,
        action_id=action.id,
    )
    return action
