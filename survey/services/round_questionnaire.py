"""A round's own questionnaire: the copy stored with the round, parsed once per process.

Apart from ``survey.services.rounds`` (which re-exports it) because the response store needs
it too, to pack answers in the questionnaire's item order, and rounds depend on the store.
"""

from __future__ import annotations

import functools

import questionnaires
from questionnaires import Questionnaire
from survey.models import SurveyRound


@functools.lru_cache(maxsize=32)
def _parse(definition: str, source: str) -> Questionnaire:
    return questionnaires.parse(definition, file=source, source=source)


def questionnaire_for(survey_round: SurveyRound) -> Questionnaire:
    """The round's own copy of its questionnaire (parsed once per process)."""
    return questionnaire_of(survey_round.id, survey_round.questionnaire_definition)


def questionnaire_of(round_id: int, definition: str) -> Questionnaire:
    """The questionnaire of round ``round_id`` from its stored ``definition``."""
    return _parse(definition, f"round {round_id}")
