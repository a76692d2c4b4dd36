"""Responses so far and the commissioner's one reminder: counts only, never who, and only for
the organisation's own people (another organisation's page does not exist for them)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from survey.models import Invitation, OutboxMessage, Stakeholder
from tests.survey.answering import save_answers
from tests.survey.helpers import csrf_token
from tests.survey.stored import submit_released


@pytest.fixture
def orgs(db: Any, make_round: Any, make_organisation: Any, make_invitation: Any) -> Any:
    survey_round = make_round()
    alpha = make_organisation(code="01A", name="NHS Alpha ICB", region="Midlands")
    beta = make_organisation(code="02B", name="NHS Beta ICB", region="London")
    done = make_invitation(survey_round=survey_round, organisation=alpha, email="done@example.org")
    invitation = db.session.get(Invitation, done.invitation.id)
    save_answers(invitation, {"overall_relationship": {"score": 4}}, resume_section=1)
    submit_released(invitation, ["overall_relationship"])
    make_invitation(survey_round=survey_round, organisation=alpha, email="wendy@example.org")
    make_invitation(survey_round=survey_round, organisation=beta, email="bert@example.org")
    for email, name in (
        ("done@example.org", "Dora Done"),
        ("wendy@example.org", "Wendy Waiting"),
        ("bert@example.org", "Bert Beta"),
    ):
        db.session.scalars(select(Stakeholder).where(Stakeholder.email == email)).one().name = name
    db.session.commit()
    return survey_round, alpha, beta


def _reminded(db: Any) -> list[str]:
    query = select(OutboxMessage.recipient).where(OutboxMessage.kind == "reminder")
    return sorted(db.session.scalars(query))


def _no_personal_data(html: str) -> None:
    for secret in ("done@example.org", "wendy@example.org", "Dora Done", "Wendy Waiting"):
        assert secret not in html


def test_a_commissioner_sees_counts_per_group_and_sends_one_reminder(
    client: Any, db: Any, orgs: Any, make_user: Any, sign_in: Any
) -> None:
    survey_round, alpha, _beta = orgs
    sign_in(make_user(role="commissioner", organisation=alpha))
    dashboard = client.get("/results/01A").get_data(as_text=True)
    assert 'href="/results/01A/fieldwork"' in dashboard  # how a commissioner finds it
    page = client.get("/results/01A/fieldwork").get_data(as_text=True)
    _no_personal_data(page)
    assert "GP member practices" in page
    assert "By family of stakeholder groups" in page  # the questionnaire's families beside
    assert ">2<" in page and ">1<" in page and "50%" in page
    assert survey_round.closes_on.strftime("%-d %B %Y") in page
    confirm_path = f"/results/01A/fieldwork/{survey_round.id}/reminder"
    assert confirm_path in page
    confirm = client.get(confirm_path).get_data(as_text=True)
    _no_personal_data(confirm)
    assert "This sends 1 reminder:" in confirm
    assert client.post(confirm_path, data={}).status_code == 400  # no CSRF token
    sent = client.post(confirm_path, data={"csrf_token": csrf_token(confirm)})
    assert sent.status_code == 302
    after = client.get("/results/01A/fieldwork").get_data(as_text=True)
    _no_personal_data(after)
    assert "1 reminder queued for sending." in after
    assert "You sent a reminder on" in after
    # the completed respondent and the other organisation's people get nothing
    assert _reminded(db) == ["wendy@example.org"]
    again = client.post(confirm_path, data={"csrf_token": csrf_token(confirm)})
    assert again.status_code == 302
    assert "already sent this round" in client.get("/results/01A/fieldwork").get_data(as_text=True)
    assert _reminded(db) == ["wendy@example.org"]


@pytest.mark.parametrize(
    ("role", "scope", "allowed"),
    [
        ("manager", None, {"01A", "02B"}),
        ("assessor", "Midlands", {"01A"}),
        ("commissioner", "alpha", {"01A"}),
        ("commissioner", "beta", {"02B"}),
        ("viewer", "alpha", {"01A"}),
    ],
)
def test_every_role_sees_the_rates_of_its_organisations_only(
    client: Any,
    db: Any,
    orgs: Any,
    make_user: Any,
    sign_in: Any,
    role: str,
    scope: str | None,
    allowed: set[str],
) -> None:
    survey_round, alpha, beta = orgs
    named = {"alpha": alpha, "beta": beta}
    if role in ("commissioner", "viewer"):
        sign_in(make_user(role=role, organisation=named[str(scope)]))
    else:
        sign_in(make_user(role=role, region=scope))
    for code in ("01A", "02B"):
        expected = 200 if code in allowed else 404
        assert client.get(f"/results/{code}/fieldwork").status_code == expected, (role, code)
        reminder = f"/results/{code}/fieldwork/{survey_round.id}/reminder"
        may_remind = role == "commissioner" and code in allowed
        assert client.get(reminder).status_code == (200 if may_remind else 404), (role, code)
        # without the form's CSRF token nobody sends anything
        assert client.post(reminder, data={}).status_code == 400
    assert _reminded(db) == []


def test_another_organisations_commissioner_cannot_remind_its_stakeholders(
    client: Any, db: Any, orgs: Any, make_user: Any, sign_in: Any
) -> None:
    survey_round, _alpha, beta = orgs
    sign_in(make_user(role="commissioner", organisation=beta))
    own = client.get(f"/results/02B/fieldwork/{survey_round.id}/reminder")
    token = csrf_token(own.get_data(as_text=True))
    attack = client.post(
        f"/results/01A/fieldwork/{survey_round.id}/reminder", data={"csrf_token": token}
    )
    assert attack.status_code == 404
    assert _reminded(db) == []
    assert client.get("/results/02B/fieldwork/999999/reminder").status_code == 404


def test_signed_out_people_are_sent_to_sign_in(client: Any, orgs: Any) -> None:
    survey_round, _alpha, _beta = orgs
    for path in ("/results/01A/fieldwork", f"/results/01A/fieldwork/{survey_round.id}/reminder"):
        response = client.get(path)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
