"""A round's questionnaire is the copy stored with the round, whatever its name points to."""

from __future__ import annotations

from typing import Any

from survey.services.round_questionnaire import questionnaire_for


def test_the_rounds_stored_copy_is_used_not_the_bundled_file_of_its_name(
    db: Any, make_round: Any
) -> None:
    survey_round = make_round()
    bundled = questionnaire_for(survey_round)
    survey_round.questionnaire_definition = survey_round.questionnaire_definition.replace(
        f"title: {bundled.title}", "title: As stored with the round", 1
    )

    assert questionnaire_for(survey_round).title == "As stored with the round"
    assert survey_round.questionnaire_id == "ccg-360"
