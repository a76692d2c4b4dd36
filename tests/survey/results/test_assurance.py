"""The assurance record pages: the region's assessor rates and records actions through the
forms; the dashboard and the agenda show them; every new route refuses everyone else."""

from __future__ import annotations

import io
from typing import Any

import pytest
from docx import Document
from sqlalchemy import func, select

from survey.models import AssuranceAction, AssuranceRating
from tests.survey.helpers import csrf_token
from tests.survey.results.conftest import Seeded


def _base(seeded: Seeded, org: Any = None) -> str:
    org = org or seeded.alpha
    return f"/results/{org.code}/assurance/{seeded.survey_round.id}"


def _post(client: Any, page: str, path: str, data: dict[str, str]) -> Any:
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data})


def _sign_out(client: Any) -> None:
    token = csrf_token(client.get("/").get_data(as_text=True))
    assert client.post("/auth/logout", data={"csrf_token": token}).status_code == 302


def _record(client: Any, seeded: Seeded) -> int:
    """Rate governance and add an action on it, as the assessor does; the action's id."""
    base = _base(seeded)
    page = f"{base}/governance"
    response = _post(client, page, page, {"rating": "assured_with_support", "note": "Minutes"})
    assert response.status_code == 302 and response.headers["Location"].endswith(base)
    response = _post(
        client,
        page,
        f"{page}/actions",
        {
            "text": "Publish the conflicts register",
            "owner": "Board secretary",
            "due_on": "2031-03-31",
        },
    )
    assert response.status_code == 302
    from survey.extensions import db

    return int(db.session.scalar(select(AssuranceAction.id)) or 0)


def test_the_assessor_records_and_everyone_who_sees_the_results_reads_it(
    client: Any, seeded: Seeded, make_user: Any, sign_in: Any, app: Any
) -> None:
    sign_in(make_user(role="assessor", region="Midlands"))
    action_id = _record(client, seeded)
    overview = client.get(_base(seeded)).get_data(as_text=True)
    assert "Assured with support" in overview and "Publish the conflicts register" in overview
    assert "Board secretary" in overview and "31 March 2031" in overview
    # Mark it done, then change it.
    done = _post(
        client, _base(seeded), f"{_base(seeded)}/actions/{action_id}/status", {"status": "done"}
    )
    assert done.status_code == 302
    edit = f"{_base(seeded)}/actions/{action_id}"
    changed = _post(
        client, edit, edit, {"text": "Publish the register", "owner": "CEO", "due_on": "2031-06-30"}
    )
    assert changed.status_code == 302
    dashboard = client.get(f"/results/{seeded.alpha.code}").get_data(as_text=True)
    assert "Assurance ratings and actions" in dashboard
    assert (
        "Assured with support" in dashboard
        and "Publish the register (CEO, due 30 June 2031, done)" in dashboard
    )

    _sign_out(client)
    sign_in(make_user(role="commissioner", organisation=seeded.alpha))
    page = client.get(_base(seeded)).get_data(as_text=True)
    assert (
        "Publish the register" in page
        and "Mark done" not in page
        and "Record the rating" not in page
    )
    html = client.get(f"/results/{seeded.alpha.code}/agenda.html").get_data(as_text=True)
    assert "\u2612 Assured with support" in html and "\u2610 Assured<" in html
    assert "Publish the register (owner: CEO; due 30 June 2031; done)" in html
    docx = client.get(f"/results/{seeded.alpha.code}/agenda.docx").data
    doc = Document(io.BytesIO(docx))
    cells = "\n".join(c.text for t in doc.tables for r in t.rows for c in r.cells)
    assert "\u2612 Assured with support" in cells and "Publish the register" in cells


def test_a_missing_rating_and_a_bad_date_are_explained(
    client: Any, seeded: Seeded, make_user: Any, sign_in: Any, db: Any
) -> None:
    sign_in(make_user(role="assessor", region="Midlands"))
    page = f"{_base(seeded)}/governance"
    response = _post(client, page, page, {"note": "no rating"})
    assert response.status_code == 400 and "Select a rating" in response.get_data(as_text=True)
    response = _post(
        client, page, f"{page}/actions", {"text": "Do", "owner": "Me", "due_on": "31/02/2031"}
    )
    assert response.status_code == 400
    assert "Enter the due date as a real date" in response.get_data(as_text=True)
    assert client.get(f"{_base(seeded)}/overall").status_code == 404  # not a rated domain
    assert client.post(page, data={"rating": "assured"}).status_code == 400  # no CSRF token
    assert db.session.scalar(select(func.count()).select_from(AssuranceRating)) == 0
    assert db.session.scalar(select(func.count()).select_from(AssuranceAction)) == 0


