"""Typed, immutable model of a questionnaire.

The same pydantic models describe the YAML file format (see
docs/questionnaire-format.md) and the objects the rest of Assure360 uses.
Every model is frozen and forbids unknown keys.  A few attributes are not
written in the file but filled in while the file is validated:

* ``Scale.id`` comes from the key under ``scales:``;
* ``Item.section`` and ``Item.domain`` come from the section holding the item;
* ``Questionnaire.source`` is the path or bundled name it was loaded from.

Cross references (scale ids, domain ids, group ids, unique item ids ...) are
checked by ``Questionnaire``'s own validator, so a ``Questionnaire`` object that
exists is a consistent one.

This module holds the document root and its small top-level parts; scales are in
:mod:`questionnaires.scales`, items and sections in :mod:`questionnaires.items`,
the cross-reference checks in :mod:`questionnaires.references`, and the shared
id types and base model in ``questionnaires._common``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, ValidationInfo, model_validator
from pydantic_core import PydanticCustomError

# The file format's building blocks live in their own modules; they are re-exported
# here so that ``from questionnaires.model import ...`` keeps working for all of them.
from ._common import (
    CUSTOM_ERROR_TYPES,
    DEFAULT_OPEN_TEXT_WARNING,
    DEFAULT_TEXT_MAX_LENGTH,
    DERIVED_KEYS,
    ID_PATTERN,
    QUESTIONNAIRE_ID_PATTERN,
    REFERENCE_ERROR,
    Frozen,
    Id,
    NonEmptyText,
    QuestionnaireId,
    reject_derived,
)
from .items import Item, Section
from .references import reference_problems
from .scales import Scale, ScaleOption

__all__ = [
    "CUSTOM_ERROR_TYPES",
    "DEFAULT_OPEN_TEXT_WARNING",
    "DEFAULT_TEXT_MAX_LENGTH",
    "DERIVED_KEYS",
    "ID_PATTERN",
    "QUESTIONNAIRE_ID_PATTERN",
    "REFERENCE_ERROR",
    "Domain",
    "Id",
    "Item",
    "LocalQuestionBlock",
    "NonEmptyText",
    "Questionnaire",
    "QuestionnaireId",
    "Scale",
    "ScaleOption",
    "Section",
    "GroupFamily",
    "StakeholderGroup",
    "reference_problems",
]


class StakeholderGroup(Frozen):
    id: Id
    name: NonEmptyText
    description: str = ""


class GroupFamily(Frozen):
    """A reporting family: stakeholder groups reported together beside the groups."""

    id: Id
    name: NonEmptyText
    groups: list[Id] = Field(default_factory=list)


class Domain(Frozen):
    """One of the six assurance domains."""

    id: Id
    number: int = Field(ge=1, le=6)
    title: NonEmptyText
    summary: NonEmptyText


class LocalQuestionBlock(Frozen):
    """Rules for the questions a commissioner may add (reported in their own block)."""

    max_items: int = Field(default=5, ge=0, le=20)
    scales: list[Id] = Field(default_factory=lambda: ["agreement"])
    section_title: NonEmptyText = "Local questions"
    allow_text: bool = True
    max_text_length: int = Field(default=DEFAULT_TEXT_MAX_LENGTH, ge=1, le=10000)


class Questionnaire(Frozen):
    id: QuestionnaireId
    version: int = Field(ge=1)
    title: NonEmptyText
    organisation_kind: Literal["ccg", "direct"]
    estimated_minutes: int = Field(ge=1, le=120)
    introduction: NonEmptyText
    open_text_warning: NonEmptyText = DEFAULT_OPEN_TEXT_WARNING
    stakeholder_groups: list[StakeholderGroup] = Field(min_length=1)
    group_families: list[GroupFamily] = Field(default_factory=list)
    scales: dict[str, Scale] = Field(min_length=1)
    domains: list[Domain] = Field(min_length=1)
    sections: list[Section] = Field(min_length=1)
    local_questions: LocalQuestionBlock = Field(default_factory=LocalQuestionBlock)
    source: str = ""

    # ----------------------------------------------------------------- access
    @property
    def items(self) -> list[Item]:
        """All items, in section order."""
        return [item for section in self.sections for item in section.items]

    @property
    def scale_items(self) -> list[Item]:
        return [item for item in self.items if item.kind == "scale"]

    @property
    def text_items(self) -> list[Item]:
        return [item for item in self.items if item.kind == "text"]

    @property
    def headline_item(self) -> Item | None:
        return next((item for item in self.items if item.headline), None)

    @property
    def group_ids(self) -> list[str]:
        return [g.id for g in self.stakeholder_groups]

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(f"questionnaire {self.id!r} has no item {item_id!r}")

    def has_item(self, item_id: str) -> bool:
        return any(item.id == item_id for item in self.items)

    def scale_for(self, item: Item | str) -> Scale:
        if isinstance(item, str):
            item = self.item(item)
        if item.scale is None:
            raise KeyError(f"item {item.id!r} is a text item and has no scale")
        return self.scales[item.scale]

    def section(self, section_id: str) -> Section:
        for section in self.sections:
            if section.id == section_id:
                return section
        raise KeyError(f"questionnaire {self.id!r} has no section {section_id!r}")

    def sections_for(self, group_id: str) -> list[Section]:
        """Sections with at least one item for the group, in order."""
        self.group(group_id)  # unknown group -> KeyError
        return [s for s in self.sections if s.items_for(group_id)]

    def items_for(self, group_id: str) -> list[Item]:
        self.group(group_id)
        return [item for item in self.items if item.shown_to(group_id)]

    def group(self, group_id: str) -> StakeholderGroup:
        for group in self.stakeholder_groups:
            if group.id == group_id:
                return group
        raise KeyError(
            f"questionnaire {self.id!r} has no stakeholder group {group_id!r} "
            f"(known: {', '.join(self.group_ids)})"
        )

    def domain(self, domain_id: str) -> Domain:
        for domain in self.domains:
            if domain.id == domain_id:
                return domain
        raise KeyError(f"questionnaire {self.id!r} has no domain {domain_id!r}")

    def domain_items(self, domain_id: str) -> list[Item]:
        """Items of the sections belonging to a domain."""
        self.domain(domain_id)
        return [item for item in self.items if item.domain == domain_id]

    # ------------------------------------------------------------- validation
    @model_validator(mode="before")
    @classmethod
    def _prepare(cls, data: Any, info: ValidationInfo) -> Any:
        reject_derived(data, DERIVED_KEYS["questionnaire"], info)
        if isinstance(data, dict):
            scales = data.get("scales")
            if isinstance(scales, dict):
                # the key under `scales:` is the scale id
                filled = {
                    key: {"id": key, **body}
                    if isinstance(body, dict) and "id" not in body
                    else body
                    for key, body in scales.items()
                }
                data = {**data, "scales": filled}
            context = info.context or {}
            if context.get("source") is not None:
                data = {**data, "source": str(context["source"])}
        return data

    @model_validator(mode="after")
    def _check_references(self) -> Questionnaire:
        problems = reference_problems(self)
        if problems:
            raise PydanticCustomError(
                REFERENCE_ERROR,
                "{summary}",
                {"summary": "; ".join(f"{p}: {m}" for p, m in problems), "problems": problems},
            )
        return self
