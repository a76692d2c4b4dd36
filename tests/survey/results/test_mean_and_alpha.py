"""Mean scores on the dashboard, PDF and workbook, and Cronbach's alpha in the methods annex:
every figure recomputed here from the test's own microdata (numpy and scipy.stats), not by the
engine."""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from scipy import stats

from survey.models import Organisation, SurveyRound
from survey.services.rounds import questionnaire_for
from tests.survey.helpers import page_text, row_cells
from tests.survey.results.conftest import ITEMS

DK = None  # a "don't know" answer in the microdata below

#: the four overall items (one domain), one row per GP practice's response
MEDIUM = [
    [5, 4, 4, 5],
    [4, 4, 3, 4],
    [3, 3, 2, 3],
    [5, 5, 4, 4],
    [2, 3, 2, 1],
    [4, 3, 4, 4],
    [1, 2, 1, 2],
    [4, DK, 5, 4],
]
#: every question has at least 5 answers, but only 4 responses answer all four: its % positive
#: and mean are shown, its alpha is not
SMALLER = [[3, DK, 3, 3], [5, 5, DK, 4], [2, 2, 3, 2], [4, 4, 4, 5], [3, 2, 3, 3], [4, 5, 4, 4]]
TINY = [[5, 5, 5, 5], [1, 2, 1, 1], [3, 3, 3, 3]]
#: invitations nobody answered, per organisation (so the finite population correction is not
#: a census)
SILENT = {"01M": 4, "02N": 2, "03S": 0}


@dataclass
class Round:
    survey_round: SurveyRound
    medium: Organisation
    smaller: Organisation
    tiny: Organisation


def _as_float(rows: list[list[int | None]]) -> np.ndarray:
    return np.array([[np.nan if v is None else v for v in row] for row in rows], dtype=float)


@pytest.fixture
def microdata(
    db: Any, make_round: Any, make_organisation: Any, make_invitation: Any, answer: Any
) -> Round:
    survey_round = make_round(suppression_threshold=5, comment_threshold=5)
    orgs = []
    for code, rows in (("01M", MEDIUM), ("02N", SMALLER), ("03S", TINY)):
        org = make_organisation(code=code, name=f"NHS {code} ICB")
        orgs.append(org)
        for row in rows:
            answers = {
                item: ({"dont_know": True} if value is None else {"score": value})
                for item, value in zip(ITEMS, row, strict=True)
            }
            answer(survey_round, org, "gp_practice", answers)
        for _ in range(SILENT[code]):
            make_invitation(survey_round=survey_round, organisation=org, group="gp_practice")
    return Round(survey_round, *orgs)


def _t_interval(values: np.ndarray, invited: int) -> tuple[float, float, float]:
    """Mean and 95% Student t interval with the finite population correction, by scipy."""
    x = values[~np.isnan(values)]
    scale = stats.sem(x) * math.sqrt(1 - len(x) / invited)
    low, high = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=scale)
    return float(x.mean()), float(low), float(high)


def _mean_text(mean: float, low: float, high: float) -> str:
    return f"{mean:.1f} ({low:.1f} to {high:.1f})"


def test_the_dashboard_shows_each_mean_score_with_its_interval(
    client: Any, microdata: Round, make_user: Any, sign_in: Any
) -> None:
    questionnaire = questionnaire_for(microdata.survey_round)
    sign_in(make_user(role="commissioner", organisation=microdata.medium))
    page = page_text(client, "/results/01M")
    assert (
        '<th scope="col" class="nhsuk-table__header">Mean score (1 to 5, 5 best) with 95% '
        "confidence interval</th>"
    ) in page
    data, invited = _as_float(MEDIUM), len(MEDIUM) + SILENT["01M"]
    for column, item in enumerate(ITEMS):
        cells = row_cells(page, questionnaire.item(item).text)
        expected = _mean_text(*_t_interval(data[:, column], invited))
        # beside % positive (its n and interval), before the benchmark
        assert cells[3] == expected, item
        positive = np.nansum(data[:, column] >= 4) / np.sum(~np.isnan(data[:, column]))
        assert cells[0] == f"{100 * positive:.0f}%"
    # the domain: each respondent's mean over the items they answered, then the t interval
    domain = row_cells(page, "Overall relationship")
    assert domain[3] == _mean_text(*_t_interval(np.nanmean(data, axis=1), invited))


def test_the_mean_is_hidden_wherever_percent_positive_is(
    client: Any, microdata: Round, make_user: Any, sign_in: Any
) -> None:
    questionnaire = questionnaire_for(microdata.survey_round)
    sign_in(make_user(role="commissioner", organisation=microdata.tiny))
    page = page_text(client, "/results/03S")
    for header in ("Overall relationship", *(questionnaire.item(i).text for i in ITEMS)):
        assert row_cells(page, header) == ["fewer than 5 responses"], header
    assert not re.search(r"\d\.\d \(\d\.\d to \d\.\d\)", page)


# -- the PDF report and the workbook ----------------------------------------------------------


def _pdf_text(client: Any, code: str) -> str:
    response = client.get(f"/results/{code}/report.pdf")
    assert response.status_code == 200
    pages = PdfReader(io.BytesIO(response.get_data())).pages
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in pages))


def _alpha_feldt(rows: list[list[int | None]]) -> tuple[int, float, float, float]:
    """Complete cases, Cronbach's alpha from the item variances and Feldt's 95% interval, with
    numpy and scipy.stats.f written out here."""
    data = _as_float(rows)
    complete = data[~np.isnan(data).any(axis=1)]
    n, k = complete.shape
    items = sum(np.var(complete[:, j], ddof=1) for j in range(k))
    alpha = k / (k - 1) * (1 - items / np.var(complete.sum(axis=1), ddof=1))
    df1, df2 = n - 1, (n - 1) * (k - 1)
    low = 1 - (1 - alpha) * stats.f.ppf(0.975, df1, df2)
    high = 1 - (1 - alpha) * stats.f.ppf(0.025, df1, df2)
    return n, float(alpha), float(low), float(high)


