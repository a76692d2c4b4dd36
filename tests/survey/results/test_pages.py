"""The numbers on the results pages are the analysis engine's, suppressed cells say so, and
charts are SVG."""

from __future__ import annotations

import html as html_lib
import math
import re
from typing import Any

from analysis import ALL_STAKEHOLDERS
from survey.services.results.arrays import analyse
from tests.survey.helpers import page_text, row_cells
from tests.survey.results.conftest import Seeded

RELATIONSHIP = "Overall, how would you rate your working relationship with the commissioner?"


def _pct(value: float) -> str:
    return f"{100 * value:.0f}%"


def test_the_dashboard_shows_the_engines_numbers(
    client: Any, db: Any, seeded: Seeded, make_user: Any, sign_in: Any
) -> None:
    sign_in(make_user(role="commissioner", organisation=seeded.alpha))
    page = page_text(client, "/results/01A")
    table = analyse(seeded.survey_round)
    item = next(
        table.filter(organisation="01A", group=ALL_STAKEHOLDERS, unit="overall_relationship").rows()
    )
    assert item["n"] == 6 and math.isclose(item["positive"], 3 / 6)
    cells = row_cells(page, RELATIONSHIP)
    assert cells[:3] == [
        _pct(item["positive"]),
        "6",
        f"{_pct(item['positive_low'])} to {_pct(item['positive_high'])}",
    ]
    assert cells[4] == _pct(item["bench_positive"])  # after the mean score (3)
    domain = next(
        table.filter(
            organisation="01A", group=ALL_STAKEHOLDERS, level="domain", unit="overall"
        ).rows()
    )
    assert row_cells(page, "Overall relationship")[:2] == [
        _pct(domain["positive"]),
        f"{domain['n']:.0f}",
    ]
    # The lone local authority answer is hidden, and so are the GP practices (complementary).
    for group in ("local_authority", "gp_practice"):
        hidden = next(table.filter(organisation="01A", group=group, unit="overall").rows())
        assert hidden["suppressed"]
    assert row_cells(page, "Local authority")[0] == "fewer than 5 responses"
    assert row_cells(page, "GP member practices")[0] == "fewer than 5 responses"
    # response rate of everyone: 7 of 7 invited responded
    assert row_cells(page, "All stakeholders") == ["7", "7", "100%"]


def test_published_group_cells_and_benchmark(
    client: Any, seeded: Seeded, make_user: Any, sign_in: Any
) -> None:
    sign_in(make_user(role="viewer", organisation=seeded.gamma))
    page = page_text(client, "/results/03C")
    table = analyse(seeded.survey_round)
    gp = next(
        table.filter(organisation="03C", group="gp_practice", level="domain", unit="overall").rows()
    )
    assert not gp["suppressed"] and gp["n"] == 5
    heat = row_cells(page, "GP member practices")
    # the heatmap table comes after the response-rate table: find the cell with "(5)"
    assert f"{_pct(gp['positive'])} (5)" in page
    assert heat  # the row exists
    assert "fewer than 5 responses" not in row_cells(page, RELATIONSHIP)[0]


def test_provenance_is_on_every_results_page(
    client: Any, seeded: Seeded, make_user: Any, sign_in: Any
) -> None:
    sign_in(make_user(role="manager"))
    for path in ("/results/01A", "/results/national"):
        page = page_text(client, path)
        assert seeded.survey_round.title in page
        assert "ccg-360, version 1" in page
        assert re.search(
            r"Results as of.*?\d{1,2} \w+ \d{4}, \d\d:\d\d (GMT|BST)</time>, 17 responses",
            page,
            flags=re.S,
        )
        assert "Provisional: fieldwork open until" in page
        assert "Results will change at the next release and at the close" in page
        assert "fewer than 5 responses" in page
        assert 'href="/results/methods"' in page
    methods = page_text(client, "/results/methods")
    assert "Wilson" in methods and "99.8%" in methods