@pytest.mark.parametrize(
    ("role", "scope", "expected"),
    [
        ("commissioner", "beta", 404),  # another organisation
        ("viewer", "gamma", 404),
        ("assessor", "London", 404),  # another region
        ("commissioner", "alpha", 403),  # sees the record, may not change it
        ("viewer", "alpha", 403),
        ("manager", None, 403),
    ],
)
def test_every_new_route_refuses_anyone_but_the_regions_assessor(
    client: Any,
    seeded: Seeded,
    make_user: Any,
    sign_in: Any,
    db: Any,
    role: str,
    scope: str | None,
    expected: int,
) -> None:
    sign_in(make_user(role="assessor", region="Midlands"))
    action_id = _record(client, seeded)
    _sign_out(client)
    if role in ("commissioner", "viewer"):
        user = make_user(role=role, organisation=getattr(seeded, scope or ""))
    else:
        user = make_user(role=role, region=scope)
    sign_in(user)
    token = csrf_token(client.get("/").get_data(as_text=True))
    base = _base(seeded)
    action = {"text": "Forged", "owner": "Nobody", "due_on": "2031-01-01", "csrf_token": token}
    attempts = [
        ("get", f"{base}/governance", {}),
        ("post", f"{base}/governance", {"rating": "not_assured", "csrf_token": token}),
        ("post", f"{base}/governance/actions", action),
        ("get", f"{base}/actions/{action_id}", {}),
        ("post", f"{base}/actions/{action_id}", action),
        ("post", f"{base}/actions/{action_id}/status", {"status": "open", "csrf_token": token}),
    ]
    overview = client.get(base).status_code
    assert overview == (404 if expected == 404 else 200)
    for method, path, data in attempts:
        response = getattr(client, method)(path, data=data) if data else client.get(path)
        assert response.status_code == expected, (role, scope, method, path)
    rating = db.session.scalar(select(AssuranceRating))
    assert rating is not None and rating.rating.value == "assured_with_support"
    action_row = db.session.scalar(select(AssuranceAction))
    assert action_row is not None and action_row.text == "Publish the conflicts register"
    assert db.session.scalar(select(func.count()).select_from(AssuranceAction)) == 1


def test_signed_out_people_are_sent_to_sign_in(client: Any, seeded: Seeded) -> None:
    response = client.get(_base(seeded))
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_next_rounds_page_shows_last_years_actions_and_closes_them(
    client: Any, seeded: Seeded, make_user: Any, sign_in: Any, make_round: Any, make_invitation: Any
) -> None:
    import re

    sign_in(make_user(role="assessor", region="Midlands"))
    action_id = _record(client, seeded)
    last = seeded.survey_round
    following = make_round(year=last.year + 1)
    make_invitation(survey_round=following, organisation=seeded.alpha)
    page = f"/results/{seeded.alpha.code}/assurance/{following.id}"
    html = client.get(page).get_data(as_text=True)
    assert f"Rating {last.year}" in html and f"Actions agreed in {last.year}" in html
    assert "Publish the conflicts register" in html
    form = re.search(rf'action="([^"]*/actions/{action_id}/status[^"]*)"', html)
    assert form is not None and f"back={following.id}" in form.group(1)
    done = _post(client, page, form.group(1).replace("&amp;", "&"), {"status": "done"})
    assert done.status_code == 302 and done.headers["Location"].endswith(page)
    from survey.extensions import db

    action = db.session.get(AssuranceAction, action_id)
    assert action is not None and action.status.value == "done"
    agenda = client.get(f"/results/{seeded.alpha.code}/agenda.html?round={following.id}")
    text = agenda.get_data(as_text=True)
    assert (
        f"Last year ({last.year}): rated assured with support; 0 of 1 actions still open." in text
    )
