"""Reporting families of stakeholder groups: declared in the questionnaire, checked on load."""

from __future__ import annotations

import copy

import pytest

from questionnaires import QuestionnaireError, load
from tests.questionnaires.test_questionnaire_errors import minimal, write


def _with_families(families: list[dict]) -> dict:
    data = copy.deepcopy(minimal())
    data["group_families"] = families
    return data


def test_bundled_questionnaires_put_every_group_in_one_family():
    for name in ("ccg-360", "direct-commissioning-360"):
        q = load(name)
        members = [g for family in q.group_families for g in family.groups]
        assert sorted(members) == sorted(q.group_ids), name
    ccg = {f.name: f.groups for f in load("ccg-360").group_families}
    assert ccg["GP member practices"] == ["gp_practice"]
    assert ccg["Local government and health and wellbeing boards"] == [
        "local_authority",
        "health_wellbeing_board",
    ]


@pytest.mark.parametrize(
    ("families", "path", "problem"),
    [
        (
            [{"id": "f1", "name": "F", "groups": ["nobody"]}],
            "group_families[0].groups[0]",
            "unknown stakeholder group 'nobody'",
        ),
        (
            [{"id": "f1", "name": "F", "groups": []}],
            "group_families[0].groups",
            "family 'f1' has no groups",
        ),
        (
            [
                {"id": "f1", "name": "F", "groups": ["GROUP"]},
                {"id": "f2", "name": "G", "groups": ["GROUP"]},
            ],
            "group_families[1].groups[0]",
            "group 'GROUP' is already in family 'f1'",
        ),
        (
            [{"id": "GROUP", "name": "F", "groups": ["GROUP"]}],
            "group_families[0].id",
            "family id 'GROUP' is the id of a stakeholder group",
        ),
    ],
)
def test_broken_families_are_named_precisely(tmp_path, families, path, problem):
    group = minimal()["stakeholder_groups"][0]["id"]
    for family in families:
        family["id"] = group if family["id"] == "GROUP" else family["id"]
        family["groups"] = [group if g == "GROUP" else g for g in family["groups"]]
    problem = problem.replace("GROUP", group)
    file = write(tmp_path, _with_families(families))
    with pytest.raises(QuestionnaireError) as info:
        load(file)
    assert (path, problem) in [(p, m[: len(problem)]) for p, m in info.value.problems]