def test_charts_are_inline_svg_with_a_text_alternative(
    client: Any, seeded: Seeded, make_user: Any, sign_in: Any
) -> None:
    sign_in(make_user(role="manager"))
    for path, count in (("/results/01A", 2), ("/results/national", 1)):
        page = page_text(client, path)
        charts = re.findall(r"<svg class=\"app-chart\".*?</svg>", page, flags=re.S)
        assert len(charts) == count, path
        for svg in charts:
            labelled = re.search(r'aria-labelledby="([^ "]+) ([^"]+)"', svg)
            assert labelled and 'role="img"' in svg
            assert (
                f'<title id="{labelled.group(1)}">' in svg
                and f'<desc id="{labelled.group(2)}">' in svg
            )
            # CSP style-src 'self': no style attributes or elements inside the chart
            assert " style=" not in svg and "<style" not in svg
        ids = re.findall(r'\sid="([^"]+)"', page)
        assert len(ids) == len(set(ids)), "ids must be unique across the page's charts"
    national = page_text(client, "/results/national")
    assert "Funnel plot" in national and "95%" in national


def test_local_questions_and_comments(
    client: Any, seeded: Seeded, make_user: Any, sign_in: Any
) -> None:
    sign_in(make_user(role="manager"))
    alpha = page_text(client, "/results/01A")
    # 4 of 5 positive; Wilson with the finite population correction on Alpha's 7 invited
    # stakeholders, n_eff = n(N-1)/(N-n) = 15 (docs/methods.md), computed here independently
    z, n_eff, p = 1.959964, 5 * 6 / 2, 0.8
    centre = (p + z * z / (2 * n_eff)) / (1 + z * z / n_eff)
    half = z / (1 + z * z / n_eff) * math.sqrt(p * (1 - p) / n_eff + z * z / (4 * n_eff**2))
    assert row_cells(alpha, "Do you agree with how local services are planned?") == [
        "80%",
        f"{_pct(centre - half)} to {_pct(centre + half)}",
        "5",
    ]
    for index in range(5):
        assert f"Alpha comment number {index}" in alpha
    assert "Local authority" not in alpha[alpha.index('id="comments"') :]
    beta = page_text(client, "/results/02B")
    assert row_cells(beta, "Is the new hub working?") == ["fewer than 5 responses"]
    # Beta has 5 responses, the comment threshold is 5: shown (none written); below it, hidden.
    assert "No comments." in beta


def test_comments_are_withheld_below_the_comment_threshold(
    client: Any, make_round: Any, make_organisation: Any, answer: Any, make_user: Any, sign_in: Any
) -> None:
    survey_round = make_round(suppression_threshold=5, comment_threshold=10)
    org = make_organisation(code="09Z")
    for score in (5, 4, 4, 3, 2, 5):
        answer(
            survey_round,
            org,
            "gp_practice",
            {
                "overall_relationship": {"score": score},
                "comment_does_well": {"text": "Secret words"},
            },
        )
    sign_in(make_user(role="commissioner", organisation=org))
    page = page_text(client, "/results/09Z")
    assert "Secret words" not in page
    assert "at least 10 stakeholders responded" in page


def test_an_organisation_without_responses(
    client: Any, seeded: Seeded, make_user: Any, sign_in: Any
) -> None:
    sign_in(make_user(role="manager"))
    page = page_text(client, "/results/04D")
    assert "There are no responses about NHS Delta ICB in this round yet." in page
    assert '<svg class="app-chart"' not in page


