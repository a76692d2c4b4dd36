"""Loading questionnaires from YAML, with error messages that name the file,
the path inside it and the problem."""

from __future__ import annotations

import copy
import os
import types
import typing
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from ._common import CUSTOM_ERROR_TYPES, DERIVED_KEYS, REFERENCE_ERROR
from .items import Item
from .model import Questionnaire

BUNDLED_PACKAGE = "questionnaires"
BUNDLED_DIR = "bundled"
_SUFFIXES = (".yaml", ".yml")


class QuestionnaireError(ValueError):
    """A questionnaire file could not be loaded.

    ``str(error)`` has one line per problem: ``<file>: <path>: <problem>``.
    ``error.file`` is the file label, ``error.problems`` the ``(path, problem)`` pairs.
    """

    def __init__(self, file: str, problems: list[tuple[str, str]]):
        self.file = file
        self.problems = list(problems)
        super().__init__("\n".join(f"{file}: {path}: {problem}" for path, problem in self.problems))


# --------------------------------------------------------------------- YAML
class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys (PyYAML silently keeps the last)."""


def _construct_mapping(
    loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False
) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                "found an unhashable key",
                key_node.start_mark,
            ) from None
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                f"found duplicate key {key!r}",
                key_node.start_mark,
            )
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _yaml_problem(exc: yaml.YAMLError) -> tuple[str, str]:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "(document)"
    problem = getattr(exc, "problem", None)
    context = getattr(exc, "context", None)
    text = ": ".join(str(p) for p in (context, problem) if p) if problem else str(exc)
    return where, f"invalid YAML: {text}"


# ----------------------------------------------------------- error messages
def _format_loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def _unwrap(annotation: Any) -> Any:
    """list[X] / dict[str, X] / X | None -> X (for walking the schema)."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _unwrap(args[0]) if len(args) == 1 else annotation
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    return annotation


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model class whose instance sits at ``loc`` in a questionnaire document."""
    current: Any = Questionnaire
    i = 0
    while i < len(loc):
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(loc[i])
        if field is None:
            return None
        annotation = _unwrap(field.annotation)
        i += 1
        origin = typing.get_origin(annotation)
        if origin in (list, dict) and i < len(loc):
            annotation = _unwrap(typing.get_args(annotation)[-1])
            i += 1
        current = annotation
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


_DERIVED: dict[type, tuple[str, ...]] = {
    Item: DERIVED_KEYS["item"],
    Questionnaire: DERIVED_KEYS["questionnaire"],
}


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _problems_from(exc: ValidationError) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        kind = err["type"]
        ctx = err.get("ctx") or {}
        if kind == REFERENCE_ERROR and "problems" in ctx:
            problems.extend(ctx["problems"])
            continue
        if kind == "missing":
            problems.append((_format_loc(loc), "required field is missing"))
        elif kind == "extra_forbidden":
            model = _model_at(loc[:-1])
            allowed = ""
            if model is not None:
                derived = _DERIVED.get(model, ())
                keys = [name for name in model.model_fields if name not in derived]
                allowed = f" (allowed: {', '.join(keys)})"
            where = _format_loc(loc[:-1])
            problems.append((where, f"unknown key {loc[-1]!r}{allowed}"))
        elif kind in ("model_type", "model_attributes_type", "dict_type"):
            got = _short(err.get("input"))
            problems.append((_format_loc(loc), f"expected a mapping (key: value), got {got}"))
        elif kind in CUSTOM_ERROR_TYPES:
            field = ctx.get("field")
            problems.append((_format_loc(loc + ((field,) if field else ())), err["msg"]))
        else:
            msg = err["msg"]
            msg = msg[0].lower() + msg[1:] if msg else msg
            msg = msg.replace("valid frozenset", "valid list")
            msg = msg.replace("valid dictionary", "valid mapping")
            problems.append((_format_loc(loc), f"{msg} (got {_short(err.get('input'))})"))
    return problems


# -------------------------------------------------- every error, not the first
#: stand-ins for required top-level values that failed, so references can still be checked
_STAND_INS: dict[str, Any] = {
    "id": "stand-in",
    "version": 1,
    "title": "stand-in",
    "organisation_kind": "ccg",
    "estimated_minutes": 1,
    "introduction": "stand-in",
}


def _without_broken_parts(data: dict[str, Any], exc: ValidationError) -> dict[str, Any] | None:
    """A copy of ``data`` leaving out what failed (an unknown key, the list element or scale
    holding a bad value; a stand-in for a bad required top-level value), or None if nothing is
    left to check.

    Pydantic checks cross-references only once every field is valid, so without this a file
    with a bad field and a bad reference would report the reference only after the field was
    fixed.
    """
    repaired = copy.deepcopy(data)
    drops: list[tuple[Any, Any]] = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        if err["type"] == REFERENCE_ERROR or not loc:
            continue
        if err["type"] == "extra_forbidden":
            parent = _at(repaired, loc[:-1])
            drops.append((parent, loc[-1]))
            continue
        cut = max((i for i, part in enumerate(loc) if isinstance(part, int)), default=None)
        if cut is None and loc[0] == "scales" and len(loc) > 1:
            cut = 1
        if cut is not None:
            drops.append((_at(repaired, loc[:cut]), loc[cut]))
        elif loc[0] in _STAND_INS:
            repaired[loc[0]] = _STAND_INS[str(loc[0])]
        elif not Questionnaire.model_fields[str(loc[0])].is_required():
            drops.append((repaired, loc[0]))
        else:
            return None
    for container, key in drops:  # marked first, so list indices stay put until removed
        if isinstance(container, list) and isinstance(key, int) and key < len(container):
            container[key] = _DROPPED
        elif isinstance(container, dict) and key in container:
            container[key] = _DROPPED
    cleaned: dict[str, Any] = _remove_dropped(repaired)
    return cleaned


_DROPPED = object()


def _remove_dropped(data: Any) -> Any:
    if isinstance(data, list):
        return [_remove_dropped(element) for element in data if element is not _DROPPED]
    if isinstance(data, dict):
        return {key: _remove_dropped(value) for key, value in data.items() if value is not _DROPPED}
    return data


def _at(data: Any, loc: tuple[Any, ...]) -> Any:
    for part in loc:
        data = data[part] if isinstance(data, (list, dict)) else None
    return data


def _reference_problems_beyond(
    data: dict[str, Any], exc: ValidationError, context: dict[str, Any]
) -> list[tuple[str, str]]:
    """The cross-reference problems of ``data`` with its broken parts left out."""
    repaired = _without_broken_parts(data, exc)
    if repaired is None:
        return []
    try:
        Questionnaire.model_validate(repaired, context=context)
    except ValidationError as again:
        return [
            problem
            for err in again.errors()
            if err["type"] == REFERENCE_ERROR
            for problem in (err.get("ctx") or {}).get("problems", [])
        ]
    return []


# ------------------------------------------------------------------ loading
def bundled_names() -> list[str]:
    """Names of the questionnaires shipped with Assure360."""
    folder = resources.files(BUNDLED_PACKAGE).joinpath(BUNDLED_DIR)
    return sorted(
        entry.name.rsplit(".", 1)[0]
        for entry in folder.iterdir()
        if entry.is_file() and entry.name.endswith(_SUFFIXES)
    )


def parse(text: str, *, file: str, source: str | None = None) -> Questionnaire:
    """Validate YAML ``text``; errors name ``file``."""
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        raise QuestionnaireError(file, [_yaml_problem(exc)]) from None
    if data is None:
        raise QuestionnaireError(file, [("(top level)", "the file is empty")])
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise QuestionnaireError(
            file, [("(top level)", f"expected a mapping of questionnaire fields, got {kind}")]
        )
    context = {"from_file": True, "source": source if source is not None else file}
    try:
        return Questionnaire.model_validate(data, context=context)
    except ValidationError as exc:
        problems = _problems_from(exc)
        more = _reference_problems_beyond(data, exc, context)
        raise QuestionnaireError(file, problems + [p for p in more if p not in problems]) from None


def _looks_like_path(value: str) -> bool:
    return value.endswith(_SUFFIXES) or "/" in value or os.sep in value


def read_source(name_or_path: str | os.PathLike[str]) -> tuple[str, str, str]:
    """The YAML text of a bundled questionnaire or a file, with its file label and source.

    Returns ``(text, file, source)``: ``file`` names it in error messages, ``source`` is what
    ``Questionnaire.source`` records. Raises :class:`QuestionnaireError` if it cannot be read.
    """
    if isinstance(name_or_path, str) and not _looks_like_path(name_or_path):
        names = bundled_names()
        if name_or_path not in names:
            raise QuestionnaireError(
                name_or_path,
                [
                    (
                        "(name)",
                        f"unknown bundled questionnaire (known: {', '.join(names)}); "
                        "to load a file give a path ending in .yaml or .yml",
                    )
                ],
            )
        file = f"{name_or_path}.yaml"
        resource = resources.files(BUNDLED_PACKAGE).joinpath(BUNDLED_DIR, file)
        return resource.read_text(encoding="utf-8"), file, name_or_path

    path = Path(os.fspath(name_or_path))
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise QuestionnaireError(file, [("(file)", "file not found")]) from None
    except IsADirectoryError:
        raise QuestionnaireError(file, [("(file)", "is a directory, not a YAML file")]) from None
    except UnicodeDecodeError as exc:
        problem = f"not UTF-8 text ({exc.reason} at byte {exc.start})"
        raise QuestionnaireError(file, [("(file)", problem)]) from None
    except OSError as exc:
        problem = f"cannot read: {exc.strerror or exc}"
        raise QuestionnaireError(file, [("(file)", problem)]) from None
    return text, file, file


def load(name_or_path: str | os.PathLike[str]) -> Questionnaire:
    """Load a bundled questionnaire by name (e.g. ``"ccg-360"``) or a YAML file by path.

    Raises :class:`QuestionnaireError` naming the file, the path inside it and the problem.
    """
    text, file, source = read_source(name_or_path)
    questionnaire = parse(text, file=file, source=source)
    if source != file and questionnaire.id != source:
        raise QuestionnaireError(
            file,
            [
                (
                    "id",
                    f"bundled questionnaire id {questionnaire.id!r} must equal its name {source!r}",
                )
            ],
        )
    return questionnaire
