"""What an organisation's dashboard holds, built from stored answers without a request.

Covers :mod:`survey.services.results.dashboard`: the domain rows, response rates and heatmap
against a hand count, small groups hidden (and the group that would give them away), local
questions, comments only at the comment threshold, an organisation with nothing to show, the
round's table and alpha as its latest release published them (responses and invitations show
at the next release, a raised threshold at once) and which rounds an organisation's dashboard
offers.
"""

from __future__ import annotations

import math
import statistics
from typing import Any

import pytest

from analysis import ALL_STAKEHOLDERS, WHOLE_ROUND
from survey.models import Invitation
from survey.services.audit import COMMAND_LINE
from survey.services.invitations import revoke
from survey.services.publication import latest_release, release_reliability, release_table
from survey.services.releases import release_pending
from survey.services.results.dashboard import (
    default_round,
    domain_labels,
    organisation_dashboard,
    rounds_of_organisation,
    rounds_with_data,
)
from survey.services.retention import change_thresholds
from tests.survey.answering import save_answers, submit_response
from tests.survey.stored import publish, respond

ITEM = "overall_relationship"


def _item(table: Any, code: str, group: str = ALL_STAKEHOLDERS) -> dict[str, Any]:
    [row] = table.filter(organisation=code, group=group, unit=ITEM).rows()
    return row


def test_the_dashboard_is_a_hand_count_and_hides_small_groups(
    db: Any,
    make_round: Any,
    make_organisation: Any,
    make_invitation: Any,
    make_local_question: Any,
) -> None:
    survey_round = make_round(suppression_threshold=5, comment_threshold=10)
    alpha = make_organisation(code="01A", name="NHS Alpha ICB")
    make_local_question(survey_round, alpha)
    gp_scores = (5, 5, 4, 2, 1)
    for score in gp_scores:
        respond(
            db,
            make_invitation,
            survey_round,
            alpha,
            {ITEM: {"score": score}, "local_1": {"score": 6 - score}},
        )
    respond(db, make_invitation, survey_round, alpha, {ITEM: {"dont_know": True}})
    # one local authority: fewer than 5, hidden; the GP practices with it (by subtraction)
    respond(db, make_invitation, survey_round, alpha, {ITEM: {"score": 3}}, "local_authority")
    for _ in range(2):
        make_invitation(survey_round=survey_round, organisation=alpha)  # invited, silent
    publish(survey_round)
    db.session.commit()

    board = organisation_dashboard(alpha, survey_round)

    assert board.has_data and board.threshold == 5
    assert board.provenance.round_title == survey_round.title
    assert board.provenance.questionnaire_id == "ccg-360"
    assert list(board.domain_labels)[:2] == ["overall", "clinical_quality"]
    assert board.domain_labels == domain_labels(survey_round)
    assert board.domain_labels["clinical_quality"] == "1. Clinically led, high-quality services"
    overall = board.domain_rows[0]
    scores = [*gp_scores, 3]  # don't know has no view: out of the base
    assert overall["unit"] == "overall" and overall["n"] == 6
    assert math.isclose(overall["positive"], sum(s >= 4 for s in scores) / 6)
    title, items = board.item_sections[0]
    assert title == "Overall relationship" and items[0]["unit"] == ITEM
    assert {row["domain"] for row in items} == {"overall"}
    # response rates: everyone 7 of 9; both groups hidden, with no number
    everyone, *groups = board.group_rates
    assert (everyone.name, everyone.invited, everyone.responses) == (ALL_STAKEHOLDERS, 9, 7)
    assert math.isclose(everyone.rate, 7 / 9) and not everyone.suppressed
    assert [(g.name, g.suppressed) for g in groups] == [
        ("GP member practices", True),
        ("Local authority", True),
    ]
    assert all(math.isnan(g.invited) and math.isnan(g.rate) for g in groups)
    # the heatmap: only groups that answered, every cell of theirs hidden on the overall unit
    assert board.heatmap_groups == ["GP member practices", "Local authority"]
    for rows in board.heatmap_rows:
        assert rows[0]["unit"] == "overall" and rows[0]["suppressed"]
        assert math.isnan(rows[0]["positive"]) and math.isnan(rows[0]["n"])
    assert board.domain_svg.startswith("<svg") and board.heatmap_svg.startswith("<svg")
    # the local question: the five who answered it, 2 of them agree (scores 4 and 5)
    [local] = board.local
    assert (local.text, local.n) == ("Is the new hub working?", 5)
    assert math.isclose(local.positive, sum(6 - s >= 4 for s in gp_scores) / 5)


