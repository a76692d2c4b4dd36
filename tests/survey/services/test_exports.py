"""Exports as a service: the anonymous microdata (one row per response, the answers as stored,
no identity, formulas neutralised) and the aggregated results (CSV and XLSX: the numbers the
answers give, small groups suppressed, local questions beside them; the XLSX with each
domain's alpha), each audited."""

from __future__ import annotations

import io
import re
import statistics
from datetime import date
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from survey.mail.worker import run_fieldwork
from survey.models import AuditEvent, OrganisationKind
from survey.services.audit import COMMAND_LINE, Actor
from survey.services.errors import InputError
from survey.services.exports import responses_export, results_export
from survey.services.rounds import questionnaire_for
from tests.survey.answering import save_answers, submit_response
from tests.survey.microdata_file import read_microdata
from tests.survey.stored import publish, respond

HEADLINE = "overall_relationship"


@pytest.fixture
def answer(db: Any, make_invitation: Any) -> Any:
    """Submit one response with ``answers`` (item id -> stored value) through the services."""

    def submit(survey_round: Any, organisation: Any, group: str, answers: dict) -> Any:
        return respond(db, make_invitation, survey_round, organisation, answers, group)

    return submit


def _rows(data: bytes) -> list[dict[str, str]]:
    return read_microdata(data).rows


def _exports(db: Any) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.action.like("export.%")).order_by(AuditEvent.id)
    return list(db.session.scalars(query))


def _local_question(
    db: Any, make_local_question: Any, survey_round: Any, organisation: Any
) -> None:
    make_local_question(survey_round, organisation)
    publish(survey_round)  # a question added after the answers shows at the next release
    db.session.commit()


def test_microdata_have_one_row_per_response_with_the_answers_as_stored(
    db, make_round, make_organisation, answer, make_local_question
) -> None:
    survey_round = make_round(suppression_threshold=3, comment_threshold=3)
    alpha = make_organisation(code="EXA")
    beta = make_organisation(code="EXB", kind=OrganisationKind.DIRECT)
    _local_question(db, make_local_question, survey_round, beta)
    answer(
        survey_round,
        alpha,
        "gp_practice",
        {
            HEADLINE: {"score": 5},
            "overall_involved_enough": {"dont_know": True},
            "comment_does_well": {"text": "Listens well, mostly."},
        },
    )
    answer(survey_round, alpha, "gp_practice", {HEADLINE: {"score": 2}})
    answer(survey_round, alpha, "gp_practice", {HEADLINE: {"score": 4}})
    for local in (3, 4, 5):
        answer(
            survey_round,
            beta,
            "healthwatch",
            {"overall_know_contact": {"score": 4}, "local_1": {"score": local}},
        )
    items = [item.id for item in questionnaire_for(survey_round).items]

    data = responses_export(COMMAND_LINE, survey_round)

    assert data.startswith(b"\xef\xbb\xbf")  # Excel opens it as UTF-8
    assert read_microdata(data).header == [
        "response",
        "year",
        "organisation",
        "kind",
        "stakeholder_group",
        "group_level",
        *items,
        "local_1",
    ]
    rows = _rows(data)
    assert sorted(row["response"] for row in rows) == ["1", "2", "3", "4", "5", "6"]
    assert {row["year"] for row in rows} == {str(survey_round.year)}
    columns = (
        "organisation",
        "kind",
        "stakeholder_group",
        "group_level",
        HEADLINE,
        "overall_involved_enough",
        "overall_know_contact",
        "comment_does_well",
        "local_1",
    )
    assert sorted(tuple(row[c] for c in columns) for row in rows) == [
        ("EXA", "ccg", "gp_practice", "group", "2", "", "", "", ""),
        ("EXA", "ccg", "gp_practice", "group", "4", "", "", "", ""),
        ("EXA", "ccg", "gp_practice", "group", "5", "DK", "", "Listens well, mostly.", ""),
        ("EXB", "direct", "healthwatch", "group", "", "", "4", "", "3"),
        ("EXB", "direct", "healthwatch", "group", "", "", "4", "", "4"),
        ("EXB", "direct", "healthwatch", "group", "", "", "4", "", "5"),
    ]
    # every other item (not answered, or not shown) is blank
    answered = sorted(sorted(c for c in [*items, "local_1"] if row[c]) for row in rows)
    assert answered == [
        ["comment_does_well", "overall_involved_enough", HEADLINE],
        ["local_1", "overall_know_contact"],
        ["local_1", "overall_know_contact"],
        ["local_1", "overall_know_contact"],
        [HEADLINE],
        [HEADLINE],
    ]
    notes = read_microdata(data).notes
    assert re.fullmatch(r"Results as of .+, 6 responses \(provisional: .+\)", notes.pop("Release"))
    assert notes == {
        "Assure360 anonymous responses": f"round {survey_round.id} ({survey_round.year})",
        "Suppression threshold": "3",
        "Comment threshold": "3",
        "Coarsened to reporting family": "0",
        "Coarsened to all groups": "0",
        "Left out": "0",
        "Comments withheld": "0",
        "Routed answers withheld": "0",
    }


