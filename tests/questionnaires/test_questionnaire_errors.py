"""Broken questionnaire files fail with '<file>: <path in the document>: <problem>'."""

from __future__ import annotations

import copy
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import pytest
import yaml

from questionnaires import Questionnaire, QuestionnaireError, load

MINIMAL_YAML = """\
id: test-360
version: 3
title: Test survey
organisation_kind: ccg
estimated_minutes: 10
introduction: A short test questionnaire.
stakeholder_groups:
  - {id: gp_practice, name: GP member practices}
  - {id: healthwatch, name: Local Healthwatch, description: The local Healthwatch.}
scales:
  agreement:
    options:
      - {score: 5, label: Strongly agree}
      - {score: 4, label: Tend to agree}
      - {score: 3, label: Neither agree nor disagree}
      - {score: 2, label: Tend to disagree}
      - {score: 1, label: Strongly disagree}
    positive_scores: [5, 4]
    negative_scores: [2, 1]
  relationship:
    options:
      - {score: 5, label: Very good}
      - {score: 4, label: Fairly good}
      - {score: 3, label: Neither good nor poor}
      - {score: 2, label: Fairly poor}
      - {score: 1, label: Very poor}
    positive_scores: [5, 4]
    negative_scores: [2, 1]
domains:
  - {id: leadership, number: 6, title: Leadership, summary: Strong and robust leadership.}
sections:
  - id: overall
    title: Overall
    items:
      - id: overall_relationship
        text: How good is the relationship?
        scale: relationship
        headline: true
  - id: leadership
    title: Leadership
    domain: leadership
    items:
      - {id: lead_vision, text: The leaders have a clear vision., scale: agreement}
      - {id: lead_practices, text: Leaders represent practices., scale: agreement,
         groups: [gp_practice]}
  - id: comments
    title: Comments
    items:
      - id: comment_well
        kind: text
        text: What is done well?
        max_length: 500
"""


def minimal() -> dict:
    return yaml.safe_load(MINIMAL_YAML)


def write(tmp_path: Path, data: dict | str, name: str = "broken.yaml") -> Path:
    path = tmp_path / name
    text = data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def test_minimal_file_is_valid(tmp_path):
    q = load(write(tmp_path, MINIMAL_YAML, "minimal.yaml"))
    assert isinstance(q, Questionnaire)
    assert [i.id for i in q.items] == [
        "overall_relationship",
        "lead_vision",
        "lead_practices",
        "comment_well",
    ]
    assert q.local_questions.max_items == 5  # default block
    assert q.scales["agreement"].dont_know_label == "Don't know"  # default label
    assert q.item("comment_well").max_length == 500
    assert q.item("lead_vision").max_length == 2000
    assert [s.id for s in q.sections_for("healthwatch")] == ["overall", "leadership", "comments"]
    assert q.items_for("healthwatch") == [q.items[0], q.items[1], q.items[3]]


def _set(path: tuple, value) -> Callable[[dict], None]:
    def change(d: dict) -> None:
        target = d
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def _delete(path: tuple) -> Callable[[dict], None]:
    def change(d: dict) -> None:
        target = d
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return change


def _append_item(item: dict, section: int = 1) -> Callable[[dict], None]:
    def change(d: dict) -> None:
        d["sections"][section]["items"].append(item)

    return change


def _add_unserved_group(d: dict) -> None:
    d["stakeholder_groups"].append({"id": "regulator", "name": "Regulators"})
    for section in d["sections"]:
        for item in section["items"]:
            item["groups"] = ["gp_practice", "healthwatch"]


