"""The attacker holds the database (its files, system columns, dead rows) but not SECRET_KEY.

Sixteen stakeholders answer in a known order, each leaving a comment that names them, so the
test knows whose every released response is. The attacker then tries what a database reader
can: reading drafts and pending responses, joining on PostgreSQL's transaction ids, reading
dead rows and raw pages, and lining up storage order or identity-side timestamps with the order
of answering. Nothing may tie a released response to its invitation better than chance.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from scipy import stats

from survey.models import Invitation, InvitationStatus, SurveyRound
from survey.services.releases import release_pending
from tests.factories import IssuedInvitation
from tests.survey.answering import save_answers, submit_response

RESPONDENTS = 16
#: the order of answering: not the order of invitation (nor its reverse)
ANSWER_ORDER = [5, 12, 2, 9, 15, 0, 11, 7, 3, 14, 10, 1, 8, 13, 4, 6]
#: |Kendall's tau| this high between two orders of 16 happens by chance about once in 10^5
TIED_ORDER = 0.8


def _comment(number: int) -> str:
    return f"respondent-{number:02d}-says-hello"


@dataclass
class Round:
    survey_round: SurveyRound
    invitations: list[Invitation]  # in the order of invitation


@pytest.fixture
def answered(
    db: Any, make_round: Callable[..., SurveyRound], make_invitation: Callable[..., Any]
) -> Round:
    """Sixteen invitations answered in ``ANSWER_ORDER``: drafts saved, then submitted, each
    step committed on its own as its request would be; nothing released yet."""
    survey_round = make_round(suppression_threshold=5, comment_threshold=5)
    organisation = None
    invitations: list[Invitation] = []
    for _ in range(RESPONDENTS):
        issued: IssuedInvitation = make_invitation(
            survey_round=survey_round, organisation=organisation
        )
        invitations.append(db.session.get(Invitation, issued.invitation.id))
        organisation = invitations[-1].organisation
    for number in ANSWER_ORDER:
        invitation = invitations[number]
        save_answers(invitation, {"overall_relationship": {"score": 3}}, resume_section=1)
        db.session.commit()
        save_answers(invitation, {"overall_comments": {"text": _comment(number)}}, 2)
        db.session.commit()
        submit_response(invitation, ["overall_relationship", "overall_comments"])
        db.session.commit()
    return Round(survey_round, invitations)


def _release(db: Any, survey_round: SurveyRound) -> None:
    """The release, in a transaction of its own (as the worker and the close run it)."""
    db.session.commit()
    assert release_pending(survey_round, everything=False) == RESPONDENTS
    db.session.commit()


def _postgres(db: Any) -> bool:
    return bool(db.engine.dialect.name == "postgresql")


def _respondent(comment: str) -> int:
    return int(re.findall(r"\d+", comment)[0])


def _every_stored_value(db: Any) -> str:
    texts = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(sa.select(table)).all():
            texts.extend(str(value) for value in row)
    return " ".join(texts)


def test_drafts_and_pending_responses_read_as_nothing_without_the_key(
    db: Any, answered: Round
) -> None:
    stored = _every_stored_value(db)
    for number in range(RESPONDENTS):
        assert _comment(number) not in stored
    assert db.session.scalar(sa.text("SELECT count(*) FROM response")) == 0


def test_nothing_on_disk_holds_a_draft_or_pending_answer(db: Any, answered: Round) -> None:
    """SQLite: the database file and its write-ahead log, byte by byte. PostgreSQL: every
    tuple on every page of the invitation table (which holds drafts), its TOAST table (long
    drafts) and the pending table, dead ones included (pageinspect)."""
    secrets = [_comment(number).encode() for number in range(RESPONDENTS)]
    if _postgres(db):
        db.session.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pageinspect"))
        raw = b""
        toast = db.session.scalar(
            sa.text(
                "SELECT reltoastrelid::regclass::text FROM pg_class WHERE relname = 'invitation'"
            )
        )
        for table in (toast, "pending_response", "invitation"):
            pages = db.session.scalar(
                sa.text(f"SELECT pg_relation_size('{table}') / current_setting('block_size')::int")
            )
            for page in range(pages):
                raw += b"".join(
                    bytes(data or b"")
                    for (data,) in db.session.execute(
                        sa.text(
                            f"SELECT t_data FROM heap_page_items(get_raw_page('{table}', {page}))"
                        )
                    )
                )
        db.session.commit()
    else:
        database = Path(db.engine.url.database)
        raw = b"".join(
            path.read_bytes() for path in (database, Path(f"{database}-wal")) if path.exists()
        )
    assert raw  # the attacker did read something
    for secret in secrets:
        assert secret not in raw


def test_no_released_response_shares_a_transaction_with_an_invitation(
    db: Any, answered: Round
) -> None:
    """PostgreSQL's xmin; SQLite has no transaction ids, and no rowid in the response tables."""
    _release(db, answered.survey_round)
    if not _postgres(db):
        for table in ("response", "pending_response"):
            with pytest.raises(sa.exc.OperationalError):
                db.session.execute(sa.text(f"SELECT rowid FROM {table}"))
            db.session.rollback()
        return
    identity_xmins = {
        str(xmin)
        for table in ("invitation", "stakeholder", "pending_response")
        for (xmin,) in db.session.execute(sa.text(f"SELECT xmin FROM {table}"))
    }
    response_xmins = {
        str(xmin)
        for table in ("response",)
        for (xmin,) in db.session.execute(sa.text(f"SELECT xmin FROM {table}"))
    }
    assert len(response_xmins) == 1  # the one release transaction, for all sixteen
    assert not response_xmins & identity_xmins


