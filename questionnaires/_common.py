"""Building blocks shared by the questionnaire models (private).

Id patterns and their annotated types, the frozen base model, the error types
the loader shows verbatim, and the keys the loader fills in.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo
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


def check_id(value: str) -> str:
    if not _ID_RE.match(value):
        raise PydanticCustomError(
            "bad_id",
            "invalid id '{value}': use 2-64 characters, lowercase letters, digits and "
            "underscores, starting with a letter",
            {"value": value},
        )
    return value


def check_qid(value: str) -> str:
    if not _QID_RE.match(value):
        raise PydanticCustomError(
            "bad_id",
            "invalid questionnaire id '{value}': use 2-64 characters, lowercase letters, "
            "digits, '-' and '_', starting with a letter",
            {"value": value},
        )
    return value


Id = Annotated[str, AfterValidator(check_id)]
QuestionnaireId = Annotated[str, AfterValidator(check_qid)]
NonEmptyText = Annotated[str, Field(min_length=1)]


def reject_derived(data: Any, keys: tuple[str, ...], info: ValidationInfo) -> None:
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


class Frozen(BaseModel):
    """Base of every questionnaire model: immutable, no unknown keys, text stripped."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)
