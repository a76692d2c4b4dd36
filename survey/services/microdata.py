"""The anonymous microdata (one row per response) with disclosure control.

Whoever downloads the microdata may hold the stakeholder list and the aggregated results too,
so a record must not be traceable to a small set of people. The quasi-identifiers in the file
are the organisation and the stakeholder group (year and organisation kind follow from the
organisation). The rule, :func:`place`, is a global recoding of the group followed by local
suppression of records (Hundepool A et al. 2012, *Statistical Disclosure Control*, Wiley,
ch. 3.4: microdata protection by recoding and local suppression), applied per organisation
with the round's suppression threshold k:

1. A stakeholder group with at least k responses keeps its label (level "group").
2. The records of the *small* groups (0 < n < k) of one reporting family
   (``questionnaire.group_families``) are labelled with the family (level "family") when
   together they are at least k. Only the small groups' records are relabelled: a family cell
   is never "a large group plus one small one", which the published large group would undo
   by subtraction. Each family cell thus holds >= k records of >= 2 groups.
3. The other small groups' records are labelled "(combined)" (level "combined") when together
   they are at least k. If they are fewer (but not none), the smallest family cells (ties in
   the questionnaire's order) join them until they are.
4. If the small groups' records of an organisation cannot reach k even all together, the whole
   organisation is left out. Leaving only the small records out would not do: the results
   export publishes the organisation's All stakeholders row, and that minus the rows in this
   file would be the left-out few. (An organisation with fewer than k responses in all is left
   out by the same rule; its All stakeholders row is hidden in the results.)

So every organisation x group cell in the file holds at least k records; every relabelled cell
is made only of groups the results hide on every unit (fewer than k responses), so no published
aggregate splits it; and per organisation the file holds either all responses or none, so the
organisation total minus the file reveals nothing.

Two kinds of answer are blanked as well (:func:`microdata`):

* routed answers: a record under a family or "(combined)" shows no answer to an item the
  questionnaire asks of only some of the groups that label stands for (all the family's
  groups; for "(combined)", every group), since answering it would name the record's group;
* comments (text answers), unless the record's cell holds at least the round's comment
  threshold, as on the dashboards (wording can identify its author).
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from sqlalchemy import select

from questionnaires import Questionnaire
from survey.extensions import db
from survey.models import Answer, Organisation, Response, SurveyRound
from survey.reports.spreadsheets import neutralise
from survey.services.rounds import questionnaire_for

#: the stakeholder_group of a record coarsened to "all groups"
COMBINED = "(combined)"


@dataclass(frozen=True)
class Cell:
    """Where a record is published: level "group", "family" or "combined", and its label."""

    level: str
    label: str


@dataclass(frozen=True)
class Placement:
    """:func:`place`'s answer: each record's published cell (None: left out) and the counts."""

    cells: list[Cell | None]
    to_family: int
    to_combined: int
    left_out: int


def _organisation_cells(
    groups: Mapping[str, list[int]],
    families: Sequence[tuple[str, Sequence[str]]],
    threshold: int,
) -> dict[int, Cell] | None:
    """The cells of one organisation's records (by group, record indices), or None: leave it
    out. Rules 1 to 4 of the module docstring."""
    cells = {i: Cell("group", g) for g, idx in groups.items() if len(idx) >= threshold for i in idx}
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
        cells.update(dict.fromkeys(records, Cell("family", family)))
    cells.update(dict.fromkeys(combined, Cell("combined", COMBINED)))
    return cells


def place(
    records: Sequence[tuple[str, str]],
    families: Sequence[tuple[str, Sequence[str]]],
    threshold: int,
) -> Placement:
    """Publish each (organisation, group) record at group, family or combined level, or leave
    it out, so that every published organisation x cell holds at least ``threshold`` records.

    :param families: (family id, its groups) in the questionnaire's order; a group is in at
        most one family, and a group in none can only be combined.
    The rule and why it is safe: the module docstring.
    """
    by_organisation: dict[str, dict[str, list[int]]] = {}
    for index, (organisation, group) in enumerate(records):
        by_organisation.setdefault(organisation, {}).setdefault(group, []).append(index)
    cells: list[Cell | None] = [None] * len(records)
    for groups in by_organisation.values():
        placed = _organisation_cells(groups, families, threshold)
        for index, cell in (placed or {}).items():
            cells[index] = cell
    levels = [cell.level if cell else None for cell in cells]
    return Placement(
        cells,
        to_family=levels.count("family"),
        to_combined=levels.count("combined"),
        left_out=levels.count(None),
    )


@dataclass(frozen=True)
class Microdata:
    """The file and what disclosure control did to it (for the audit trail)."""

    data: bytes
    responses: int
    rows: int
    to_family: int
    to_combined: int
    left_out: int
    comments_withheld: int
    #: answers to routed items blanked under a family or "(combined)"
    answers_withheld: int


def _stored_answers(survey_round: SurveyRound) -> dict[str, dict[str, tuple[str, bool]]]:
    """Response id -> item id -> (value as exported, whether it is a comment)."""
    answers: dict[str, dict[str, tuple[str, bool]]] = {}
    for response_id, item_id, score, dont_know, text in db.session.execute(
        select(Answer.response_id, Answer.item_id, Answer.score, Answer.dont_know, Answer.text)
        .join(Response)
        .where(Response.round_id == survey_round.id)
    ):
        if dont_know:
            value = ("DK", False)
        elif score is not None:
            value = (str(score), False)
        else:
            value = (text or "", bool(text))
        answers.setdefault(response_id, {})[item_id] = value
    return answers


def _notes(survey_round: SurveyRound, made: Microdata) -> list[list[str]]:
    k, c = survey_round.suppression_threshold, survey_round.comment_threshold
    return [
        [
            "# Assure360 anonymous responses",
            f"round {survey_round.id} ({survey_round.year})",
            "one row per response; no names, e-mail addresses or links",
        ],
        [
            "# Suppression threshold",
            str(k),
            "every organisation x stakeholder_group cell in this file holds at least this many "
            "responses",
        ],
        [
            "# Comment threshold",
            str(c),
            "comments are shown only in cells of at least this many responses",
        ],
        [
            "# Coarsened to reporting family",
            str(made.to_family),
            'responses of small groups shown under their family (group_level "family")',
        ],
        [
            "# Coarsened to all groups",
            str(made.to_combined),
            f'responses of small groups shown as "{COMBINED}" (group_level "combined")',
        ],
        [
            "# Left out",
            str(made.left_out),
            f"of {made.responses} responses: organisations whose small groups could not be "
            "shown safely",
        ],
        [
            "# Comments withheld",
            str(made.comments_withheld),
            "blanked in cells under the comment threshold",
        ],
        [
            "# Routed answers withheld",
            str(made.answers_withheld),
            "answers, under a family or all groups, to items asked of only some of its groups",
        ],
    ]


def _routed_away(questionnaire: Questionnaire, columns: list[str]) -> dict[str, set[str]]:
    """Level "family"/"combined" label -> the columns a record under it must not show: the
    items the questionnaire asks of only some of the groups the label stands for (an answer
    to such an item would say which group the record is from)."""
    routing = {item.id: item.groups for item in questionnaire.items if item.groups is not None}
    stands_for = {f.id: set(f.groups) for f in questionnaire.group_families}
    stands_for[COMBINED] = set(questionnaire.group_ids)
    return {
        label: {c for c in columns if c in routing and not groups <= routing[c]}
        for label, groups in stands_for.items()
    }


def microdata(survey_round: SurveyRound, item_ids: list[str]) -> Microdata:
    """Anonymous microdata under disclosure control: one row per published response, one
    column per item, notes first (lines starting with "#": pandas ``comment="#"``).

    Scores are numbers, "don't know" is ``DK``, blank means not answered, not shown or withheld.
    A record under a family or "(combined)" shows no answer to an item asked of only some of
    the groups that label stands for. Rows come in random-key order, which says nothing about
    when anyone answered. Cells that a spreadsheet would run as a formula are prefixed with a
    quote.
    """
    rows = db.session.execute(
        select(Response.id, Organisation.code, Organisation.kind, Response.stakeholder_group)
        .join(Organisation, Organisation.id == Response.organisation_id)
        .where(Response.round_id == survey_round.id)
        .order_by(Response.id)
    ).all()
    questionnaire = questionnaire_for(survey_round)
    families = [(f.id, f.groups) for f in questionnaire.group_families]
    placement = place(
        [(code, group) for _, code, _, group in rows], families, survey_round.suppression_threshold
    )
    sizes = Counter(
        (code, cell) for (_, code, _, _), cell in zip(rows, placement.cells, strict=True)
    )
    answers = _stored_answers(survey_round)
    local_ids = sorted({item for values in answers.values() for item in values} - set(item_ids))
    columns = item_ids + local_ids
    routed_away = _routed_away(questionnaire, columns)
    table: list[list[object]] = []
    withheld = Counter[str]()
    for (response_id, code, kind, _), cell in zip(rows, placement.cells, strict=True):
        if cell is None:
            continue
        hidden = routed_away.get(cell.label, set()) if cell.level != "group" else set()
        comments_shown = sizes[code, cell] >= survey_round.comment_threshold
        values = answers.get(response_id, {})
        row = []
        for column in columns:
            value, comment = values.get(column, ("", False))
            if value and column in hidden:
                value = ""
                withheld["routing"] += 1
            elif comment and not comments_shown:
                value = ""
                withheld["comments"] += 1
            row.append(neutralise(value))
        labels = (code, kind.value, cell.label, cell.level)
        table.append([len(table) + 1, survey_round.year, *map(neutralise, labels), *row])
    made = Microdata(
        b"",
        len(rows),
        len(table),
        placement.to_family,
        placement.to_combined,
        placement.left_out,
        withheld["comments"],
        withheld["routing"],
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows(_notes(survey_round, made))
    header = ["response", "year", "organisation", "kind", "stakeholder_group", "group_level"]
    writer.writerow([*header, *columns])
    writer.writerows(table)
    return replace(made, data=buffer.getvalue().encode("utf-8-sig"))
