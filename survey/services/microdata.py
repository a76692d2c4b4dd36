"""The anonymous microdata (one row per response) with disclosure control.

Where each record is published (its group, its reporting family, "(combined)", or left out with
its whole organisation) is decided by :func:`analysis.protect_microdata` with the round's
suppression threshold; the rule and why it is safe: ``analysis/microdata.py`` and
``docs/methods.md`` §7a. This module reads the round, applies that placement and blanks two
kinds of answer:

* routed answers: a record under a family or "(combined)" shows no answer to an item the
  questionnaire asks of only some of the groups that label stands for (all the family's
  groups; for "(combined)", every group), since answering it would name the record's group;
* comments (text answers), unless the record's cell holds at least the round's comment
  threshold (:func:`analysis.comments_visible`, as on the dashboards: wording can identify its
  author).

The file opens with notes (lines starting with "#") that state the thresholds and count what
was coarsened, left out and withheld; the audit event of the download records the same counts.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from sqlalchemy import select

from analysis import COMBINED_GROUPS, RecordCell, comments_visible, protect_microdata
from questionnaires import Questionnaire
from survey.extensions import db
from survey.models import Organisation, Response, SurveyRound
from survey.reports.spreadsheets import neutralise
from survey.services.packing import StoredAnswer, scale_columns, unpack
from survey.services.rounds import questionnaire_for

HEADER = ["response", "year", "organisation", "kind", "stakeholder_group", "group_level"]


@dataclass(frozen=True)
class Disclosure:
    """What disclosure control did to one file (counts only, for its notes and the audit)."""

    responses: int
    rows: int
    to_family: int
    to_combined: int
    left_out: int
    comments_withheld: int
    #: answers to routed items blanked under a family or "(combined)"
    answers_withheld: int


@dataclass(frozen=True)
class Microdata:
    """The file and what disclosure control did to it."""

    data: bytes
    disclosure: Disclosure

    def audit_detail(self) -> dict[str, int]:
        """The counts the download's audit event records."""
        return asdict(self.disclosure)


def _stored_answers(survey_round: SurveyRound) -> dict[str, dict[str, tuple[str, bool]]]:
    """Response id -> item id -> (value as exported, whether it is a comment)."""
    columns = scale_columns(questionnaire_for(survey_round))
    answers: dict[str, dict[str, tuple[str, bool]]] = {}
    for response_id, scale, other in db.session.execute(
        select(Response.id, Response.scale_answers, Response.other_answers).where(
            Response.round_id == survey_round.id
        )
    ):
        answers[response_id] = {
            item_id: _exported(answer) for item_id, answer in unpack(scale, other, columns).items()
        }
    return answers


def _exported(answer: StoredAnswer) -> tuple[str, bool]:
    if answer.get("dont_know"):
        return ("DK", False)
    if answer.get("score") is not None:
        return (str(answer["score"]), False)
    text = str(answer.get("text") or "")
    return (text, bool(text))


def _notes(survey_round: SurveyRound, done: Disclosure, release: str) -> list[list[str]]:
    k, c = survey_round.suppression_threshold, survey_round.comment_threshold
    return [
        [
            "# Assure360 anonymous responses",
            f"round {survey_round.id} ({survey_round.year})",
            "one row per response; no names, e-mail addresses or links",
        ],
        [
            "# Release",
            release,
            "the responses of this results release; the file changes only at the next one",
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
            str(done.to_family),
            'responses of small groups shown under their family (group_level "family")',
        ],
        [
            "# Coarsened to all groups",
            str(done.to_combined),
            f'responses of small groups shown as "{COMBINED_GROUPS}" (group_level "combined")',
        ],
        [
            "# Left out",
            str(done.left_out),
            f"of {done.responses} responses: organisations whose small groups could not be "
            "shown safely",
        ],
        [
            "# Comments withheld",
            str(done.comments_withheld),
            "blanked in cells under the comment threshold",
        ],
        [
            "# Routed answers withheld",
            str(done.answers_withheld),
            "answers, under a family or all groups, to items asked of only some of its groups",
        ],
    ]


def _routed_away(questionnaire: Questionnaire, columns: list[str]) -> dict[str, set[str]]:
    """Family / "(combined)" label -> the columns a record under it must not show: the items
    the questionnaire asks of only some of the groups the label stands for (an answer to such
    an item would say which group the record is from)."""
    routing = {item.id: item.groups for item in questionnaire.items if item.groups is not None}
    stands_for = {f.id: set(f.groups) for f in questionnaire.group_families}
    stands_for[COMBINED_GROUPS] = set(questionnaire.group_ids)
    return {
        label: {c for c in columns if c in routing and not groups <= routing[c]}
        for label, groups in stands_for.items()
    }


def _published_values(
    values: dict[str, tuple[str, bool]],
    columns: Sequence[str],
    hidden: set[str],
    comments_shown: bool,
    withheld: Counter[str],
) -> list[str]:
    """One record's answers in column order, routed answers and comments blanked as the module
    docstring says (and counted in ``withheld``)."""
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
    return row


def _hidden_columns(cell: RecordCell, routed_away: dict[str, set[str]]) -> set[str]:
    """The routed columns a record in ``cell`` must not show (none at group level)."""
    return set() if cell.level == "group" else routed_away.get(cell.label, set())


def microdata(survey_round: SurveyRound, item_ids: list[str], release: str) -> Microdata:
    """Anonymous microdata under disclosure control: notes first (lines starting with "#":
    pandas ``comment="#"``; ``release`` says which results release the file holds), then one
    row per published response, one column per item.

    Scores are numbers, "don't know" is ``DK``, blank means not answered, not shown or withheld.
    Rows come in random-key order, which says nothing about when anyone answered. Cells that a
    spreadsheet would run as a formula are prefixed with a quote.
    """
    rows = db.session.execute(
        select(Response.id, Organisation.code, Organisation.kind, Response.stakeholder_group)
        .join(Organisation, Organisation.id == Response.organisation_id)
        .where(Response.round_id == survey_round.id)
        .order_by(Response.id)
    ).all()
    questionnaire = questionnaire_for(survey_round)
    placement = protect_microdata(
        [(code, group) for _, code, _, group in rows],
        [(f.id, f.groups) for f in questionnaire.group_families],
        survey_round.suppression_threshold,
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
        values = _published_values(
            answers.get(response_id, {}),
            columns,
            _hidden_columns(cell, routed_away),
            bool(comments_visible(sizes[code, cell], survey_round.comment_threshold)),
            withheld,
        )
        labels = (code, kind.value, cell.label, cell.level)
        table.append([len(table) + 1, survey_round.year, *map(neutralise, labels), *values])
    done = Disclosure(
        responses=len(rows),
        rows=len(table),
        to_family=placement.to_family,
        to_combined=placement.to_combined,
        left_out=placement.left_out,
        comments_withheld=withheld["comments"],
        answers_withheld=withheld["routing"],
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows(_notes(survey_round, done, release))
    writer.writerow([*HEADER, *columns])
    writer.writerows(table)
    return Microdata(buffer.getvalue().encode("utf-8-sig"), done)
