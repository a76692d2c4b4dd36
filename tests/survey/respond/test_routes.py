"""The respondent pages through Flask's test client: dead links, scanners, CSRF, save and resume,
"don't know", length limits, routing by stakeholder group, and what a submitted link shows."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from sqlalchemy import DateTime, func, inspect, select

from survey.extensions import db as _db
from survey.models import (
    Invitation,
    InvitationStatus,
    PendingResponse,
    Response,
)
from survey.services.audit import COMMAND_LINE
from survey.services.closing import close_round
from survey.services.invitations import reissue_link, revoke
from survey.services.tokens import new_link_token
from tests.survey.answering import count_drafts
from tests.survey.helpers import answer_everything, csrf_token, post_form
from tests.survey.stored import answers_stored, draft_answers, release_all

GP_ONLY = "clin_practice_influence"  # routed to gp_practice only
HEALTHWATCH_ONLY = "eng_responds_healthwatch"  # routed to healthwatch only
COMMENTS = ("comment_does_well", "comment_could_improve", "comment_anything_else")


# -- helpers -------------------------------------------------------------------------------


def _html(response: Any) -> str:
    return response.get_data(as_text=True)


def _radio_names(html: str) -> set[str]:
    return set(re.findall(r'name="([a-z0-9_]+)" type="radio"', html))


def _page_count(client: Any, path: str) -> int:
    match = re.search(r"Section 1 of (\d+)", _html(client.get(f"{path}/1")))
    assert match
    return int(match.group(1))


def _all_pages(client: Any, path: str) -> list[str]:
    """Every page a link has (start, each section, saved, check), as a scanner would find them."""
    return [
        path,
        *(f"{path}/{n}" for n in range(1, _page_count(client, path) + 1)),
        f"{path}/saved",
        f"{path}/check",
    ]


def _submit(client: Any, path: str, **answers: str) -> Any:
    answer_everything(client, path, **answers)
    check = client.get(f"{path}/check")
    assert check.status_code == 200
    return client.post(f"{path}/check", data={"csrf_token": csrf_token(_html(check))})


def _fresh(db: Any, invitation: Invitation) -> Invitation:
    db.session.rollback()  # end any read transaction: see what the server committed
    found = db.session.get(Invitation, invitation.id)
    assert found is not None
    return found


def _draft(db: Any, invitation: Invitation) -> Invitation | None:
    """The invitation as the server committed it, if it holds a draft."""
    db.session.rollback()  # end any read transaction: see what the server committed
    fresh = db.session.get_one(Invitation, invitation.id)
    db.session.refresh(fresh)
    return fresh if fresh.sealed_draft is not None else None


def _drafts(db: Any) -> int:
    db.session.rollback()  # end any read transaction: see what the server committed
    return count_drafts()


def _count(db: Any, model: type) -> int:
    db.session.rollback()  # end any read transaction: see what the server committed
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def _assert_dead(client: Any, path: str, reference: str) -> None:
    for url in (path, f"{path}/1", f"{path}/saved", f"{path}/check"):
        page = client.get(url)
        assert page.status_code == 404, url
        assert _html(page) == reference, url
    # a POST to a dead link is the same dead-link page, with or without a form key
    posted = client.post(f"{path}/1", data={"action": "continue"})
    assert posted.status_code == 404 and _html(posted) == reference


def _dead_reference(client: Any) -> str:
    page = client.get("/s/not-a-real-link")
    assert page.status_code == 404
    html = _html(page)
    assert "This link or page is not working" in html
    assert "Traceback" not in html and "Error" not in html.split("<title>")[1].split("</title>")[0]
    return html


# -- dead links ----------------------------------------------------------------------------


def test_tampered_and_unknown_links_show_the_same_404_page(client, make_invitation) -> None:
    reference = _dead_reference(client)
    issued = make_invitation()
    token = issued.path.removeprefix("/s/")
    # change the random part (the signature's last base64 character has bits that decoding ignores)
    tampered = ("A" if token[0] != "A" else "B") + token[1:]
    unknown, _hash = new_link_token("test-secret-key")  # signed with our key but never stored
    foreign, _hash = new_link_token("someone-elses-key")
    for bad in (tampered, unknown, foreign, token[: len(token) // 2], "x" * 500):
        _assert_dead(client, f"/s/{bad}", reference)
    assert client.get(issued.path).status_code == 200  # the real link still works


def test_revoked_link_shows_the_404_page_and_its_draft_is_gone(client, db, make_invitation) -> None:
    reference = _dead_reference(client)
    issued = make_invitation()
    post_form(client, f"{issued.path}/1", {"overall_relationship": "5", "action": "save"})
    assert _draft(db, issued.invitation) is not None
    revoke(COMMAND_LINE, _fresh(db, issued.invitation))
    db.session.commit()
    _assert_dead(client, issued.path, reference)
    assert _draft(db, issued.invitation) is None


def test_reissued_link_kills_the_old_one_and_the_new_one_works(
    client, db, make_invitation, app
) -> None:
    reference = _dead_reference(client)
    issued = make_invitation()
    post_form(client, f"{issued.path}/1", {"overall_relationship": "5", "action": "save"})
    with app.test_request_context():
        new_link = reissue_link(COMMAND_LINE, _fresh(db, issued.invitation))
        db.session.commit()
    new_path = new_link.removeprefix("http://localhost")
    assert new_path != issued.path
    _assert_dead(client, issued.path, reference)
    start = client.get(new_path)
    assert start.status_code == 200
    assert "Continue where you left off" in _html(start)  # the saved answers follow the invitation
    assert _submit(client, new_path).status_code == 302
    assert "Survey complete" in _html(client.get(new_path))


def test_closed_round_and_out_of_dates_links_show_the_404_page(
    client, db, make_invitation, make_round
) -> None:
    reference = _dead_reference(client)
    closing = make_invitation()
    post_form(client, f"{closing.path}/1", {"overall_relationship": "5", "action": "save"})
    close_round(COMMAND_LINE, _fresh(db, closing.invitation).survey_round)
    db.session.commit()
    _assert_dead(client, closing.path, reference)

    today = date.today()
    not_yet = make_invitation(
        survey_round=make_round(
            opens_on=today + timedelta(days=3), closes_on=today + timedelta(days=30)
        )
    )
    _assert_dead(client, not_yet.path, reference)
    past = make_invitation(
        survey_round=make_round(
            opens_on=today - timedelta(days=30), closes_on=today - timedelta(days=1)
        )
    )
    _assert_dead(client, past.path, reference)


def test_a_section_number_out_of_range_is_the_404_page(client, make_invitation) -> None:
    issued = make_invitation()
    total = _page_count(client, issued.path)
    for number in (0, total + 1, 999):
        page = client.get(f"{issued.path}/{number}")
        assert page.status_code == 404
        assert "This link or page is not working" in _html(page)


# -- scanners, CSRF ------------------------------------------------------------------------


def _snapshot(db: Any, invitation: Invitation) -> tuple[object, ...]:
    fresh = _fresh(db, invitation)
    draft = _draft(db, invitation)
    return (
        fresh.status,
        None if draft is None else (draft.sealed_draft, draft.resume_section),
        _drafts(db),
        _count(db, Response),
    )


def test_a_link_scanner_getting_every_page_three_times_changes_nothing(
    client, db, make_invitation
) -> None:
    untouched = make_invitation()
    pages = _all_pages(client, untouched.path)
    before = _snapshot(db, untouched.invitation)
    assert before[0] is InvitationStatus.ISSUED and before[1] is None
    for _ in range(3):
        for url in pages:
            assert client.get(url).status_code == 200, url
    assert _snapshot(db, untouched.invitation) == before

    started = make_invitation()
    post_form(client, f"{started.path}/1", {"overall_relationship": "2", "action": "save"})
    before = _snapshot(db, started.invitation)
    assert before[0] is InvitationStatus.STARTED
    for _ in range(3):
        for url in _all_pages(client, started.path):
            assert client.get(url).status_code == 200, url
    assert _snapshot(db, started.invitation) == before


def test_post_without_the_form_key_keeps_its_answers_and_submits_nothing(
    client, db, make_invitation
) -> None:
    """A post without the link-bound key (an old copy of the page, a tampered form) is not
    taken as a finished page, but its answers are kept and the page says what happened."""
    issued = make_invitation()
    other = make_invitation(survey_round=_fresh(db, issued.invitation).survey_round)
    other_key = csrf_token(_html(client.get(f"{other.path}/1")))  # valid, but for another link
    for key in (None, "forged", other_key):
        data = {"overall_relationship": "5", "action": "continue"}
        if key is not None:
            data["csrf_token"] = key
        refused = client.post(f"{issued.path}/1", data=data)
        assert refused.status_code == 400
        html = _html(refused)
        assert "There is a problem" in html and "Your answers have been kept" in html
        assert "<title>Error: " in html and "Traceback" not in html
        assert draft_answers(db, issued.invitation) == {  # type: ignore[union-attr]
            "overall_relationship": {"score": 5}
        }
    assert _fresh(db, issued.invitation).status is InvitationStatus.STARTED

    answer_everything(client, issued.path)
    draft_before = draft_answers(db, issued.invitation)
    for data in ({}, {"csrf_token": "forged"}):
        refused = client.post(f"{issued.path}/check", data=data)
        assert refused.status_code == 400 and "Your answers have been kept" in _html(refused)
    assert _count(db, Response) == 0
    assert _fresh(db, issued.invitation).status is InvitationStatus.STARTED
    assert draft_answers(db, issued.invitation) == draft_before  # type: ignore[union-attr]


# -- save and resume -----------------------------------------------------------------------


def test_save_and_come_back_later_keeps_partial_answers_and_resumes(
    client, db, make_invitation
) -> None:
    issued = make_invitation()
    assert "Start now" in _html(client.get(issued.path))
    first = client.get(f"{issued.path}/1")
    names = sorted(_radio_names(_html(first)))
    assert "overall_relationship" in names
    # only one of the first page's questions answered, then leave
    saved = client.post(
        f"{issued.path}/1",
        data={
            "csrf_token": csrf_token(_html(first)),
            "overall_relationship": "2",
            "action": "save",
        },
    )
    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"{issued.path}/saved")
    saved_page = client.get(f"{issued.path}/saved")
    assert "Your answers have been saved" in _html(saved_page)
    draft = _draft(db, issued.invitation)
    assert draft is not None
    assert draft_answers(db, issued.invitation) == {"overall_relationship": {"score": 2}}
    assert draft.resume_section == 1
    assert _fresh(db, issued.invitation).status is InvitationStatus.STARTED

    start = _html(client.get(issued.path))
    assert "Continue where you left off" in start and "Start now" not in start
    assert f'href="{issued.path}/1"' in start
    again = _html(client.get(f"{issued.path}/1"))
    assert re.search(r'value="2" checked', again)  # the answer is shown again

    # finish page 1, then answer part of page 2 and save: resume at page 2
    data = {name: "4" for name in names}
    data["overall_relationship"] = "2"
    assert post_form(client, f"{issued.path}/1", {**data, "action": "continue"}).status_code == 302
    second_names = sorted(_radio_names(_html(client.get(f"{issued.path}/2"))))
    post_form(client, f"{issued.path}/2", {second_names[0]: "dk", "action": "save"})
    draft = _draft(db, issued.invitation)
    assert draft is not None and draft.resume_section == 2
    assert draft_answers(db, issued.invitation)[second_names[0]] == {"dont_know": True}
    assert set(names) <= set(draft_answers(db, issued.invitation))
    assert f'href="{issued.path}/2"' in _html(client.get(issued.path))


def test_an_incomplete_page_shows_errors_and_keeps_the_valid_answers(
    client, db, make_invitation
) -> None:
    issued = make_invitation()
    page = client.get(f"{issued.path}/1")
    names = sorted(_radio_names(_html(page)))
    response = client.post(
        f"{issued.path}/1",
        data={
            "csrf_token": csrf_token(_html(page)),
            "overall_relationship": "5",
            "action": "continue",
        },
    )
    assert response.status_code == 400
    html = _html(response)
    assert "There is a problem" in html and "<title>Error:" in html
    for name in names:
        if name != "overall_relationship":
            assert f'href="#{name}-1"' in html
    draft = _draft(db, issued.invitation)
    assert draft is not None
    assert draft_answers(db, issued.invitation) == {"overall_relationship": {"score": 5}}
    assert draft.resume_section == 1


def test_check_page_sends_back_to_the_first_unanswered_section(client, db, make_invitation) -> None:
    issued = make_invitation()
    post_form(client, f"{issued.path}/1", {"overall_relationship": "5", "action": "save"})
    check = client.get(f"{issued.path}/check")
    assert "Answer the remaining questions" in _html(check) and "csrf_token" not in _html(check)
    token = csrf_token(_html(client.get(f"{issued.path}/1")))
    posted = client.post(f"{issued.path}/check", data={"csrf_token": token})
    assert posted.status_code == 302 and posted.headers["Location"].endswith(f"{issued.path}/1")
    assert _count(db, Response) == 0


# -- what is stored ------------------------------------------------------------------------


def test_dont_know_is_stored_as_dont_know_never_a_score(client, db, make_invitation) -> None:
    issued = make_invitation()
    answer_everything(client, issued.path, choice="dk", comment="")
    draft = _draft(db, issued.invitation)
    assert draft is not None
    saved = draft_answers(db, issued.invitation)
    scale_answers = {k: v for k, v in saved.items() if k not in COMMENTS}
    assert scale_answers and all(v == {"dont_know": True} for v in scale_answers.values())
    check = _html(client.get(f"{issued.path}/check"))
    assert "Don&#39;t know" in check or "Don't know" in check
    submitted = client.post(f"{issued.path}/check", data={"csrf_token": csrf_token(check)})
    assert submitted.status_code == 302
    release_all(db)
    [answers] = answers_stored(db)
    assert answers == scale_answers  # blank comments are not stored


def test_open_text_over_the_limit_is_an_error_and_nothing_is_submitted(
    client, db, make_invitation
) -> None:
    issued = make_invitation()
    answer_everything(client, issued.path, comment="Fine.")
    last = _page_count(client, issued.path)
    page = _html(client.get(f"{issued.path}/{last}"))
    assert "comment_does_well" in page
    too_long = "x" * 2001
    response = client.post(
        f"{issued.path}/{last}",
        data={"csrf_token": csrf_token(page), "action": "continue", "comment_does_well": too_long},
    )
    assert response.status_code == 400
    html = _html(response)
    assert "Your comment must be 2000 characters or fewer" in html
    assert 'href="#comment_does_well-1"' in html
    draft = _draft(db, issued.invitation)
    assert draft is not None
    assert draft_answers(db, issued.invitation)["comment_does_well"] == {"text": "Fine."}
    assert _count(db, Response) == 0
    assert _fresh(db, issued.invitation).status is InvitationStatus.STARTED

    exactly = "y" * 2000
    ok = post_form(
        client, f"{issued.path}/{last}", {"action": "continue", "comment_does_well": exactly}
    )
    assert ok.status_code == 302
    check = client.get(f"{issued.path}/check")
    client.post(f"{issued.path}/check", data={"csrf_token": csrf_token(_html(check))})
    release_all(db)
    [answers] = answers_stored(db)
    assert answers["comment_does_well"] == {"text": exactly}


def test_a_stakeholder_group_sees_and_stores_only_its_own_items(
    client, db, make_invitation, make_round
) -> None:
    survey_round = make_round()
    gp = make_invitation(survey_round=survey_round, group="gp_practice")
    healthwatch = make_invitation(survey_round=survey_round, group="healthwatch")

    def every_page(path: str) -> str:
        return "".join(_html(client.get(url)) for url in _all_pages(client, path))

    gp_pages, hw_pages = every_page(gp.path), every_page(healthwatch.path)
    assert f'name="{GP_ONLY}"' in gp_pages and f'name="{HEALTHWATCH_ONLY}"' not in gp_pages
    assert f'name="{HEALTHWATCH_ONLY}"' in hw_pages and f'name="{GP_ONLY}"' not in hw_pages

    # an answer posted for an item the group is not shown is ignored
    answer_everything(client, gp.path)
    first = _html(client.get(f"{gp.path}/1"))
    data = {name: "4" for name in _radio_names(first)}
    post_form(client, f"{gp.path}/1", {**data, HEALTHWATCH_ONLY: "5", "action": "continue"})
    assert HEALTHWATCH_ONLY not in draft_answers(db, gp.invitation)
    check = client.get(f"{gp.path}/check")
    client.post(f"{gp.path}/check", data={"csrf_token": csrf_token(_html(check))})
    release_all(db)
    [response] = db.session.scalars(select(Response)).all()
    assert response.stakeholder_group == "gp_practice"
    [items] = answers_stored(db)
    assert GP_ONLY in items and HEALTHWATCH_ONLY not in items


def test_after_submit_the_link_only_says_survey_complete(client, db, make_invitation) -> None:
    issued = make_invitation()
    other = make_invitation(survey_round=_fresh(db, issued.invitation).survey_round)
    secret_comment = "Our quarterly meetings are very useful zebra-7731."
    pages = _all_pages(client, issued.path)
    answer_everything(client, issued.path, choice="5", comment=secret_comment)
    submitted_key = csrf_token(_html(client.get(f"{issued.path}/check")))
    submitted = client.post(f"{issued.path}/check", data={"csrf_token": submitted_key})
    assert submitted.status_code == 302
    assert submitted.headers["Location"].endswith(issued.path)
    for url in pages:
        page = client.get(url)
        assert page.status_code == 200, url
        html = _html(page)
        assert "Survey complete" in html, url
        assert (
            secret_comment not in html and "Strongly agree" not in html and "Very good" not in html
        )
        assert 'type="radio"' not in html and "<textarea" not in html and "csrf_token" not in html
    # the link's own form key (from its check page, before submitting) and another link's
    for token in (submitted_key, csrf_token(_html(client.get(f"{other.path}/1")))):
        resubmit = client.post(f"{issued.path}/check", data={"csrf_token": token})
        assert resubmit.status_code == 409 and "Survey complete" in _html(resubmit)
        late = client.post(
            f"{issued.path}/1",
            data={"csrf_token": token, "overall_relationship": "1", "action": "save"},
        )
        assert late.status_code == 409 and "Survey complete" in _html(late)
    assert _count(db, PendingResponse) == 1
    release_all(db)
    assert _count(db, Response) == 1
    assert _drafts(db) == 0
    [answers] = answers_stored(db)
    assert answers["overall_relationship"] == {"score": 5}
    assert answers["comment_does_well"] == {"text": secret_comment}


# -- drafts are deleted, responses are anonymous -------------------------------------------


def test_partial_answers_are_deleted_on_submit(client, db, make_invitation) -> None:
    issued = make_invitation()
    other = make_invitation(survey_round=_fresh(db, issued.invitation).survey_round)
    post_form(client, f"{other.path}/1", {"overall_relationship": "3", "action": "save"})
    answer_everything(client, issued.path)
    assert _draft(db, issued.invitation) is not None
    check = client.get(f"{issued.path}/check")
    client.post(f"{issued.path}/check", data={"csrf_token": csrf_token(_html(check))})
    assert _draft(db, issued.invitation) is None
    assert _draft(db, other.invitation) is not None  # someone else's draft is untouched
    assert _fresh(db, issued.invitation).status is InvitationStatus.COMPLETED


def test_partial_answers_are_deleted_when_the_round_closes(
    client, db, make_invitation, make_round
) -> None:
    closing_round = make_round()
    staying_round = make_round()
    first = make_invitation(survey_round=closing_round)
    second = make_invitation(survey_round=closing_round)
    elsewhere = make_invitation(survey_round=staying_round)
    for issued in (first, second, elsewhere):
        post_form(client, f"{issued.path}/1", {"overall_relationship": "3", "action": "save"})
    assert _drafts(db) == 3
    close_round(COMMAND_LINE, _fresh(db, first.invitation).survey_round)
    db.session.commit()
    assert _draft(db, first.invitation) is None and _draft(db, second.invitation) is None
    assert _draft(db, elsewhere.invitation) is not None


def test_stored_responses_have_no_timestamp_and_no_link_to_the_invitation(
    client, db, make_invitation
) -> None:
    issued = make_invitation()
    _submit(client, issued.path)
    table = Response.__table__
    assert not [c.name for c in table.columns if isinstance(c.type, DateTime)]
    assert not [c.name for c in table.columns if "time" in c.name or c.name.endswith("_at")]
    assert not [
        c.name
        for c in table.columns
        if "invitation" in c.name or "stakeholder_id" in c.name or "token" in c.name
    ]
    assert {fk.column.table.name for fk in Response.__table__.foreign_keys} == {
        "survey_round",
        "organisation",
    }
    # the database as migrated agrees with the models
    inspector = inspect(_db.engine)
    assert {c["name"] for c in inspector.get_columns("response")} == {
        "id",
        "round_id",
        "organisation_id",
        "stakeholder_group",
        "format_version",
        "scale_answers",
        "other_answers",
    }
    assert {fk["referred_table"] for fk in inspector.get_foreign_keys("response")} == {
        "survey_round",
        "organisation",
    }
    release_all(db)
    [response] = db.session.scalars(select(Response)).all()
    invitation = _fresh(db, issued.invitation)
    assert response.id != str(invitation.id) and len(response.id) == 36
    assert response.organisation_id == invitation.organisation_id
