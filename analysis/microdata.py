"""Disclosure control of microdata: where each record of a round may be published.

Whoever downloads the microdata (one row per response) may hold the stakeholder
list and the aggregated results too, so no record may be traceable to a small
set of people.  The quasi-identifiers of a record are its organisation and its
stakeholder group.  The rule, :func:`protect_microdata`, is a global recoding of the group
followed by local suppression of records (Hundepool et al. 2012, ch. 3.4),
applied per organisation with the round's suppression threshold k:

1. A group with at least k responses keeps its label (level "group").
2. The records of the *small* groups (0 < n < k) of one reporting family are
   labelled with the family (level "family") when together they are at least
   k.  Only the small groups' records are relabelled: a family cell is never
   "a large group plus one small one", which the published large group would
   undo by subtraction.  Since each of its groups is below k, a family cell
   holds >= k records of >= 2 groups.
3. The other small groups' records are labelled :data:`COMBINED_GROUPS` (level
   "combined") when together they are at least k.  If they are fewer (but not
   none), the smallest family cells (ties in the families' order) join them
   until they are.
4. If the small groups' records of an organisation cannot reach k even all
   together, the whole organisation is left out.  Leaving out only the small
   records would not do: the results publish the organisation's All
   stakeholders row, and that minus the organisation's rows in the file would
   be the left-out few.  An organisation with fewer than k responses in all is
   left out by the same rule (its All stakeholders row is hidden too).

So every organisation x label cell published holds at least k records; every
relabelled cell is made only of groups that the results hide on every unit of
that organisation (``analysis.disclosure``, group level first), so no published
aggregate splits it; and an organisation is published whole or not at all, so
its total minus the file reveals nothing.

References: Hundepool A et al. (2012), *Statistical Disclosure Control*,
Wiley, ch. 3 (microdata: global recoding and local suppression, k-anonymity on
the quasi-identifiers).  Rules and their reasons: ``docs/methods.md`` §7a.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .disclosure import check_threshold

__all__ = ["COMBINED_GROUPS", "MicrodataPlacement", "RecordCell", "protect_microdata"]

COMBINED_GROUPS = "(combined)"
"""The label of a record coarsened to "all groups"."""


@dataclass(frozen=True)
class RecordCell:
    """Where a record is published: ``level`` "group", "family" or "combined", and its label
    (the group id, the family id, or :data:`COMBINED_GROUPS`)."""

    level: str
    label: str


@dataclass(frozen=True)
class MicrodataPlacement:
    """:func:`protect_microdata`'s answer: each record's published cell (None: left out)
    and the counts of records coarsened to a family, coarsened to all groups, and left out."""

    cells: list[RecordCell | None]
    to_family: int
    to_combined: int
    left_out: int


def _check_families(families: Sequence[tuple[str, Sequence[str]]]) -> None:
    """A group may stand in at most one family, or "its family" would be ambiguous."""
    family_of: dict[str, str] = {}
    for family, groups in families:
        for group in groups:
            if family_of.setdefault(group, family) != family:
                raise ValueError(
                    f"group {group!r} is in two families, {family_of[group]!r} and {family!r}"
                )


def _organisation_cells(
    groups: Mapping[str, list[int]],
    families: Sequence[tuple[str, Sequence[str]]],
    threshold: int,
) -> dict[int, RecordCell] | None:
    """Rules 1 to 4 for one organisation's records (group -> record indices): each record's
    cell, or None when the organisation must be left out."""
    cells = {
        i: RecordCell("group", g) for g, idx in groups.items() if len(idx) >= threshold for i in idx
    }
    small = {g: idx for g, idx in groups.items() if len(idx) < threshold}
    family_cells: list[tuple[int, str, list[int]]] = []  # (order, family id, records)
    in_family: set[str] = set()
    for order, (family, members) in enumerate(families):
        records = [i for g in members if g in small for i in small[g]]
        if len(records) >= threshold:
            family_cells.append((order, family, records))
            in_family.update(members)
    combined = [i for g, idx in small.items() if g not in in_family for i in idx]
    family_cells.sort(key=lambda cell: (len(cell[2]), cell[0]))
    while 0 < len(combined) < threshold and family_cells:
        combined += family_cells.pop(0)[2]
    if 0 < len(combined) < threshold:
        return None
    for _, family, records in family_cells:
        cells.update(dict.fromkeys(records, RecordCell("family", family)))
    cells.update(dict.fromkeys(combined, RecordCell("combined", COMBINED_GROUPS)))
    return cells


def protect_microdata(
    records: Sequence[tuple[str, str]],
    families: Sequence[tuple[str, Sequence[str]]],
    threshold: int = 5,
) -> MicrodataPlacement:
    """Publish each record at group, family or combined level, or leave it out.

    Parameters
    ----------
    records : sequence of (str, str)
        Each record's (organisation, stakeholder group).
    families : sequence of (str, sequence of str)
        The reporting families as (family id, its groups), in a fixed order
        (it breaks ties).  A group is in at most one family; a group in none
        can only be combined.
    threshold : int, optional
        The suppression threshold k (default 5; must be >= 3).

    Returns
    -------
    MicrodataPlacement
        Each record's cell, in the order given (None where it is left out),
        such that every organisation x cell published holds at least k
        records and each organisation is published whole or not at all.

    Raises
    ------
    ValueError
        If the threshold is below 3 or not an integer, or a group is in two
        families.

    References
    ----------
    .. [1] Hundepool A et al. (2012). Statistical Disclosure Control. Wiley,
       ch. 3.4 (global recoding, local suppression).

    Examples
    --------
    Three GP practices keep their label; two councils and a wellbeing board,
    each below k, are shown as their family; a lone response leaves its
    organisation out.

    >>> from analysis.microdata import protect_microdata
    >>> records = [("A", "gp")] * 3 + [("A", "la")] * 2 + [("A", "hwb"), ("B", "gp")]
    >>> placed = protect_microdata(records, [("local", ["la", "hwb"])], threshold=3)
    >>> [cell.label if cell else None for cell in placed.cells]
    ['gp', 'gp', 'gp', 'local', 'local', 'local', None]
    >>> (placed.to_family, placed.to_combined, placed.left_out)
    (3, 0, 1)
    """
    k = check_threshold(threshold)
    _check_families(families)
    by_organisation: dict[str, dict[str, list[int]]] = {}
    for index, (organisation, group) in enumerate(records):
        by_organisation.setdefault(organisation, {}).setdefault(group, []).append(index)
    cells: list[RecordCell | None] = [None] * len(records)
    for groups in by_organisation.values():
        placed = _organisation_cells(groups, families, k)
        for index, cell in (placed or {}).items():
            cells[index] = cell
    levels = [cell.level if cell else None for cell in cells]
    return MicrodataPlacement(
        cells,
        to_family=levels.count("family"),
        to_combined=levels.count("combined"),
        left_out=levels.count(None),
    )
