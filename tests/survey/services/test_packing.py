"""Packing answers: scale answers one byte each in the questionnaire's order, the rest as JSON,
and back without loss, one response at a time or a whole round in one array."""

from __future__ import annotations

import numpy as np
import pytest

import questionnaires
from survey.services.errors import InputError
from survey.services.packing import pack, scale_columns, unpack, unpack_matrix

COLUMNS = ("overall_relationship", "overall_involved_enough", "lead_vision")


def test_the_columns_are_the_questionnaires_scale_items_in_its_order() -> None:
    questionnaire = questionnaires.load("ccg-360")
    columns = scale_columns(questionnaire)
    in_file_order = [
        item.id for section in questionnaire.sections for item in section.items if item.is_scale
    ]
    assert list(columns) == in_file_order
    assert "comment_does_well" not in columns  # open text is not a column


def test_scores_and_dont_know_are_bytes_and_everything_else_is_kept_as_saved() -> None:
    answers = {
        "lead_vision": {"score": 10},
        "overall_relationship": {"dont_know": True},
        "comment_does_well": {"text": "Listens."},
        "local_2": {"score": 3},
        "overall_involved_enough": {"text": "a text answer to a scale item is kept too"},
    }

    packed = pack(answers, COLUMNS)

    assert packed.scale_answers == bytes([255, 0, 10])
    assert packed.other_answers == {
        "comment_does_well": {"text": "Listens."},
        "local_2": {"score": 3},
        "overall_involved_enough": {"text": "a text answer to a scale item is kept too"},
    }
    assert unpack(packed.scale_answers, packed.other_answers, COLUMNS) == answers


def test_a_response_with_only_scale_answers_has_no_json() -> None:
    packed = pack({"overall_involved_enough": {"score": 1}}, COLUMNS)
    assert (packed.scale_answers, packed.other_answers) == (bytes([0, 1, 0]), None)


@pytest.mark.parametrize("score", [0, 11, 300, "4", True, 2.5])
def test_a_score_a_byte_cannot_hold_as_a_score_is_refused_naming_the_item(score: object) -> None:
    with pytest.raises(InputError, match=r"lead_vision is not a score from 1 to 10"):
        pack({"lead_vision": {"score": score}}, COLUMNS)


def test_a_round_unpacks_into_scores_with_nan_and_dont_know_flags() -> None:
    joined = bytes([1, 0, 255]) + bytes([10, 5, 0])

    scores, dont_know = unpack_matrix(joined, 2, 3)

    np.testing.assert_array_equal(scores, [[1.0, np.nan, np.nan], [10.0, 5.0, np.nan]])
    np.testing.assert_array_equal(dont_know, [[False, False, True], [False, False, False]])
    empty_scores, empty_dont_know = unpack_matrix(b"", 0, 3)
    assert empty_scores.shape == empty_dont_know.shape == (0, 3)


def test_a_response_packed_for_another_item_list_is_an_error_not_a_shifted_answer() -> None:
    with pytest.raises(ValueError, match="3 responses of 3 scale items hold 8 packed bytes"):
        unpack_matrix(bytes(8), 3, 3)
    with pytest.raises(ValueError, match="hold 2 bytes for 3 scale items"):
        unpack(bytes([1, 2]), None, COLUMNS)
