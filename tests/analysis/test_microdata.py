"""Tests for analysis.microdata: every published organisation x cell reaches the threshold,
small groups go to their family or to all groups before any record is left out, and an
organisation is published whole or not at all. Checked against the records themselves."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.microdata import COMBINED_GROUPS, RecordCell, protect_microdata

#: the reporting families of the CCG 360 questionnaire (questionnaires/bundled)
FAMILIES: list[tuple[str, list[str]]] = [
    ("gp_members", ["gp_practice"]),
    ("nhs_partners", ["nhs_provider", "other_commissioner", "nhs_england", "regulator"]),
    ("local_government", ["local_authority", "health_wellbeing_board"]),
    ("patients_public", ["healthwatch", "patient_groups", "vcse"]),
]
GROUPS = [g for _, groups in FAMILIES for g in groups]


def _labels(records: list[tuple[str, str]], threshold: int) -> list[str | None]:
    return [
        cell.label if cell else None
        for cell in protect_microdata(records, FAMILIES, threshold).cells
    ]


def test_a_large_group_keeps_its_label_and_small_ones_go_to_their_family() -> None:
    records = (
        [("A", "gp_practice")] * 5
        + [("A", "local_authority")] * 1
        + [("A", "health_wellbeing_board")] * 2
    )

    placed = protect_microdata(records, FAMILIES, 3)

    assert (
        placed.cells
        == [RecordCell("group", "gp_practice")] * 5 + [RecordCell("family", "local_government")] * 3
    )
    assert (placed.to_family, placed.to_combined, placed.left_out) == (3, 0, 0)


def test_a_family_cell_never_mixes_a_large_group_with_its_small_ones() -> None:
    """Four councils and one wellbeing board: "local_government" of five would be the four
    published councils plus the one board, so the board cannot be shown with them."""
    records = [("A", "local_authority")] * 4 + [("A", "health_wellbeing_board")]

    assert _labels(records, 3) == [None] * 5


def test_small_groups_of_different_families_are_combined() -> None:
    records = [("A", "gp_practice")] * 3 + [
        ("A", "healthwatch"),
        ("A", "nhs_provider"),
        ("A", "local_authority"),
    ]

    assert _labels(records, 3) == ["gp_practice"] * 3 + [COMBINED_GROUPS] * 3


def test_too_few_combined_take_in_the_smallest_family_cell() -> None:
    records = (
        [("A", "healthwatch")] * 2
        + [("A", "vcse")] * 2  # patients_public: 4
        + [("A", "local_authority")] * 2
        + [("A", "health_wellbeing_board")]  # local_government: 3, the smaller
        + [("A", "regulator")]  # alone
    )

    assert _labels(records, 3) == ["patients_public"] * 4 + [COMBINED_GROUPS] * 4


def test_an_organisation_whose_small_groups_cannot_reach_the_threshold_is_left_out() -> None:
    """The results publish the organisation's All stakeholders row: that minus the GP
    practices in the file would be the lone Healthwatch response."""
    records = [("A", "gp_practice")] * 10 + [("A", "healthwatch")] + [("B", "gp_practice")] * 3

    placed = protect_microdata(records, FAMILIES, 3)

    assert [c.label if c else None for c in placed.cells] == [None] * 11 + ["gp_practice"] * 3
    assert placed.left_out == 11


@pytest.mark.parametrize(
    ("families", "threshold", "message"),
    [
        (FAMILIES, 2, "threshold must be an integer >= 3, got 2"),
        (FAMILIES, 4.5, "threshold must be an integer >= 3, got 4.5"),
        (
            [("one", ["gp_practice"]), ("two", ["gp_practice"])],
            5,
            "group 'gp_practice' is in two families, 'one' and 'two'",
        ),
    ],
)
def test_bad_arguments_are_refused_with_the_bad_value(
    families: Any, threshold: Any, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        protect_microdata([("A", "gp_practice")], families, threshold)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(["O1", "O2", "O3"]), st.sampled_from(GROUPS)), max_size=60),
    st.integers(min_value=3, max_value=6),
)
def test_every_published_cell_reaches_the_threshold_for_any_round(
    records: list[tuple[str, str]], threshold: int
) -> None:
    placement = protect_microdata(records, FAMILIES, threshold)
    family_of = {g: family for family, groups in FAMILIES for g in groups}
    sizes = Counter(records)
    published: dict[tuple[str, RecordCell], list[str]] = {}
    for (organisation, group), cell in zip(records, placement.cells, strict=True):
        if cell is None:
            continue
        published.setdefault((organisation, cell), []).append(group)
        if cell.level == "group":
            assert (cell.label, sizes[organisation, group] >= threshold) == (group, True)
        else:  # only groups the results hide (under the threshold) are relabelled
            assert sizes[organisation, group] < threshold
        if cell.level == "family":
            assert family_of[group] == cell.label
    for (_, cell), groups in published.items():
        assert len(groups) >= threshold
        if cell.level != "group":  # a relabelled cell never stands for one group
            assert len(set(groups)) >= 2
    for organisation in {o for o, _ in records}:
        mine = [c for (o, _), c in zip(records, placement.cells, strict=True) if o == organisation]
        small = sum(n for (o, _), n in sizes.items() if o == organisation and n < threshold)
        # shown whole or not at all; not at all only when its small groups cannot reach k
        assert all(mine) or not any(mine)
        assert any(mine) == (small == 0 or small >= threshold)
    levels = Counter(c.level if c else None for c in placement.cells)
    assert (placement.to_family, placement.to_combined, placement.left_out) == (
        levels["family"],
        levels["combined"],
        levels[None],
    )
