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
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    model_validator,
)
from pydantic_core import PydanticCustomError

#: Pattern of item, section, domain, scale and stakeholder-group ids.
ID_PATTERN = r"^[a-z][a-z0-9_]{1,63}$"
#: Pattern of a questionnaire id (hyphens allowed, e.g. ``ccg-360``).
QUESTIONNAIRE_ID_PATTERN = r"^[a-z][a-z0-9_-]{1,63}$"

_ID_RE = re.compile(ID_PATTERN)
_QID_RE = re.compile(QUESTIONNAIRE_ID_PATTERN)

#: Error type used for cross-reference problems; ``ctx["problems"]`` holds
#: a list of ``(path, message)`` pairs, paths relative to the document root.
REFERENCE_ERROR = "questionnaire_references"

#: Keys that the loader fills in and that must not appear in a file.
DERIVED_KEYS = {"item": ("section", "domain"), "questionnaire": ("source",)}

#: Types of our own validation errors; their messages are shown as they are.
CUSTOM_ERROR_TYPES = frozenset(
    {
        "bad_id",
        "derived_key",
        "bad_scores",
        "dup_label",
        "dont_know_option",
        "missing_scale",
        "not_for_scale",
        "scale_on_text",
        "headline_text",
        "no_groups",
    }
)

DEFAULT_TEXT_MAX_LENGTH = 2000
DEFAULT_OPEN_TEXT_WARNING = (
    "Please do not name or describe individual people (staff, patients or anyone else) "
    "in your comments. Comments are shared with the organisation without your name, "
    "but may be quoted in its report."
)


def _check_id(value: str) -> str:
    if not _ID_RE.match(value):
        raise PydanticCustomError(
            "bad_id",
            "invalid id '{value}': use 2-64 characters, lowercase letters, digits and "
            "underscores, starting with a letter",
            {"value": value},
        )
    return value


def _check_qid(value: str) -> str:
    if not _QID_RE.match(value):
        raise PydanticCustomError(
            "bad_id",
            "invalid questionnaire id '{value}': use 2-64 characters, lowercase letters, "
            "digits, '-' and '_', starting with a letter",
            {"value": value},
        )
    return value


Id = Annotated[str, AfterValidator(_check_id)]
QuestionnaireId = Annotated[str, AfterValidator(_check_qid)]
NonEmptyText = Annotated[str, Field(min_length=1)]


def _reject_derived(data: Any, keys: tuple[str, ...], info: ValidationInfo) -> None:
    """In a file (context ``from_file``), derived keys are an error."""
    if not isinstance(data, dict) or not (info.context or {}).get("from_file"):
        return
    present = [k for k in keys if k in data]
    if present:
        raise PydanticCustomError(
            "derived_key",
            "key '{key}' is filled in by the loader and must not be written in the file",
            {"key": present[0], "field": present[0]},
        )


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class ScaleOption(_Frozen):
    """One answer on a scale. Higher score = more positive."""

    score: int = Field(ge=1, le=11)
    label: NonEmptyText


class Scale(_Frozen):
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


class StakeholderGroup(_Frozen):
    id: Id
    name: NonEmptyText
    description: str = ""


class Domain(_Frozen):
    """One of the six assurance domains."""

    id: Id
    number: int = Field(ge=1, le=6)
    title: NonEmptyText
    summary: NonEmptyText


class Item(_Frozen):
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
        _reject_derived(data, DERIVED_KEYS["item"], info)
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


class Section(_Frozen):
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


class LocalQuestionBlock(_Frozen):
    """Rules for the questions a commissioner may add (reported in their own block)."""

    max_items: int = Field(default=5, ge=0, le=20)
    scales: list[Id] = Field(default_factory=lambda: ["agreement"])
    section_title: NonEmptyText = "Local questions"
    allow_text: bool = True
    max_text_length: int = Field(default=DEFAULT_TEXT_MAX_LENGTH, ge=1, le=10000)


class Questionnaire(_Frozen):
    id: QuestionnaireId
    version: int = Field(ge=1)
    title: NonEmptyText
    organisation_kind: Literal["ccg", "direct"]
    estimated_minutes: int = Field(ge=1, le=120)
    introduction: NonEmptyText
    open_text_warning: NonEmptyText = DEFAULT_OPEN_TEXT_WARNING
    stakeholder_groups: list[StakeholderGroup] = Field(min_length=1)
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
        _reject_derived(data, DERIVED_KEYS["questionnaire"], info)
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