def test_the_national_table_sorts_without_javascript(
    client: Any, seeded: Seeded, make_user: Any, sign_in: Any
) -> None:
    sign_in(make_user(role="manager"))
    table = analyse(seeded.survey_round).filter(
        group=ALL_STAKEHOLDERS, level="domain", unit="overall"
    )
    positive = {row["organisation"]: row["positive"] for row in table.rows()}
    order = {
        "name": ["NHS Alpha ICB", "NHS Beta ICB", "NHS Delta ICB", "NHS Gamma ICB"],
        "positive": [
            name
            for name, _ in sorted(
                [
                    ("NHS Alpha ICB", positive["01A"]),
                    ("NHS Beta ICB", positive["02B"]),
                    ("NHS Gamma ICB", positive["03C"]),
                ],
                key=lambda pair: -pair[1],
            )
        ]
        + ["NHS Delta ICB"],
    }
    for sort, names in order.items():
        page = page_text(client, f"/results/national?sort={sort}")
        found = re.findall(
            r'<th scope="row"[^>]*><a href="/results/\w+\?round=\d+">([^<]+)</a></th>', page
        )
        assert found == names, sort
        assert 'aria-sort="' in page
    ascending = page_text(client, "/results/national?sort=name&order=desc")
    found = re.findall(
        r'<th scope="row"[^>]*><a href="/results/\w+\?round=\d+">([^<]+)</a></th>', ascending
    )
    assert found == order["name"][::-1]


def test_a_new_response_refreshes_the_remembered_results(
    client: Any, seeded: Seeded, answer: Any, make_user: Any, sign_in: Any
) -> None:
    sign_in(make_user(role="manager"))
    before = row_cells(page_text(client, "/results/03C"), RELATIONSHIP)
    assert before[1] == "5"
    assert row_cells(page_text(client, "/results/03C"), RELATIONSHIP) == before  # remembered
    answer(seeded.survey_round, seeded.gamma, "gp_practice", {"overall_relationship": {"score": 1}})
    after = row_cells(page_text(client, "/results/03C"), RELATIONSHIP)
    assert after[1] == "6" and after[0] != before[0]


def test_the_funnel_names_its_points_and_highlights_the_selected_organisation(
    client: Any, seeded: Seeded, make_user: Any, sign_in: Any
) -> None:
    sign_in(make_user(role="manager"))
    page = page_text(client, "/results/national?organisation=01a")
    svg = re.search(r"<svg class=\"app-chart\".*?</svg>", page, flags=re.S).group(0)
    points = re.findall(
        r'<g id="[^"]+" class="app-point" tabindex="0" role="img" aria-label="([^"]+)">'
        r"<title>([^<]+)</title>",
        svg,
    )
    names = {label.split(":")[0] for label, _ in points}
    assert names == {"NHS Alpha ICB (selected)", "NHS Beta ICB", "NHS Gamma ICB"}
    assert all(label == title for label, title in points)  # named on focus and on hover
    # the table marks the same organisation in words, not by colour alone
    row = page[page.index('<tr class="nhsuk-table__row app-highlight-row">') :]
    row = row[: row.index("</tr>")]
    assert "NHS Alpha ICB" in row and "Selected" in row
    assert page.count("app-highlight-row") == 1
    assert "the highlighted row of the table, is NHS Alpha ICB." in page
    # the overdispersion check is stated, with its result
    statement = re.search(r"<strong>Overdispersion check.</strong> ([^<]+)</p>", page).group(1)
    assert statement.startswith(("Too few organisations", "No overdispersion (phi = ")) or (
        "widened by the square root of phi" in statement
    )
    assert statement in html_lib.unescape(svg)  # and in the chart's text alternative
    # each drawn organisation's row shows its effective base and funnel limits
    gamma = page[page.index(">NHS Gamma ICB</a>") :]
    cells = [
        re.sub(r"<[^>]+>", "", cell).strip()
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", gamma[: gamma.index("</tr>")], flags=re.S)
    ]
    # region, % positive, base, interval, difference, effective base, funnel limits, position
    assert cells[5] == "Everyone invited answered" or cells[5].isdigit()
    assert " to " in cells[6] and ("limit" in cells[7] or cells[7] == "Within limits")
    unhighlighted = page_text(client, "/results/national")
    assert "app-highlight-row" not in unhighlighted and "(selected)" not in unhighlighted


SEE_WHERE = r'<a href="(/results/national\?[^"]+)">See where NHS Alpha ICB sits'