def test_microdata_carry_nobody_s_identity(db, make_round, make_organisation, answer) -> None:
    survey_round = make_round(suppression_threshold=3, comment_threshold=3)
    organisation = make_organisation()
    issued = [
        answer(survey_round, organisation, "gp_practice", {HEADLINE: {"score": 4}})
        for _ in range(3)
    ]

    data = responses_export(COMMAND_LINE, survey_round)

    assert len(_rows(data)) == 3
    assert not {"email", "name", "employer", "invitation", "token", "id"} & set(
        read_microdata(data).header
    )
    text = data.decode("utf-8-sig")
    for one in issued:
        stakeholder = one.invitation.stakeholder
        for secret in (
            stakeholder.email,
            stakeholder.name,
            stakeholder.employer,
            one.link.rsplit("/", 1)[1],
        ):
            assert secret not in text, secret


def test_text_a_spreadsheet_would_run_as_a_formula_is_neutralised(
    db, make_round, make_organisation, answer
) -> None:
    survey_round = make_round(suppression_threshold=3, comment_threshold=3)
    organisation = make_organisation()
    formula = '=HYPERLINK("http://evil.example","click")'
    for text in (formula, "@SUM(A1)", "Fine."):
        answer(survey_round, organisation, "gp_practice", {"comment_does_well": {"text": text}})

    rows = _rows(responses_export(COMMAND_LINE, survey_round))

    assert sorted(row["comment_does_well"] for row in rows) == [
        '\'=HYPERLINK("http://evil.example","click")',
        "'@SUM(A1)",
        "Fine.",
    ]


def test_an_organisation_code_that_looks_like_a_formula_is_neutralised_too(
    db, make_round, make_organisation, answer
) -> None:
    """Organisation codes come from an uploaded list; the results CSV neutralises them, so must
    the microdata."""
    survey_round = make_round(suppression_threshold=3, comment_threshold=3)
    organisation = make_organisation(code="=1+2")
    for _ in range(3):
        answer(survey_round, organisation, "gp_practice", {HEADLINE: {"score": 4}})

    rows = _rows(responses_export(COMMAND_LINE, survey_round))

    assert [row["organisation"] for row in rows] == ["'=1+2"] * 3


def test_the_microdata_export_is_audited(db, make_round, make_user) -> None:
    survey_round = make_round()
    manager = make_user(role="manager")
    publish(survey_round)

    data = responses_export(Actor.web(manager), survey_round)

    assert _rows(data) == []  # no responses yet: the notes and the header only
    [entry] = _exports(db)
    assert (entry.action, entry.target, entry.user_id) == (
        "export.responses",
        f"round:{survey_round.id}",
        manager.id,
    )
    assert entry.detail == {
        "responses": 0,
        "rows": 0,
        "to_family": 0,
        "to_combined": 0,
        "left_out": 0,
        "comments_withheld": 0,
        "answers_withheld": 0,
    }


def test_the_microdata_wait_for_a_release_and_change_only_at_the_next(
    db, make_round, make_organisation, make_invitation, answer
) -> None:
    """Between releases two downloads are the same, so they cannot be differenced to read off
    the answers of whoever submitted in between."""
    survey_round = make_round(suppression_threshold=3, comment_threshold=3)
    organisation = make_organisation()
    with pytest.raises(InputError, match="has no results released yet"):
        responses_export(COMMAND_LINE, survey_round)
    for score in (2, 4, 5):
        answer(survey_round, organisation, "gp_practice", {HEADLINE: {"score": score}})
    before = responses_export(COMMAND_LINE, survey_round)
    for _ in range(3):  # three more submit: sealed, pending, not in the next download
        issued = make_invitation(survey_round=survey_round, organisation=organisation)
        save_answers(issued.invitation, {HEADLINE: {"score": 1}}, resume_section=1)
        submit_response(issued.invitation, [HEADLINE])
        db.session.commit()
    run_fieldwork("test-worker", date.today())

    assert responses_export(COMMAND_LINE, survey_round) == before
    publish(survey_round)
    after = _rows(responses_export(COMMAND_LINE, survey_round))
    assert sorted(row[HEADLINE] for row in after) == ["1", "1", "1", "2", "4", "5"]


