"""Local questions: added by the survey team within the questionnaire's rules, seen by the
organisation's stakeholders on a page of their own before the comments."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from survey.models import Invitation, LocalQuestion
from tests.survey.answering import save_answers
from tests.survey.helpers import csrf_token
from tests.survey.stored import submit_released


def _add(client: Any, round_id: int, **form: str) -> Any:
    page = client.get(f"/manage/rounds/{round_id}/local-questions")
    return client.post(
        f"/manage/rounds/{round_id}/local-questions",
        data={"csrf_token": csrf_token(page.get_data(as_text=True)), **form},
    )


def test_a_local_question_reaches_that_organisations_stakeholders_only(
    client: Any,
    db: Any,
    make_user: Any,
    sign_in: Any,
    make_round: Any,
    make_organisation: Any,
    make_invitation: Any,
) -> None:
    survey_round = make_round()
    mine, other = make_organisation(code="LQ001"), make_organisation(code="LQ002")
    sign_in(make_user(role="manager"))
    added = _add(
        client,
        survey_round.id,
        organisation="lq001",
        text="The ICB's new estates plan was well explained.",
        scale="agreement",
    )
    assert added.status_code == 302
    mine_link = make_invitation(survey_round=survey_round, organisation=mine)
    other_link = make_invitation(survey_round=survey_round, organisation=other)
    found = [client.get(f"{mine_link.path}/{n}").get_data(as_text=True) for n in range(1, 10)]
    assert any("estates plan" in page for page in found)
    assert not any(
        "estates plan" in client.get(f"{other_link.path}/{n}").get_data(as_text=True)
        for n in range(1, 10)
    )
    db.session.rollback()
    assert [q.item_id for q in db.session.scalars(select(LocalQuestion))] == ["local_1"]


def test_the_rules_are_named_and_nothing_is_stored(
    client: Any,
    db: Any,
    make_user: Any,
    sign_in: Any,
    make_round: Any,
    make_organisation: Any,
    make_invitation: Any,
) -> None:
    survey_round = make_round()
    organisation = make_organisation(code="LQ003")
    sign_in(make_user(role="manager"))
    unknown = _add(
        client, survey_round.id, organisation="NOPE", text="A question?", scale="agreement"
    )
    assert (
        unknown.status_code == 400
        and "No organisation with code &#39;NOPE&#39;" in unknown.get_data(as_text=True)
    )
    for number in range(5):
        assert (
            _add(
                client,
                survey_round.id,
                organisation="LQ003",
                text=f"Question {number}?",
                scale="agreement",
            ).status_code
            == 302
        )
    too_many = _add(
        client, survey_round.id, organisation="LQ003", text="One more?", scale="agreement"
    )
    assert too_many.status_code == 400 and "most local questions allowed (5)" in too_many.get_data(
        as_text=True
    )
    other = make_organisation(code="LQ004")
    issued = make_invitation(survey_round=survey_round, organisation=other)
    invitation = db.session.get(Invitation, issued.invitation.id)
    save_answers(invitation, {"overall_relationship": {"score": 4}}, resume_section=1)
    submit_released(invitation, ["overall_relationship"])
    db.session.commit()
    late = _add(client, survey_round.id, organisation="LQ004", text="Too late?", scale="agreement")
    assert late.status_code == 400 and "already answered" in late.get_data(as_text=True)
    db.session.rollback()
    counts = {code: 0 for code in ("LQ003", "LQ004")}
    for question in db.session.scalars(select(LocalQuestion)):
        counts["LQ003" if question.organisation_id == organisation.id else "LQ004"] += 1
    assert counts == {"LQ003": 5, "LQ004": 0}
