"""Answer scales: ordered options, with "don't know" kept apart from the scale."""

from __future__ import annotations

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from ._common import Frozen, Id, NonEmptyText


class ScaleOption(Frozen):
    """One answer on a scale. Higher score = more positive."""

    score: int = Field(ge=1, le=11)
    label: NonEmptyText


class Scale(Frozen):
    """An ordered answer scale. "Don't know" is offered with every scale item
    but is *not* an option and never has a score."""

    id: Id
    options: list[ScaleOption] = Field(min_length=2)
    dont_know_label: NonEmptyText = "Don't know"
    positive_scores: frozenset[int]
    negative_scores: frozenset[int]

    @property
    def max_score(self) -> int:
        return max(o.score for o in self.options)

    @property
    def min_score(self) -> int:
        return min(o.score for o in self.options)

    @property
    def scores(self) -> list[int]:
        """Scores in display order (most positive first)."""
        return [o.score for o in self.options]

    def label_for(self, score: int) -> str:
        for option in self.options:
            if option.score == score:
                return option.label
        raise KeyError(f"scale {self.id!r} has no option with score {score}")

    def is_valid_score(self, score: int) -> bool:
        return any(o.score == score for o in self.options)

    @model_validator(mode="after")
    def _check(self) -> Scale:
        n = len(self.options)
        scores = [o.score for o in self.options]
        if scores != list(range(n, 0, -1)):
            raise PydanticCustomError(
                "bad_scores",
                "option scores must be {expected} in that order (most positive first), got {got}",
                {"expected": list(range(n, 0, -1)), "got": scores, "field": "options"},
            )
        labels = [o.label.casefold() for o in self.options]
        if len(set(labels)) != n:
            raise PydanticCustomError(
                "dup_label", "option labels must be different", {"field": "options"}
            )
        if self.dont_know_label.casefold() in labels:
            raise PydanticCustomError(
                "dont_know_option",
                "'{label}' must not be an option: 'don't know' is kept apart from the scale "
                "(set dont_know_label instead)",
                {"label": self.dont_know_label, "field": "options"},
            )
        chosen_sets = (
            ("positive_scores", self.positive_scores),
            ("negative_scores", self.negative_scores),
        )
        for name, chosen in chosen_sets:
            unknown = sorted(chosen - set(scores))
            if unknown:
                raise PydanticCustomError(
                    "bad_scores",
                    "{name} {unknown} are not scores of this scale (1..{n})",
                    {"name": name, "unknown": unknown, "n": n, "field": name},
                )
            if not chosen:
                raise PydanticCustomError(
                    "bad_scores", "{name} must not be empty", {"name": name, "field": name}
                )
        both = sorted(self.positive_scores & self.negative_scores)
        if both:
            raise PydanticCustomError(
                "bad_scores",
                "scores {both} are both positive and negative",
                {"both": both, "field": "negative_scores"},
            )
        if min(self.positive_scores) <= max(self.negative_scores):
            raise PydanticCustomError(
                "bad_scores",
                "every positive score must be higher than every negative score",
                {"field": "negative_scores"},
            )
        return self
