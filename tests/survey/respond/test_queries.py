"""The respondent page's cost in database round trips: a page GET takes one statement, a save
two (the first save too) and the submit three (issue #11: at most three per GET or POST, so
the page stays fast under load)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, func, select

from survey.extensions import db as _db
from survey.models import InvitationStatus, PendingResponse
from tests.survey.helpers import answer_everything, csrf_token


@contextmanager
def _statements(app: Any) -> Iterator[list[str]]:
    """The SQL statements the app runs inside the block (transaction control included)."""
    seen: list[str] = []
    with app.app_context():
        engine = _db.engine

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(" ".join(statement.split())[:120])

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _local_page(client: Any, path: str) -> str:
    """The section page that holds the local questions."""
    number = 1
    while "local_1" not in client.get(f"{path}/{number}").get_data(as_text=True):
        number += 1
        assert number < 20, "no page holds the local questions"
    return f"{path}/{number}"


def _control(statement: str) -> bool:
    return statement.split()[0] in ("BEGIN", "COMMIT", "ROLLBACK")


def _statements_run(seen: list[str]) -> list[str]:
    return [statement for statement in seen if not _control(statement)]


def test_a_section_page_takes_one_statement_to_show_and_two_to_save(
    app: Any, client: Any, db: Any, make_invitation: Any, make_local_question: Any
) -> None:
    issued = make_invitation()
    invitation = issued.invitation
    for number in (1, 2):  # local questions come with the link in the same query
        make_local_question(
            invitation.survey_round,
            invitation.organisation,
            item_id=f"local_{number}",
            text=f"Local question {number}?",
        )
    path = f"{issued.path}/1"
    client.get(path)  # the first visit sets the session cookie
    with _statements(app) as shown:
        page = client.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    answers = {name: "4" for name in set(re.findall(r'name="([a-z0-9_]+)" type="radio"', html))}
    form = {"csrf_token": csrf_token(html), "action": "save", **answers}
    with _statements(app) as first:
        assert client.post(path, data=form).status_code == 302
    with _statements(app) as again:
        assert client.post(path, data=form).status_code == 302
    # the link with its round, stakeholder, organisation, draft and local questions in one
    assert len(reads := _statements_run(shown)) == 1, reads
    # a save: that read, locking the link's row, then one UPDATE of it (the draft, where to
    # resume, started), the first save too
    for save in (first, again):
        assert len(writes := _statements_run(save)) == 2, writes
    # the other pages a link shows read it the same way
    for other in ("", "/saved", "/check"):
        with _statements(app) as shown:
            assert client.get(f"{issued.path}{other}").status_code == 200
        assert len(reads := _statements_run(shown)) == 1, (other, reads)
    assert "Local question 2?" in client.get(_local_page(client, issued.path)).get_data(
        as_text=True
    )


def test_a_submit_takes_three_statements(
    app: Any, client: Any, db: Any, make_invitation: Any
) -> None:
    """The locked read, the UPDATE that completes the link and clears its draft, and the
    pending response's INSERT; and the response is in, exactly once."""
    issued = make_invitation()
    answer_everything(client, issued.path)
    check = client.get(f"{issued.path}/check").get_data(as_text=True)
    with _statements(app) as submitted:
        reply = client.post(f"{issued.path}/check", data={"csrf_token": csrf_token(check)})
    assert reply.status_code == 302
    assert len(writes := _statements_run(submitted)) == 3, writes
    db.session.rollback()  # see what the app committed
    db.session.refresh(issued.invitation)
    assert issued.invitation.status is InvitationStatus.COMPLETED
    assert issued.invitation.sealed_draft is None
    assert db.session.scalar(select(func.count()).select_from(PendingResponse)) == 1
