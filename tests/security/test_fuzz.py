"""Fuzzing the public surface: generated links and form payloads never cause a 5xx or a
half-stored response, and hostile text is always rendered escaped."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from survey.models import Invitation, Response
from survey.services.audit import COMMAND_LINE
from tests.survey.helpers import csrf_token
from tests.survey.stored import draft_answers, submit_released

XSS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "{{7*7}}",
    "=cmd|' /C calc'!A0",
]
#: 5,000 generated links for GET and 5,000 for POST: 10,000 token strings per run
FUZZ_SETTINGS = settings(
    max_examples=5000,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

link_like = st.one_of(
    st.text(min_size=0, max_size=300),
    st.text(
        alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.",
        min_size=20,
        max_size=120,
    ),
    st.binary(max_size=64).map(lambda b: b.hex()),
)


@FUZZ_SETTINGS
@given(token=link_like, tail=st.sampled_from(["", "/1", "/check", "/saved", "/99", "/-1"]))
def test_generated_links_get_the_dead_link_page_never_a_server_error(
    client: Any, token: str, tail: str
) -> None:
    path = "/s/" + re.sub(r"[/?#%\\]", "", token) + tail
    response = client.get(path)
    assert response.status_code in (404, 405, 308), (path, response.status_code)


@FUZZ_SETTINGS
@given(token=link_like)
def test_generated_links_posted_to_never_store_anything(client: Any, db: Any, token: str) -> None:
    path = "/s/" + re.sub(r"[/?#%\\]", "", token) + "/1"
    response = client.post(path, data={"overall_relationship": "5"})
    assert response.status_code in (400, 404, 405, 308), (path, response.status_code)


values = st.one_of(
    st.text(max_size=50),
    st.sampled_from(
        ["1", "5", "dk", "0", "6", "-1", "99999999999999999999", "1.5", "", " ", "NaN", *XSS]
    ),
    st.text(min_size=2001, max_size=2100),
)


def test_hostile_form_payloads_never_fail_or_half_store(
    client: Any, db: Any, make_invitation: Any
) -> None:
    issued = make_invitation()
    page = client.get(f"{issued.path}/1").get_data(as_text=True)
    token = csrf_token(page)
    names = sorted(set(re.findall(r'name="([a-z0-9_]+)" type="radio"', page)))
    other_items = ["local_1", "not_an_item", "csrf_token_x", "overall_relationship[]", "__proto__"]

    @settings(
        max_examples=2500,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        payload=st.dictionaries(
            st.sampled_from(names + other_items), values, max_size=len(names) + 3
        ),
        section=st.integers(min_value=-2, max_value=12),
        action=st.sampled_from(["continue", "save", "", "submit", "<b>x</b>"]),
    )
    def post(payload: dict[str, str], section: int, action: str) -> None:
        response = client.post(
            f"{issued.path}/{section}", data={"csrf_token": token, "action": action, **payload}
        )
        assert response.status_code < 500, (payload, section, response.status_code)
        if response.status_code == 200 or response.status_code == 400:
            html = response.get_data(as_text=True)
            for hostile in XSS[:2]:
                assert hostile not in html

    post()
    db.session.rollback()
    for item_id, value in draft_answers(db, issued.invitation).items():
        assert item_id in names, item_id  # nothing stored for items not on the page
        assert set(value) <= {"score", "dont_know", "text"}
        if "score" in value:
            assert 1 <= value["score"] <= 5
    assert db.session.scalar(select(func.count()).select_from(Response)) == 0
    assert db.session.get(Invitation, issued.invitation.id).status.value in ("issued", "started")


cells = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        ["", " ", "gp_practice", "GP member practices", "T001", "a@b.org", "not an email", *XSS]
    ),
)


def test_generated_stakeholder_files_load_all_or_nothing(
    db: Any, make_round: Any, make_organisation: Any
) -> None:
    from survey.models import Stakeholder
    from survey.services.errors import InputError
    from survey.services.stakeholders import apply_stakeholder_import, plan_stakeholder_import

    survey_round = make_round()
    make_organisation(code="T001")

    @settings(
        max_examples=1500,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        rows=st.lists(st.tuples(cells, cells, cells, cells), max_size=6),
        header=st.sampled_from(
            [
                "email,name,group,assesses",
                "Email , NAME,Group,ASSESSES",
                "email;name;group;assesses",
            ]
        ),
    )
    def load(rows: list[tuple[str, str, str, str]], header: str) -> None:
        separator = ";" if ";" in header else ","
        text = (
            header
            + "\n"
            + "\n".join(separator.join(f'"{c.replace(chr(34), "")}"' for c in row) for row in rows)
        )
        before = db.session.scalar(select(func.count()).select_from(Stakeholder))
        try:
            plan = plan_stakeholder_import(survey_round, text.encode("utf-8"), "fuzz.csv")
            apply_stakeholder_import(COMMAND_LINE, survey_round, plan)
        except InputError as error:
            db.session.rollback()
            assert "fuzz.csv" in str(error)
            assert db.session.scalar(select(func.count()).select_from(Stakeholder)) == before
        else:
            db.session.commit()  # good files load; later examples re-import over them

    load()


def test_hostile_organisation_names_are_escaped_on_the_survey_pages(
    client: Any, make_invitation: Any, make_organisation: Any
) -> None:
    issued = make_invitation(organisation=make_organisation(name=XSS[0] + XSS[1]))
    for path in (issued.path, f"{issued.path}/1", f"{issued.path}/check"):
        html = client.get(path).get_data(as_text=True)
        assert XSS[0] not in html and XSS[1] not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_hostile_author_and_import_fields_are_escaped_on_every_signed_in_page(
    client: Any,
    db: Any,
    make_round: Any,
    make_organisation: Any,
    make_invitation: Any,
    make_user: Any,
    sign_in: Any,
) -> None:
    from survey.models import LocalQuestion
    from tests.survey.answering import save_answers

    hostile = XSS[0] + XSS[1]
    organisation = make_organisation(
        code="XSS01", name="NHS " + hostile, region="Midlands " + hostile
    )
    survey_round = make_round(title="Round " + hostile)
    db.session.add(
        LocalQuestion(
            round_id=survey_round.id,
            organisation_id=organisation.id,
            item_id="local_1",
            text=hostile,
            scale="agreement",
        )
    )
    db.session.commit()
    for score in (5, 4, 4, 2, 5, 3):
        issued = make_invitation(survey_round=survey_round, organisation=organisation)
        invitation = db.session.get(Invitation, issued.invitation.id)
        save_answers(
            invitation,
            {
                "overall_relationship": {"score": score},
                "local_1": {"score": 4},
                "comment_does_well": {"text": hostile},
            },
            resume_section=1,
        )
        submit_released(invitation, ["overall_relationship", "local_1", "comment_does_well"])
        db.session.commit()
    make_user(role="manager", name="Manager " + hostile)
    sign_in(make_user(role="manager", name="Boss " + hostile))
    paths = [
        "/",
        "/results/XSS01",
        f"/results/XSS01?round={survey_round.id}",
        "/results/national",
        "/results/methods",
        "/manage/",
        f"/manage/rounds/{survey_round.id}",
        f"/manage/rounds/{survey_round.id}/monitor",
        f"/manage/rounds/{survey_round.id}/invitations",
        "/manage/users",
        "/manage/audit",
        "/results/XSS01/agenda.html",
    ]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        html = response.get_data(as_text=True)
        for raw in XSS[:2]:
            assert raw not in html, (path, raw)
