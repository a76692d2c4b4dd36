"""Every route x every kind of visitor x own / other organisation / other area, in one table.

A route the table does not list fails the test: a new page cannot ship without someone
deciding who may use it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from survey.models import AssuranceAction, Invitation
from tests.factories import PASSWORD
from tests.survey.answering import save_answers
from tests.survey.stored import submit_released

ACTORS = ("anonymous", "respondent", "viewer", "commissioner", "assessor", "manager")
SCOPES = ("own", "other_org", "other_area")

#: outcomes: "ok" (the page works: 2xx, a redirect within its own flow, or a form error),
#: "login" (redirect to sign in), "404" (as if the page did not exist), "403" (seen, not changed)
EVERYONE = {actor: "ok" for actor in ACTORS}
SIGNED_IN = {
    "anonymous": "login",
    "respondent": "login",
    "viewer": "ok",
    "commissioner": "ok",
    "assessor": "ok",
    "manager": "ok",
}
MANAGERS = {
    "anonymous": "login",
    "respondent": "login",
    "viewer": "404",
    "commissioner": "404",
    "assessor": "404",
    "manager": "ok",
}
#: the comparison of organisations: a commissioner sees their own among unnamed others
COMPARISON = {
    "anonymous": "login",
    "respondent": "login",
    "viewer": "404",
    "commissioner": "ok",
    "assessor": "ok",
    "manager": "ok",
}


def by_organisation(scope: str) -> dict[str, str]:
    """Results of one organisation: its own people, its region's assessor, and managers."""
    visible = {
        "own": {"viewer", "commissioner", "assessor", "manager"},
        "other_org": {"assessor", "manager"},
        "other_area": {"manager"},
    }[scope]
    return {
        actor: "login"
        if actor in ("anonymous", "respondent")
        else ("ok" if actor in visible else "404")
        for actor in ACTORS
    }


def by_recorder(scope: str) -> dict[str, str]:
    """Changes to an organisation's assurance record: only its region's assessor; the people
    who may see it are refused (403), everyone else finds nothing (404)."""
    sees = by_organisation(scope)
    return {
        actor: sees[actor] if sees[actor] != "ok" else ("ok" if actor == "assessor" else "403")
        for actor in ACTORS
    }


def by_commissioner(scope: str) -> dict[str, str]:
    """Acting for an organisation in fieldwork (its one reminder): its own commissioner only."""
    return {
        actor: "login"
        if actor in ("anonymous", "respondent")
        else ("ok" if actor == "commissioner" and scope == "own" else "404")
        for actor in ACTORS
    }


@dataclass(frozen=True)
class Route:
    path: str
    #: outcome per actor, or a function of the scope for organisation pages
    expect: Any
    scoped: bool = False


