"""Facts the public governance pages (privacy notice) take from a round's own settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from survey.extensions import db
from survey.models import RoundStatus, SurveyRound
from survey.services.retention import purge_date


@dataclass(frozen=True)
class RoundPrivacy:
    """What the privacy notice says about one round: when identities go, who sees what."""

    title: str
    closes_on: date
    retention_days: int
    purge_on: date
    suppression_threshold: int
    comment_threshold: int


def round_privacy(round_id: int | None) -> RoundPrivacy | None:
    """The round's retention and thresholds; None for no round, an unknown one or a draft
    (a draft's settings may still change, and nobody has been asked to answer it)."""
    if round_id is None:
        return None
    survey_round = db.session.get(SurveyRound, round_id)
    if survey_round is None or survey_round.status is RoundStatus.DRAFT:
        return None
    return RoundPrivacy(
        title=survey_round.title,
        closes_on=survey_round.closes_on,
        retention_days=survey_round.retention_days,
        purge_on=purge_date(survey_round),
        suppression_threshold=survey_round.suppression_threshold,
        comment_threshold=survey_round.comment_threshold,
    )