# (case id, change to the minimal document, expected path, expected words in the problem)
CASES = [
    ("missing-title", _delete(("title",)), "title", "required field is missing"),
    (
        "missing-item-text",
        _delete(("sections", 1, "items", 0, "text")),
        "sections[1].items[0].text",
        "required field is missing",
    ),
    (
        "missing-scale-options",
        _delete(("scales", "agreement", "options")),
        "scales.agreement.options",
        "required field is missing",
    ),
    (
        "unknown-scale",
        _set(("sections", 1, "items", 0, "scale"), "agreeement"),
        "sections[1].items[0].scale",
        "unknown scale 'agreeement' (known: agreement, relationship)",
    ),
    (
        "duplicate-item-id",
        _set(("sections", 1, "items", 1, "id"), "lead_vision"),
        "sections[1].items[1].id",
        "duplicate item id 'lead_vision'",
    ),
    (
        "duplicate-id-across-sections",
        _set(("sections", 2, "items", 0, "id"), "overall_relationship"),
        "sections[2].items[0].id",
        "duplicate item id 'overall_relationship'",
    ),
    (
        "unknown-group",
        _set(("sections", 1, "items", 1, "groups"), ["gp_practise"]),
        "sections[1].items[1].groups",
        "unknown stakeholder group 'gp_practise'",
    ),
    (
        "empty-groups",
        _set(("sections", 1, "items", 1, "groups"), []),
        "sections[1].items[1].groups",
        "must not be empty",
    ),
    (
        "groups-not-a-list",
        _set(("sections", 1, "items", 1, "groups"), "gp_practice"),
        "sections[1].items[1].groups",
        "valid list",
    ),
    (
        "wrong-type-int",
        _set(("estimated_minutes",), "fifteen"),
        "estimated_minutes",
        "valid integer",
    ),
    (
        "wrong-type-str",
        _set(("sections", 1, "items", 0, "text"), ["a", "list"]),
        "sections[1].items[0].text",
        "valid string",
    ),
    (
        "wrong-type-bool",
        _set(("sections", 0, "items", 0, "headline"), "perhaps"),
        "sections[0].items[0].headline",
        "valid boolean",
    ),
    (
        "wrong-kind",
        _set(("sections", 2, "items", 0, "kind"), "essay"),
        "sections[2].items[0].kind",
        "'scale' or 'text'",
    ),
    (
        "wrong-organisation-kind",
        _set(("organisation_kind",), "trust"),
        "organisation_kind",
        "'ccg' or 'direct'",
    ),
    (
        "section-not-mapping",
        _set(("sections", 1), "leadership"),
        "sections[1]",
        "expected a mapping",
    ),
    ("unknown-top-level-key", _set(("colour",), "blue"), "(top level)", "unknown key 'colour'"),
    (
        "unknown-item-key",
        _set(("sections", 1, "items", 0, "hnit"), "typo"),
        "sections[1].items[0]",
        "unknown key 'hnit' (allowed: id, text, kind, scale, hint",
    ),
    (
        "unknown-scale-key",
        _set(("scales", "agreement", "positive"), [5]),
        "scales.agreement",
        "unknown key 'positive'",
    ),
    (
        "derived-section-key",
        _set(("sections", 1, "items", 0, "section"), "overall"),
        "sections[1].items[0].section",
        "filled in by the loader",
    ),
    ("derived-source-key", _set(("source",), "elsewhere"), "source", "filled in by the loader"),
    (
        "bad-item-id-pattern",
        _set(("sections", 1, "items", 0, "id"), "Lead-Vision"),
        "sections[1].items[0].id",
        "invalid id 'Lead-Vision'",
    ),
    (
        "item-id-starts-with-digit",
        _set(("sections", 1, "items", 0, "id"), "1st_item"),
        "sections[1].items[0].id",
        "invalid id '1st_item'",
    ),
    (
        "item-id-too-long",
        _set(("sections", 1, "items", 0, "id"), "a" * 65),
        "sections[1].items[0].id",
        "invalid id",
    ),
    (
        "bad-group-id",
        _set(("stakeholder_groups", 0, "id"), "GP"),
        "stakeholder_groups[0].id",
        "invalid id 'GP'",
    ),
    ("bad-questionnaire-id", _set(("id",), "Test 360"), "id", "invalid questionnaire id"),
    (
        "unknown-section-domain",
        _set(("sections", 1, "domain"), "leadershp"),
        "sections[1].domain",
        "unknown domain 'leadershp' (known: leadership)",
    ),
    (
        "domain-number-out-of-range",
        _set(("domains", 0, "number"), 7),
        "domains[0].number",
        "less than or equal to 6",
    ),
    (
        "duplicate-group",
        _set(("stakeholder_groups", 1, "id"), "gp_practice"),
        "stakeholder_groups[1].id",
        "duplicate stakeholder group id 'gp_practice'",
    ),
    (
        "duplicate-section",
        _set(("sections", 2, "id"), "overall"),
        "sections[2].id",
        "duplicate section id 'overall'",
    ),
    (
        "scale-with-one-option",
        _set(("scales", "agreement", "options"), [{"score": 1, "label": "Yes"}]),
        "scales.agreement.options",
        "at least 2 items",
    ),
    (
        "scale-with-no-options",
        _set(("scales", "agreement", "options"), []),
        "scales.agreement.options",
        "at least 2 items",
    ),
    (
        "scale-scores-out-of-order",
        _set(("scales", "agreement", "options", 1, "score"), 3),
        "scales.agreement.options",
        "option scores must be [5, 4, 3, 2, 1]",
    ),
    (
        "dont-know-as-option",
        _set(("scales", "agreement", "options", 2, "label"), "Don't know"),
        "scales.agreement.options",
        "kept apart from the scale",
    ),
    (
        "positive-not-a-score",
        _set(("scales", "agreement", "positive_scores"), [6, 5]),
        "scales.agreement.positive_scores",
        "[6] are not scores of this scale",
    ),
    (
        "positive-and-negative-overlap",
        _set(("scales", "agreement", "negative_scores"), [4, 1]),
        "scales.agreement.negative_scores",
        "both positive and negative",
    ),
    (
        "scale-id-mismatch",
        _set(("scales", "agreement", "id"), "agree"),
        "scales.agreement.id",
        "does not match its key 'agreement'",
    ),
    (
        "scale-item-without-scale",
        _delete(("sections", 1, "items", 0, "scale")),
        "sections[1].items[0].scale",
        "a scale item needs 'scale'",
    ),
    (
        "text-item-with-scale",
        _set(("sections", 2, "items", 0, "scale"), "agreement"),
        "sections[2].items[0].scale",
        "a text item must not have a 'scale'",
    ),
    (
        "max-length-on-scale-item",
        _set(("sections", 1, "items", 0, "max_length"), 100),
        "sections[1].items[0].max_length",
        "only for text items",
    ),
    (
        "max-length-zero",
        _set(("sections", 2, "items", 0, "max_length"), 0),
        "sections[2].items[0].max_length",
        "greater than or equal to 1",
    ),
    (
        "two-headlines",
        _set(("sections", 1, "items", 0, "headline"), True),
        "sections[1].items[0].headline",
        "only one headline item",
    ),
    (
        "text-headline",
        _set(("sections", 2, "items", 0, "headline"), True),
        "sections[2].items[0].headline",
        "cannot be the headline",
    ),
    ("empty-section", _set(("sections", 1, "items"), []), "sections[1].items", "at least 1 item"),
    (
        "domain-without-section",
        _set(("sections", 1, "domain"), None),
        "domains[0]",
        "domain 'leadership' has no section",
    ),
    (
        "group-sees-nothing",
        _add_unserved_group,
        "stakeholder_groups[2]",
        "group 'regulator' is not shown any item",
    ),
    (
        "local-block-unknown-scale",
        _set(("local_questions",), {"scales": ["satisfaction"]}),
        "local_questions.scales[0]",
        "unknown scale 'satisfaction'",
    ),
    (
        "local-block-unknown-key",
        _set(("local_questions",), {"max_questions": 3}),
        "local_questions",
        "unknown key 'max_questions' (allowed: max_items",
    ),
    (
        "replaces-live-item",
        _append_item(
            {
                "id": "lead_vision_v2",
                "text": "New wording.",
                "scale": "agreement",
                "replaces": "lead_vision",
            }
        ),
        "sections[1].items[2].replaces",
        "still in this questionnaire",
    ),
]


