"""Cross-reference checks of a questionnaire: unknown or duplicate ids, retired ids, headlines.

Run by ``Questionnaire``'s own validator, so these problems are reported with
the others, each as a ``(path, message)`` pair relative to the document root.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
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