def test_comments_are_shown_from_the_comment_threshold_and_only_the_organisations(
    db: Any, make_round: Any, make_organisation: Any, make_invitation: Any
) -> None:
    survey_round = make_round(suppression_threshold=3, comment_threshold=4)
    alpha, beta = make_organisation(code="01A"), make_organisation(code="02B")
    silent = make_organisation(code="03C")
    make_invitation(survey_round=survey_round, organisation=silent)
    for text in ("  Listens well.  ", "Quick to reply", "Clear plans", "Good meetings"):
        respond(
            db,
            make_invitation,
            survey_round,
            alpha,
            {ITEM: {"score": 4}, "comment_does_well": {"text": text}},
        )
    for _ in range(3):  # one short of the comment threshold
        respond(
            db,
            make_invitation,
            survey_round,
            beta,
            {ITEM: {"score": 2}, "comment_could_improve": {"text": "Beta's secret"}},
        )

    shown = organisation_dashboard(alpha, survey_round)
    withheld = organisation_dashboard(beta, survey_round)
    nobody = organisation_dashboard(silent, survey_round)

    assert not shown.comments_hidden
    blocks = {block.question: block.comments for block in shown.comments}
    assert len(blocks) == 3  # every open question, answered or not
    [does_well] = [c for q, c in blocks.items() if q.startswith("What does the commissioner")]
    assert sorted(does_well) == ["Clear plans", "Good meetings", "Listens well.", "Quick to reply"]
    assert sum(len(c) for c in blocks.values()) == 4  # nothing of Beta's
    assert withheld.comments == [] and withheld.comments_hidden
    assert nobody.comments == [] and not nobody.comments_hidden  # nothing withheld
    # beta's numbers are published (3 is the suppression threshold), its words are not
    assert withheld.domain_rows[0]["n"] == 3


def test_an_organisation_with_nothing_to_show(
    db: Any, make_round: Any, make_organisation: Any, make_invitation: Any
) -> None:
    survey_round = make_round(suppression_threshold=3, comment_threshold=3)
    answered, invited = make_organisation(code="01A"), make_organisation(code="02B")
    never_asked = make_organisation(code="03C")
    for score in (5, 4, 3):
        respond(db, make_invitation, survey_round, answered, {ITEM: {"score": score}})
    make_invitation(survey_round=survey_round, organisation=invited)
    publish(survey_round)
    db.session.commit()

    quiet = organisation_dashboard(invited, survey_round)
    assert not quiet.has_data and quiet.domain_svg == quiet.heatmap_svg == ""
    assert quiet.heatmap_groups == [] and quiet.local == [] and quiet.comments == []
    assert quiet.domain_rows[0]["n"] == 0 and math.isnan(quiet.domain_rows[0]["positive"])

    absent = organisation_dashboard(never_asked, survey_round)
    assert not absent.has_data and absent.domain_rows == [] and absent.group_rates == []


def _respond_unpublished(
    db: Any, make_invitation: Any, survey_round: Any, organisation: Any
) -> None:
    """A response released into the response store, with no results release after it."""
    issued = make_invitation(survey_round=survey_round, organisation=organisation)
    invitation = db.session.get(Invitation, issued.invitation.id)
    save_answers(invitation, {ITEM: {"score": 1}}, resume_section=1)
    submit_response(invitation, [ITEM])
    release_pending(survey_round, everything=True)
    db.session.commit()


def test_the_table_is_the_latest_release_until_the_next_and_a_raised_threshold_shows_at_once(
    db: Any, make_round: Any, make_organisation: Any, make_invitation: Any
) -> None:
    survey_round = make_round(suppression_threshold=3, comment_threshold=3)
    alpha = make_organisation(code="01A")
    for score in (5, 4, 2):
        respond(db, make_invitation, survey_round, alpha, {ITEM: {"score": score}})

    first = release_table(latest_release(survey_round))
    assert release_table(latest_release(survey_round)) is first  # unpacked once per process
    assert _item(first, "01A")["n"] == 3

    _respond_unpublished(db, make_invitation, survey_round, alpha)
    assert release_table(latest_release(survey_round)) is first  # nothing changes between releases
    publish(survey_round)
    db.session.commit()
    second = release_table(latest_release(survey_round))
    assert _item(second, "01A")["n"] == 4
    assert math.isclose(_item(second, "01A")["positive"], 2 / 4)

    change_thresholds(COMMAND_LINE, survey_round, suppression=5, comment=5)
    db.session.commit()
    raised = _item(release_table(latest_release(survey_round)), "01A")
    assert raised["suppressed"] and math.isnan(raised["n"])  # 4 is now under the threshold