def _storage_order(db: Any) -> list[int]:
    """Respondent numbers in the order the response store keeps them: PostgreSQL's physical
    order (ctid); SQLite's table order, which WITHOUT ROWID makes the random key's."""
    if _postgres(db):
        position = "(r.ctid::text::point)[0] * 100000 + (r.ctid::text::point)[1]"
    else:
        position = "(SELECT count(*) FROM response o WHERE o.id < r.id)"
    rows = db.session.execute(sa.text(f"SELECT r.other_answers, {position} FROM response r")).all()
    return [
        _respondent(_stored_comment(other))
        for other, _ in sorted(rows, key=lambda row: float(row[1]))
    ]


def _stored_comment(other_answers: str | dict[str, Any]) -> str:
    """The comment in a response's JSON answers (PostgreSQL's driver decodes JSON, SQLite's
    does not)."""
    answers = json.loads(other_answers) if isinstance(other_answers, str) else other_answers
    return str(answers["overall_comments"]["text"])


def _tau(order: list[int], reference: list[int]) -> float:
    rank = {number: index for index, number in enumerate(reference)}
    tau = stats.kendalltau(range(len(order)), [rank[number] for number in order]).statistic
    return float(tau)


def test_storage_order_says_nothing_about_the_order_of_answering(db: Any, answered: Round) -> None:
    _release(db, answered.survey_round)
    order = _storage_order(db)
    assert sorted(order) == list(range(RESPONDENTS))
    assert abs(_tau(order, ANSWER_ORDER)) < TIED_ORDER
    assert abs(_tau(order, list(range(RESPONDENTS)))) < TIED_ORDER  # nor of invitation


_IDENTITY_TIMES = {
    "invitation": "SELECT id, {column} FROM invitation",
    "stakeholder": (
        "SELECT i.id, s.{column} FROM stakeholder s JOIN invitation i ON i.stakeholder_id = s.id"
    ),
}


def test_no_identity_side_time_orders_the_respondents(db: Any, answered: Round) -> None:
    inspector = sa.inspect(db.engine)
    numbers = {invitation.id: index for index, invitation in enumerate(answered.invitations)}
    checked = 0
    for table, query in _IDENTITY_TIMES.items():
        for column in inspector.get_columns(table):
            if not isinstance(column["type"], sa.DateTime | sa.Date):
                continue
            values = {
                numbers[row_id]: value
                for row_id, value in db.session.execute(
                    sa.text(query.format(column=column["name"]))
                )
                if row_id in numbers and value is not None
            }
            checked += 1
            if len(set(values.values())) < 2:
                continue  # one value for everyone orders nobody
            order = [number for number, _ in sorted(values.items(), key=lambda kv: kv[1])]
            answered_order = [number for number in ANSWER_ORDER if number in values]
            assert abs(_tau(order, answered_order)) < TIED_ORDER, (table, column["name"])
    assert checked  # the identity side does keep times (created, issued, invited ...)
    statuses = {invitation.status for invitation in answered.invitations}
    assert statuses == {InvitationStatus.COMPLETED}
