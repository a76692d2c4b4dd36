"""Reporting families of stakeholder groups in an organisation's results.

A questionnaire may declare families (``group_families``: "NHS partners and regulators" ...);
the engine reports each as a row beside the groups (``RoundTable.is_family``), pooling its
groups' responses with the same threshold and suppression. This module names them for the
pages and reports, and picks the rows the dashboard shows; every number is the engine's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from analysis import RoundTable
from survey.services.results.arrays import OVERALL

#: how a family is told apart from a stakeholder group wherever the two are listed together
FAMILY_PREFIX = "Family: "


@dataclass(frozen=True)
class Family:
    """One reporting family: its id (the table's ``group``), name and its groups' names."""

    id: str
    name: str
    groups: tuple[str, ...]
    #: the units (domain ids, "overall", item ids) asked of every group of the family: there
    #: its row counts all of it (elsewhere, only its groups asked)
    whole_units: frozenset[str] = frozenset()

    @property
    def label(self) -> str:
        """The name as a row label beside the groups ("Family: NHS partners and regulators")."""
        return f"{FAMILY_PREFIX}{self.name}"

    @property
    def members(self) -> str:
        """Its groups, in words ("NHS providers, regulators")."""
        return ", ".join(self.groups)


def _whole_units(questionnaire: Any, groups: list[str]) -> frozenset[str]:
    """Items asked of every group, and domains of which every group is asked some item (as
    the engine routes a domain)."""
    items = [item for item in questionnaire.items if item.kind == "scale"]
    asked = {item.id: {g for g in groups if item.shown_to(g)} for item in items}
    by_domain: dict[str, set[str]] = {}
    for item in items:
        by_domain.setdefault(item.domain or OVERALL, set()).update(asked[item.id])
    whole = {unit for unit, who in (*asked.items(), *by_domain.items()) if who == set(groups)}
    return frozenset(whole)


def families_of(questionnaire: Any) -> list[Family]:
    """The questionnaire's families in declared order, with their groups' names."""
    names = {group.id: group.name for group in getattr(questionnaire, "stakeholder_groups", [])}
    return [
        Family(
            family.id,
            family.name,
            tuple(names.get(g, g) for g in family.groups),
            _whole_units(questionnaire, list(family.groups)),
        )
        for family in getattr(questionnaire, "group_families", [])
    ]


@dataclass(frozen=True)
class FamilyRate:
    """A family's invited, responses and response rate (None when hidden)."""

    family: Family
    invited: float
    responses: float
    rate: float
    suppressed: bool


@dataclass
class FamilyResults:
    """What the dashboard shows of the families: response rates and domain rows."""

    families: list[Family] = field(default_factory=list)
    rates: list[FamilyRate] = field(default_factory=list)
    #: (family, its domain rows) for families with anyone in them
    heatmap: list[tuple[Family, list[dict[str, Any]]]] = field(default_factory=list)


def _nan(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _rate(family: Family, rows: list[dict[str, Any]]) -> FamilyRate | None:
    """From the first row, of a unit asked of all its groups, that shows a rate (the rate is
    then the family's, the same on each); hidden if such a row is; None when nobody was
    invited."""
    rows = [r for r in rows if r["unit"] in family.whole_units]
    shown = next((r for r in rows if not r["suppressed"] and not _nan(r["response_rate"])), None)
    if shown is None:
        if any(r["suppressed"] for r in rows):
            return FamilyRate(family, math.nan, math.nan, math.nan, True)
        return None
    invited, rate = float(shown["n_invited"]), float(shown["response_rate"])
    return FamilyRate(family, invited, round(rate * invited), rate, False)


def family_results(organisation_rows: RoundTable, questionnaire: Any) -> FamilyResults:
    """The families of one organisation's rows (``table.filter(organisation=code)``)."""
    out = FamilyResults(families_of(questionnaire))
    rows = organisation_rows.filter(is_family=True)
    for family in out.families:
        mine: list[dict[str, Any]] = list(rows.filter(group=family.id).rows())
        rate = _rate(family, mine)
        if rate is not None:
            out.rates.append(rate)
        domains = [r for r in mine if r["level"] == "domain"]
        # like the groups: a family with no one in it is not a row of the heatmap
        if any(r["suppressed"] or (not _nan(r["n"]) and r["n"] > 0) for r in domains):
            out.heatmap.append((family, domains))
    return out
