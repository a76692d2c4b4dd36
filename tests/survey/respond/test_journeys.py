"""Respondent journeys beyond the happy path: no cookies at all, a cookie lost mid-page,
"Change" from check your answers, short error messages, and the questionnaire's own texts."""

from __future__ import annotations

import html as html_lib
import re
from typing import Any

from flask import Flask

from survey.models import InvitationStatus, Response
from survey.services.rounds import questionnaire_for
from tests.survey.helpers import answer_everything, csrf_token
from tests.survey.stored import draft_answers, release_all


def _text(response: Any) -> str:
    return str(response.get_data(as_text=True))


def _draft(db: Any, invitation_id: int) -> dict[str, Any]:
    db.session.rollback()  # see what the server committed
    return draft_answers(db, invitation_id)


def _radios(html: str) -> list[str]:
    return list(dict.fromkeys(re.findall(r'name="([a-z0-9_]+)" type="radio"', html)))


def _error_summary(html: str) -> list[str]:
    summary = html.split('class="nhsuk-error-summary"')[1].split("</ul>")[0]
    return [html_lib.unescape(m) for m in re.findall(r"<a [^>]*>([^<]+)</a>", summary)]


def test_a_whole_journey_without_any_cookie_sets_none_and_submits(
    app: Flask, db: Any, make_invitation: Any
) -> None:
    """A browser that blocks cookies: the link is the credential, so every page works."""
    issued = make_invitation()
    client = app.test_client(use_cookies=False)
    replies = [client.get(issued.path)]
    number = 1
    while True:
        page = client.get(f"{issued.path}/{number}")
        html = _text(page)
        data = {"csrf_token": csrf_token(html), "action": "continue"}
        data.update({name: "4" for name in _radios(html)})
        posted = client.post(f"{issued.path}/{number}", data=data)
        replies += [page, posted]
        assert posted.status_code == 302, _text(posted)[:500]
        if posted.headers["Location"].endswith("/check"):
            break
        number += 1
    check = client.get(f"{issued.path}/check")
    submitted = client.post(f"{issued.path}/check", data={"csrf_token": csrf_token(_text(check))})
    replies += [check, submitted, client.get(issued.path)]
    assert submitted.status_code == 302
    assert [r.headers.get("Set-Cookie") for r in replies] == [None] * len(replies)
    db.session.rollback()
    release_all(db)
    assert db.session.query(Response).count() == 1
    assert db.session.get(type(issued.invitation), issued.invitation.id).status is (
        InvitationStatus.COMPLETED
    )


def test_a_cookie_lost_between_loading_and_posting_a_page_loses_no_answer(
    app: Flask, client: Any, db: Any, make_invitation: Any, sign_in: Any, make_user: Any
) -> None:
    """A restored tab or a browser that cleared its cookies posts a page it loaded earlier."""
    issued = make_invitation()
    sign_in(make_user(role="manager"))  # a session cookie in this browser, then it is gone
    page = client.get(f"{issued.path}/1")
    names = _radios(_text(page))
    restored_tab = app.test_client()  # no cookies at all
    posted = restored_tab.post(
        f"{issued.path}/1",
        data={"csrf_token": csrf_token(_text(page)), "action": "continue", names[0]: "5"},
    )
    # the page's other questions are unanswered: the page comes back, its one answer kept
    assert posted.status_code == 400
    assert _draft(db, issued.invitation.id) == {names[0]: {"score": 5}}
    assert "Your answers have been kept" not in _text(posted)  # nothing went wrong with the key
    data = {"csrf_token": csrf_token(_text(page)), "action": "continue"}
    data.update({name: "3" for name in names})
    finished = app.test_client().post(f"{issued.path}/1", data=data)
    assert finished.status_code == 302 and finished.headers["Location"].endswith("/2")
    assert _draft(db, issued.invitation.id) == {name: {"score": 3} for name in names}


def test_change_on_check_your_answers_comes_back_to_check(
    client: Any, db: Any, make_invitation: Any
) -> None:
    issued = make_invitation()
    answer_everything(client, issued.path, choice="4")
    check = _text(client.get(f"{issued.path}/check"))
    changes = set(re.findall(r'href="([^"]+)">Change<', check))
    assert f"{issued.path}/2?return=check" in {html_lib.unescape(c) for c in changes}
    page = client.get(f"{issued.path}/2?return=check")
    html = _text(page)
    assert f'href="{issued.path}/check">Back to check your answers</a>' in html
    assert ">Check your answers</button>" in html
    names = _radios(html)
    # a wrong post stays on the page, still on its way back to check
    missing = client.post(
        f"{issued.path}/2?return=check",
        data={"csrf_token": csrf_token(html), "action": "continue", names[0]: "1"},
    )
    assert missing.status_code == 400
    assert "Back to check your answers" in _text(missing)
    data = {"csrf_token": csrf_token(html), "action": "continue"}
    data.update({name: "1" for name in names})
    changed = client.post(f"{issued.path}/2?return=check", data=data)
    assert changed.status_code == 302 and changed.headers["Location"].endswith(
        f"{issued.path}/check"
    )
    assert all(_draft(db, issued.invitation.id)[name] == {"score": 1} for name in names)
    # without ?return=check the page goes on to the next section, as before
    onward = client.post(f"{issued.path}/2", data=data)
    assert onward.headers["Location"].endswith(f"{issued.path}/3")


def test_error_messages_are_short_and_name_the_question_by_its_number(
    client: Any, make_invitation: Any
) -> None:
    issued = make_invitation()
    page = _text(client.get(f"{issued.path}/1"))
    errors = client.post(
        f"{issued.path}/1", data={"csrf_token": csrf_token(page), "action": "continue"}
    )
    html = _text(errors)
    messages = _error_summary(html)
    assert messages[0] == "Select an answer to question 1, or 'Don't know'"
    assert len(messages) == len(_radios(page))
    assert all(len(message) <= 60 for message in messages), messages
    legends = re.findall(r"<legend[^>]*>\s*(.*?)\s*</legend>", html, re.S)
    for number, legend in enumerate(legends, start=1):
        # the number the message names is shown beside its question
        assert legend.startswith(f'<span class="nhsuk-caption-m">Question {number}</span>')
        question = legend.split("</span>")[1]
        assert question not in " ".join(messages)


def test_the_questionnaires_introduction_and_open_text_warning_are_shown(
    client: Any, db: Any, make_invitation: Any
) -> None:
    issued = make_invitation()
    questionnaire = questionnaire_for(issued.invitation.survey_round)
    start = html_lib.unescape(_text(client.get(issued.path)))
    assert questionnaire.introduction in start
    first = _text(client.get(f"{issued.path}/1"))
    total = int(re.findall(r"Section 1 of (\d+)", first)[0])
    pages = [
        html_lib.unescape(_text(client.get(f"{issued.path}/{n}"))) for n in range(1, total + 1)
    ]
    hints = [
        hint
        for page in pages
        for hint in re.findall(
            r'<div class="nhsuk-hint" id="comment_[a-z_]+-hint">(.*?)</div>', page, re.S
        )
    ]
    assert len(hints) == 3  # the three comment boxes
    assert all(questionnaire.open_text_warning in hint for hint in hints), hints
