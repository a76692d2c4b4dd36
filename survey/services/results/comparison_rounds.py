"""Which rounds a signed-in account may compare organisations in (the national view).

Managers and assessors may open any round with responses, of either kind of organisation; a
commissioner (an account of one organisation) only the rounds that asked about their own
organisation, of its kind.  Anything else is answered as if it did not exist.
"""

from __future__ import annotations

from sqlalchemy import select

from survey.extensions import db
from survey.models import Response, Role, SurveyRound, User
from survey.services.results.dashboard import rounds_of_organisation
from survey.services.rounds import questionnaire_for

KINDS = {"ccg": "CCGs and ICBs", "direct": "Direct commissioning"}
#: the roles that see other organisations by name (the rest see only their own organisation)
NAMING_ROLES = (Role.MANAGER, Role.ASSESSOR)


def rounds_for_kind(kind: str) -> list[SurveyRound]:
    """Rounds with responses whose questionnaire assesses organisations of ``kind``, latest
    first."""
    with_data = select(Response.round_id).distinct()
    rounds = db.session.scalars(
        select(SurveyRound)
        .where(SurveyRound.id.in_(with_data))
        .order_by(SurveyRound.year.desc(), SurveyRound.id.desc())
    )
    return [r for r in rounds if questionnaire_for(r).organisation_kind == kind]


def comparable_rounds(user: User, kind: str) -> list[SurveyRound]:
    """The rounds of ``kind`` in which ``user`` may compare organisations, latest first: every
    round with responses for managers and assessors; for anyone else, those of them that asked
    about their own organisation (none for another kind)."""
    rounds = rounds_for_kind(kind)
    if user.role in NAMING_ROLES:
        return rounds
    own = user.organisation
    if own is None or own.kind.value != kind:
        return []
    asked = {r.id for r in rounds_of_organisation(own)}
    return [r for r in rounds if r.id in asked]


def round_to_compare(
    user: User, round_id: int | None, kind: str | None
) -> tuple[SurveyRound | None, str]:
    """The round and kind of organisation of the comparison ``user`` asked for: the round
    ``round_id``, else the latest of ``kind`` (default "ccg"; a commissioner's is always their
    organisation's kind) that they may compare (None: no round yet).

    :raises LookupError: for an unknown round or kind, or one the user may not compare (the page
        answers 404, as if it did not exist).
    """
    if user.role not in NAMING_ROLES:
        if user.organisation is None:
            raise LookupError(f"account {user.id} has no organisation to compare")
        own_kind = user.organisation.kind.value
        if kind and kind != own_kind:
            raise LookupError(f"kind {kind!r} is not the kind of account {user.id}'s organisation")
        kind = own_kind
    kind = kind or "ccg"
    if kind not in KINDS:
        raise LookupError(f"no kind of organisation {kind!r}")
    if round_id is None:
        rounds = comparable_rounds(user, kind)
        return (rounds[0] if rounds else None), kind
    survey_round = db.session.get(SurveyRound, round_id)
    if survey_round is None:
        raise LookupError(f"no round {round_id}")
    if user.role in NAMING_ROLES:
        return survey_round, questionnaire_for(survey_round).organisation_kind
    if survey_round not in comparable_rounds(user, kind):
        raise LookupError(f"round {round_id} did not ask about account {user.id}'s organisation")
    return survey_round, kind
