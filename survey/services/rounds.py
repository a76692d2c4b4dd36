"""Survey rounds: creating them, moving them through their states, and their questionnaire."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

import questionnaires
from analysis import MIN_THRESHOLD
from questionnaires import QuestionnaireError
from survey.extensions import db
from survey.models import SurveyRound
from survey.services import audit
from survey.services.errors import InputError, NotFound
from survey.services.round_questionnaire import questionnaire_for


def check_thresholds(suppression: int, comment: int) -> None:
    """Refuse thresholds the analysis engine cannot publish safely with.

    :raises InputError: a suppression threshold under analysis.MIN_THRESHOLD, or a comment
        threshold below the suppression threshold.
    """
    if suppression < MIN_THRESHOLD:
        raise InputError(
            f"the suppression threshold (the smallest group shown) must be at least "
            f"{MIN_THRESHOLD}, since smaller groups would identify people; got {suppression}"
        )
    if comment < suppression:
        raise InputError(
            f"the comment threshold ({comment}) must not be below the "
            f"suppression threshold ({suppression})"
        )


def create_round(
    actor: audit.Actor,
    *,
    year: int,
    questionnaire: str,
    opens_on: date,
    closes_on: date,
    title: str | None = None,
    suppression_threshold: int = 5,
    comment_threshold: int = 10,
    retention_days: int = 90,
    interim_release_every_days: int | None = None,
) -> SurveyRound:
    """Create a draft round using a bundled questionnaire name or a questionnaire file.

    :param retention_days: how long after closing stakeholders' identities are kept.
    :param interim_release_every_days: automatic fieldwork publishes interim results every so
        many days from the opening (None: only when a manager releases them).
    """
    if closes_on < opens_on:
        raise InputError(f"the round closes ({closes_on}) before it opens ({opens_on})")
    check_thresholds(suppression_threshold, comment_threshold)
    if retention_days < 0:
        raise InputError(f"the retention period must be 0 days or more, got {retention_days}")
    if interim_release_every_days is not None and interim_release_every_days < 1:
        raise InputError(
            "interim results can be released at most once a day: every "
            f"{interim_release_every_days} days is not a schedule"
        )
    try:
        loaded = questionnaires.load(questionnaire)
        definition, _file, _source = questionnaires.read_source(questionnaire)
    except QuestionnaireError as error:
        raise InputError(str(error)) from None
    duplicate = db.session.scalar(
        select(SurveyRound).where(
            SurveyRound.year == year, SurveyRound.questionnaire_id == loaded.id
        )
    )
    if duplicate is not None:
        raise InputError(f"there is already a {year} round of {loaded.id} (round {duplicate.id})")
    survey_round = SurveyRound(
        year=year,
        title=title or f"{loaded.title} {year}",
        questionnaire_id=loaded.id,
        questionnaire_version=loaded.version,
        questionnaire_definition=definition,
        opens_on=opens_on,
        closes_on=closes_on,
        suppression_threshold=suppression_threshold,
        comment_threshold=comment_threshold,
        retention_days=retention_days,
        interim_release_every_days=interim_release_every_days,
    )
    db.session.add(survey_round)
    db.session.flush()
    audit.record(actor, "round.create", target=f"round:{survey_round.id}", year=year)
    return survey_round


def get_round(round_id: int) -> SurveyRound:
    survey_round = db.session.get(SurveyRound, round_id)
    if survey_round is None:
        raise NotFound(f"no survey round with id {round_id}")
    return survey_round


def previous_round(survey_round: SurveyRound) -> SurveyRound | None:
    """Last year's round of the same questionnaire, for trends."""
    return db.session.scalar(
        select(SurveyRound).where(
            SurveyRound.questionnaire_id == survey_round.questionnaire_id,
            SurveyRound.year == survey_round.year - 1,
        )
    )


def open_round(actor: audit.Actor, survey_round: SurveyRound) -> None:
    """Open a draft round for fieldwork (``RoundStateError`` from any other state)."""
    survey_round.open()
    db.session.flush()
    audit.record(actor, "round.open", target=f"round:{survey_round.id}")


def group_names(survey_round: SurveyRound) -> dict[str, str]:
    """The round's stakeholder group ids and names, in questionnaire order."""
    return {group.id: group.name for group in questionnaire_for(survey_round).stakeholder_groups}
