"""Closing fieldwork, and then releasing and publishing the round's results.

The close itself touches identity rows (it deletes drafts), so the release of the pending
responses and the close's results release run after it has committed, in a unit of work of
their own that touches none.
"""

from __future__ import annotations

import logging

from survey.extensions import db
from survey.models import SurveyRound
from survey.services import audit
from survey.services.errors import InputError
from survey.services.publication import publish_results
from survey.services.releases import ReleaseTaken
from survey.services.responses import discard_drafts
from survey.services.rounds import open_round
from survey.services.sealing import SealBroken
from survey.transactions import after_commit, unit_of_work

log = logging.getLogger(__name__)


def close_round(actor: audit.Actor, survey_round: SurveyRound) -> None:
    """Close fieldwork: links die and unsubmitted drafts are deleted; once that has committed,
    every pending response is released and the round's final results are published."""
    survey_round.close()
    discarded = discard_drafts(survey_round)
    _release_and_publish_after_commit(survey_round)
    db.session.flush()
    audit.record(
        actor, "round.close", target=f"round:{survey_round.id}", drafts_discarded=discarded
    )


def release_and_publish(survey_round: SurveyRound) -> None:
    """Release everything pending of a closed round and publish its close release. Run it in
    a transaction that has touched no identity row."""
    publish_results(audit.SYSTEM, survey_round, kind="close")


def _release_and_publish_after_commit(survey_round: SurveyRound) -> None:
    round_id = survey_round.id

    def run() -> None:
        try:
            with unit_of_work():
                release_and_publish(db.session.get_one(SurveyRound, round_id))
        except (SealBroken, ReleaseTaken) as error:
            # The close stands; the mail worker's loop releases and publishes later.
            log.warning("release at the close of round %s not done: %s", round_id, error)

    after_commit(run, key=("release", round_id))


def move_round(actor: audit.Actor, survey_round: SurveyRound, action: str) -> None:
    """Open or close ``survey_round`` (``action`` "open" or "close")."""
    moves = {"open": open_round, "close": close_round}
    if action not in moves:
        raise InputError(f"a round can be opened or closed, not {action!r}")
    moves[action](actor, survey_round)