def test_an_organisations_page_links_assessors_to_it_selected_on_the_funnel(
    client: Any, seeded: Seeded, make_user: Any, sign_in: Any
) -> None:
    sign_in(make_user(role="assessor", region="Midlands"))
    link = re.search(SEE_WHERE, page_text(client, "/results/01A"))
    assert link is not None
    national = page_text(client, html_lib.unescape(link.group(1)))
    assert national.count("app-highlight-row") == 1 and "NHS Alpha ICB (selected)" in national
    assert "NHS Beta ICB" in national  # every organisation of the region named


def test_an_organisations_page_links_its_commissioner_to_where_it_sits_among_unnamed_peers(
    client: Any, seeded: Seeded, make_user: Any, sign_in: Any
) -> None:
    # their own organisation, alone in the table, among unnamed points, with counts by position
    sign_in(make_user(role="commissioner", organisation=seeded.alpha))
    link = re.search(SEE_WHERE, page_text(client, "/results/01A"))
    assert link is not None
    national = page_text(client, html_lib.unescape(link.group(1)))
    rows = re.findall(r'<th scope="row"[^>]*><a href="/results/(\w+)\?round=\d+">', national)
    assert rows == ["01A"] and national.count("app-highlight-row") == 1
    assert "NHS Alpha ICB (your organisation)" in national and "NHS Beta ICB" not in national
    assert "the highlighted row of the table, is NHS Alpha ICB." in national
    assert 'aria-label="Another organisation: ' in national
    counts = {
        label: int(count)
        for label, count in re.findall(
            r'<th scope="row" class="nhsuk-table__header">(\w+) the limits</th>'
            r'<td class="nhsuk-table__cell nhsuk-table__cell--numeric">(\d+)</td>',
            national,
        )
    }
    assert set(counts) == {"Above", "Within", "Below"} and sum(counts.values()) == 3
    # the counts are those of the points on the chart
    labels = re.findall(r'class="app-point"[^>]*aria-label="([^"]+)"', national)
    assert counts["Within"] == sum(label.endswith("within the limits") for label in labels)
    assert counts["Above"] == sum(" above " in label for label in labels)


def test_families_of_groups_follow_the_groups_and_publish_where_their_groups_cannot(
    client: Any, make_round: Any, make_organisation: Any, answer: Any, make_user: Any, sign_in: Any
) -> None:
    from tests.survey.results.conftest import ITEMS

    survey_round = make_round(suppression_threshold=5)
    org = make_organisation(code="07F", name="NHS Foxtrot ICB")
    for group, scores in (("nhs_provider", (5, 4, 2)), ("regulator", (4, 4, 1))):
        for score in scores:
            answer(survey_round, org, group, {item: {"score": score} for item in ITEMS})
    sign_in(make_user(role="manager"))
    page = page_text(client, "/results/07F")
    groups = page[page.index('id="groups"') :]

    def cells_after(label: str, text: str) -> list[str]:
        start = text.index(label)
        row = text[start : text.index("</tr>", start)]
        return [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)
        ]

    # each group of 3 is hidden; the family of 6 shows, counted by hand: a respondent's
    # overall share is 1 for 5 or 4 and 0 for 2 or 1, so 4 of 6
    assert cells_after(">NHS providers</th>", groups)[0] == "fewer than 5 responses"
    assert cells_after(">Regulators</th>", groups)[0] == "fewer than 5 responses"
    assert "Families of stakeholder groups" in groups
    family = cells_after("Family: NHS partners and regulators <span", groups)
    assert family[0] == "67% (6)"
    # nobody answered the domains' questions, but "no responses" for the family would tell
    # that its hidden groups, who were asked them, gave no answers
    assert set(family[1:]) == {"fewer than 5 responses"}
    assert "(NHS providers, Other commissioners, NHS England, Regulators)" in groups
    rates = page[page.index('id="response-rates"') : page.index('id="domains"')]
    assert cells_after(">NHS providers</th>", rates) == ["fewer than 5 responses"]
    assert cells_after("Family: NHS partners and regulators <span", rates) == ["6", "6", "100%"]
