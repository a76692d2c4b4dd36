"""Only managers see the manage pages: everyone else gets 404, anonymous people the sign-in page."""

from __future__ import annotations

from typing import Any

import pytest

from tests.survey.helpers import csrf_token

#: every manage route, with the method that reaches its view ("{r}" is a round id)
ROUTES = [
    ("GET", "/manage/"),
    ("GET", "/manage/audit"),
    ("GET", "/manage/rounds/{r}/local-questions"),
    ("POST", "/manage/rounds/{r}/local-questions"),
    ("GET", "/manage/users"),
    ("POST", "/manage/users"),
    ("POST", "/manage/users/1/access"),
    ("POST", "/manage/users/1/sign-out"),
    ("POST", "/manage/users/1/two-factor-reset"),
    ("GET", "/manage/rounds/{r}/responses.csv"),
    ("GET", "/manage/rounds/new"),
    ("POST", "/manage/rounds/new"),
    ("GET", "/manage/rounds/{r}"),
    ("GET", "/manage/rounds/{r}/open"),
    ("POST", "/manage/rounds/{r}/open"),
    ("GET", "/manage/rounds/{r}/close"),
    ("POST", "/manage/rounds/{r}/close"),
    ("POST", "/manage/rounds/{r}/automatic/off"),
    ("POST", "/manage/rounds/{r}/publish"),
    ("GET", "/manage/rounds/{r}/stakeholders"),
    ("POST", "/manage/rounds/{r}/stakeholders"),
    ("POST", "/manage/rounds/{r}/stakeholders/confirm"),
    ("GET", "/manage/organisations"),
    ("POST", "/manage/organisations"),
    ("POST", "/manage/organisations/confirm"),
    ("GET", "/manage/rounds/{r}/invitations"),
    ("POST", "/manage/rounds/{r}/invitations"),
    ("GET", "/manage/rounds/{r}/monitor"),
    ("GET", "/manage/rounds/{r}/reminders"),
    ("POST", "/manage/rounds/{r}/reminders/schedule"),
    ("POST", "/manage/rounds/{r}/reminders/send"),
    ("GET", "/manage/rounds/{r}/bounces"),
    ("POST", "/manage/rounds/{r}/bounces"),
    ("POST", "/manage/rounds/{r}/stakeholders/columns"),
    ("POST", "/manage/organisations/columns"),
    ("GET", "/manage/rounds/{r}/preview"),
    ("GET", "/manage/rounds/{r}/preview/CODE/GROUP/1"),
    ("POST", "/manage/rounds/{r}/preview/CODE/GROUP/1"),
    ("POST", "/manage/rounds/{r}/preview/CODE/GROUP/end"),
    ("GET", "/manage/rounds/{r}/organisations/CODE/non-responders"),
    ("GET", "/manage/rounds/{r}/organisations/CODE/non-responders.csv"),
]


def test_every_manage_route_is_listed(app: Any) -> None:
    rules = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("manage.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    action = "<any(open, close):action>"
    listed = {
        (
            method,
            path.replace("{r}", "<int:round_id>")
            .replace("/users/1/", "/users/<int:user_id>/")
            .replace("/CODE/GROUP/1", "/<code>/<group>/<int:number>")
            .replace("/CODE/GROUP/", "/<code>/<group>/")
            .replace("/automatic/off", "/automatic/<any(on, off):setting>")
            .replace("/CODE/non-responders", "/<code>/non-responders")
            .replace("/open", "/" + action)
            .replace("/close", "/" + action),
        )
        for method, path in ROUTES
    }
    assert rules == listed


def _request(client: Any, method: str, path: str) -> Any:
    """Send the request as a page would, with a valid CSRF token for POSTs."""
    if method == "GET":
        return client.get(path)
    page = client.get("/auth/login")  # signed-in people are sent on to the home page's form
    token = csrf_token(
        (client.get("/") if page.status_code == 302 else page).get_data(as_text=True)
    )
    return client.post(path, data={"csrf_token": token})


@pytest.mark.parametrize("role", ["assessor", "commissioner", "viewer"])
def test_other_roles_get_not_found_everywhere(
    client: Any, make_user: Any, make_round: Any, make_organisation: Any, sign_in: Any, role: str
) -> None:
    survey_round = make_round(status="open")
    organisation = make_organisation()
    sign_in(make_user(role=role, organisation=organisation if role != "assessor" else None))
    for method, path in ROUTES:
        response = _request(client, method, path.format(r=survey_round.id))
        assert response.status_code == 404, (role, method, path)
    assert "Survey rounds" not in client.get("/").get_data(as_text=True)


def test_anonymous_people_are_sent_to_sign_in(client: Any, make_round: Any) -> None:
    survey_round = make_round(status="open")
    for method, path in ROUTES:
        response = _request(client, method, path.format(r=survey_round.id))
        assert response.status_code == 302, (method, path)
        assert "/auth/login" in response.headers["Location"]


def test_a_manager_sees_the_navigation_entry(client: Any, manager: Any) -> None:
    assert 'href="/manage/">Survey rounds</a>' in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("method, path", [route for route in ROUTES if route[0] == "POST"])
def test_a_post_without_its_csrf_token_is_refused(
    client: Any, manager: Any, make_round: Any, method: str, path: str
) -> None:
    survey_round = make_round(status="open")
    response = client.post(path.format(r=survey_round.id), data={})
    assert response.status_code == 400


def test_an_unknown_round_is_not_found(client: Any, manager: Any) -> None:
    assert client.get("/manage/rounds/999999").status_code == 404
    assert client.get("/manage/rounds/999999/monitor").status_code == 404
