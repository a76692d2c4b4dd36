"""Exactly once under load: many simultaneous submits of one link store one response.

Runs on SQLite and (with TEST_DATABASE_URL) on PostgreSQL, over real HTTP against a threaded
server, so requests really overlap inside the application and the database.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from typing import Any

from sqlalchemy import func, select

from survey.models import (
    Invitation,
    InvitationStatus,
    PendingResponse,
    Response,
)
from survey.respond.pages import pages_for_group
from survey.services.rounds import questionnaire_for
from tests.survey.answering import count_drafts, save_answers
from tests.survey.helpers import csrf_token
from tests.survey.respond.live import HttpClient, LiveServer, Reply
from tests.survey.stored import answers_stored, draft_answers, release_all

LINKS = 50
SUBMITTERS = 20


def _fill_draft(db: Any, invitation: Invitation) -> int:
    """Give the invitation a complete draft, as if every page had been answered."""
    questionnaire = questionnaire_for(invitation.survey_round)
    pages = pages_for_group(questionnaire, invitation.stakeholder.group, invitation.local_questions)
    answers: dict[str, dict[str, object]] = {}
    for page in pages:
        for question in page.questions:
            answers[question.id] = {"text": "Good partner."} if question.is_text else {"score": 4}
    save_answers(invitation, answers, resume_section=len(pages))
    db.session.commit()
    return len(answers)


def test_twenty_simultaneous_submits_of_one_link_store_exactly_one_response(
    live_server: LiveServer, db: Any, make_round: Any, make_organisation: Any, make_invitation: Any
) -> None:
    survey_round = make_round()
    organisation = make_organisation()
    paths: list[str] = []
    items = 0
    for _ in range(LINKS):
        issued = make_invitation(survey_round=survey_round, organisation=organisation)
        paths.append(live_server.path_of(issued.link))
        items = _fill_draft(db, issued.invitation)

    # twenty browser sessions, each with the form key of every link's check page
    clients = [HttpClient(live_server.url) for _ in range(SUBMITTERS)]
    keys: list[dict[str, str]] = []
    for client in clients:
        keys.append({})
        for path in paths:
            page = client.get(f"{path}/check")
            assert page.status == 200 and "Submit your answers" in page.text
            keys[-1][path] = csrf_token(page.text)

    barrier = threading.Barrier(SUBMITTERS)
    replies: dict[str, list[Reply]] = {path: [] for path in paths}
    failures: list[BaseException] = []
    lock = threading.Lock()

    def submitter(number: int) -> None:
        try:
            for path in paths:
                barrier.wait(timeout=60)  # all twenty go at once, link after link
                reply = clients[number].post(f"{path}/check", {"csrf_token": keys[number][path]})
                with lock:
                    replies[path].append(reply)
        except BaseException as error:  # noqa: BLE001 (reported below)
            failures.append(error)
            barrier.abort()

    threads = [threading.Thread(target=submitter, args=(n,)) for n in range(SUBMITTERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not failures, failures
    assert not any(thread.is_alive() for thread in threads)

    for path in paths:
        got = replies[path]
        assert len(got) == SUBMITTERS
        statuses = Counter(reply.status for reply in got)
        assert 500 not in statuses, [r.text[:500] for r in got if r.status >= 500]
        winners = [r for r in got if r.status == 302 and r.location.endswith(path)]
        assert len(winners) == 1, statuses
        for reply in got:
            if reply in winners:
                continue
            if reply.status == 302:  # a redirect must lead to the same friendly page
                followed = HttpClient(live_server.url, dict(clients[0].cookies)).get(reply.location)
                assert followed.status == 200 and "Survey complete" in followed.text, reply.location
            else:
                assert reply.status == 409, reply.status  # already submitted: the friendly page
                assert "Survey complete" in reply.text
                assert "Traceback" not in reply.text
        final = clients[0].get(path)
        assert final.status == 200 and "Survey complete" in final.text

    db.session.rollback()  # end any read transaction: see what the server committed
    assert db.session.scalar(select(func.count()).select_from(PendingResponse)) == LINKS
    release_all(db)
    assert db.session.scalar(select(func.count()).select_from(Response)) == LINKS
    assert count_drafts() == 0
    statuses = db.session.scalars(select(Invitation.status)).all()
    assert statuses == [InvitationStatus.COMPLETED] * LINKS
    assert [len(answers) for answers in answers_stored(db)] == [items] * LINKS


def test_simultaneous_saves_from_two_tabs_lose_no_answer(
    live_server: LiveServer, db: Any, make_invitation: Any
) -> None:
    """Two tabs of one session saving different answers of one page at once: both are kept."""
    issued = make_invitation()
    path = live_server.path_of(issued.link)
    client = HttpClient(live_server.url)
    page = client.get(f"{path}/1")
    token = csrf_token(page.text)
    names = sorted(set(re.findall(r'name="([a-z0-9_]+)" type="radio"', page.text)))
    assert len(names) >= 2
    barrier = threading.Barrier(len(names))
    replies: list[Reply] = []

    def save(name: str) -> None:
        barrier.wait(timeout=30)
        replies.append(client.post(f"{path}/1", {"csrf_token": token, name: "3", "action": "save"}))

    threads = [threading.Thread(target=save, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [r.status for r in replies] == [302] * len(names)
    db.session.rollback()  # end any read transaction: see what the server committed
    assert draft_answers(db, issued.invitation) == {name: {"score": 3} for name in names}
