"""Disclosure control of the anonymous microdata: no organisation x group cell in the file
under the suppression threshold, small groups coarsened to their reporting family or to all
groups before any record is left out, an organisation shown whole or not at all, comments
only in cells at the comment threshold; the file's notes and the audit event say what was
done. The checks read the file as a reader would (an attacker holding the stakeholder list)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import select

from analysis import COMBINED_GROUPS
from questionnaires import load
from survey.models import AuditEvent
from survey.services.audit import COMMAND_LINE
from survey.services.exports import responses_export
from tests.survey.microdata_file import read_microdata
from tests.survey.stored import respond

HEADLINE = "overall_relationship"
COMMENT = "comment_does_well"


#: items the questionnaire asks of one group only, and an answer to each
ROUTED = {
    "gp_practice": {"clin_practice_influence": {"score": 5}},
    "healthwatch": {"eng_responds_healthwatch": {"score": 2}},
    "health_wellbeing_board": {"plan_support_hwb_strategy": {"score": 3}},
}


def _submit(
    db: Any, make_invitation: Any, survey_round: Any, organisation: Any, group: str
) -> None:
    """One response from ``group`` with a score, a comment naming its group, and an answer to
    an item only its group is asked where there is one (``ROUTED``)."""
    answers = {HEADLINE: {"score": 4}, COMMENT: {"text": f"Said by {group}."}}
    respond(db, make_invitation, survey_round, organisation, answers | ROUTED.get(group, {}), group)


def _export(
    db: Any, make_round: Any, make_organisation: Any, make_invitation: Any, cells: Any
) -> tuple[dict[str, str], list[dict[str, str]]]:
    """Submit ``cells`` ({org code: {group: responses}}) in a round (threshold 3, comments at
    5), download the microdata, check what the file alone gives away (:func:`_attack`) and
    return it read: (notes, rows)."""
    survey_round = make_round(suppression_threshold=3, comment_threshold=5)
    for code, groups in cells.items():
        organisation = make_organisation(code=code)
        for group, count in groups.items():
            for _ in range(count):
                _submit(db, make_invitation, survey_round, organisation, group)
    data = responses_export(COMMAND_LINE, survey_round)
    responses = sum(sum(groups.values()) for groups in cells.values())
    _attack(data, responses, threshold=3, comment_threshold=5)
    file = read_microdata(data)
    return file.notes, file.rows


def _attack(data: bytes, responses: int, threshold: int, comment_threshold: int) -> None:
    """What the file alone gives away: every organisation x group cell (with or without the
    level) holds at least the threshold, comments only in cells at the comment threshold,
    and the notes account for every response."""
    file = read_microdata(data)
    notes, rows = file.notes, file.rows
    for key in (("organisation", "stakeholder_group"), ("organisation", "group_level")):
        cells = Counter(tuple(row[c] for c in key) for row in rows)
        assert min(cells.values(), default=threshold) >= threshold, cells
    cells = Counter((row["organisation"], row["stakeholder_group"]) for row in rows)
    for row in rows:
        if row[COMMENT]:
            assert cells[row["organisation"], row["stakeholder_group"]] >= comment_threshold
    assert int(notes["Left out"]) == responses - len(rows)
    # no answer under a family or "(combined)" narrows it to fewer groups than it stands for
    questionnaire = load("ccg-360")
    stands_for = {f.id: set(f.groups) for f in questionnaire.group_families}
    stands_for[COMBINED_GROUPS] = set(questionnaire.group_ids)
    for row in rows:
        if row["group_level"] != "group":
            for item in questionnaire.items:
                if item.groups is not None and row[item.id]:
                    assert stands_for[row["stakeholder_group"]] <= item.groups, item.id
    assert (notes["Suppression threshold"], notes["Comment threshold"]) == (
        str(threshold),
        str(comment_threshold),
    )


def _cells(rows: list[dict[str, str]]) -> Counter[tuple[str, str, str]]:
    return Counter((r["organisation"], r["stakeholder_group"], r["group_level"]) for r in rows)


def test_small_groups_are_shown_under_their_family_and_a_lone_response_is_left_out(
    db, make_round, make_organisation, make_invitation
) -> None:
    cells = {
        "ORA": {"gp_practice": 5, "local_authority": 1, "health_wellbeing_board": 2},
        "ORB": {"gp_practice": 1},
    }
    notes, rows = _export(db, make_round, make_organisation, make_invitation, cells)

    assert _cells(rows) == {
        ("ORA", "gp_practice", "group"): 5,
        ("ORA", "local_government", "family"): 3,
    }
    # the five GP practices' comments are shown; the family of three's are not
    assert sorted(r[COMMENT] for r in rows) == [""] * 3 + ["Said by gp_practice."] * 5
    assert {r[HEADLINE] for r in rows} == {"4"}
    # answers to items only one group is asked: shown where the cell is that group, or where
    # the family's every group is asked (the wellbeing boards' item is asked of councils too)
    assert Counter(r["clin_practice_influence"] for r in rows) == {"5": 5, "": 3}
    family = [r for r in rows if r["group_level"] == "family"]
    assert sorted(r["plan_support_hwb_strategy"] for r in family) == ["", "3", "3"]
    assert notes["Routed answers withheld"] == "0"
    assert (notes["Coarsened to reporting family"], notes["Coarsened to all groups"]) == ("3", "0")
    assert (notes["Left out"], notes["Comments withheld"]) == ("1", "3")
    [entry] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export.responses"))
    assert entry.detail == {
        "responses": 9,
        "rows": 8,
        "to_family": 3,
        "to_combined": 0,
        "left_out": 1,
        "comments_withheld": 3,
        "answers_withheld": 0,
    }


def test_small_groups_without_a_family_cell_are_combined_or_their_organisation_left_out(
    db, make_round, make_organisation, make_invitation
) -> None:
    cells = {
        # three lone groups in three families: together three, shown as all groups
        "ORC": {"gp_practice": 3, "healthwatch": 1, "nhs_provider": 1, "local_authority": 1},
        # a family of three, and a lone regulator that joins it: four, as all groups
        "ORD": {
            "gp_practice": 3,
            "local_authority": 1,
            "health_wellbeing_board": 2,
            "regulator": 1,
        },
        # a lone Healthwatch response cannot be shown; nor can the rest, since the results
        # publish the organisation's total and the total minus the file would be that response
        "ORE": {"gp_practice": 3, "healthwatch": 1},
    }
    notes, rows = _export(db, make_round, make_organisation, make_invitation, cells)

    assert _cells(rows) == {
        ("ORC", "gp_practice", "group"): 3,
        ("ORC", COMBINED_GROUPS, "combined"): 3,
        ("ORD", "gp_practice", "group"): 3,
        ("ORD", COMBINED_GROUPS, "combined"): 4,
    }
    assert (notes["Coarsened to reporting family"], notes["Coarsened to all groups"]) == ("0", "7")
    assert (notes["Left out"], notes["Comments withheld"]) == ("4", "13")
    assert not any(r[COMMENT] for r in rows)  # no cell reaches the comment threshold of 5
    # under "(combined)" no answer says "Healthwatch" or "wellbeing board"; GP practices' do
    combined = [r for r in rows if r["group_level"] == "combined"]
    assert not any(
        r["eng_responds_healthwatch"] or r["plan_support_hwb_strategy"] for r in combined
    )
    assert [r["clin_practice_influence"] for r in rows if r["group_level"] == "group"] == ["5"] * 6
    assert notes["Routed answers withheld"] == "3"  # one Healthwatch, two wellbeing boards
    # every organisation in the file is there whole: its total minus the file reveals nothing
    shown = Counter(r["organisation"] for r in rows)
    assert shown == {code: sum(groups.values()) for code, groups in cells.items() if code in shown}