def _results(survey_round: Any, make_organisation: Any, answer: Any) -> dict[str, Any]:
    """Alpha: six GP practices (5, 5, 4, 2, 1, don't know) and one local authority (3);
    Beta: two GP practices (4, 4), below the round's threshold of 5."""
    alpha = make_organisation(code="RXA", name="NHS Alpha ICB")
    beta = make_organisation(code="RXB", name="NHS Beta ICB")
    # the local question: 4, 4, 4, 4, 2, 2 (four of six positive)
    for score, local in zip((5, 5, 4, 2, 1, None), (4, 4, 4, 4, 2, 2), strict=True):
        value = {"score": score} if score else {"dont_know": True}
        answer(survey_round, alpha, "gp_practice", {HEADLINE: value, "local_1": {"score": local}})
    answer(survey_round, alpha, "local_authority", {HEADLINE: {"score": 3}})
    for _ in range(2):
        answer(survey_round, beta, "gp_practice", {HEADLINE: {"score": 4}, "local_1": {"score": 5}})
    return {"alpha": alpha, "beta": beta}


def _row(rows: list[dict[str, str]], code: str, group: str, unit: str = HEADLINE) -> dict:
    [row] = [r for r in rows if (r["organisation"], r["group"], r["unit"]) == (code, group, unit)]
    return row


def test_results_carry_the_numbers_the_answers_give_and_hide_small_groups(
    db, make_round, make_organisation, answer, make_local_question
) -> None:
    survey_round = make_round(suppression_threshold=5, comment_threshold=5)
    orgs = _results(survey_round, make_organisation, answer)
    for organisation in orgs.values():
        _local_question(db, make_local_question, survey_round, organisation)

    data = results_export(COMMAND_LINE, survey_round, "csv")
    rows = _rows(data)

    alpha = _row(rows, "RXA", "All stakeholders")
    # 7 responses, 6 with a view: 5, 5, 4 positive; 2, 1 negative; 3 neither; one don't know
    assert (alpha["n"], alpha["n_invited"], alpha["suppressed"]) == ("6", "7", "no")
    assert float(alpha["positive"]) == pytest.approx(3 / 6, abs=1e-6)
    assert float(alpha["negative"]) == pytest.approx(2 / 6, abs=1e-6)
    assert float(alpha["dont_know"]) == pytest.approx(1 / 7, abs=1e-6)
    assert float(alpha["mean"]) == pytest.approx((5 + 5 + 4 + 2 + 1 + 3) / 6, abs=1e-5)
    # one local authority respondent: never shown on its own
    lone = _row(rows, "RXA", "local_authority")
    assert lone["suppressed"] == "yes" and lone["n"] == lone["positive"] == lone["mean"] == ""
    # Beta has two responses in all: nothing of it is shown
    for group in ("All stakeholders", "gp_practice"):
        hidden = _row(rows, "RXB", group)
        assert hidden["suppressed"] == "yes"
        assert [hidden[c] for c in ("n", "n_invited", "positive", "negative", "mean")] == [""] * 5
    # local questions follow the table: Alpha's asked of 6 (4 positive), Beta's of 2 (hidden)
    alpha_local = _row(rows, "RXA", "All stakeholders", "local_1")
    assert alpha_local["level"] == "local question" and alpha_local["n"] == "6"
    assert float(alpha_local["positive"]) == pytest.approx(4 / 6, abs=1e-6)
    beta_local = _row(rows, "RXB", "All stakeholders", "local_1")
    assert beta_local["suppressed"] == "yes" and beta_local["positive"] == ""
    text = data.decode("utf-8-sig")
    assert "# Suppression threshold,results based on fewer than 5 responses are not shown" in text
    assert "@example.org" not in text and "Test Person" not in text


