"""Local questions' results per organisation code, built from stored answers (no request).

Covers :func:`survey.services.results.local.local_results`: which organisations and questions
appear and in what order, the numbers against a hand count and a textbook Wilson interval with
the finite population correction on the organisation's invited stakeholders (every group, not
the revoked), the suppression of a question answered by fewer than the threshold, and answers
to the same item id from another organisation's stakeholders never mixing in.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

from scipy.stats import norm

from survey.models import Invitation, LocalQuestion
from survey.services.audit import COMMAND_LINE
from survey.services.invitations import revoke
from survey.services.results.local import local_results
from survey.services.retention import purge_date, purge_identities
from tests.survey.stored import respond

Z = float(norm.ppf(0.975))


def _ask(db: Any, survey_round: Any, organisation: Any, item_id: str, text: str, **kw: Any) -> None:
    db.session.add(
        LocalQuestion(
            round_id=survey_round.id,
            organisation_id=organisation.id,
            item_id=item_id,
            text=text,
            scale=kw.pop("scale", "agreement"),
            **kw,
        )
    )
    db.session.commit()


def _wilson_fpc(positives: int, n: int, invited: int) -> tuple[float, float]:
    """Wilson (1927) score interval on n_eff = n (N - 1) / (N - n) (Cochran 1977, ch. 3)."""
    p = positives / n
    m = n * (invited - 1) / (invited - n)
    centre = (p + Z * Z / (2 * m)) / (1 + Z * Z / m)
    half = Z / (1 + Z * Z / m) * math.sqrt(p * (1 - p) / m + Z * Z / (4 * m * m))
    return centre - half, centre + half


def test_results_are_keyed_by_organisation_code_in_the_order_asked(
    db: Any, make_round: Any, make_organisation: Any
) -> None:
    survey_round = make_round()
    alpha, beta = make_organisation(code="01A"), make_organisation(code="02B")
    make_organisation(code="03C")  # asks nothing of its own
    _ask(db, survey_round, alpha, "local_2", "Asked second", position=1)
    _ask(db, survey_round, alpha, "local_1", "Asked first", position=0)
    _ask(db, survey_round, beta, "local_1", "Is the new hub working?")
    other_round = make_round(year=survey_round.year + 10)
    _ask(db, other_round, alpha, "local_1", "Another round's question")

    results = local_results(survey_round)

    assert sorted(results) == ["01A", "02B"]
    assert [(r.item_id, r.text) for r in results["01A"]] == [
        ("local_1", "Asked first"),
        ("local_2", "Asked second"),
    ]
    assert [r.text for r in results["02B"]] == ["Is the new hub working?"]
    # Nobody answered yet: a count of 0 reveals nothing, so nothing is suppressed, and there
    # is no number to show.
    for result in results["01A"] + results["02B"]:
        assert (result.n, result.suppressed, result.shown) == (0, False, False)
        assert result.positive is result.positive_low is result.mean is None


def test_the_numbers_are_a_hand_count_with_a_finite_population_wilson_interval(
    db: Any, make_round: Any, make_organisation: Any, make_invitation: Any
) -> None:
    survey_round = make_round(suppression_threshold=5, comment_threshold=10)
    alpha = make_organisation(code="01A")
    _ask(db, survey_round, alpha, "local_1", "Do you agree with how services are planned?")
    scores = [5, 4, 4, 2, 1]
    for score in scores:
        respond(db, make_invitation, survey_round, alpha, {"local_1": {"score": score}})
    respond(db, make_invitation, survey_round, alpha, {"local_1": {"dont_know": True}})
    # a local authority answered only the overall question; two more were invited, silent:
    # the population is everyone invited about the organisation, whatever their group
    respond(
        db,
        make_invitation,
        survey_round,
        alpha,
        {"overall_relationship": {"score": 3}},
        group="local_authority",
    )
    for _ in range(2):
        make_invitation(survey_round=survey_round, organisation=alpha, group="healthwatch")

    [result] = local_results(survey_round)["01A"]

    positives = sum(1 for s in scores if s >= 4)  # agreement scale: agree, strongly agree
    negatives = sum(1 for s in scores if s <= 2)
    assert result.n == 5 and not result.suppressed and result.shown
    assert math.isclose(result.positive, positives / 5)
    assert math.isclose(result.negative, negatives / 5)
    assert math.isclose(result.dont_know, 1 / 6)  # of the six who answered the question
    assert math.isclose(result.mean, sum(scores) / 5)
    low, high = _wilson_fpc(positives, 5, invited=6 + 1 + 2)
    assert math.isclose(result.positive_low, low, rel_tol=1e-9)
    assert math.isclose(result.positive_high, high, rel_tol=1e-9)


def test_a_question_answered_by_fewer_than_the_threshold_is_hidden(
    db: Any, make_round: Any, make_organisation: Any, make_invitation: Any
) -> None:
    survey_round = make_round(suppression_threshold=5, comment_threshold=10)
    small, enough = make_organisation(code="01S"), make_organisation(code="02E")
    _ask(db, survey_round, small, "local_1", "Is the new hub working?")
    _ask(db, survey_round, enough, "local_1", "Is the new clinic working?")
    for index in range(6):
        # six respond about the small organisation, but only four answer its question
        answers: dict[str, dict] = {"overall_relationship": {"score": 4}}
        if index < 4:
            answers["local_1"] = {"score": 5}
        respond(db, make_invitation, survey_round, small, answers)
    for _ in range(5):  # exactly the threshold
        respond(db, make_invitation, survey_round, enough, {"local_1": {"score": 2}})
    make_invitation(survey_round=survey_round, organisation=enough)  # one silent: not a census

    results = local_results(survey_round)

    [hidden] = results["01S"]
    assert hidden.suppressed and not hidden.shown
    assert [
        hidden.n,
        hidden.positive,
        hidden.positive_low,
        hidden.positive_high,
        hidden.negative,
        hidden.dont_know,
        hidden.mean,
    ] == [None] * 7
    [shown] = results["02E"]
    assert not shown.suppressed and shown.n == 5
    assert (shown.positive, shown.negative, shown.mean) == (0.0, 1.0, 2.0)
    # nobody positive: the interval touches 0 exactly, its top is Wilson's
    assert shown.positive_low == 0.0
    assert math.isclose(shown.positive_high, _wilson_fpc(0, 5, invited=6)[1], rel_tol=1e-9)


def test_the_same_item_id_of_two_organisations_keeps_their_answers_apart(
    db: Any, make_round: Any, make_organisation: Any, make_invitation: Any
) -> None:
    survey_round = make_round(suppression_threshold=3, comment_threshold=3)
    alpha, beta = make_organisation(code="01A"), make_organisation(code="02B")
    gamma = make_organisation(code="03C")  # asks no local question
    _ask(db, survey_round, alpha, "local_1", "Alpha's question")
    _ask(db, survey_round, beta, "local_1", "Beta's question")
    for _ in range(3):
        respond(db, make_invitation, survey_round, alpha, {"local_1": {"score": 5}})
        respond(db, make_invitation, survey_round, beta, {"local_1": {"score": 1}})
        respond(db, make_invitation, survey_round, beta, {"local_1": {"score": 2}})
    # answers stored under the same id about an organisation that asked nothing count nowhere
    for _ in range(4):
        respond(db, make_invitation, survey_round, gamma, {"local_1": {"score": 1}})

    results = local_results(survey_round)

    assert sorted(results) == ["01A", "02B"]
    [a] = results["01A"]
    [b] = results["02B"]
    assert (a.text, a.n, a.positive, a.mean) == ("Alpha's question", 3, 1.0, 5.0)
    assert (b.text, b.n, b.positive, b.negative) == ("Beta's question", 6, 0.0, 1.0)
    assert math.isclose(b.mean, 1.5)


def test_revoked_invitations_are_not_part_of_the_population(
    db: Any, make_round: Any, make_organisation: Any, make_invitation: Any
) -> None:
    survey_round = make_round(suppression_threshold=3, comment_threshold=3)
    alpha = make_organisation(code="01A")
    _ask(db, survey_round, alpha, "local_1", "Alpha's question")
    for score in (5, 4, 2):
        respond(db, make_invitation, survey_round, alpha, {"local_1": {"score": score}})
    withdrawn = make_invitation(survey_round=survey_round, organisation=alpha)
    revoke(COMMAND_LINE, db.session.get(Invitation, withdrawn.invitation.id))
    db.session.commit()

    [result] = local_results(survey_round)["01A"]

    # Everyone still invited answered: a census, so the estimate has no sampling error.
    assert math.isclose(result.positive, 2 / 3)
    assert result.positive_low == result.positive == result.positive_high

    extra = make_invitation(survey_round=survey_round, organisation=alpha)  # one more, silent
    assert extra.invitation.id
    [wider] = local_results(survey_round)["01A"]
    low, high = _wilson_fpc(2, 3, invited=4)
    assert math.isclose(wider.positive_low, low, rel_tol=1e-9)
    assert math.isclose(wider.positive_high, high, rel_tol=1e-9)


def test_purging_identities_keeps_every_local_result(
    db: Any, make_round: Any, make_organisation: Any, make_invitation: Any
) -> None:
    today = date.today()
    survey_round = make_round(
        suppression_threshold=3,
        comment_threshold=3,
        opens_on=today - timedelta(days=30),
        closes_on=today - timedelta(days=1),
    )
    alpha = make_organisation(code="01A")
    _ask(db, survey_round, alpha, "local_1", "Alpha's question")
    for score in (5, 4, 3, 1):
        respond(db, make_invitation, survey_round, alpha, {"local_1": {"score": score}})
    for group in ("gp_practice", "vcse", "vcse"):
        make_invitation(survey_round=survey_round, organisation=alpha, group=group)
    survey_round.close()
    db.session.commit()
    before = local_results(survey_round)

    purge_identities(COMMAND_LINE, survey_round, purge_date(survey_round))
    db.session.commit()

    assert local_results(survey_round) == before
    [result] = before["01A"]
    assert math.isclose(result.positive_low, _wilson_fpc(2, 4, invited=7)[0], rel_tol=1e-9)


def test_a_round_without_local_questions_has_no_local_results(
    db: Any, make_round: Any, make_organisation: Any, make_invitation: Any
) -> None:
    survey_round = make_round(suppression_threshold=3, comment_threshold=3)
    alpha = make_organisation(code="01A")
    for _ in range(3):
        respond(db, make_invitation, survey_round, alpha, {"local_1": {"score": 4}})
    assert local_results(survey_round) == {}
