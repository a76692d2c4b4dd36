"""Delivery through a real SMTP server: content, headers, links, opt-out, and faults."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from survey.mail.backends import OUTBOX_ID_HEADER
from survey.mail.sender import SERVER_RETRY
from survey.models import OutboxMessage, OutboxStatus, Stakeholder
from survey.models.types import utcnow
from tests.smtp import SmtpSink
from tests.survey.mail.helpers import deliver, queue_invitations, statuses


def _parts(message: Any) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def test_invitation_arrives_as_text_and_html_with_headers_and_working_links(
    app, db, client, smtp_sink: SmtpSink, make_round, make_organisation
) -> None:
    app.config.update(
        MAIL_SENDER="Survey team <survey@example.nhs.uk>", MAIL_REPLY_TO="help@example.nhs.uk"
    )
    survey_round = make_round()
    first, second = make_organisation(), make_organisation()
    links = queue_invitations(db, survey_round, [first.id, second.id], 1)

    report = deliver(app, smtp_sink)

    assert report.sent == 1
    [message] = smtp_sink.received()
    assert message["To"] == "person0@example.org"
    assert message["From"] == "Survey team <survey@example.nhs.uk>"
    assert message["Reply-To"] == "help@example.nhs.uk"
    # the sender's own domain, so receiving servers and threading see a real origin
    assert re.fullmatch(r"<[^@<>\s]+@example\.nhs\.uk>", message["Message-ID"]), message[
        "Message-ID"
    ]
    assert message.get_content_type() == "multipart/alternative"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = re.fullmatch(r"<(https?://\S+)>", message["List-Unsubscribe"])
    assert unsubscribe and "/s/opt-out/" in unsubscribe.group(1)
    text, html = _parts(message)
    closing = survey_round.closes_on.strftime("%-d %B %Y")
    for body in (text, html):
        assert closing in body
        assert "confidential" in body
        assert "survey@assure360.invalid" in body  # SURVEY_CONTACT
        assert unsubscribe.group(1) in body
        for link in links.values():
            assert link in body
    # both links, as received, open their survey
    for link in re.findall(r"http://localhost(/s/(?!opt-out/)[A-Za-z0-9_\-.]+)", text):
        page = client.get(link)
        assert page.status_code == 200
        assert "Your answers are confidential" in page.get_data(as_text=True)
    assert len(set(re.findall(r"http://localhost/s/(?!opt-out/)[A-Za-z0-9_\-.]+", text))) == 2


def test_one_click_opt_out_needs_a_post_and_no_csrf_token(
    app, db, client, smtp_sink: SmtpSink, make_round, make_organisation
) -> None:
    queue_invitations(db, make_round(), [make_organisation().id], 1)
    deliver(app, smtp_sink)
    [message] = smtp_sink.received()
    path = message["List-Unsubscribe"].strip("<>").removeprefix("http://localhost")
    stakeholder = db.session.scalars(select(Stakeholder)).one()

    # a link scanner only GETs: it sees the confirm page and changes nothing
    page = client.get(path)
    assert page.status_code == 200
    assert "Stop emails" in page.get_data(as_text=True)
    db.session.refresh(stakeholder)
    assert stakeholder.opted_out_at is None

    # the mail provider's one-click POST (RFC 8058) carries no CSRF token
    done = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    assert "no more emails" in done.get_data(as_text=True)
    db.session.refresh(stakeholder)
    assert stakeholder.opted_out_at is not None
    assert client.post(path).status_code == 200  # twice is harmless

    tampered = path[:-2] + ("AA" if not path.endswith("AA") else "BB")
    assert client.get(tampered).status_code == 404
    assert client.post(tampered).status_code == 404


@pytest.mark.parametrize("claim_size", [1, 5])
def test_server_down_then_back_delivers_every_message_exactly_once(
    app, db, make_round, make_organisation, claim_size: int
) -> None:
    app.config["MAIL_CLAIM_SIZE"] = claim_size
    sink = SmtpSink()  # not started: nothing listens on its port
    queue_invitations(db, make_round(), [make_organisation().id], 12)

    down = deliver(app, sink)
    assert (down.sent, down.deferred) == (0, 1)  # gave up at the first refusal, kept the rest
    assert statuses(db) == {OutboxStatus.QUEUED: 12}
    assert all(m.attempts == 0 for m in db.session.scalars(select(OutboxMessage)))

    sink.start()
    try:
        # not due yet: the unreachable server is retried after SERVER_RETRY (so are the messages
        # claimed with it and never tried)
        assert deliver(app, sink).sent == 12 - claim_size
        later = utcnow() + SERVER_RETRY + timedelta(seconds=1)
        assert deliver(app, sink, clock=lambda: later).sent == claim_size
    finally:
        sink.stop()
    assert statuses(db) == {OutboxStatus.SENT: 12}
    ids = sink.outbox_ids()
    assert sorted(ids) == sorted(db.session.scalars(select(OutboxMessage.id)))
    assert set(ids.values()) == {1}


@pytest.mark.parametrize("claim_size", [1, 10])
def test_temporary_451_on_a_fifth_of_deliveries_still_delivers_all_once(
    app, db, smtp_sink: SmtpSink, make_round, make_organisation, claim_size: int
) -> None:
    app.config["MAIL_CLAIM_SIZE"] = claim_size
    smtp_sink.handler.fail_data = lambda number: number % 5 == 2
    queue_invitations(db, make_round(), [make_organisation().id], 60)

    now = utcnow()
    for _pass in range(10):
        report = deliver(app, smtp_sink, clock=lambda now=now: now)
        if statuses(db) == {OutboxStatus.SENT: 60}:
            break
        assert report.deferred > 0
        now += timedelta(hours=2)  # past every backoff
    assert statuses(db) == {OutboxStatus.SENT: 60}
    assert smtp_sink.handler.temporary_failures >= 12
    ids = smtp_sink.outbox_ids()
    assert len(ids) == 60 and set(ids.values()) == {1}
    retried = db.session.scalars(select(OutboxMessage).where(OutboxMessage.attempts > 1)).all()
    assert len(retried) >= 12


def test_permanent_refusal_marks_the_message_and_the_stakeholder_undeliverable(
    app, db, smtp_sink: SmtpSink, make_round, make_organisation
) -> None:
    smtp_sink.handler.refuse = {"person1@example.org"}
    queue_invitations(db, make_round(), [make_organisation().id], 3)

    report = deliver(app, smtp_sink)

    assert (report.sent, report.undeliverable) == (2, 1)
    refused = db.session.scalars(
        select(Stakeholder).where(Stakeholder.email == "person1@example.org")
    ).one()
    assert refused.undeliverable_at is not None
    others = db.session.scalars(
        select(Stakeholder).where(Stakeholder.email != "person1@example.org")
    ).all()
    assert [s.undeliverable_at for s in others] == [None, None]
    message = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.stakeholder_id == refused.id)
    ).one()
    assert message.status is OutboxStatus.UNDELIVERABLE and "550" in (message.last_error or "")
    assert sorted(m["To"] for m in smtp_sink.received()) == [
        "person0@example.org",
        "person2@example.org",
    ]
    assert all(m[OUTBOX_ID_HEADER] for m in smtp_sink.received())
