"""Reminders and bounce lists through the manage pages.

Over survey.services.reminders and survey.services.monitoring.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update

from survey.models import AuditEvent, OutboxMessage, Stakeholder, SurveyRound
from survey.models.types import utcnow
from tests.survey.helpers import csrf_token, read_outbox
from tests.survey.manage.test_routes import GOOD_CSV

ORGS = ("ORG1", "ORG2")


def _invited_round(client: Any, db: Any, make_round: Any, make_organisation: Any) -> SurveyRound:
    """An open round whose three stakeholders were invited through the pages."""
    survey_round = make_round(status="open")
    for code in ORGS:
        make_organisation(code=code)
    path = f"/manage/rounds/{survey_round.id}/stakeholders"
    token = csrf_token(client.get(path).get_data(as_text=True))
    preview = client.post(
        path,
        data={"csrf_token": token, "upload": (io.BytesIO(GOOD_CSV), "list.csv")},
        content_type="multipart/form-data",
    )
    assert preview.status_code == 200
    token = csrf_token(preview.get_data(as_text=True))
    assert client.post(f"{path}/confirm", data={"csrf_token": token}).status_code == 302
    page = client.get(f"/manage/rounds/{survey_round.id}/invitations")
    sent = client.post(
        page.request.path, data={"csrf_token": csrf_token(page.get_data(as_text=True))}
    )
    assert sent.status_code == 302
    db.session.rollback()
    return survey_round


def _web_actions(db: Any) -> list[str]:
    db.session.rollback()
    return [
        e.action
        for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.channel == "web").order_by(AuditEvent.id)
        )
    ]


def test_reminders_due_are_listed_then_sent(
    client: Any, db: Any, manager: Any, make_round: Any, make_organisation: Any, app: Any
) -> None:
    survey_round = _invited_round(client, db, make_round, make_organisation)
    page = client.get(f"/manage/rounds/{survey_round.id}/reminders")
    assert 'id="no-reminders"' in page.get_data(as_text=True)  # invited today: nothing due yet
    for stakeholder in db.session.scalars(select(Stakeholder)):
        stakeholder.invited_at = utcnow() - timedelta(days=8)
    db.session.commit()
    page = client.get(f"/manage/rounds/{survey_round.id}/reminders")
    html = page.get_data(as_text=True)
    assert "3 stakeholders would get a reminder now" in html and "ann@example.org" in html
    response = client.post(
        f"/manage/rounds/{survey_round.id}/reminders/send", data={"csrf_token": csrf_token(html)}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/monitor")
    db.session.rollback()
    kinds = [m.kind for m in db.session.scalars(select(OutboxMessage))]
    assert kinds.count("reminder") == 3
    assert len(read_outbox(Path(app.config["MAIL_OUTBOX_DIR"]))) == 6
    assert "reminders.send" in _web_actions(db)
    assert 'id="no-reminders"' in client.get(
        f"/manage/rounds/{survey_round.id}/reminders"
    ).get_data(as_text=True)


def test_the_reminder_schedule_is_changed_on_its_form(
    client: Any, db: Any, manager: Any, make_round: Any
) -> None:
    survey_round = make_round(status="open")
    page = client.get(f"/manage/rounds/{survey_round.id}/reminders")
    html = page.get_data(as_text=True)
    assert 'value="7, 14"' in html
    path = f"/manage/rounds/{survey_round.id}/reminders/schedule"
    bad = client.post(
        path,
        data={
            "csrf_token": csrf_token(html),
            "after_invitation": "7, soon",
            "before_close": "2",
            "limit": "3",
        },
    )
    assert bad.status_code == 400
    assert 'href="#after_invitation">Enter whole numbers of days' in bad.get_data(as_text=True)
    good = client.post(
        path,
        data={
            "csrf_token": csrf_token(html),
            "after_invitation": "5; 10",
            "before_close": "",
            "limit": "2",
        },
    )
    assert good.status_code == 302
    db.session.rollback()
    db.session.refresh(survey_round)
    assert survey_round.reminder_days_after_invitation == [5, 10]
    assert survey_round.reminder_days_before_close == [] and survey_round.reminder_limit == 2
    assert _web_actions(db)[-1] == "round.reminders"


def test_a_bounce_list_marks_stakeholders_undeliverable(
    client: Any, db: Any, manager: Any, make_round: Any, make_organisation: Any
) -> None:
    survey_round = _invited_round(client, db, make_round, make_organisation)
    path = f"/manage/rounds/{survey_round.id}/bounces"

    def upload(content: bytes) -> Any:
        token = csrf_token(client.get(path).get_data(as_text=True))
        return client.post(
            path,
            data={"csrf_token": token, "upload": (io.BytesIO(content), "bounces.csv")},
            content_type="multipart/form-data",
        )

    bad = upload(b"email\nANN@example.org\n\n,x\n")
    assert bad.status_code == 400 and "nothing was marked" in bad.get_data(as_text=True)
    db.session.rollback()
    assert (
        db.session.scalar(select(func.count()).where(Stakeholder.undeliverable_at.is_not(None)))
        == 0
    )
    good = upload(b"email\nANN@example.org\nzed@example.org\n")
    html = good.get_data(as_text=True)
    assert (
        good.status_code == 200
        and "1 stakeholder marked undeliverable" in html
        and "zed@example.org" in html
    )
    db.session.rollback()
    [marked] = db.session.scalars(
        select(Stakeholder).where(Stakeholder.undeliverable_at.is_not(None))
    )
    assert marked.email == "ann@example.org"
    assert _web_actions(db)[-1] == "mail.bounces"
    monitor = client.get(f"/manage/rounds/{survey_round.id}/monitor").get_data(as_text=True)
    assert 'id="state-undeliverable">1<' in monitor


def test_with_no_mail_worker_the_pages_say_what_is_queued_not_sent(
    client: Any, db: Any, manager: Any, make_round: Any, make_organisation: Any, app: Any
) -> None:
    from survey.mail.worker import beat
    from survey.models import WorkerHeartbeat
    from tests.survey.mail.helpers import queue_invitations

    survey_round = make_round(status="open")
    queue_invitations(db, survey_round, [make_organisation().id], 5)
    db.session.commit()

    def page() -> str:
        html = client.get(f"/manage/rounds/{survey_round.id}/monitor").get_data(as_text=True)
        return re.sub(r"\s+", " ", html)

    html = page()
    assert 'id="mail-worker-warning"' in html
    assert "5 emails queued, not sent: no mail worker has run yet" in html
    assert 'id="delivery-queued">5<' in html and 'id="delivery-sent">0<' in html

    round_page = client.get(f"/manage/rounds/{survey_round.id}").get_data(as_text=True)
    assert "5 queued for the mail worker, 0 sent" in round_page
    assert "5 issued and not yet answered" in round_page

    beat("mail@test:1")  # a worker is running: it will send them, no warning
    assert 'id="mail-worker-warning"' not in page()

    db.session.execute(update(WorkerHeartbeat).values(last_seen_at=utcnow() - timedelta(minutes=6)))
    db.session.commit()
    html = page()
    assert "5 emails queued, not sent: no mail worker has run since" in html