MATRIX: dict[tuple[str, str], Route] = {
    ("GET", "home.index"): Route("/", SIGNED_IN),
    ("GET", "health.status"): Route("/health", EVERYONE),
    ("GET", "home.accessibility"): Route("/accessibility", EVERYONE),
    ("GET", "home.privacy"): Route("/privacy", EVERYONE),
    ("GET", "home.why_asked"): Route("/why-am-i-being-asked", EVERYONE),
    ("GET", "auth.login"): Route("/auth/login", EVERYONE),
    ("POST", "auth.login"): Route("/auth/login", EVERYONE),
    ("POST", "auth.logout"): Route("/auth/logout", {**SIGNED_IN}),
    ("GET", "auth.set_password_page"): Route(
        "/auth/set-password/not-a-token", {actor: "404" for actor in ACTORS}
    ),
    ("POST", "auth.set_password_page"): Route(
        "/auth/set-password/not-a-token", {actor: "404" for actor in ACTORS}
    ),
    # no identity provider is configured here: tests/survey/auth/test_oidc.py has one
    ("GET", "auth.oidc_login"): Route("/auth/oidc/login", {actor: "404" for actor in ACTORS}),
    ("GET", "auth.oidc_callback"): Route("/auth/oidc/callback", {actor: "404" for actor in ACTORS}),
    ("GET", "auth.two_factor_page"): Route("/auth/two-factor", EVERYONE),
    ("POST", "auth.two_factor_page"): Route("/auth/two-factor", EVERYONE),
    ("GET", "auth.two_factor_setup"): Route("/auth/two-factor/setup", SIGNED_IN),
    ("POST", "auth.two_factor_setup"): Route("/auth/two-factor/setup", SIGNED_IN),
    ("GET", "respond.start"): Route("/s/{token}", EVERYONE),
    ("GET", "respond.section"): Route("/s/{token}/1", EVERYONE),
    ("POST", "respond.section"): Route("/s/{token}/1", EVERYONE),
    ("GET", "respond.check"): Route("/s/{token}/check", EVERYONE),
    ("POST", "respond.check"): Route("/s/{token}/check", EVERYONE),
    ("GET", "respond.saved"): Route("/s/{token}/saved", EVERYONE),
    ("GET", "respond.opt_out_page"): Route(
        "/s/opt-out/not-a-token", {actor: "404" for actor in ACTORS}
    ),
    ("POST", "respond.opt_out_page"): Route(
        "/s/opt-out/not-a-token", {actor: "404" for actor in ACTORS}
    ),
    ("GET", "static"): Route("/static/css/app.css", EVERYONE),
    ("GET", "manage.index"): Route("/manage/", MANAGERS),
    ("GET", "manage.audit_log"): Route("/manage/audit", MANAGERS),
    ("GET", "manage.users"): Route("/manage/users", MANAGERS),
    ("GET", "manage.local_questions"): Route("/manage/rounds/{round}/local-questions", MANAGERS),
    ("POST", "manage.local_questions"): Route("/manage/rounds/{round}/local-questions", MANAGERS),
    ("POST", "manage.users"): Route("/manage/users", MANAGERS),
    ("POST", "manage.user_access"): Route("/manage/users/{user}/access", MANAGERS),
    ("POST", "manage.user_sign_out"): Route("/manage/users/{user}/sign-out", MANAGERS),
    ("POST", "manage.user_two_factor_reset"): Route(
        "/manage/users/{user}/two-factor-reset", MANAGERS
    ),
    ("GET", "manage.responses_csv"): Route("/manage/rounds/{round}/responses.csv", MANAGERS),
    ("GET", "manage.organisations"): Route("/manage/organisations", MANAGERS),
    ("POST", "manage.organisations"): Route("/manage/organisations", MANAGERS),
    ("POST", "manage.confirm_organisations"): Route("/manage/organisations/confirm", MANAGERS),
    ("GET", "manage.new_round"): Route("/manage/rounds/new", MANAGERS),
    ("POST", "manage.new_round"): Route("/manage/rounds/new", MANAGERS),
    ("GET", "manage.round_page"): Route("/manage/rounds/{round}", MANAGERS),
    ("GET", "manage.change_status"): Route("/manage/rounds/{round}/close", MANAGERS),
    ("POST", "manage.change_status"): Route("/manage/rounds/{round}/close", MANAGERS),
    ("POST", "manage.automatic_fieldwork"): Route("/manage/rounds/{round}/automatic/off", MANAGERS),
    ("POST", "manage.publish"): Route("/manage/rounds/{round}/publish", MANAGERS),
    ("GET", "manage.bounces"): Route("/manage/rounds/{round}/bounces", MANAGERS),
    ("POST", "manage.bounces"): Route("/manage/rounds/{round}/bounces", MANAGERS),
    ("GET", "manage.send_invitations"): Route("/manage/rounds/{round}/invitations", MANAGERS),
    ("POST", "manage.send_invitations"): Route("/manage/rounds/{round}/invitations", MANAGERS),
    ("GET", "manage.monitor"): Route("/manage/rounds/{round}/monitor", MANAGERS),
    ("GET", "manage.reminders"): Route("/manage/rounds/{round}/reminders", MANAGERS),
    ("POST", "manage.reminder_schedule"): Route(
        "/manage/rounds/{round}/reminders/schedule", MANAGERS
    ),
    ("POST", "manage.send_reminders"): Route("/manage/rounds/{round}/reminders/send", MANAGERS),
    ("GET", "manage.upload_stakeholders"): Route("/manage/rounds/{round}/stakeholders", MANAGERS),
    ("POST", "manage.upload_stakeholders"): Route("/manage/rounds/{round}/stakeholders", MANAGERS),
    ("POST", "manage.confirm_stakeholders"): Route(
        "/manage/rounds/{round}/stakeholders/confirm", MANAGERS
    ),
    ("POST", "manage.stakeholder_columns"): Route(
        "/manage/rounds/{round}/stakeholders/columns", MANAGERS
    ),
    ("POST", "manage.organisation_columns"): Route("/manage/organisations/columns", MANAGERS),
    ("GET", "manage.non_responders_page"): Route(
        "/manage/rounds/{round}/organisations/{code}/non-responders", MANAGERS
    ),
    ("GET", "manage.non_responders_download"): Route(
        "/manage/rounds/{round}/organisations/{code}/non-responders.csv", MANAGERS
    ),
    ("GET", "manage.preview"): Route("/manage/rounds/{round}/preview", MANAGERS),
    ("GET", "manage.preview_page"): Route(
        "/manage/rounds/{round}/preview/{code}/gp_practice/1", MANAGERS
    ),
    ("POST", "manage.preview_page"): Route(
        "/manage/rounds/{round}/preview/{code}/gp_practice/1", MANAGERS
    ),
    ("POST", "manage.preview_end"): Route(
        "/manage/rounds/{round}/preview/{code}/gp_practice/end", MANAGERS
    ),
    ("GET", "results.methods"): Route("/results/methods", SIGNED_IN),
    ("GET", "results.national"): Route("/results/national", COMPARISON),
    ("GET", "results.organisation"): Route("/results/{code}", by_organisation, scoped=True),
    ("GET", "results.download"): Route("/results/{code}/agenda.docx", by_organisation, scoped=True),
    ("GET", "results.fieldwork"): Route("/results/{code}/fieldwork", by_organisation, scoped=True),
    ("GET", "results.fieldwork_reminder"): Route(
        "/results/{code}/fieldwork/{round}/reminder", by_commissioner, scoped=True
    ),
    ("POST", "results.fieldwork_reminder"): Route(
        "/results/{code}/fieldwork/{round}/reminder", by_commissioner, scoped=True
    ),
    ("GET", "results.assurance"): Route(
        "/results/{code}/assurance/{round}", by_organisation, scoped=True
    ),
    ("GET", "results.assurance_domain"): Route(
        "/results/{code}/assurance/{round}/governance", by_recorder, scoped=True
    ),
    ("POST", "results.assurance_domain"): Route(
        "/results/{code}/assurance/{round}/governance", by_recorder, scoped=True
    ),
    ("POST", "results.assurance_add_action"): Route(
        "/results/{code}/assurance/{round}/governance/actions", by_recorder, scoped=True
    ),
    ("GET", "results.assurance_edit_action"): Route(
        "/results/{code}/assurance/{round}/actions/{action}", by_recorder, scoped=True
    ),
    ("POST", "results.assurance_edit_action"): Route(
        "/results/{code}/assurance/{round}/actions/{action}", by_recorder, scoped=True
    ),
    ("POST", "results.assurance_action_status"): Route(
        "/results/{code}/assurance/{round}/actions/{action}/status", by_recorder, scoped=True
    ),
}


