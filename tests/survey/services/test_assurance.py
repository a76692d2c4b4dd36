"""Ratings and agreed actions: only the region's assessor records, the organisation's people
read, every change is audited, bad input stores nothing, last year's record carries over."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from survey.models import ActionStatus, AssuranceAction, AssuranceRating, AuditEvent, Rating
from survey.services.assurance import (
    add_action,
    assessment,
    edit_action,
    record_rating,
    report_assessment,
    set_action_done,
)
from survey.services.errors import InputError, NotAllowed, NotFound

DUE = date(2031, 3, 31)


@pytest.fixture
def setting(db: Any, make_round: Any, make_organisation: Any, make_invitation: Any) -> Any:
    """Last year's and this year's round of one questionnaire, both asking about Alpha
    (Midlands); Gamma (London) is asked this year too."""

    class Setting:
        pass

    s = Setting()
    s.alpha = make_organisation(code="01A", region="Midlands")
    s.gamma = make_organisation(code="03C", region="London")
    s.last = make_round(year=2040)
    s.this = make_round(year=2041)
    make_invitation(survey_round=s.last, organisation=s.alpha)
    s.last.close()
    db.session.commit()
    make_invitation(survey_round=s.this, organisation=s.alpha)
    make_invitation(survey_round=s.this, organisation=s.gamma)
    return s


def _audit(action: str) -> list[AuditEvent]:
    from survey.extensions import db

    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def _count(db: Any, model: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def test_the_regions_assessor_rates_a_domain_and_a_second_rating_replaces_the_first(
    db: Any, setting: Any, make_user: Any
) -> None:
    assessor = make_user(role="assessor", region="Midlands")
    record_rating(assessor, setting.alpha, setting.this, "governance", "assured", "Clear minutes")
    record_rating(assessor, setting.alpha, setting.this, "governance", "assured_with_support")
    db.session.commit()
    rows = list(db.session.scalars(select(AssuranceRating)))
    assert len(rows) == 1
    assert rows[0].rating is Rating.ASSURED_WITH_SUPPORT and rows[0].recorded_by == assessor.id
    events = _audit("assurance.rate")
    assert [(e.user_id, e.detail["rating"], e.detail["previous"]) for e in events] == [
        (assessor.id, "assured", None),
        (assessor.id, "assured_with_support", "assured"),
    ]
    assert events[0].target == "organisation:01A" and "Clear minutes" not in str(events[0].detail)
    governance = assessment(assessor, setting.alpha, setting.this).this_year.domain("governance")
    assert governance is not None and governance.rating_label == "Assured with support"


def test_the_database_refuses_a_second_rating_of_the_same_domain(
    db: Any, setting: Any, make_user: Any
) -> None:
    for _ in range(2):
        db.session.add(
            AssuranceRating(
                round_id=setting.this.id,
                organisation_id=setting.alpha.id,
                domain="governance",
                rating=Rating.ASSURED,
            )
        )
    with pytest.raises(IntegrityError):
        db.session.flush()


@pytest.mark.parametrize(
    ("role", "scope", "reads", "error"),
    [
        ("commissioner", "alpha", True, NotAllowed),
        ("viewer", "alpha", True, NotAllowed),
        ("manager", None, True, NotAllowed),
        ("assessor", "London", False, NotFound),
        ("commissioner", "gamma", False, NotFound),
    ],
)
def test_nobody_but_the_regions_assessor_records(
    db: Any,
    setting: Any,
    make_user: Any,
    role: str,
    scope: str | None,
    reads: bool,
    error: type[Exception],
) -> None:
    if role in ("commissioner", "viewer"):
        user = make_user(role=role, organisation=getattr(setting, scope or ""))
    else:
        user = make_user(role=role, region=scope)
    if reads:
        assert assessment(user, setting.alpha, setting.this).may_record is False
    else:
        with pytest.raises(NotFound):
            assessment(user, setting.alpha, setting.this)
    with pytest.raises(error):
        record_rating(user, setting.alpha, setting.this, "governance", "assured")
    with pytest.raises(error):
        add_action(user, setting.alpha, setting.this, "governance", "Do it", "Board", DUE)
    assert _count(db, AssuranceRating) == 0 and _count(db, AssuranceAction) == 0
    assert _audit("assurance.rate") == [] and _audit("assurance.action.add") == []


def test_a_round_that_never_asked_about_the_organisation_has_no_record(
    db: Any, setting: Any, make_user: Any, make_round: Any, make_organisation: Any
) -> None:
    assessor = make_user(role="assessor", region="Midlands")
    other = make_round(year=2039)
    with pytest.raises(NotFound):
        record_rating(assessor, setting.alpha, other, "governance", "assured")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda u, s: record_rating(u, s.alpha, s.this, "overall", "assured"), "not a domain"),
        (lambda u, s: record_rating(u, s.alpha, s.this, "governance", "great"), "must be one of"),
        (
            lambda u, s: record_rating(u, s.alpha, s.this, "governance", "assured", "x" * 4001),
            "the most is 4000",
        ),
        (lambda u, s: add_action(u, s.alpha, s.this, "governance", "  ", "Board", DUE), "1 to"),
        (lambda u, s: add_action(u, s.alpha, s.this, "governance", "Do", "", DUE), "owner"),
        (lambda u, s: add_action(u, s.alpha, s.this, "governance", "Do", "Board", None), "due"),
    ],
)
def test_bad_input_is_refused_with_its_reason_and_stores_nothing(
    db: Any, setting: Any, make_user: Any, call: Any, message: str
) -> None:
    assessor = make_user(role="assessor", region="Midlands")
    with pytest.raises(InputError, match=message):
        call(assessor, setting)
    assert _count(db, AssuranceRating) == 0 and _count(db, AssuranceAction) == 0
    kinds = db.session.scalars(select(AuditEvent.action))
    assert not [kind for kind in kinds if kind.startswith("assurance.")]


def test_an_action_is_added_changed_done_and_opened_again_each_step_audited(
    db: Any, setting: Any, make_user: Any
) -> None:
    assessor = make_user(role="assessor", region="Midlands")
    action = add_action(
        assessor, setting.alpha, setting.this, "partnership", " Joint plan ", "Ops  director", DUE
    )
    assert (action.text, action.owner, action.status) == ("Joint plan", "Ops director", "open")
    edit_action(
        assessor, setting.alpha, setting.this, action.id, "Joint plan with the council", "COO", DUE
    )
    set_action_done(assessor, setting.alpha, setting.this, action.id, True)
    db.session.commit()
    assert action.status is ActionStatus.DONE and action.completed_at is not None
    set_action_done(assessor, setting.alpha, setting.this, action.id, False)
    db.session.commit()
    assert action.status is ActionStatus.OPEN and action.completed_at is None
    kinds = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert [k for k in kinds if k.startswith("assurance.")] == [
        "assurance.action.add",
        "assurance.action.edit",
        "assurance.action.done",
        "assurance.action.reopen",
    ]
    record = assessment(assessor, setting.alpha, setting.this).this_year.domain("partnership")
    assert record is not None and [(a.text, a.owner, a.status) for a in record.actions] == [
        ("Joint plan with the council", "COO", "open")
    ]
    # Another organisation's action is not reachable through this organisation.
    with pytest.raises(NotFound):
        set_action_done(assessor, setting.gamma, setting.this, action.id, True)


def test_the_database_keeps_done_and_completed_together(db: Any, setting: Any) -> None:
    db.session.add(
        AssuranceAction(
            round_id=setting.this.id,
            organisation_id=setting.alpha.id,
            domain="governance",
            text="Do it",
            owner="Board",
            due_on=DUE,
            status=ActionStatus.DONE,
        )
    )
    with pytest.raises(IntegrityError):
        db.session.flush()


def test_last_years_rating_and_actions_come_with_this_years_record(
    db: Any, setting: Any, make_user: Any
) -> None:
    assessor = make_user(role="assessor", region="Midlands")
    record_rating(assessor, setting.alpha, setting.last, "leadership", "not_assured", "Gaps")
    add_action(assessor, setting.alpha, setting.last, "leadership", "Appoint a chair", "CEO", DUE)
    db.session.commit()
    found = report_assessment(setting.alpha, setting.this)
    assert found.last_year is not None and found.last_year.year == 2040
    before = found.last_year.domain("leadership")
    assert before is not None and before.rating is Rating.NOT_ASSURED and before.note == "Gaps"
    assert [a.text for a in before.actions] == ["Appoint a chair"] and before.open_actions == 1
    now = found.this_year.domain("leadership")
    assert now is not None and now.rating is None and now.actions == ()
    assert not found.this_year.recorded
    # The first round of a questionnaire has no last year.
    assert report_assessment(setting.alpha, setting.last).last_year is None
