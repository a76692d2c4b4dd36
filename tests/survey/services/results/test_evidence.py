"""One organisation's results as plain data, read from a round analysed from stored answers.

Covers :mod:`survey.services.results.evidence`: the :class:`Result` rows of one organisation
and group against a hand count (base, % positive and negative, don't know, mean, a textbook
Wilson interval with the finite population correction, the benchmark of the other
organisations, last year's figure), suppressed rows that carry no number, the slicing of the
table by organisation, participation, the provenance a report states, and the wording of
numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pytest
from scipy.stats import norm

from analysis import ALL_STAKEHOLDERS, RoundTable
from survey.models import Invitation, Organisation, SurveyRound
from survey.services.results.arrays import analyse
from survey.services.results.evidence import (
    METHODS_NOTE,
    RoundInfo,
    ci,
    diff_ci,
    fieldwork_open,
    group_names,
    groups_in,
    hidden_text,
    organisation_table,
    participation,
    pct,
    points,
    results,
    results_by_group,
    split_by_organisation,
    unit_labels,
)
from survey.services.rounds import questionnaire_for
from tests.survey.answering import save_answers
from tests.survey.stored import submit_released

Z = float(norm.ppf(0.975))
ITEM = "overall_relationship"
RELATIONSHIP = "Overall, how would you rate your working relationship with the commissioner?"


def _respond(
    db: Any, make_invitation: Any, survey_round: Any, organisation: Any, group: str, value: dict
) -> None:
    issued = make_invitation(survey_round=survey_round, organisation=organisation, group=group)
    invitation = db.session.get(Invitation, issued.invitation.id)
    save_answers(invitation, {ITEM: value}, resume_section=1)
    submit_released(invitation, [ITEM])
    db.session.commit()


def _wilson_fpc(positives: int, n: int, invited: int) -> tuple[float, float]:
    """Wilson (1927) score interval on n_eff = n (N - 1) / (N - n) (Cochran 1977, ch. 3)."""
    p = positives / n
    m = n * (invited - 1) / (invited - n)
    centre = (p + Z * Z / (2 * m)) / (1 + Z * Z / m)
    half = Z / (1 + Z * Z / m) * math.sqrt(p * (1 - p) / m + Z * Z / (4 * m * m))
    return centre - half, centre + half


@dataclass
class Round:
    survey_round: SurveyRound
    table: RoundTable
    alpha: Organisation
    beta: Organisation


#: the scores each organisation's GP practices gave (None: don't know)
ALPHA_GP = (5, 5, 4, 2, 1, None)
BETA_GP = (4, 4, 4, 4, 2)
GAMMA_GP = (5, 5, 5, 4, 1)
BETA_LAST_YEAR = (5, 2, 2, 2, 1)


@pytest.fixture
def answered(db: Any, make_round: Any, make_organisation: Any, make_invitation: Any) -> Round:
    last_year = make_round(year=2039, suppression_threshold=5, comment_threshold=10)
    survey_round = make_round(
        year=2040,
        suppression_threshold=5,
        comment_threshold=10,
        opens_on=date(2040, 3, 1),
        closes_on=date(2040, 3, 31),
    )
    alpha = make_organisation(code="01A", region="Midlands")
    beta = make_organisation(code="02B", region="Midlands")
    gamma = make_organisation(code="03C", region="London")
    for score in ALPHA_GP:
        value = {"dont_know": True} if score is None else {"score": score}
        _respond(db, make_invitation, survey_round, alpha, "gp_practice", value)
    # one local authority: fewer than 5, hidden, and so the GP practices too (else the one
    # answer is "all stakeholders" minus "GP practices")
    _respond(db, make_invitation, survey_round, alpha, "local_authority", {"score": 3})
    for _ in range(2):  # invited, silent
        make_invitation(survey_round=survey_round, organisation=alpha, group="gp_practice")
    for score in BETA_GP:
        _respond(db, make_invitation, survey_round, beta, "gp_practice", {"score": score})
    for score in GAMMA_GP:
        _respond(db, make_invitation, survey_round, gamma, "gp_practice", {"score": score})
    for score in BETA_LAST_YEAR:
        _respond(db, make_invitation, last_year, beta, "gp_practice", {"score": score})
    make_invitation(survey_round=last_year, organisation=beta)  # last year, one was silent
    return Round(survey_round, analyse(survey_round), alpha, beta)


def test_an_organisations_results_are_a_hand_count_of_its_answers(answered: Round) -> None:
    questionnaire = questionnaire_for(answered.survey_round)

    rows = results(answered.table, "01A", questionnaire)

    assert [r.level for r in rows[:7]] == ["domain"] * 7  # the overall section, six domains
    assert {r.level for r in rows[7:]} == {"item"}
    assert (rows[0].unit, rows[0].label) == ("overall", "Overall relationship")
    [item] = [r for r in rows if r.unit == ITEM]
    assert (item.label, item.domain, item.suppressed) == (RELATIONSHIP, "overall", False)
    scores = [s for s in (*ALPHA_GP, 3) if s is not None]  # GP practices and the council
    positives = sum(s >= 4 for s in scores)
    assert item.n == len(scores) == 6 and item.shown
    assert math.isclose(item.positive, positives / 6)
    assert math.isclose(item.negative, sum(s <= 2 for s in scores) / 6)
    assert math.isclose(item.dont_know, 1 / 7)  # don't know is of everyone asked
    assert math.isclose(item.mean, sum(scores) / 6)
    # seven responded of nine invited
    assert (item.n_invited, item.response_rate) == (9, pytest.approx(7 / 9))
    low, high = _wilson_fpc(positives, 6, invited=9)
    assert item.positive_low == pytest.approx(low) and item.positive_high == pytest.approx(high)
    # the benchmark: the other organisations of the kind, pooled
    others = [*BETA_GP, *GAMMA_GP]
    bench = sum(s >= 4 for s in others) / len(others)
    assert item.bench_positive == pytest.approx(bench)
    assert item.bench_diff == pytest.approx(positives / 6 - bench)
    assert item.bench_diff_low < item.bench_diff < item.bench_diff_high
    assert item.prev_positive is None  # alpha was not asked about last year


def test_last_years_figure_is_a_hand_count_of_last_years_answers(answered: Round) -> None:
    questionnaire = questionnaire_for(answered.survey_round)
    [item] = [r for r in results(answered.table, "02B", questionnaire) if r.unit == ITEM]
    now = sum(s >= 4 for s in BETA_GP) / len(BETA_GP)
    before = sum(s >= 4 for s in BETA_LAST_YEAR) / len(BETA_LAST_YEAR)
    assert item.positive == pytest.approx(now)
    assert item.prev_positive == pytest.approx(before)
    assert item.prev_diff == pytest.approx(now - before)
    assert item.prev_diff_low < item.prev_diff < item.prev_diff_high
    # everyone invited answered this year: a census, no sampling error
    assert item.positive_low == item.positive == item.positive_high


def test_a_hidden_group_has_no_number_at_all(answered: Round) -> None:
    questionnaire = questionnaire_for(answered.survey_round)
    by_group = results_by_group(answered.table, "01A", questionnaire)

    assert list(by_group) == groups_in(organisation_table(answered.table, "01A"))
    assert list(by_group)[0] == ALL_STAKEHOLDERS
    assert by_group[ALL_STAKEHOLDERS] == results(answered.table, "01A", questionnaire)
    numbers = (
        "n",
        "positive",
        "positive_low",
        "positive_high",
        "negative",
        "dont_know",
        "mean",
        "bench_positive",
        "bench_diff",
        "prev_positive",
        "n_invited",
        "response_rate",
    )
    # one local authority (under 5) and the GP practices that would give it away by subtraction
    council, practices = by_group["local_authority"], by_group["gp_practice"]
    assert council and all(r.suppressed for r in council)  # a small group: every unit
    hidden = [r for r in practices if r.suppressed]
    assert {r.unit for r in hidden} == {"overall", ITEM}  # the units they answered
    for row in council + hidden:
        assert not row.shown and [getattr(row, name) for name in numbers] == [None] * 12
        assert not (row.bench_significant or row.prev_significant)
    # the practices' other units had no answers: nothing to estimate either
    assert all(r.positive is None and r.n in (0, None) for r in practices)
    # a group nobody from was invited is not hidden: it has nothing to hide
    assert not any(r.suppressed for r in by_group["healthwatch"])
    assert all(r.n == 0 and r.positive is None for r in by_group["healthwatch"])


def test_participation_counts_everyone_invited_and_every_response(answered: Round) -> None:
    questionnaire = questionnaire_for(answered.survey_round)
    alpha = participation(results(answered.table, "01A", questionnaire))
    assert (alpha.invited, alpha.responses) == (9, 7)
    assert alpha.response_rate == pytest.approx(7 / 9)
    beta = participation(results(answered.table, "02B", questionnaire))
    assert (beta.invited, beta.responses, beta.response_rate) == (5, 5, 1.0)
    hidden = participation(results(answered.table, "01A", questionnaire, group="gp_practice"))
    assert (hidden.responses, hidden.response_rate) == (None, None)  # it would give them away


def test_the_table_is_sliced_by_organisation_even_out_of_order(answered: Round) -> None:
    table = answered.table
    alpha = organisation_table(table, "01A")
    assert set(alpha.organisation.tolist()) == {"01A"} and len(alpha) == len(table) // 3
    with pytest.raises(KeyError, match="'09Z'"):
        organisation_table(table, "09Z")

    pieces = dict(split_by_organisation(table))
    assert list(pieces) == ["01A", "02B", "03C"]
    assert sum(len(rows) for rows in pieces.values()) == len(table)
    # rows interleaved (not in organisation order): each organisation still once, whole
    order = np.argsort(np.arange(len(table)) % 7, kind="stable")
    shuffled = RoundTable(**{name: getattr(table, name)[order] for name in table.columns()})
    again = dict(split_by_organisation(shuffled))
    assert sorted(again) == ["01A", "02B", "03C"]
    for code, rows in again.items():
        assert set(rows.organisation.tolist()) == {code}
        assert sorted(rows.unit.tolist()) == sorted(pieces[code].unit.tolist())


def test_the_provenance_a_report_states(answered: Round) -> None:
    survey_round = answered.survey_round
    info = RoundInfo.of(survey_round, 2039)

    lines = dict(info.provenance())

    assert lines["Round"] == f"{survey_round.title} (round {survey_round.id}, 2040)"
    assert lines["Questionnaire"] == f"ccg-360 version {survey_round.questionnaire_version}"
    assert lines["Fieldwork"] == "01 March 2040 to 31 March 2040"
    assert lines["Methods"] == METHODS_NOTE
    assert lines["Suppression threshold"] == (
        "results based on fewer than 5 responses are not shown"
    )
    assert lines["Data as of"]
    assert (info.previous_year, info.last_year) == (2039, "2039")
    assert RoundInfo.of(info) is info
    undated = RoundInfo(None, 2040, "A round", "ccg-360", 1, None, None)
    assert dict(undated.provenance())["Round"] == "A round (2040)"
    assert (undated.fieldwork, undated.last_year) == ("not recorded", "last year")


def test_labels_and_the_wording_of_numbers(answered: Round) -> None:
    questionnaire = questionnaire_for(answered.survey_round)
    labels = unit_labels(questionnaire)
    assert labels["overall"] == "Overall relationship"
    assert labels["clinical_quality"] == "Domain 1: Clinically led, high-quality services"
    assert labels[ITEM] == RELATIONSHIP
    names = group_names(questionnaire)
    assert names["gp_practice"] == "GP member practices"
    assert names[ALL_STAKEHOLDERS] == ALL_STAKEHOLDERS
    # a family's rows are keyed by its id, like a group's
    assert names["nhs_partners"] == "NHS partners and regulators"

    assert (pct(0.456), pct(1.0), pct(None)) == ("46%", "100%", "")
    assert (ci(0.312, 0.789), ci(None, 0.5)) == ("31-79%", "")
    assert (points(0.052), points(-0.03), points(0.004), points(None)) == (
        "+5 pts",
        "-3 pts",
        "0 pts",
        "",
    )
    assert (diff_ci(-0.125, 0.05), diff_ci(0.1, None)) == ("-12 to +5", "")
    assert hidden_text(answered.survey_round.suppression_threshold) == "fewer than 5 responses"


@pytest.mark.parametrize(
    ("status", "closes_on", "provisional"),
    [
        ("open", date(2040, 3, 31), True),
        ("open", date(2040, 3, 1), True),  # past its date, not yet closed: answers still come
        ("draft", date(2040, 3, 31), True),
        ("draft", date(2040, 3, 1), False),
        ("closed", date(2040, 3, 31), False),  # closed early: the results are final
        ("closed", date(2040, 3, 1), False),
    ],
)
def test_results_are_provisional_while_fieldwork_is_open(
    status: str, closes_on: date, provisional: bool
) -> None:
    @dataclass
    class Round:
        status: str
        closes_on: date

    assert fieldwork_open(Round(status, closes_on), today=date(2040, 3, 15)) is provisional
