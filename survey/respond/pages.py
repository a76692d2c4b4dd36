"""The pages one stakeholder sees: their group's items, section by section, and local questions."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

from questionnaires import Item, Questionnaire
from survey.models import LocalQuestion
from survey.services.links import Link

#: the form value of "Don't know" (a scale's scores are their numbers)
DONT_KNOW = "dk"


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    hint: str | None
    kind: str  # "scale" or "text"
    #: (score, label) most positive first; empty for text
    options: tuple[tuple[int, str], ...]
    dont_know_label: str
    max_length: int
    #: the questionnaire's open-text warning, shown beside a text box; empty for scales
    warning: str = ""

    @property
    def is_text(self) -> bool:
        return self.kind == "text"

    @property
    def dont_know(self) -> str:
        return DONT_KNOW

    @property
    def choices(self) -> tuple[tuple[str, str], ...]:
        """A scale's (form value, label) pairs as shown: its options, then "Don't know"."""
        return (
            *((str(score), label) for score, label in self.options),
            (DONT_KNOW, self.dont_know_label),
        )

    @property
    def values(self) -> frozenset[str]:
        """The form values a scale's answer can take."""
        return frozenset(value for value, _label in self.choices)

    def describe(self, value: dict[str, object] | None) -> str:
        """How a saved answer reads on the check-your-answers page."""
        if not value:
            return "Not answered"
        if value.get("dont_know"):
            return self.dont_know_label
        if "score" in value:
            score = value["score"]
            return dict(self.options).get(int(str(score)), str(score))
        text = str(value.get("text", "")).strip()
        return text or "No comment"


@dataclass(frozen=True)
class Page:
    title: str
    intro: str | None
    questions: tuple[Question, ...]


def _question(questionnaire: Questionnaire, item: Item) -> Question:
    if item.kind == "text":
        return Question(
            item.id,
            item.text,
            item.hint,
            "text",
            (),
            "",
            item.max_length,
            questionnaire.open_text_warning,
        )
    scale = questionnaire.scale_for(item)
    return Question(
        item.id,
        item.text,
        item.hint,
        "scale",
        tuple((option.score, option.label) for option in scale.options),
        scale.dont_know_label,
        0,
    )


def pages_for(link: Link) -> list[Page]:
    """A link's pages: each section with items for the stakeholder's group, with the assessed
    organisation's local questions as a page of their own before open comments."""
    return _pages_for(link.questionnaire, link.group, link.local_questions)


def pages_for_group(
    questionnaire: Questionnaire, group: str, local: Sequence[LocalQuestion]
) -> list[Page]:
    """The pages a stakeholder of ``group`` sees about one organisation in a round, with its
    ``local`` questions (also what a manager's preview walks).

    Every respondent page needs them, so the pages are made once per process: a group's
    sections once per questionnaire, the local questions' page once per set of questions.
    """
    asked = tuple((question.item_id, question.text, question.scale) for question in local)
    return _pages_for(questionnaire, group, asked)


def _pages_for(
    questionnaire: Questionnaire, group: str, local: tuple[tuple[str, str, str], ...]
) -> list[Page]:
    key = _Same(questionnaire)
    pages = list(_section_pages(key, group))
    if local:
        at = len(pages) - 1 if pages and all(q.is_text for q in pages[-1].questions) else len(pages)
        pages.insert(at, _local_page(key, local))
    return pages


class _Same:
    """A cache key that is one questionnaire object itself (its fields are not hashable). The
    key holds the object, so no other object can take its id while the entry lives."""

    __slots__ = ("questionnaire",)

    def __init__(self, questionnaire: Questionnaire) -> None:
        self.questionnaire = questionnaire

    def __hash__(self) -> int:
        return id(self.questionnaire)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Same) and other.questionnaire is self.questionnaire


@functools.lru_cache(maxsize=256)
def _section_pages(key: _Same, group: str) -> tuple[Page, ...]:
    questionnaire = key.questionnaire
    return tuple(
        Page(
            section.title,
            section.intro,
            tuple(_question(questionnaire, item) for item in section.items_for(group)),
        )
        for section in questionnaire.sections_for(group)
    )


@functools.lru_cache(maxsize=4096)
def _local_page(key: _Same, local: tuple[tuple[str, str, str], ...]) -> Page:
    """The page of an organisation's local questions, given as (item id, text, scale)."""
    questionnaire = key.questionnaire
    questions = tuple(
        Question(
            item_id,
            text,
            None,
            "scale",
            tuple((option.score, option.label) for option in questionnaire.scales[scale].options),
            questionnaire.scales[scale].dont_know_label,
            0,
        )
        for item_id, text, scale in local
    )
    return Page(questionnaire.local_questions.section_title, None, questions)
