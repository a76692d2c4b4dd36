"""The models used directly from Python (without a file)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from questionnaires import Item, Questionnaire, Scale, ScaleOption, Section, load

AGREEMENT = {
    "options": [
        {"score": 5, "label": "Strongly agree"},
        {"score": 4, "label": "Tend to agree"},
        {"score": 3, "label": "Neither agree nor disagree"},
        {"score": 2, "label": "Tend to disagree"},
        {"score": 1, "label": "Strongly disagree"},
    ],
    "positive_scores": [5, 4],
    "negative_scores": [2, 1],
}


def test_scale_helpers():
    scale = Scale(id="agreement", **AGREEMENT)
    assert scale.max_score == 5 and scale.min_score == 1
    assert scale.scores == [5, 4, 3, 2, 1]
    assert scale.label_for(4) == "Tend to agree"
    assert scale.is_valid_score(3) and not scale.is_valid_score(0)
    with pytest.raises(KeyError):
        scale.label_for(9)
    assert scale.dont_know_label == "Don't know"


def test_three_point_scale():
    scale = Scale(
        id="yes_no",
        options=[
            ScaleOption(score=3, label="Yes"),
            ScaleOption(score=2, label="Partly"),
            ScaleOption(score=1, label="No"),
        ],
        positive_scores=frozenset({3}),
        negative_scores=frozenset({1}),
    )
    assert scale.max_score == 3


def test_item_defaults_and_routing():
    item = Item(id="q_one", text="A question?", scale="agreement")
    assert item.kind == "scale" and item.groups is None and not item.headline
    assert item.shown_to("anyone")
    routed = Item(id="q_two", text="Another?", scale="agreement", groups=["gp_practice"])
    assert routed.groups == frozenset({"gp_practice"})
    assert routed.shown_to("gp_practice") and not routed.shown_to("vcse")
    text = Item(id="q_text", kind="text", text="Tell us more.")
    assert text.max_length == 2000 and text.scale is None


def test_section_fills_items():
    section = Section(
        id="leadership",
        title="Leadership",
        domain="leadership",
        items=[
            Item(id="q_one", text="A?", scale="agreement"),
            Item(id="q_two", text="B?", scale="agreement", groups=["vcse"]),
        ],
    )
    assert [(i.section, i.domain) for i in section.items] == [("leadership", "leadership")] * 2
    assert [i.id for i in section.items_for("vcse")] == ["q_one", "q_two"]
    assert [i.id for i in section.items_for("gp_practice")] == ["q_one"]


def test_validating_a_dict_checks_references_too():
    data = {
        "id": "py-360",
        "version": 1,
        "title": "T",
        "organisation_kind": "direct",
        "estimated_minutes": 5,
        "introduction": "Hello.",
        "stakeholder_groups": [{"id": "icb", "name": "ICBs"}],
        "scales": {"agreement": AGREEMENT},
        "domains": [{"id": "governance", "number": 4, "title": "G", "summary": "S"}],
        "sections": [
            {
                "id": "governance",
                "title": "G",
                "domain": "governance",
                "items": [{"id": "gov_one", "text": "Q?", "scale": "agreement"}],
            }
        ],
    }
    q = Questionnaire.model_validate(data)
    assert q.source == "" and q.items[0].domain == "governance"
    assert q.local_questions.scales == ["agreement"]
    data["sections"][0]["items"][0]["scale"] = "missing"
    with pytest.raises(ValidationError, match="unknown scale 'missing'"):
        Questionnaire.model_validate(data)


@pytest.mark.parametrize("name", ["ccg-360", "direct-commissioning-360"])
def test_routing_is_consistent_for_every_group(name):
    q = load(name)

    @given(st.sampled_from(q.group_ids))
    def check(group):
        items = q.items_for(group)
        assert items == [i for s in q.sections_for(group) for i in s.items_for(group)]
        assert all(i.groups is None or group in i.groups for i in items)
        assert {i.id for i in q.items} - {i.id for i in items} == {
            i.id for i in q.items if not i.shown_to(group)
        }

    check()