@pytest.mark.parametrize(
    ("change", "path", "problem"), [pytest.param(c, p, m, id=i) for i, c, p, m in CASES]
)
def test_broken_file_message(tmp_path, change, path, problem):
    data = copy.deepcopy(minimal())
    change(data)
    file = write(tmp_path, data)
    with pytest.raises(QuestionnaireError) as info:
        load(file)
    message = str(info.value)
    assert f"{file}: {path}: " in message, message
    assert problem in message, message
    assert info.value.file == str(file)
    assert any(p == path for p, _ in info.value.problems)


def test_message_format_matches_contract(tmp_path):
    data = minimal()
    data["sections"][1]["items"][0]["scale"] = "agreeement"
    file = write(tmp_path, data, "ccg-360.yaml")
    with pytest.raises(QuestionnaireError) as info:
        load(file)
    assert str(info.value) == (
        f"{file}: sections[1].items[0].scale: unknown scale 'agreeement' "
        "(known: agreement, relationship)"
    )
    assert str(info.value).endswith(
        "ccg-360.yaml: sections[1].items[0].scale: unknown scale 'agreeement' "
        "(known: agreement, relationship)"
    )
    assert isinstance(info.value, ValueError)


def test_all_reference_problems_reported_together(tmp_path):
    data = minimal()
    data["sections"][1]["items"][0]["scale"] = "nope"
    data["sections"][1]["items"][1]["groups"] = ["nobody"]
    file = write(tmp_path, data)
    with pytest.raises(QuestionnaireError) as info:
        load(file)
    lines = str(info.value).splitlines()
    assert len(lines) == 2
    assert all(line.startswith(f"{file}: sections[1].items[") for line in lines)


