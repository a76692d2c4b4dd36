"""Who sees which results page: every role, own and other organisation or region (others: 404)."""

from __future__ import annotations

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
        ("commissioner", "alpha", {"01A"}, None),
        ("commissioner", "gamma", {"03C"}, None),
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
    assert "Compare organisations" in home
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
