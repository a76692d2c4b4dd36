"""Families of stakeholder groups in an organisation's results, recomputed from the answers.

Covers :mod:`survey.services.results.families` and every output that shows families: the
dashboard (rates and heatmap rows), the CSV and XLSX results and the PDF report.  The expected
figures are worked out here from the stored answers and the questionnaire (its routing and
positive answers) with the Wilson score interval with finite population correction written
out (docs/methods.md section 2), never by calling the engine.

The round: Alpha has 5 GP practices (all "tend to agree"), 3 NHS providers and 3 regulators:
each of those two groups is below the threshold of 5, but their family "NHS partners and
regulators" (6 respondents) publishes.  5 providers and 4 regulators were invited.
"""

from __future__ import annotations

import csv
import io
import math
from typing import Any

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from questionnaires import load
from survey.services.audit import COMMAND_LINE
from survey.services.results.arrays import analyse
from survey.services.results.dashboard import organisation_dashboard
from survey.services.results.evidence import pct
from survey.services.results.families import FAMILY_PREFIX, families_of, family_results
from survey.services.results.files import organisation_file
from survey.services.rounds import questionnaire_for
from tests.survey.reports.conftest import seed_responses

Z = 1.959964  # the normal 97.5% quantile
FAMILY = "nhs_partners"
FAMILY_GROUPS = ("nhs_provider", "regulator")
INVITED = {"gp_practice": 6, "nhs_provider": 5, "regulator": 4}
#: each respondent's answer to every scale item they are asked, by item position (odd items
#: flip the providers' answers so that items differ); "dk" is don't know
ANSWERS = {
    "gp_practice": [lambda index: 4] * 5,
    "nhs_provider": [
        lambda index: 5 if index % 2 else 2,
        lambda index: 4,
        lambda index: 2 if index % 2 else 5,
    ],
    "regulator": [lambda index: 4, lambda index: 1, lambda index: "dk"],
}


def _wilson_fpc(x: int, n: int, big_n: int) -> tuple[float, float]:
    """Wilson score interval with n replaced by n(N-1)/(N-n) (docs/methods.md, section 2)."""
    p = x / n
    n_eff = n * (big_n - 1) / (big_n - n)
    centre = (p + Z * Z / (2 * n_eff)) / (1 + Z * Z / n_eff)
    half = Z / (1 + Z * Z / n_eff) * math.sqrt(p * (1 - p) / n_eff + Z * Z / (4 * n_eff**2))
    return centre - half, centre + half


@pytest.fixture
def alpha(db: Any, make_round: Any, make_organisation: Any, make_invitation: Any) -> Any:
    survey_round = make_round(suppression_threshold=5)
    org = make_organisation(code="01A", name="NHS Alpha ICB")
    for group, invited in INVITED.items():
        for _ in range(invited):
            make_invitation(survey_round=survey_round, organisation=org, group=group)
    positions = {item.id: i for i, item in enumerate(questionnaire_for(survey_round).items)}
    for group, answers in ANSWERS.items():
        seed_responses(
            db,
            survey_round,
            org,
            group,
            len(answers),
            lambda item, i, answers=answers: answers[i](positions[item.id]),
        )
    return survey_round, org


def _expected_items(survey_round: Any) -> dict[str, dict[str, Any]]:
    """The family's n, N, % positive and interval per scale item, from the raw answers."""
    questionnaire = questionnaire_for(survey_round)
    out = {}
    for index, item in enumerate(questionnaire.items):
        if item.kind != "scale":
            continue
        asked = [g for g in FAMILY_GROUPS if item.shown_to(g)]
        values = [answer(index) for g in asked for answer in ANSWERS[g]]
        scores = [v for v in values if v != "dk"]
        positive = sum(v in questionnaire.scale_for(item).positive_scores for v in scores)
        out[item.id] = {
            "n": len(scores),
            "N": sum(INVITED[g] for g in asked),
            "positive": positive / len(scores) if scores else None,
            "x": positive,
        }
    return out


def _expected_domains(survey_round: Any) -> dict[str, tuple[int, float]]:
    """Per domain: respondents with a domain score (answered at least half the domain's
    items they were asked) and the mean of their shares of positive answers."""
    questionnaire = questionnaire_for(survey_round)
    shares: dict[str, list[float]] = {}
    for group in FAMILY_GROUPS:
        for answer in ANSWERS[group]:
            by_domain: dict[str, list[Any]] = {}
            for index, item in enumerate(questionnaire.items):
                if item.kind == "scale" and item.shown_to(group):
                    by_domain.setdefault(item.domain or "overall", []).append(
                        (answer(index), questionnaire.scale_for(item).positive_scores)
                    )
            for domain, asked in by_domain.items():
                scored = [(v, pos) for v, pos in asked if v != "dk"]
                if scored and 2 * len(scored) >= len(asked):
                    share = sum(v in pos for v, pos in scored) / len(scored)
                    shares.setdefault(domain, []).append(share)
    return {d: (len(s), sum(s) / len(s)) for d, s in shares.items()}


