"""Questions and the sections (pages) that hold them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, ValidationInfo, model_validator
from pydantic_core import PydanticCustomError

from ._common import DEFAULT_TEXT_MAX_LENGTH, DERIVED_KEYS, Frozen, Id, NonEmptyText, reject_derived


class Item(Frozen):
    """A question. ``id`` is stable across years: same id = same question."""

    id: Id
    text: NonEmptyText
    kind: Literal["scale", "text"] = "scale"
    scale: Id | None = None
    hint: str | None = None
    groups: frozenset[Id] | None = None
    max_length: int = Field(default=DEFAULT_TEXT_MAX_LENGTH, ge=1, le=10000)
    headline: bool = False
    replaces: Id | None = None
    # filled in from the enclosing section:
    section: str = ""
    domain: str | None = None

    def shown_to(self, group_id: str) -> bool:
        return self.groups is None or group_id in self.groups

    @property
    def is_scale(self) -> bool:
        return self.kind == "scale"

    @property
    def is_text(self) -> bool:
        return self.kind == "text"

    @model_validator(mode="before")
    @classmethod
    def _no_derived(cls, data: Any, info: ValidationInfo) -> Any:
        reject_derived(data, DERIVED_KEYS["item"], info)
        return data

    @model_validator(mode="after")
    def _check(self) -> Item:
        if self.kind == "scale":
            if self.scale is None:
                raise PydanticCustomError(
                    "missing_scale", "a scale item needs 'scale' (a scale id)", {"field": "scale"}
                )
            if "max_length" in self.model_fields_set:
                raise PydanticCustomError(
                    "not_for_scale",
                    "'max_length' is only for text items (kind: text)",
                    {"field": "max_length"},
                )
        else:
            if self.scale is not None:
                raise PydanticCustomError(
                    "scale_on_text", "a text item must not have a 'scale'", {"field": "scale"}
                )
            if self.headline:
                raise PydanticCustomError(
                    "headline_text",
                    "a text item cannot be the headline item",
                    {"field": "headline"},
                )
        if self.groups is not None and not self.groups:
            raise PydanticCustomError(
                "no_groups",
                "'groups' must not be empty (leave it out to show the item to every group)",
                {"field": "groups"},
            )
        return self


class Section(Frozen):
    """A page of the questionnaire: the overall section, one per domain, comments."""

    id: Id
    title: NonEmptyText
    intro: str | None = None
    domain: Id | None = None
    items: list[Item] = Field(min_length=1)

    def items_for(self, group_id: str) -> list[Item]:
        return [item for item in self.items if item.shown_to(group_id)]

    @model_validator(mode="after")
    def _fill_items(self) -> Section:
        filled = [
            item
            if (item.section, item.domain) == (self.id, self.domain)
            else item.model_copy(update={"section": self.id, "domain": self.domain})
            for item in self.items
        ]
        object.__setattr__(self, "items", filled)  # frozen model: set once, here
        return self
