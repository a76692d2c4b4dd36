"""Publication: results change only at a release, each release audited and stored in the
database; interim releases at most a day's allowance; the close always publishes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from flask import current_app
from sqlalchemy import select

from survey.models import AuditEvent, Invitation, ResultsRelease, SurveyRound
from survey.services.audit import COMMAND_LINE
from survey.services.closing import close_round
from survey.services.errors import RoundStateError
from survey.services.publication import (
    as_of,
    closed_rounds_unpublished,
    latest_release,
    latest_releases,
    publish_results,
    release_comments,
    release_local,
    release_table,
    releases_of,
)
from survey.services.releases import release_pending
from survey.services.responses import store_response
from survey.services.results.arrays import analyse
from survey.services.results.comments import organisation_comments
from survey.services.results.local import local_results
from survey.transactions import unit_of_work
from tests.survey.answering import save_answers, submit_response

ITEM = "overall_relationship"


@pytest.fixture
def answered(
    db: Any,
    make_round: Callable[..., SurveyRound],
    make_organisation: Callable[..., Any],
    make_invitation: Callable[..., Any],
) -> Callable[[int], SurveyRound]:
    """``answered(n)``: n more stakeholders of one round and organisation submit and are
    released into the response store (results not published)."""
    survey_round = make_round(suppression_threshold=3, comment_threshold=3)
    organisation = make_organisation()

    def submit(count: int) -> SurveyRound:
        for _ in range(count):
            invitation = db.session.get(
                Invitation,
                make_invitation(survey_round=survey_round, organisation=organisation).invitation.id,
            )
            save_answers(invitation, {ITEM: {"score": 9}}, resume_section=1)
            submit_response(invitation, [ITEM])
        release_pending(survey_round, everything=True)
        db.session.commit()
        return survey_round

    return submit


def _overall_n(table: Any) -> float:
    rows = (table.level == "item") & (table.unit == ITEM) & (table.group == "All stakeholders")
    return float(table.n[rows][0])


def test_pages_read_the_latest_release_and_nothing_changes_until_the_next(
    db: Any, answered: Callable[[int], SurveyRound]
) -> None:
    survey_round = answered(3)
    assert len(release_table(latest_release(survey_round))) == 0  # nothing published yet
    first = publish_results(COMMAND_LINE, survey_round)
    db.session.commit()
    assert _overall_n(release_table(latest_release(survey_round))) == 3

    answered(4)  # in the response store, not yet published
    assert _overall_n(release_table(latest_release(survey_round))) == 3
    second = publish_results(COMMAND_LINE, survey_round)
    db.session.commit()
    assert (first.number, second.number) == (1, 2)
    assert (first.responses, second.responses) == (3, 7)
    assert _overall_n(release_table(latest_release(survey_round))) == 7
    assert _overall_n(release_table(first)) == 3  # an old release keeps its numbers
    assert [r.number for r in releases_of(survey_round)] == [2, 1]
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "results.release").order_by(AuditEvent.id)
    ).all()
    assert [(e.detail["number"], e.detail["responses"]) for e in events] == [(1, 3), (2, 7)]


def test_a_release_is_stored_whole_and_read_back_identical(
    db: Any, answered: Callable[[int], SurveyRound]
) -> None:
    survey_round = answered(5)
    release = publish_results(COMMAND_LINE, survey_round)
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get_one(ResultsRelease, release.id)
    fresh, kept = analyse(survey_round), release_table(stored)
    for name in fresh.columns():
        np.testing.assert_array_equal(getattr(kept, name), getattr(fresh, name), err_msg=name)


def test_interim_releases_are_limited_to_the_daily_allowance(
    db: Any, answered: Callable[[int], SurveyRound]
) -> None:
    current_app.config["INTERIM_RELEASES_PER_DAY"] = 1  # the app the test's data goes through
    survey_round = answered(3)
    publish_results(COMMAND_LINE, survey_round)
    db.session.commit()
    with pytest.raises(RoundStateError, match=r"already had 1 interim release.*at most 1 a day"):
        publish_results(COMMAND_LINE, survey_round)
    db.session.rollback()
    assert [r.number for r in releases_of(survey_round)] == [1]


def test_interim_results_say_they_are_provisional_and_the_close_says_final(
    db: Any, answered: Callable[[int], SurveyRound]
) -> None:
    survey_round = answered(3)
    interim = publish_results(COMMAND_LINE, survey_round)
    db.session.commit()
    closes = f"{survey_round.closes_on:%-d %B %Y}"
    assert as_of(interim).endswith(f"3 responses (provisional: fieldwork open until {closes})")

    with unit_of_work():
        close_round(COMMAND_LINE, survey_round)
    final = latest_release(survey_round)
    assert final is not None and final.kind == "close" and final.number == 2
    assert final.provisional_until is None
    assert "provisional" not in as_of(final) and as_of(final).endswith(", 3 responses")
    with pytest.raises(RoundStateError, match="interim releases are made during fieldwork"):
        publish_results(COMMAND_LINE, survey_round, kind="interim")


def test_a_round_closed_with_no_responses_publishes_an_empty_release(
    db: Any, make_round: Callable[..., SurveyRound]
) -> None:
    survey_round = make_round()
    with unit_of_work():
        close_round(COMMAND_LINE, survey_round)
    release = latest_release(survey_round)
    assert release is not None and release.responses == 0
    assert len(release_table(release)) == 0


def test_a_closed_round_without_its_close_release_is_found_for_the_worker(
    db: Any, answered: Callable[[int], SurveyRound]
) -> None:
    survey_round = answered(3)
    survey_round.close()  # as a round closed before releases existed
    db.session.commit()
    assert closed_rounds_unpublished() == [survey_round]
    publish_results(COMMAND_LINE, survey_round, kind="close")
    db.session.commit()
    assert closed_rounds_unpublished() == []


def test_a_release_publishes_the_local_questions_and_comments_each_computed_on_its_own(
    db: Any,
    make_round: Callable[..., SurveyRound],
    make_organisation: Callable[..., Any],
    make_local_question: Callable[..., Any],
) -> None:
    """Publishing reads the round's other answers once for the local questions and the
    comments: what it stores is what their own reads give."""
    survey_round = make_round(suppression_threshold=3, comment_threshold=3)
    alpha, beta = make_organisation(code="01A"), make_organisation(code="02B")
    make_local_question(survey_round, alpha)
    for n, (organisation, group) in enumerate(
        [(alpha, "gp_practice")] * 4
        + [(alpha, "local_authority")] * 2
        + [(beta, "gp_practice")] * 3
    ):
        answers: dict[str, dict[str, Any]] = {ITEM: {"score": 4}}
        if n % 2 == 0:
            answers["comment_does_well"] = {"text": f"Comment {n}"}
        if organisation is alpha:
            answers["local_1"] = {"dont_know": True} if n == 5 else {"score": 1 + n % 5}
        store_response(survey_round.id, organisation.id, group, answers)
    db.session.commit()

    release = publish_results(COMMAND_LINE, survey_round)
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get_one(ResultsRelease, release.id)

    assert release_local(stored) == local_results(survey_round)
    assert release_local(stored)["01A"][0].n == 5  # don't know is not in the base
    for organisation in (alpha, beta):
        published = release_comments(stored, survey_round, organisation.code)
        own = organisation_comments(organisation, survey_round)
        assert (published.respondents, published.count) == (own.respondents, own.count)
        assert [sorted(b.comments) for b in published.blocks] == [
            sorted(b.comments) for b in own.blocks
        ]
    assert sum(len(b.comments) for b in release_comments(stored, survey_round, "01A").blocks) == 3


def test_the_latest_releases_of_several_rounds_are_each_rounds_newest(
    db: Any, answered: Callable[[int], SurveyRound], make_round: Callable[..., SurveyRound]
) -> None:
    survey_round = answered(3)
    publish_results(COMMAND_LINE, survey_round)
    newest = publish_results(COMMAND_LINE, survey_round)
    unpublished = make_round(year=survey_round.year + 1)
    db.session.commit()
    found = latest_releases([survey_round, unpublished])
    assert found == {survey_round.id: newest} and newest.number == 2
    assert latest_releases([]) == {}