def _alpha_text(n: int, alpha: float, low: float, high: float) -> str:
    return f"{n} {alpha:.2f} ({low:.2f} to {high:.2f})"


def test_the_report_prints_each_mean_score_with_its_interval_beside_percent_positive(
    client: Any, microdata: Round, make_user: Any, sign_in: Any
) -> None:
    sign_in(make_user(role="commissioner", organisation=microdata.medium))
    text = _pdf_text(client, "01M")
    assert "Mean score (1 to 5, 5 best), 95% CI" in text
    data, invited = _as_float(MEDIUM), len(MEDIUM) + SILENT["01M"]
    for column in range(len(ITEMS)):
        values = data[:, column]
        answered = values[~np.isnan(values)]
        positive = f"{100 * np.mean(answered >= 4):.0f}%"
        mean = re.escape(_mean_text(*_t_interval(values, invited)))
        # n, % positive, its interval, then the mean and its interval
        assert re.search(rf"\b{len(answered)} {positive} \d+-\d+% {mean}", text), mean
    # the domain: each respondent's mean over the items they answered
    domain = re.escape(_mean_text(*_t_interval(np.nanmean(data, axis=1), invited)))
    assert re.search(rf"\b{len(MEDIUM)} \d+% \d+-\d+% {domain}", text), domain


def test_the_report_hides_the_mean_wherever_percent_positive_is_hidden(
    client: Any, microdata: Round, make_user: Any, sign_in: Any
) -> None:
    sign_in(make_user(role="commissioner", organisation=microdata.tiny))
    text = _pdf_text(client, "03S")
    assert "fewer than 5 responses" in text
    assert not re.search(r"\d\.\d \(\d\.\d to \d\.\d\)", text)


def test_the_methods_annex_gives_alpha_and_feldts_interval_hidden_below_the_threshold(
    client: Any, microdata: Round, make_user: Any, sign_in: Any
) -> None:
    whole_round = _alpha_text(*_alpha_feldt(MEDIUM + SMALLER + TINY))
    assert whole_round.startswith("14 ")  # 7 + 4 + 3 complete cases
    sign_in(make_user(role="manager"))  # who sees every organisation's report
    text = _pdf_text(client, "01M")
    assert "Annex: methods" in text and "Feldt" in text
    # the overall domain's four questions: 7 complete cases here (one don't know)
    mine = _alpha_text(*_alpha_feldt(MEDIUM))
    assert f"Overall relationship 4 {mine} {whole_round}" in text
    # the domains nobody was asked
    assert "0 no responses 0 no responses" in text
    for code in ("02N", "03S"):
        text = _pdf_text(client, code)
        assert f"Overall relationship 4 fewer than 5 complete responses {whole_round}" in text


def _sheet(workbook: Any, name: str) -> list[dict[str, Any]]:
    header, *rows = workbook[name].iter_rows(values_only=True)
    return [dict(zip(header, row, strict=True)) for row in rows]


def _download_xlsx(client: Any, code: str) -> Any:
    response = client.get(f"/results/{code}/results.xlsx")
    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.get_data()), read_only=True)


def test_the_workbook_holds_the_mean_interval_and_alpha_with_feldts_interval(
    client: Any, microdata: Round, make_user: Any, sign_in: Any
) -> None:
    sign_in(make_user(role="commissioner", organisation=microdata.medium))
    workbook = _download_xlsx(client, "01M")
    data, invited = _as_float(MEDIUM), len(MEDIUM) + SILENT["01M"]
    results = _sheet(workbook, "Results")
    for column, item in enumerate(ITEMS):
        [row] = [r for r in results if (r["group"], r["unit"]) == ("All stakeholders", item)]
        mean, low, high = _t_interval(data[:, column], invited)
        assert (row["mean"], row["mean_low"], row["mean_high"]) == pytest.approx(
            (mean, low, high), abs=1e-9
        )
    reliability = {(r["scope"], r["domain"]): r for r in _sheet(workbook, "Reliability")}
    workbook.close()
    # this organisation's domains and the whole round's, nobody else's
    assert {scope for scope, _ in reliability} == {"01M", "Whole round"}
    for scope, rows in (("01M", MEDIUM), ("Whole round", MEDIUM + SMALLER + TINY)):
        got = reliability[(scope, "overall")]
        n, alpha, low, high = _alpha_feldt(rows)
        assert (got["n_items"], got["n"], got["suppressed"]) == (4, n, "no")
        assert (got["alpha"], got["alpha_low"], got["alpha_high"]) == pytest.approx(
            (alpha, low, high), abs=1e-12
        )


def test_the_workbook_leaves_alpha_empty_below_the_threshold(
    client: Any, microdata: Round, make_user: Any, sign_in: Any
) -> None:
    sign_in(make_user(role="commissioner", organisation=microdata.smaller))
    workbook = _download_xlsx(client, "02N")
    reliability = {(r["scope"], r["domain"]): r for r in _sheet(workbook, "Reliability")}
    about = {
        row[0]: row[1] for row in workbook["About"].iter_rows(values_only=True) if len(row) > 1
    }
    workbook.close()
    hidden = reliability[("02N", "overall")]
    assert hidden["suppressed"] == "yes"
    assert [hidden[c] for c in ("n", "alpha", "alpha_low", "alpha_high")] == [None] * 4
    assert reliability[("Whole round", "overall")]["n"] == 14
    assert "Feldt" in about["Reliability"]
