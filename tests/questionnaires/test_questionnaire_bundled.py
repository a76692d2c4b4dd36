"""The bundled questionnaires load and have the designed shape."""

from __future__ import annotations

import re
from importlib import resources

import pytest

import questionnaires
from questionnaires import (
    Domain,
    Item,
    LocalQuestionBlock,
    Questionnaire,
    QuestionnaireError,
    Scale,
    ScaleOption,
    Section,
    StakeholderGroup,
    bundled_names,
    load,
)

BUNDLED = ["ccg-360", "direct-commissioning-360"]
CCG_GROUPS = [
    "gp_practice",
    "health_wellbeing_board",
    "local_authority",
    "healthwatch",
    "patient_groups",
    "nhs_provider",
    "other_commissioner",
    "nhs_england",
    "regulator",
    "vcse",
]
DOMAIN_IDS = [
    "clinical_quality",
    "patient_engagement",
    "plans_outcomes",
    "governance",
    "partnership",
    "leadership",
]


@pytest.fixture(params=BUNDLED)
def q(request) -> Questionnaire:
    return load(request.param)


def test_contract_names_are_exported():
    for name in (
        "load",
        "Questionnaire",
        "Section",
        "Domain",
        "Item",
        "Scale",
        "ScaleOption",
        "StakeholderGroup",
        "LocalQuestionBlock",
        "QuestionnaireError",
        "bundled_names",
    ):
        assert hasattr(questionnaires, name), name
    assert issubclass(QuestionnaireError, ValueError)


def test_bundled_names():
    assert bundled_names() == BUNDLED


def test_bundled_files_are_package_data():
    folder = resources.files("questionnaires").joinpath("bundled")
    assert sorted(p.name for p in folder.iterdir() if p.name.endswith(".yaml")) == [
        f"{n}.yaml" for n in BUNDLED
    ]


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_loads_by_name(name):
    q = load(name)
    assert isinstance(q, Questionnaire)
    assert q.id == name
    assert q.source == name
    assert q.version >= 1
    assert q.organisation_kind == ("ccg" if name == "ccg-360" else "direct")
    assert 10 <= q.estimated_minutes <= 20
    assert q.introduction and q.open_text_warning


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_loads_by_path_too(name, tmp_path):
    text = resources.files("questionnaires").joinpath("bundled", f"{name}.yaml").read_text("utf-8")
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    by_path = load(path)
    assert by_path.source == str(path)
    assert by_path.model_dump(exclude={"source"}) == load(name).model_dump(exclude={"source"})
    assert load(str(path)).id == name


def test_types(q):
    assert all(isinstance(d, Domain) for d in q.domains)
    assert all(isinstance(s, Section) for s in q.sections)
    assert all(isinstance(i, Item) for i in q.items)
    assert all(isinstance(g, StakeholderGroup) for g in q.stakeholder_groups)
    assert all(isinstance(s, Scale) for s in q.scales.values())
    assert all(isinstance(o, ScaleOption) for s in q.scales.values() for o in s.options)
    assert isinstance(q.local_questions, LocalQuestionBlock)


def test_six_domains_in_order(q):
    assert [d.number for d in q.domains] == [1, 2, 3, 4, 5, 6]
    assert [d.id for d in q.domains] == DOMAIN_IDS
    assert all(d.title and d.summary for d in q.domains)


def test_eight_sections_overall_domains_comments(q):
    assert len(q.sections) == 8
    assert q.sections[0].id == "overall" and q.sections[0].domain is None
    assert q.sections[-1].id == "comments" and q.sections[-1].domain is None
    assert [s.domain for s in q.sections[1:-1]] == DOMAIN_IDS
    for section in q.sections[1:-1]:
        assert 4 <= len(section.items) <= 7, section.id
        assert all(i.kind == "scale" and i.scale == "agreement" for i in section.items)


def test_counts(q):
    assert len(q.scale_items) >= 30
    assert len(q.items) == len(q.scale_items) + len(q.text_items)
    assert len(q.text_items) >= 2
    assert all(i.section == "comments" for i in q.text_items)


def test_one_headline_relationship_item(q):
    headlines = [i for i in q.items if i.headline]
    assert len(headlines) == 1
    item = headlines[0]
    assert item is q.headline_item or item == q.headline_item
    assert item.id == "overall_relationship"
    assert item.section == "overall" and item.groups is None
    scale = q.scale_for(item)
    assert scale.id == "relationship"
    assert [o.label for o in scale.options] == [
        "Very good",
        "Fairly good",
        "Neither good nor poor",
        "Fairly poor",
        "Very poor",
    ]


def test_agreement_scale(q):
    scale = q.scales["agreement"]
    assert [o.score for o in scale.options] == [5, 4, 3, 2, 1]
    assert scale.options[0].label == "Strongly agree"
    assert scale.options[-1].label == "Strongly disagree"
    assert scale.positive_scores == frozenset({5, 4})
    assert scale.negative_scores == frozenset({2, 1})
    assert (scale.max_score, scale.min_score) == (5, 1)


