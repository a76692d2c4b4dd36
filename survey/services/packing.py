"""How a response's answers are stored: scale answers packed, one byte per item, the rest as JSON.

Format 1 (``FORMAT_VERSION``): ``Response.scale_answers`` holds one byte for each scale item of
the round's questionnaire, in the questionnaire's order (:func:`scale_columns`): 0 for no answer
(not asked or skipped), the score (1 to 10), or 255 for "don't know". The round keeps its own
copy of its questionnaire, written once when the round is made, so the order never changes
under stored responses. Open-text answers, local questions' answers and anything else not a
scale answer to a scale item go to ``Response.other_answers`` as item id -> answer, as saved.

So a round loads with one ``numpy.frombuffer`` over all its responses' bytes
(:func:`unpack_matrix`), instead of one database row per answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from questionnaires import Questionnaire
from survey.services.errors import InputError

#: a saved answer: {"score": 4} | {"dont_know": True} | {"text": "..."}
StoredAnswer = Mapping[str, Any]

FORMAT_VERSION = 1
NO_ANSWER = 0
DONT_KNOW = 255
#: the scores the response store keeps
STORABLE_SCORES = range(1, 11)


@dataclass(frozen=True)
class Packed:
    """One response's answers as the response store keeps them."""

    scale_answers: bytes
    #: answers that are not a scale item's score or "don't know"; None when there are none
    other_answers: dict[str, dict[str, Any]] | None


def scale_columns(questionnaire: Questionnaire) -> tuple[str, ...]:
    """The item ids of the packed bytes, in order: the questionnaire's scale items."""
    return tuple(item.id for item in questionnaire.scale_items)


def _code(item_id: str, value: StoredAnswer) -> int | None:
    """The byte for a scale answer, or None when ``value`` is not one (it is kept as JSON)."""
    if value.get("dont_know"):
        return DONT_KNOW
    if "score" not in value:
        return None
    score = value["score"]
    if isinstance(score, bool) or not isinstance(score, int) or score not in STORABLE_SCORES:
        raise InputError(f"the answer to {item_id} is not a score from 1 to 10: {score!r}")
    return score


def pack(answers: Mapping[str, StoredAnswer], columns: Sequence[str]) -> Packed:
    """Pack ``answers`` (item id -> saved answer) for the scale items ``columns``."""
    position = {item_id: index for index, item_id in enumerate(columns)}
    codes = bytearray(len(columns))
    other: dict[str, dict[str, Any]] = {}
    for item_id, value in answers.items():
        code = _code(item_id, value) if item_id in position else None
        if code is None:
            other[item_id] = dict(value)
        else:
            codes[position[item_id]] = code
    return Packed(bytes(codes), other or None)


def unpack(
    scale_answers: bytes,
    other_answers: Mapping[str, StoredAnswer] | None,
    columns: Sequence[str],
) -> dict[str, StoredAnswer]:
    """One response's answers, item id -> saved answer, as :func:`pack` was given them."""
    if len(scale_answers) != len(columns):
        raise ValueError(
            f"packed answers hold {len(scale_answers)} bytes for {len(columns)} scale items"
        )
    answers: dict[str, StoredAnswer] = {}
    for item_id, code in zip(columns, scale_answers, strict=True):
        if code == DONT_KNOW:
            answers[item_id] = {"dont_know": True}
        elif code != NO_ANSWER:
            answers[item_id] = {"score": code}
    answers.update(other_answers or {})
    return answers


def unpack_matrix(
    joined: bytes, responses: int, width: int
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Scores (NaN where none) and don't-know flags of many responses, one row each, one column
    per scale item, from their packed answers joined end to end: one ``numpy.frombuffer``."""
    if len(joined) != responses * width:
        raise ValueError(
            f"{responses} responses of {width} scale items hold {len(joined)} packed bytes"
        )
    codes = np.frombuffer(joined, dtype=np.uint8).reshape(responses, width)
    scores = codes.astype(np.float64)
    scores[(codes == NO_ANSWER) | (codes == DONT_KNOW)] = np.nan
    return scores, codes == DONT_KNOW