def test_the_workbook_holds_the_same_numbers_and_suppression(
    db, make_round, make_organisation, answer, make_local_question
) -> None:
    survey_round = make_round(suppression_threshold=5, comment_threshold=5)
    _local_question(
        db,
        make_local_question,
        survey_round,
        _results(survey_round, make_organisation, answer)["alpha"],
    )
    workbook = load_workbook(io.BytesIO(results_export(COMMAND_LINE, survey_round, "xlsx")))
    assert workbook.sheetnames == ["About", "Results", "Local questions", "Reliability"]
    values = list(workbook["Results"].iter_rows(values_only=True))
    header, rows = values[0], [dict(zip(values[0], row, strict=True)) for row in values[1:]]
    assert "email" not in header
    [alpha] = [
        r
        for r in rows
        if (r["organisation"], r["group"], r["unit"]) == ("RXA", "All stakeholders", HEADLINE)
    ]
    assert alpha["n"] == 6 and alpha["positive"] == pytest.approx(3 / 6)
    [beta] = [
        r
        for r in rows
        if (r["organisation"], r["group"], r["unit"]) == ("RXB", "All stakeholders", HEADLINE)
    ]
    assert beta["suppressed"] == "yes" and beta["n"] is None and beta["positive"] is None
    local = list(workbook["Local questions"].iter_rows(values_only=True))
    assert local[1][:4] == ("RXA", "local_1", "Is the new hub working?", 6)
    [entry] = _exports(db)
    assert (entry.action, entry.detail) == ("export.results", {"format": "xlsx"})


OVERALL_ITEMS = [
    HEADLINE,
    "overall_involved_enough",
    "overall_know_contact",
    "overall_concerns_heard",
]
#: six GP practices of one organisation answering the four overall questions; two of another
ALPHA_ROWS = [(5, 4, 5, 4), (4, 4, 3, 4), (2, 1, 2, 3), (3, 3, 4, 3), (5, 5, 4, 5), (1, 2, 2, 1)]
BETA_ROWS = [(4, 4, 4, 5), (2, 3, 2, 2)]


def _cronbach_by_hand(rows: list[tuple[int, ...]]) -> float:
    """k/(k-1) x (1 - sum of the item variances / variance of the totals), with statistics."""
    k = len(rows[0])
    items = sum(statistics.variance(column) for column in zip(*rows, strict=True))
    return k / (k - 1) * (1 - items / statistics.variance([sum(row) for row in rows]))


def test_the_workbook_gives_every_organisations_alpha_and_the_whole_rounds(
    db, make_round, make_organisation, answer
) -> None:
    survey_round = make_round(suppression_threshold=5, comment_threshold=5)
    for code, rows in (("RXA", ALPHA_ROWS), ("RXB", BETA_ROWS)):
        organisation = make_organisation(code=code)
        for scores in rows:
            answers = {item: {"score": s} for item, s in zip(OVERALL_ITEMS, scores, strict=True)}
            answer(survey_round, organisation, "gp_practice", answers)
    workbook = load_workbook(io.BytesIO(results_export(COMMAND_LINE, survey_round, "xlsx")))
    header, *values = workbook["Reliability"].iter_rows(values_only=True)
    table = [dict(zip(header, row, strict=True)) for row in values]
    rows = {(row["scope"], row["domain"]): row for row in table}
    assert {scope for scope, _ in rows} == {"RXA", "RXB", "Whole round"}
    alpha, everyone = rows[("RXA", "overall")], rows[("Whole round", "overall")]
    assert (alpha["n"], alpha["n_items"], alpha["suppressed"]) == (6, 4, "no")
    assert alpha["alpha"] == pytest.approx(_cronbach_by_hand(ALPHA_ROWS), abs=1e-12)
    assert alpha["alpha_low"] < alpha["alpha"] < alpha["alpha_high"]
    assert everyone["n"] == 8
    assert everyone["alpha"] == pytest.approx(_cronbach_by_hand(ALPHA_ROWS + BETA_ROWS))
    beta = rows[("RXB", "overall")]  # two complete cases: nothing shown
    assert beta["suppressed"] == "yes"
    assert [beta[c] for c in ("n", "alpha", "alpha_low", "alpha_high")] == [None] * 4


def test_an_unknown_results_format_is_refused_and_not_audited(db, make_round) -> None:
    survey_round = make_round()
    with pytest.raises(InputError, match="results export as csv or xlsx, not 'pdf'"):
        results_export(COMMAND_LINE, survey_round, "pdf")
    assert _exports(db) == []
