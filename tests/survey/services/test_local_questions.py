"""Local questions as a service: added within the questionnaire's block (scales, how many),
numbered per organisation, listed per organisation and per round, and refused with a reason,
storing nothing, for a closed round, bad text or scale, or an organisation already answered."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from survey.models import AuditEvent, LocalQuestion
from survey.services.audit import COMMAND_LINE, Actor
from survey.services.errors import InputError
from survey.services.local_questions import (
    MAX_TEXT,
    add_local_question,
    local_questions,
    round_local_questions,
)
from tests.survey.answering import save_answers
from tests.survey.stored import submit_released


def _count(db: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(LocalQuestion)))


def _added(db: Any) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.action == "local_question.add")
    return list(db.session.scalars(query))


def test_questions_are_numbered_per_organisation_and_listed_in_order(
    db, make_round, make_organisation, make_user
) -> None:
    survey_round = make_round(status="draft")  # a draft round may have them before it opens
    make_organisation(code="LQ1", name="NHS Alpha ICB")
    make_organisation(code="LQ2", name="NHS Beta ICB")
    manager = make_user(role="manager")

    first = add_local_question(
        Actor.web(manager),
        survey_round,
        "lq1",
        "  Was the estates\n plan   explained?  ",
        "agreement",
    )
    second = add_local_question(
        COMMAND_LINE, survey_round, "LQ1", "How is the new hub working?", "relationship"
    )
    other = add_local_question(COMMAND_LINE, survey_round, "LQ2", "A question?", "agreement")
    db.session.commit()

    assert (first.item_id, first.position, first.text, first.scale) == (
        "local_1",
        1,
        "Was the estates plan explained?",  # white space tidied
        "agreement",
    )
    assert (second.item_id, second.position) == ("local_2", 2)
    assert other.item_id == "local_1"  # each organisation numbers its own
    alpha_id = first.organisation_id
    assert [q.item_id for q in local_questions(survey_round.id, alpha_id)] == [
        "local_1",
        "local_2",
    ]
    assert local_questions(survey_round.id, other.organisation_id) == [other]
    assert [(q.item_id, o.code) for q, o in round_local_questions(survey_round)] == [
        ("local_1", "LQ1"),
        ("local_2", "LQ1"),
        ("local_1", "LQ2"),
    ]
    entries = _added(db)
    assert [(e.channel, e.user_id) for e in entries][0] == ("web", manager.id)
    assert [e.detail for e in entries] == [
        {"organisation": "LQ1", "item": "local_1"},
        {"organisation": "LQ1", "item": "local_2"},
        {"organisation": "LQ2", "item": "local_1"},
    ]
    assert all(e.target == f"round:{survey_round.id}" for e in entries)


def test_questions_belong_to_their_round(db, make_round, make_organisation) -> None:
    this_round, next_round = make_round(), make_round()
    organisation = make_organisation(code="LQ1")
    add_local_question(COMMAND_LINE, this_round, "LQ1", "This year?", "agreement")

    assert local_questions(next_round.id, organisation.id) == []
    assert round_local_questions(next_round) == []
    assert add_local_question(COMMAND_LINE, next_round, "LQ1", "Next?", "agreement").item_id == (
        "local_1"
    )


@pytest.mark.parametrize(
    ("text", "scale", "message"),
    [
        ("", "agreement", f"must have 1 to {MAX_TEXT} characters"),
        (" \n\t ", "agreement", f"must have 1 to {MAX_TEXT} characters"),
        ("x" * (MAX_TEXT + 1), "agreement", f"must have 1 to {MAX_TEXT} characters"),
        (
            "A question?",
            "yes_no",
            "local questions use one of these scales: agreement, relationship; got 'yes_no'",
        ),
    ],
)
def test_bad_text_or_scale_is_refused_and_nothing_is_stored(
    db, make_round, make_organisation, text, scale, message
) -> None:
    survey_round = make_round()
    make_organisation(code="LQ1")

    with pytest.raises(InputError, match=message):
        add_local_question(COMMAND_LINE, survey_round, "LQ1", text, scale)

    assert _count(db) == 0 and _added(db) == []


def test_the_longest_text_allowed_is_accepted(db, make_round, make_organisation) -> None:
    survey_round = make_round()
    make_organisation(code="LQ1")
    question = add_local_question(COMMAND_LINE, survey_round, "LQ1", "y" * MAX_TEXT, "agreement")
    assert len(question.text) == MAX_TEXT


def test_an_unknown_organisation_or_a_closed_round_is_refused(
    db, make_round, make_organisation
) -> None:
    open_round, closed_round = make_round(), make_round(status="closed")
    make_organisation(code="LQ1")

    with pytest.raises(InputError, match="no organisation with code 'NOPE'"):
        add_local_question(COMMAND_LINE, open_round, "NOPE", "A question?", "agreement")
    with pytest.raises(InputError, match=f"round {closed_round.id} is closed"):
        add_local_question(COMMAND_LINE, closed_round, "LQ1", "A question?", "agreement")

    assert _count(db) == 0 and _added(db) == []


def test_no_more_than_the_questionnaire_allows(db, make_round, make_organisation) -> None:
    survey_round = make_round()
    make_organisation(code="LQ1", name="NHS Alpha ICB")
    make_organisation(code="LQ2")
    for number in range(5):  # max_items: 5 in the bundled questionnaire
        add_local_question(COMMAND_LINE, survey_round, "LQ1", f"Question {number}?", "agreement")

    with pytest.raises(InputError, match=r"NHS Alpha ICB already has the most .* allowed \(5\)"):
        add_local_question(COMMAND_LINE, survey_round, "LQ1", "One more?", "agreement")

    assert _count(db) == 5 and len(_added(db)) == 5
    # the limit is per organisation
    add_local_question(COMMAND_LINE, survey_round, "LQ2", "Another's first?", "agreement")


def test_once_anyone_answered_about_an_organisation_its_questions_are_fixed(
    db, make_round, make_organisation, make_invitation
) -> None:
    survey_round = make_round()
    answered = make_organisation(code="LQ1", name="NHS Alpha ICB")
    make_organisation(code="LQ2")
    add_local_question(COMMAND_LINE, survey_round, "LQ1", "Before anyone answered?", "agreement")
    invitation = make_invitation(survey_round=survey_round, organisation=answered).invitation
    save_answers(invitation, {"overall_relationship": {"score": 4}}, resume_section=1)
    submit_released(invitation, ["overall_relationship"])
    db.session.commit()

    with pytest.raises(InputError, match="already answered about NHS Alpha ICB"):
        add_local_question(COMMAND_LINE, survey_round, "LQ1", "Too late?", "agreement")

    assert [q.text for q in local_questions(survey_round.id, answered.id)] == [
        "Before anyone answered?"
    ]
    # another organisation nobody has answered about yet may still add one
    add_local_question(COMMAND_LINE, survey_round, "LQ2", "Still in time?", "agreement")
    assert _count(db) == 2