def test_alpha_is_published_with_each_release_and_hidden_by_a_raised_threshold(
    db: Any, make_round: Any, make_organisation: Any, make_invitation: Any
) -> None:
    survey_round = make_round(suppression_threshold=3, comment_threshold=3)
    alpha = make_organisation(code="01A")
    overall_items = [
        ITEM,
        "overall_involved_enough",
        "overall_know_contact",
        "overall_concerns_heard",
    ]
    rows = [(5, 4, 5, 4), (4, 4, 3, 4), (2, 1, 2, 3)]

    def answer(scores: tuple[int, ...]) -> None:
        answers = {
            item: {"score": score} for item, score in zip(overall_items, scores, strict=True)
        }
        respond(db, make_invitation, survey_round, alpha, answers)

    def overall(scope: str) -> dict[str, Any]:
        [row] = [
            r
            for r in release_reliability(latest_release(survey_round)).of(scope).rows()
            if r["domain"] == "overall"
        ]
        return row

    for scores in rows:
        answer(scores)
    release = latest_release(survey_round)
    assert release_reliability(release) is release_reliability(release)  # unpacked once
    # by hand: k/(k-1) x (1 - sum of the item variances / variance of the totals)
    items = sum(statistics.variance(column) for column in zip(*rows, strict=True))
    by_hand = 4 / 3 * (1 - items / statistics.variance([sum(r) for r in rows]))
    assert overall("01A")["n"] == 3 and overall("01A")["alpha"] == pytest.approx(by_hand)
    answer((3, 3, 3, 3))
    assert overall(WHOLE_ROUND)["n"] == 4

    change_thresholds(COMMAND_LINE, survey_round, suppression=5, comment=5)
    db.session.commit()
    raised = overall("01A")
    assert raised["suppressed"] and math.isnan(raised["alpha"])  # 4 is now under the threshold


@pytest.mark.parametrize("change", ["invite", "revoke"])
def test_changed_invitations_show_at_the_next_release(
    db: Any, make_round: Any, make_organisation: Any, make_invitation: Any, change: str
) -> None:
    survey_round = make_round(suppression_threshold=3, comment_threshold=3)
    alpha = make_organisation(code="01A")
    for score in (5, 4, 2):
        respond(db, make_invitation, survey_round, alpha, {ITEM: {"score": score}})
    pending = make_invitation(survey_round=survey_round, organisation=alpha)
    publish(survey_round)
    db.session.commit()
    assert _item(release_table(latest_release(survey_round)), "01A")["n_invited"] == 4

    if change == "invite":
        make_invitation(survey_round=survey_round, organisation=alpha)
        expected = 5
    else:
        revoke(COMMAND_LINE, db.session.get(Invitation, pending.invitation.id))
        db.session.commit()
        expected = 3
    as_released = release_table(latest_release(survey_round))
    assert _item(as_released, "01A")["n_invited"] == 4

    publish(survey_round)
    db.session.commit()
    row = _item(release_table(latest_release(survey_round)), "01A")
    assert row["n_invited"] == expected
    assert math.isclose(row["response_rate"], 3 / expected)


def test_which_rounds_an_organisations_dashboard_offers(
    db: Any, make_round: Any, make_organisation: Any, make_invitation: Any
) -> None:
    older = make_round(year=2038, suppression_threshold=3, comment_threshold=3)
    asked_only = make_round(year=2039)
    direct = make_round(year=2040, questionnaire="direct-commissioning-360")
    alpha = make_organisation(code="01A")  # an ICB
    beta, gamma = make_organisation(code="02B"), make_organisation(code="03C")
    respond(db, make_invitation, older, alpha, {ITEM: {"score": 4}})
    make_invitation(survey_round=asked_only, organisation=alpha)
    respond(db, make_invitation, direct, alpha, {ITEM: {"score": 4}}, "primary_care_contractor")
    make_invitation(survey_round=asked_only, organisation=beta)

    assert rounds_with_data(alpha) == [direct, older]
    assert rounds_of_organisation(alpha) == [direct, asked_only, older]
    # the latest with answers from a questionnaire about its kind of organisation
    assert default_round(alpha) == older
    assert rounds_with_data(beta) == [] and default_round(beta) == asked_only
    assert rounds_of_organisation(gamma) == [] and default_round(gamma) is None