def test_families_are_named_with_their_groups() -> None:
    families = {f.id: f for f in families_of(load("ccg-360"))}
    partners = families[FAMILY]
    assert partners.label == f"{FAMILY_PREFIX}NHS partners and regulators"
    assert partners.members == "NHS providers, Other commissioners, NHS England, Regulators"
    assert list(families) == ["gp_members", "nhs_partners", "local_government", "patients_public"]
    # its rate is read where every one of its groups is asked: not on a providers-only item
    assert {"overall", "overall_relationship", "partnership"} <= partners.whole_units
    assert "part_cross_boundary" not in partners.whole_units
    assert "eng_responds_healthwatch" not in families["patients_public"].whole_units


def test_the_dashboard_shows_the_family_that_publishes_beside_its_hidden_groups(
    alpha: Any,
) -> None:
    survey_round, org = alpha
    board = organisation_dashboard(org, survey_round)
    rates = {rate.family.id: rate for rate in board.families.rates}
    # 6 of the 9 providers and regulators invited responded; their groups' rates are hidden
    partners = rates[FAMILY]
    assert (partners.invited, partners.responses, partners.suppressed) == (9, 6, False)
    assert math.isclose(partners.rate, 6 / 9)
    assert {r.name for r in board.group_rates if r.suppressed} == {"NHS providers", "Regulators"}
    assert rates["gp_members"].responses == 5 and not rates["gp_members"].suppressed
    # families nobody was invited from are not listed
    assert set(rates) == {"gp_members", FAMILY}

    heatmap = {family.id: rows for family, rows in board.families.heatmap}
    assert set(heatmap) == {"gp_members", FAMILY}
    expected = _expected_domains(survey_round)
    for row in heatmap[FAMILY]:
        n, positive = expected[row["unit"]]
        assert not row["suppressed"] and row["n"] == n, row["unit"]
        assert math.isclose(row["positive"], positive), row["unit"]
    assert FAMILY_PREFIX + "NHS partners and regulators" in board.heatmap_svg


def test_family_results_read_only_the_family_rows(alpha: Any) -> None:
    survey_round, org = alpha
    rows = analyse(survey_round).filter(organisation=org.code)
    found = family_results(rows, questionnaire_for(survey_round))
    assert [f.id for f in found.families][:2] == ["gp_members", FAMILY]
    assert all(r["is_family"] for _, domain_rows in found.heatmap for r in domain_rows)


def test_the_csv_and_xlsx_carry_the_family_rows_as_recomputed(alpha: Any) -> None:
    survey_round, org = alpha
    expected = _expected_items(survey_round)
    data = organisation_file(COMMAND_LINE, org, survey_round, "results.csv").data
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    family = {r["unit"]: r for r in rows if r["group"] == FAMILY}
    assert family and all(r["is_family"] == "yes" for r in family.values())
    assert all(r["is_family"] == "no" for r in rows if r["group"] in FAMILY_GROUPS)
    checked = 0
    for item, want in expected.items():
        row = family[item]
        if want["n"] == 0:
            assert row["n"] == "0" and row["positive"] == ""
        elif want["n"] < 5:
            assert row["suppressed"] == "yes" and row["n"] == row["positive"] == "", item
        else:
            low, high = _wilson_fpc(want["x"], want["n"], want["N"])
            assert row["suppressed"] == "no", item
            assert int(row["n"]) == want["n"] and int(row["n_invited"]) == want["N"], item
            assert math.isclose(float(row["positive"]), want["positive"], rel_tol=1e-5), item
            assert math.isclose(float(row["positive_low"]), low, rel_tol=1e-5), item
            assert math.isclose(float(row["positive_high"]), high, rel_tol=1e-5), item
            checked += 1
        # the groups themselves publish nothing
        for group in FAMILY_GROUPS:
            hidden = next(r for r in rows if r["group"] == group and r["unit"] == item)
            assert hidden["n"] == "" or hidden["n"] == "0", (group, item)
    assert checked >= 20
    assert any(want["n"] == 3 for want in expected.values())  # a provider-only item: hidden

    book = load_workbook(
        io.BytesIO(organisation_file(COMMAND_LINE, org, survey_round, "results.xlsx").data)
    )
    sheet = book["Results"]
    header = [cell.value for cell in sheet[1]]
    xlsx = [dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(2)]
    overall = next(r for r in xlsx if r["group"] == FAMILY and r["unit"] == "overall_relationship")
    want = expected["overall_relationship"]
    assert overall["is_family"] == "yes" and overall["n"] == want["n"]
    assert math.isclose(overall["positive"], want["positive"])
    about = [row[1].value for row in book["About"].iter_rows() if len(row) > 1]
    assert any("family of stakeholder groups" in str(text) for text in about)


def test_the_pdf_report_lists_families_after_the_groups(alpha: Any) -> None:
    survey_round, org = alpha
    data = organisation_file(COMMAND_LINE, org, survey_round, "report.pdf").data
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    text = " ".join(text.split())
    assert "Groups are also reported in families" in text
    assert "By family of stakeholder groups (domain score" in text
    n, positive = _expected_domains(survey_round)["overall"]
    # the overall relationship's family table: the family's n and % positive
    family_table = text[text.index("By family of stakeholder groups") :]
    assert f"{FAMILY_PREFIX}NHS partners and" in family_table
    assert f"{n} {pct(positive)}" in family_table
    # the response rates: 6 of 9 for the family; its groups show no rate
    assert f"{FAMILY_PREFIX}NHS partners and regulators 9 67%" in text
