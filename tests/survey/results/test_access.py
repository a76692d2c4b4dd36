"""Who sees which results page: every role, own and other organisation or region (others: 404);
and what a commissioner's comparison of organisations shows, however they ask for it."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.survey.results.conftest import Seeded

NATIONAL = "/results/national"
METHODS = "/results/methods"


def _status(client: Any, path: str) -> int:
    return client.get(path).status_code


@pytest.mark.parametrize(
    ("role", "scope", "allowed", "national"),
    [
        (
            "manager",
            None,
            {"01A", "02B", "03C", "04D"},
            {"NHS Alpha ICB", "NHS Beta ICB", "NHS Gamma ICB"},
        ),
        ("assessor", "Midlands", {"01A", "02B", "04D"}, {"NHS Alpha ICB", "NHS Beta ICB"}),
        ("assessor", "London", {"03C"}, {"NHS Gamma ICB"}),
        # a commissioner's comparison names only their own organisation (the others unnamed)
        ("commissioner", "alpha", {"01A"}, {"NHS Alpha ICB"}),
        ("commissioner", "gamma", {"03C"}, {"NHS Gamma ICB"}),
        ("viewer", "alpha", {"01A"}, None),
        ("viewer", "beta", {"02B"}, None),
    ],
)
def test_each_role_sees_exactly_its_organisations(
    client: Any,
    seeded: Seeded,
    make_user: Any,
    sign_in: Any,
    role: str,
    scope: str | None,
    allowed: set[str],
    national: set[str] | None,
) -> None:
    if role in ("commissioner", "viewer"):
        user = make_user(role=role, organisation=getattr(seeded, scope))
    else:
        user = make_user(role=role, region=scope)
    sign_in(user)
    for org in (seeded.alpha, seeded.beta, seeded.gamma, seeded.empty):
        expected = 200 if org.code in allowed else 404
        assert _status(client, f"/results/{org.code}") == expected, (role, scope, org.code)
        assert (
            _status(client, f"/results/{org.code.lower()}?round={seeded.survey_round.id}")
            == expected
        )
    assert _status(client, METHODS) == 200
    home = client.get("/").get_data(as_text=True)
    for org in (seeded.alpha, seeded.beta, seeded.gamma):
        assert (f'href="/results/{org.code}"' in home) is (org.code in allowed)
    page = client.get(NATIONAL)
    if national is None:
        assert page.status_code == 404
        assert "Compare organisations" not in home
        return
    assert page.status_code == 200
    # the home page offers it to those who compare organisations by name; a commissioner
    # finds it on their organisation's page
    assert ("Compare organisations" in home) is (role in ("manager", "assessor"))
    html = page.get_data(as_text=True)
    for name in ("NHS Alpha ICB", "NHS Beta ICB", "NHS Gamma ICB"):
        assert (name in html) is (name in national), (role, scope, name)


def test_an_assessor_cannot_ask_for_another_region(
    client: Any, seeded: Seeded, make_user: Any, sign_in: Any
) -> None:
    sign_in(make_user(role="assessor", region="Midlands"))
    assert _status(client, f"{NATIONAL}?region=London") == 404
    assert _status(client, f"{NATIONAL}?region=Midlands") == 200


def test_a_manager_filters_by_region_and_kind(
    client: Any, seeded: Seeded, make_user: Any, sign_in: Any
) -> None:
    sign_in(make_user(role="manager"))
    html = client.get(f"{NATIONAL}?region=London").get_data(as_text=True)
    assert "NHS Gamma ICB" in html and "NHS Alpha ICB" not in html
    direct = client.get(f"{NATIONAL}?kind=direct")
    assert direct.status_code == 200
    assert "There are no results for this kind of organisation yet" in direct.get_data(as_text=True)
    assert _status(client, f"{NATIONAL}?kind=nonsense") == 404


def test_signed_out_people_are_sent_to_sign_in(client: Any, seeded: Seeded) -> None:
    for path in ("/results/01A", NATIONAL, METHODS):
        response = client.get(path)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_a_round_that_never_asked_about_the_organisation_is_404(
    client: Any, seeded: Seeded, make_round: Any, make_user: Any, sign_in: Any
) -> None:
    other = make_round()
    sign_in(make_user(role="commissioner", organisation=seeded.alpha))
    assert _status(client, f"/results/01A?round={other.id}") == 404
    assert _status(client, "/results/01A?round=999999") == 404
    assert _status(client, "/results/01A?round=abc") == 404


ANOTHER = "Another organisation"


def test_a_commissioner_never_sees_another_organisation_however_they_ask(
    client: Any, seeded: Seeded, make_organisation: Any, answer: Any, make_user: Any, sign_in: Any
) -> None:
    """The attack: a commissioner of Alpha asks for the comparison with every parameter naming
    another organisation (to highlight it, or its region, round or kind) and never sees another
    organisation's name, code or row, nor another organisation highlighted; a suppressed
    organisation stays without a point."""
    from tests.survey.results.conftest import ITEMS
    from tests.survey.stored import publish

    hidden = make_organisation(code="05E", name="NHS Echo ICB", region="Midlands")
    for score in (5, 1):  # two responses: under the threshold of five
        answer(
            seeded.survey_round, hidden, "gp_practice", {item: {"score": score} for item in ITEMS}
        )
    publish(seeded.survey_round)
    others = [seeded.beta, seeded.gamma, seeded.empty, hidden]
    secrets = [text for org in others for text in (org.name, f"/results/{org.code}")]
    secrets += [f'value="{org.code}"' for org in others] + [f"={org.code}" for org in others]
    sign_in(make_user(role="commissioner", organisation=seeded.alpha))
    round_id = seeded.survey_round.id
    shown = 0
    for unit in ("", *(f"&item={item}" for item in ITEMS), "&domain=governance"):
        for ask in ("", *(f"&organisation={o.code}" for o in others), "&organisation=03c"):
            for sort in ("", "&sort=name&order=desc", "&sort=positive&order=asc"):
                path = f"{NATIONAL}?round={round_id}{unit}{ask}{sort}"
                response = client.get(path)
                assert response.status_code == 200, path
                html = response.get_data(as_text=True)
                for secret in secrets:
                    assert secret not in html, (path, secret)
                assert "(selected)" not in html and "Selected" not in html, path
                rows = re.findall(r'<tr class="nhsuk-table__row app-highlight-row">', html)
                assert html.count("app-highlight-row") <= 1 and "NHS Alpha ICB" in html, path
                if 'class="app-point"' in html:
                    shown += 1
                    points = re.findall(r'class="app-point"[^>]*aria-label="([^"]+)"', html)
                    names = sorted(label.split(":")[0] for label in points)
                    # Alpha, Beta and Gamma published; Delta has no answers, Echo is hidden
                    assert names == [ANOTHER, ANOTHER, "NHS Alpha ICB (your organisation)"], path
                    assert len(rows) == 1, path
    assert shown  # the chart was drawn (the overall domain and its items)
    # every other way in answers as if the page did not exist
    other_round_id = round_id + 1000
    for path in (
        f"{NATIONAL}?region=Midlands",
        f"{NATIONAL}?region=London",
        f"{NATIONAL}?kind=direct",
        f"{NATIONAL}?kind=nonsense",
        f"{NATIONAL}?round={other_round_id}",
        f"{NATIONAL}?round=abc",
    ):
        assert _status(client, path) == 404, path


def test_a_suppressed_organisations_commissioner_sees_only_unnamed_points(
    client: Any, seeded: Seeded, make_organisation: Any, answer: Any, make_user: Any, sign_in: Any
) -> None:
    from tests.survey.results.conftest import ITEMS
    from tests.survey.stored import publish

    hidden = make_organisation(code="05E", name="NHS Echo ICB", region="Midlands")
    for score in (5, 1):
        answer(
            seeded.survey_round, hidden, "gp_practice", {item: {"score": score} for item in ITEMS}
        )
    publish(seeded.survey_round)
    sign_in(make_user(role="commissioner", organisation=hidden))
    html = client.get(f"{NATIONAL}?organisation=01A").get_data(as_text=True)
    points = re.findall(r'class="app-point"[^>]*aria-label="([^"]+)"', html)
    assert [label.split(":")[0] for label in points] == [ANOTHER] * 3
    assert "fewer than 5 responses" in html  # its own row says why it has no point
    for org in (seeded.alpha, seeded.beta, seeded.gamma, seeded.empty):
        assert org.name not in html and f"/results/{org.code}" not in html