def test_several_structural_problems_reported_together(tmp_path):
    data = minimal()
    del data["title"]
    data["estimated_minutes"] = "ten"
    file = write(tmp_path, data)
    with pytest.raises(QuestionnaireError) as info:
        load(file)
    assert {p for p, _ in info.value.problems} == {"title", "estimated_minutes"}


RAW_CASES = [
    (
        "unclosed-flow-list",
        MINIMAL_YAML.replace("version: 3", "version: [3"),
        "line 3",
        "invalid YAML",
    ),
    (
        "bad-indentation",
        MINIMAL_YAML.replace("title: Test survey", "title: Test survey\n  oops: 1"),
        "line 4",
        "invalid YAML",
    ),
    (
        "tab-indentation",
        MINIMAL_YAML.replace("    title: Leadership", "\ttitle: Leadership"),
        "line ",
        "invalid YAML",
    ),
    (
        "duplicate-key",
        MINIMAL_YAML.replace("version: 3", "version: 3\nversion: 4"),
        "line 3",
        "duplicate key 'version'",
    ),
    ("empty-file", "", "(top level)", "the file is empty"),
    ("only-a-comment", "# nothing here\n", "(top level)", "the file is empty"),
    ("top-level-list", "- id: x\n", "(top level)", "expected a mapping"),
    ("top-level-scalar", "just words\n", "(top level)", "expected a mapping"),
]


@pytest.mark.parametrize(
    ("text", "path", "problem"), [pytest.param(t, p, m, id=i) for i, t, p, m in RAW_CASES]
)
def test_broken_yaml_message(tmp_path, text, path, problem):
    file = write(tmp_path, text)
    with pytest.raises(QuestionnaireError) as info:
        load(file)
    message = str(info.value)
    assert message.startswith(f"{file}: {path}"), message
    assert problem in message, message


def test_yaml_syntax_error_gives_line_and_column(tmp_path):
    file = write(tmp_path, MINIMAL_YAML.replace("version: 3", "version: [3"))
    pattern = r"broken\.yaml: line \d+, column \d+: invalid YAML"
    with pytest.raises(QuestionnaireError, match=pattern):
        load(file)


def test_missing_file(tmp_path):
    file = tmp_path / "nowhere.yaml"
    with pytest.raises(QuestionnaireError, match=r"nowhere\.yaml: \(file\): file not found"):
        load(file)
    with pytest.raises(QuestionnaireError, match="file not found"):
        load(str(file))


def test_directory_is_not_a_file(tmp_path):
    folder = tmp_path / "dir.yaml"
    folder.mkdir()
    with pytest.raises(QuestionnaireError, match=r"dir\.yaml: \(file\): "):
        load(folder)


def test_not_utf8(tmp_path):
    file = tmp_path / "latin1.yaml"
    file.write_bytes(MINIMAL_YAML.replace("Test survey", "Tést survey").encode("latin-1"))
    with pytest.raises(QuestionnaireError, match=r"latin1\.yaml: \(file\): not UTF-8"):
        load(file)


def test_unknown_bundled_name_lists_known_names():
    with pytest.raises(QuestionnaireError) as info:
        load("ccg-361")
    message = str(info.value)
    assert message.startswith("ccg-361: ")
    assert "unknown bundled questionnaire" in message
    assert "ccg-360" in message and "direct-commissioning-360" in message


def test_unknown_bundled_name_is_a_value_error():
    with pytest.raises(ValueError):
        load("nope")


def test_bundled_files_have_no_problems():
    for name in ("ccg-360", "direct-commissioning-360"):
        resource = resources.files("questionnaires").joinpath("bundled", f"{name}.yaml")
        text = resource.read_text("utf-8")
        assert "\t" not in text
        load(name)


def test_documented_example_is_valid(tmp_path):
    import re

    doc = Path(__file__).resolve().parents[2] / "docs" / "questionnaire-format.md"
    match = re.search(r"## A small example\n\n```yaml\n(.*?)```", doc.read_text("utf-8"), re.S)
    assert match, "example block missing from the format documentation"
    q = load(write(tmp_path, match.group(1), "example.yaml"))
    assert q.headline_item is not None and q.text_items