def _known(values: Iterable[str]) -> str:
    names = list(values)
    return ", ".join(names) if names else "none"


def _duplicates(pairs: list[tuple[str, str]], what: str) -> list[tuple[str, str]]:
    """pairs of (path, id) -> problems for ids seen before."""
    seen: dict[str, str] = {}
    problems = []
    for path, value in pairs:
        if value in seen:
            problems.append((path, f"duplicate {what} {value!r} (already used at {seen[value]})"))
        else:
            seen[value] = path
    return problems


def reference_problems(q: Questionnaire) -> list[tuple[str, str]]:
    """Cross-reference problems of an otherwise well-formed questionnaire."""
    problems: list[tuple[str, str]] = []

    group_ids = [g.id for g in q.stakeholder_groups]
    problems += _duplicates(
        [(f"stakeholder_groups[{i}].id", g.id) for i, g in enumerate(q.stakeholder_groups)],
        "stakeholder group id",
    )

    for key, scale in q.scales.items():
        if scale.id != key:
            problems.append((f"scales.{key}.id", f"id {scale.id!r} does not match its key {key!r}"))

    domain_ids = [d.id for d in q.domains]
    problems += _duplicates(
        [(f"domains[{i}].id", d.id) for i, d in enumerate(q.domains)], "domain id"
    )
    problems += _duplicates(
        [(f"domains[{i}].number", str(d.number)) for i, d in enumerate(q.domains)], "domain number"
    )
    problems += _duplicates(
        [(f"sections[{i}].id", s.id) for i, s in enumerate(q.sections)], "section id"
    )

    item_paths: list[tuple[str, str]] = []
    headlines: list[str] = []
    seen_by_group = {g: 0 for g in group_ids}
    for si, section in enumerate(q.sections):
        spath = f"sections[{si}]"
        if section.domain is not None and section.domain not in domain_ids:
            problem = f"unknown domain {section.domain!r} (known: {_known(domain_ids)})"
            problems.append((f"{spath}.domain", problem))
        for ii, item in enumerate(section.items):
            ipath = f"{spath}.items[{ii}]"
            item_paths.append((f"{ipath}.id", item.id))
            if item.scale is not None and item.scale not in q.scales:
                problems.append(
                    (f"{ipath}.scale", f"unknown scale {item.scale!r} (known: {_known(q.scales)})")
                )
            if item.groups is not None:
                for g in sorted(item.groups - set(group_ids)):
                    problem = f"unknown stakeholder group {g!r} (known: {_known(group_ids)})"
                    problems.append((f"{ipath}.groups", problem))
            for g in seen_by_group:
                if item.shown_to(g):
                    seen_by_group[g] += 1
            if item.headline:
                headlines.append(ipath)
    problems += _duplicates(item_paths, "item id")

    all_ids = {item_id for _, item_id in item_paths}
    for path, item_id in item_paths:
        item = q.item(item_id)
        if item.replaces is not None and item.replaces in all_ids:
            problem = (
                f"item {item.replaces!r} is still in this questionnaire; "
                "an item can only replace a retired id"
            )
            problems.append((path[: -len(".id")] + ".replaces", problem))

    for extra in headlines[1:]:
        problem = f"only one headline item is allowed (first at {headlines[0]})"
        problems.append((f"{extra}.headline", problem))

    used_domains = {s.domain for s in q.sections}
    for i, d in enumerate(q.domains):
        if d.id not in used_domains:
            problems.append((f"domains[{i}]", f"domain {d.id!r} has no section"))

    for i, group in enumerate(q.stakeholder_groups):
        if seen_by_group.get(group.id) == 0:
            problem = f"group {group.id!r} is not shown any item"
            problems.append((f"stakeholder_groups[{i}]", problem))

    for i, scale_id in enumerate(q.local_questions.scales):
        if scale_id not in q.scales:
            problem = f"unknown scale {scale_id!r} (known: {_known(q.scales)})"
            problems.append((f"local_questions.scales[{i}]", problem))
    return problems