def test_dont_know_is_kept_apart_from_every_scale(q):
    for scale in q.scales.values():
        assert scale.dont_know_label == "Don't know"
        assert scale.dont_know_label not in [o.label for o in scale.options]
        assert all(o.score >= 1 for o in scale.options)


def test_text_items(q):
    for item in q.text_items:
        assert item.scale is None and not item.headline
        assert 100 <= item.max_length <= 5000
    texts = " ".join(i.text.lower() for i in q.text_items)
    assert "well" in texts and "better" in texts


def test_ids_unique_and_well_formed(q):
    ids = [i.id for i in q.items]
    assert len(ids) == len(set(ids))
    pattern = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
    assert all(pattern.match(i) for i in ids)
    assert len({s.id for s in q.sections}) == len(q.sections)


def test_items_know_their_section_and_domain(q):
    for section in q.sections:
        for item in section.items:
            assert item.section == section.id
            assert item.domain == section.domain
    for domain in q.domains:
        assert q.domain_items(domain.id)
        assert all(i.domain == domain.id for i in q.domain_items(domain.id))


def test_items_one_idea_plain_text(q):
    for item in q.items:
        assert item.text == item.text.strip()
        assert item.text[-1] in ".?", item.id
        assert len(item.text) <= 140, item.id


def test_local_question_block(q):
    block = q.local_questions
    assert block.max_items == 5
    assert block.scales == ["agreement", "relationship"]
    assert block.section_title == "Local questions"


def test_ccg_groups_are_the_default_list():
    q = load("ccg-360")
    assert q.group_ids == CCG_GROUPS
    assert q.group("gp_practice").name == "GP member practices"


def test_direct_commissioning_groups():
    q = load("direct-commissioning-360")
    ids = set(q.group_ids)
    assert {"primary_care_contractor", "specialised_provider", "icb", "health_justice"} <= ids
    assert "gp_practice" not in ids and "other_commissioner" not in ids


def test_every_group_sees_every_section(q):
    """By design every domain section has items for everybody, so each group gets 8 pages."""
    for group in q.group_ids:
        assert [s.id for s in q.sections_for(group)] == [s.id for s in q.sections]
        for section in q.sections:
            assert section.items_for(group)


def test_everyone_sees_headline_and_comments(q):
    for group in q.group_ids:
        assert q.headline_item.shown_to(group)
        assert all(i.shown_to(group) for i in q.text_items)


def test_routing_ccg():
    q = load("ccg-360")
    practice_only = q.item("clin_practice_influence")
    assert practice_only.groups == frozenset({"gp_practice"})
    assert practice_only.shown_to("gp_practice")
    assert not practice_only.shown_to("regulator")
    hwb = q.item("plan_support_hwb_strategy")
    assert hwb.groups == frozenset({"health_wellbeing_board", "local_authority"})
    gp_items = {i.id for i in q.items_for("gp_practice")}
    reg_items = {i.id for i in q.items_for("regulator")}
    assert "clin_practice_influence" in gp_items - reg_items
    assert "plan_support_hwb_strategy" not in gp_items
    section = q.section("clinical_quality")
    assert practice_only in section.items_for("gp_practice")
    assert practice_only not in section.items_for("vcse")
    # routing gives different bases: some items are not seen by every group
    routed = [i for i in q.items if i.groups is not None]
    assert len(routed) >= 8
    for item in routed:
        assert item.groups <= set(q.group_ids)


def test_routing_direct():
    q = load("direct-commissioning-360")
    item = q.item("clin_secure_settings_needs")
    assert item.shown_to("health_justice") and not item.shown_to("icb")
    assert not q.item("clin_contractor_support").shown_to("specialised_provider")


def test_lookups_and_key_errors(q):
    assert q.item("overall_relationship").headline
    with pytest.raises(KeyError, match="no_such_item"):
        q.item("no_such_item")
    with pytest.raises(KeyError, match="nobody"):
        q.group("nobody")
    with pytest.raises(KeyError, match="nobody"):
        q.sections_for("nobody")
    with pytest.raises(KeyError, match="nowhere"):
        q.domain("nowhere")
    assert q.domain("governance").number == 4
    assert q.scale_for("lead_confidence").id == "agreement"
    with pytest.raises(KeyError):
        q.scale_for(q.text_items[0])


def test_models_are_immutable(q):
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        q.title = "changed"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        q.items[0].text = "changed"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        q.scales["agreement"].dont_know_label = "x"  # type: ignore[misc]
    assert isinstance(q.items[0].groups, frozenset | type(None))
    hash(q.items[0])


def test_loads_are_independent(q):
    again = load(q.source)
    assert again == q
    assert again is not q


def test_shared_ids_have_the_same_shape():
    """Where both questionnaires use an id, the question is the parallel one."""
    ccg, direct = load("ccg-360"), load("direct-commissioning-360")
    shared = {i.id for i in ccg.items} & {i.id for i in direct.items}
    assert len(shared) >= 20
    for item_id in shared:
        a, b = ccg.item(item_id), direct.item(item_id)
        assert (a.kind, a.scale, a.section, a.headline) == (b.kind, b.scale, b.section, b.headline)
        assert "commissioning team" in b.text or b.kind == "scale" and b.text.startswith("I ")
