"""Cross-reference checks of a questionnaire: unknown or duplicate ids, retired ids, headlines.

Run by ``Questionnaire``'s own validator, so these problems are reported with
the others, each as a ``(path, message)`` pair relative to the document root.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .items import Item
    from .model import Questionnaire


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


Problems = list[tuple[str, str]]


def _items_with_paths(q: Questionnaire) -> list[tuple[str, Item]]:
    """Every item with its path in the document, in section order."""
    return [
        (f"sections[{si}].items[{ii}]", item)
        for si, section in enumerate(q.sections)
        for ii, item in enumerate(section.items)
    ]


def _id_problems(q: Questionnaire) -> Problems:
    """Duplicate group, domain and section ids and domain numbers; scale ids off their key."""
    problems = _duplicates(
        [(f"stakeholder_groups[{i}].id", g.id) for i, g in enumerate(q.stakeholder_groups)],
        "stakeholder group id",
    )
    for key, scale in q.scales.items():
        if scale.id != key:
            problems.append((f"scales.{key}.id", f"id {scale.id!r} does not match its key {key!r}"))
    problems += _duplicates(
        [(f"domains[{i}].id", d.id) for i, d in enumerate(q.domains)], "domain id"
    )
    problems += _duplicates(
        [(f"domains[{i}].number", str(d.number)) for i, d in enumerate(q.domains)], "domain number"
    )
    problems += _duplicates(
        [(f"sections[{i}].id", s.id) for i, s in enumerate(q.sections)], "section id"
    )
    return problems


def _unknown_reference_problems(q: Questionnaire) -> Problems:
    """Sections naming an unknown domain; items naming an unknown scale or group."""
    problems: Problems = []
    group_ids = [g.id for g in q.stakeholder_groups]
    domain_ids = [d.id for d in q.domains]
    for si, section in enumerate(q.sections):
        spath = f"sections[{si}]"
        if section.domain is not None and section.domain not in domain_ids:
            problem = f"unknown domain {section.domain!r} (known: {_known(domain_ids)})"
            problems.append((f"{spath}.domain", problem))
        for ii, item in enumerate(section.items):
            ipath = f"{spath}.items[{ii}]"
            if item.scale is not None and item.scale not in q.scales:
                problems.append(
                    (f"{ipath}.scale", f"unknown scale {item.scale!r} (known: {_known(q.scales)})")
                )
            if item.groups is not None:
                for g in sorted(item.groups - set(group_ids)):
                    problem = f"unknown stakeholder group {g!r} (known: {_known(group_ids)})"
                    problems.append((f"{ipath}.groups", problem))
    return problems


def _item_problems(q: Questionnaire) -> Problems:
    """Duplicate item ids, replacements of ids still in use, more than one headline."""
    items = _items_with_paths(q)
    item_paths = [(f"{path}.id", item.id) for path, item in items]
    problems = _duplicates(item_paths, "item id")
    all_ids = {item_id for _, item_id in item_paths}
    for path, item_id in item_paths:
        item = q.item(item_id)
        if item.replaces is not None and item.replaces in all_ids:
            problem = (
                f"item {item.replaces!r} is still in this questionnaire; "
                "an item can only replace a retired id"
            )
            problems.append((path[: -len(".id")] + ".replaces", problem))
    headlines = [path for path, item in items if item.headline]
    for extra in headlines[1:]:
        problem = f"only one headline item is allowed (first at {headlines[0]})"
        problems.append((f"{extra}.headline", problem))
    return problems


def _coverage_problems(q: Questionnaire) -> Problems:
    """Domains without a section, groups shown no item, unknown local-question scales."""
    problems: Problems = []
    used_domains = {s.domain for s in q.sections}
    for i, d in enumerate(q.domains):
        if d.id not in used_domains:
            problems.append((f"domains[{i}]", f"domain {d.id!r} has no section"))
    for i, group in enumerate(q.stakeholder_groups):
        if not any(item.shown_to(group.id) for item in q.items):
            problem = f"group {group.id!r} is not shown any item"
            problems.append((f"stakeholder_groups[{i}]", problem))
    for i, scale_id in enumerate(q.local_questions.scales):
        if scale_id not in q.scales:
            problem = f"unknown scale {scale_id!r} (known: {_known(q.scales)})"
            problems.append((f"local_questions.scales[{i}]", problem))
    return problems


def _family_problems(q: Questionnaire) -> Problems:
    """Reporting families: duplicate ids, ids of groups, empty families, unknown groups, groups
    in two families."""
    problems = _duplicates(
        [(f"group_families[{i}].id", f.id) for i, f in enumerate(q.group_families)],
        "group family id",
    )
    group_ids = [g.id for g in q.stakeholder_groups]
    first_family: dict[str, str] = {}
    for i, family in enumerate(q.group_families):
        path = f"group_families[{i}]"
        if family.id in group_ids:
            # Results rows are keyed by group or family id: one id cannot name both.
            problem = f"family id {family.id!r} is the id of a stakeholder group; use another"
            problems.append((f"{path}.id", problem))
        if not family.groups:
            problems.append((f"{path}.groups", f"family {family.id!r} has no groups"))
        for j, group in enumerate(family.groups):
            gpath = f"{path}.groups[{j}]"
            if group not in group_ids:
                problem = f"unknown stakeholder group {group!r} (known: {_known(group_ids)})"
                problems.append((gpath, problem))
            elif group in first_family:
                problem = (
                    f"group {group!r} is already in family {first_family[group]!r}; "
                    "a group belongs to at most one family"
                )
                problems.append((gpath, problem))
            else:
                first_family[group] = family.id
    return problems


def reference_problems(q: Questionnaire) -> Problems:
    """Cross-reference problems of an otherwise well-formed questionnaire, in document order
    within each kind of check."""
    return (
        _id_problems(q)
        + _unknown_reference_problems(q)
        + _item_problems(q)
        + _coverage_problems(q)
        + _family_problems(q)
    )