def test_every_route_has_an_entry(app: Any) -> None:
    served = {
        (method, rule.endpoint)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert served == set(MATRIX), (
        f"missing: {sorted(served - set(MATRIX))}; stale: {sorted(set(MATRIX) - served)}"
    )


def _outcome(response: Any) -> str:
    status = response.status_code
    assert status < 500, (response.request.path, status)
    if status == 404:
        return "404"
    if status in (301, 302, 303) and "/auth/login?next=" in response.headers.get("Location", ""):
        return "login"  # (signing out also ends on /auth/login, without a next page)
    if status in (403, 401):
        return "403"
    return "ok"


@pytest.fixture
def world(
    db: Any, make_organisation: Any, make_round: Any, make_invitation: Any, make_user: Any
) -> dict[str, Any]:
    own = make_organisation(code="OWN01", region="Midlands")
    other_org = make_organisation(code="OTH02", region="Midlands")
    other_area = make_organisation(code="FAR03", region="London")
    survey_round = make_round()
    for organisation in (own, other_org, other_area):
        for score in (5, 4, 4, 3, 5, 2):
            issued = make_invitation(survey_round=survey_round, organisation=organisation)
            invitation = db.session.get(Invitation, issued.invitation.id)
            save_answers(invitation, {"overall_relationship": {"score": score}}, resume_section=1)
            submit_released(invitation, ["overall_relationship"])
            db.session.commit()
    link = make_invitation(survey_round=survey_round, organisation=own)
    users = {
        "viewer": make_user(role="viewer", organisation=own),
        "commissioner": make_user(role="commissioner", organisation=own),
        "assessor": make_user(role="assessor", region="Midlands"),
        "manager": make_user(role="manager"),
    }
    codes = {"own": own.code, "other_org": other_org.code, "other_area": other_area.code}
    # an agreed action of each organisation, for the pages that change one
    actions = {}
    for scope, organisation in (("own", own), ("other_org", other_org), ("other_area", other_area)):
        action = AssuranceAction(
            round_id=survey_round.id,
            organisation_id=organisation.id,
            domain="governance",
            text="An action",
            owner="Someone",
            due_on=date(2031, 1, 31),
        )
        db.session.add(action)
        db.session.flush()
        actions[scope] = action.id
    db.session.commit()
    return {
        "actions": actions,
        "round": survey_round.id,
        "token": link.path.rsplit("/", 1)[1],
        "users": users,
        "codes": codes,
    }


def _csrf(client: Any) -> str:
    html = client.get("/auth/login").get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    return match.group(1) if match else ""


@pytest.mark.parametrize("actor", ACTORS)
def test_each_visitor_gets_exactly_what_the_matrix_says(
    app: Any, world: dict[str, Any], actor: str
) -> None:
    client = app.test_client()
    if actor in world["users"]:
        token = _csrf(client)
        signed = client.post(
            "/auth/login",
            data={"csrf_token": token, "email": world["users"][actor].email, "password": PASSWORD},
        )
        assert signed.status_code == 302
    elif actor == "respondent":
        assert client.get(f"/s/{world['token']}").status_code == 200  # holds a live survey link
    leaks = []
    # Reads first, then writes (which may change the world), sign-out last of all.
    ordered = sorted(
        MATRIX.items(), key=lambda item: (item[0][0] == "POST", item[0][1] == "auth.logout")
    )
    for (method, _endpoint), route in ordered:
        scopes = SCOPES if route.scoped else ("own",)
        for scope in scopes:
            expected = (route.expect(scope) if route.scoped else route.expect)[actor]
            path = route.path.format(
                round=world["round"],
                token=world["token"],
                code=world["codes"][scope],
                user=world["users"]["viewer"].id,
                action=world["actions"][scope],
            )
            if method == "GET":
                response = client.get(path)
            else:
                response = client.post(path, data={"csrf_token": _csrf_for(client, actor)})
            got = _outcome(response)
            if got != expected:
                leaks.append(
                    f"{actor} {method} {path} ({scope}): "
                    f"expected {expected}, got {got} [{response.status_code}]"
                )
            response.close()
    assert not leaks, "\n".join(leaks)


def _csrf_for(client: Any, actor: str) -> str:
    """A valid CSRF token of this client's session.

    Signed-in visitors are sent home by /auth/login, so the redirect is followed.
    """
    html = client.get("/auth/login", follow_redirects=True).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    return match.group(1) if match else ""
