"""The respondent page's cost in database round trips: a section page GET and a save each take
at most three statements, the first save too (issue #11: the page stays fast under load)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from survey.extensions import db as _db
from survey.models import LocalQuestion
from tests.survey.helpers import csrf_token


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


def test_a_section_page_takes_at_most_three_statements_to_show_and_to_save(
    app: Any, client: Any, db: Any, make_invitation: Any
) -> None:
    issued = make_invitation()
    for number in (1, 2):  # local questions come with the link in the same query
        db.session.add(
            LocalQuestion(
                round_id=issued.invitation.round_id,
                organisation_id=issued.invitation.organisation_id,
                item_id=f"local_{number}",
                text=f"Local question {number}?",
                scale="agreement",
            )
        )
    db.session.commit()
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
    assert len(reads := [s for s in shown if not _control(s)]) <= 3, reads
    # a save: the lock (an UPDATE of the link, which marks it started), that read, the draft's
    # INSERT the first time and its UPDATE after
    for save in (first, again):
        assert len(writes := [s for s in save if not _control(s)]) <= 3, writes
    # the other pages a link shows read it the same way
    for other in ("", "/saved", "/check"):
        with _statements(app) as shown:
            assert client.get(f"{issued.path}{other}").status_code == 200
        assert len(reads := [s for s in shown if not _control(s)]) <= 3, (other, reads)
    assert "Local question 2?" in client.get(_local_page(client, issued.path)).get_data(
        as_text=True
    )
