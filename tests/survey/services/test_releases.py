"""Releases: pending responses reach the response store at results releases, in batches of at
least the threshold, shuffled, in a transaction that touches no identity row; everything at
close; nothing lost."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event, func, select

from survey.extensions import begin_write
from survey.mail.worker import run_fieldwork
from survey.models import AuditEvent, Invitation, PendingResponse, Response, SurveyRound
from survey.services.audit import COMMAND_LINE
from survey.services.closing import close_round
from survey.services.releases import ReleaseTaken, pending_count, release_pending
from survey.services.rounds import get_round
from survey.services.sealing import SealBroken
from survey.transactions import unit_of_work
from tests.survey.answering import save_answers, submit_response

IDENTITY_TABLES = ("invitation", "stakeholder", "user_account", "outbox")


@pytest.fixture
def submit(
    db: Any, make_round: Callable[..., SurveyRound], make_invitation: Callable[..., Any]
) -> Callable[[int], SurveyRound]:
    """``submit(n)``: n stakeholders of one round and organisation submit; nothing released."""
    survey_round = make_round(suppression_threshold=3, comment_threshold=3)

    def make(count: int) -> SurveyRound:
        for _ in range(count):
            invitation = db.session.get(
                Invitation, make_invitation(survey_round=survey_round).invitation.id
            )
            save_answers(invitation, {"overall_relationship": {"score": 4}}, resume_section=1)
            submit_response(invitation, ["overall_relationship"])
            db.session.commit()
        return survey_round

    return make


def _stored(db: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(Response)) or 0


def test_fewer_than_the_threshold_wait_and_the_threshold_moves_them_all(
    db: Any, submit: Callable[[int], SurveyRound]
) -> None:
    survey_round = submit(2)
    assert release_pending(survey_round, everything=False) == 0
    assert (_stored(db), pending_count(survey_round)) == (0, 2)
    submit(2)
    assert release_pending(survey_round, everything=False) == 4
    db.session.commit()
    assert (_stored(db), pending_count(survey_round)) == (4, 0)
    [event_row] = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "responses.release")
    )
    assert event_row.detail["released"] == 4


def test_the_close_releases_everything_once_its_own_commit_is_done(
    db: Any, submit: Callable[[int], SurveyRound]
) -> None:
    survey_round = submit(1)
    with unit_of_work():
        close_round(COMMAND_LINE, survey_round)
        assert _stored(db) == 0  # not in the close's transaction, which deleted drafts
    assert (_stored(db), pending_count(survey_round)) == (1, 0)


@pytest.fixture
def statements(db: Any) -> Iterator[list[str]]:
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    yield seen
    event.remove(db.engine, "before_cursor_execute", note)


def test_a_release_touches_no_identity_row(
    db: Any, submit: Callable[[int], SurveyRound], statements: list[str]
) -> None:
    survey_round = submit(3)
    db.session.expire_all()
    statements.clear()
    assert release_pending(db.session.get(SurveyRound, survey_round.id), everything=False) == 3
    db.session.commit()
    touched = {
        table
        for statement in statements
        for table in IDENTITY_TABLES
        if re.search(rf'\b"?{table}"?\b', statement)
    }
    assert statements and not touched, touched


def test_a_pending_response_that_does_not_open_stops_the_release_with_nothing_moved(
    db: Any, submit: Callable[[int], SurveyRound]
) -> None:
    survey_round = submit(3)
    db.session.add(PendingResponse(round_id=survey_round.id, sealed=b"\x01" + bytes(40)))
    db.session.commit()
    with pytest.raises(SealBroken, match=f"pending:{survey_round.id}"):
        release_pending(survey_round, everything=True)
    db.session.rollback()
    assert (_stored(db), pending_count(survey_round)) == (0, 4)


def test_the_worker_releases_what_a_closed_round_still_holds(
    db: Any, submit: Callable[[int], SurveyRound]
) -> None:
    """A close whose release did not run (a crash between the commits) is finished later."""
    survey_round = submit(2)
    survey_round.close()
    db.session.commit()
    assert pending_count(survey_round) == 2
    run_fieldwork("test-worker", date.today())
    db.session.expire_all()
    assert (_stored(db), pending_count(survey_round)) == (2, 0)
    assert db.session.scalar(sa.text("SELECT count(*) FROM pending_response")) == 0


def test_an_open_rounds_responses_wait_for_a_results_release_even_past_the_threshold(
    db: Any, runner: Any, submit: Callable[[int], SurveyRound]
) -> None:
    """The response store moves only with the published results, so the microdata read from
    it never runs ahead of what the pages show."""
    survey_round = submit(4)
    run_fieldwork("test-worker", date.today())
    db.session.expire_all()
    assert (_stored(db), pending_count(survey_round)) == (0, 4)
    published = runner.invoke(args=["round", "publish", str(survey_round.id)])
    assert published.exit_code == 0, published.output
    assert "release 1 published" in published.output
    assert "4 responses" in published.output and "0 response(s) still pending" in published.output
    db.session.expire_all()
    assert (_stored(db), pending_count(survey_round)) == (4, 0)


def test_two_releases_at_once_store_each_response_once(
    app: Any, db: Any, submit: Callable[[int], SurveyRound]
) -> None:
    """Two workers (or a worker and a close) releasing one round: one stores, the other
    stores nothing."""
    round_id = submit(6).id
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def releaser() -> None:
        with app.app_context():
            barrier.wait(timeout=30)
            begin_write()
            try:
                outcomes.append(release_pending(get_round(round_id), everything=True))
                db.session.commit()
            except ReleaseTaken as error:
                db.session.rollback()
                outcomes.append(error)

    threads = [threading.Thread(target=releaser) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    db.session.expire_all()
    assert _stored(db) == 6
    assert len(outcomes) == 2 and 6 in outcomes
    [other] = [outcome for outcome in outcomes if outcome != 6]
    assert other == 0 or isinstance(other, ReleaseTaken)


def test_a_release_with_fewer_than_the_threshold_pending_keeps_them_sealed(
    app: Any, db: Any, runner: Any, submit: Callable[[int], SurveyRound]
) -> None:
    app.config["INTERIM_RELEASES_PER_DAY"] = 2
    survey_round = submit(2)
    held = runner.invoke(args=["round", "publish", str(survey_round.id)])
    assert held.exit_code == 0, held.output
    assert "0 responses" in held.output and "2 response(s) still pending" in held.output
    status = runner.invoke(args=["round", "status", str(survey_round.id)])
    assert re.search(r"awaiting release\s+2", status.output), status.output
    submit(1)
    released = runner.invoke(args=["round", "publish", str(survey_round.id)])
    assert "release 2 published" in released.output, released.output
    assert "3 responses" in released.output and "0 response(s) still pending" in released.output
