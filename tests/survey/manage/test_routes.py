"""A manager runs a round through the pages: create, load lists, open, send, monitor, close."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from survey.models import (
    AuditEvent,
    Invitation,
    InvitationStatus,
    Organisation,
    OutboxMessage,
    OutboxStatus,
    Stakeholder,
    SurveyRound,
)
from tests.survey.helpers import csrf_token, post_form, read_outbox


def _count(db: Any, model: Any) -> int:
    db.session.rollback()  # end the test's read snapshot to see what the requests wrote
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def _upload(client: Any, path: str, content: bytes, filename: str = "list.csv") -> Any:
    token = csrf_token(client.get(path).get_data(as_text=True))
    return client.post(
        path,
        data={"csrf_token": token, "upload": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )


def _confirm(client: Any, page: Any, path: str) -> Any:
    return client.post(path, data={"csrf_token": csrf_token(page.get_data(as_text=True))})


def _web_audit(db: Any, user: Any) -> list[str]:
    db.session.rollback()
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
    return [
        e.action
        for e in events
        if e.channel == "web" and e.user_id == user.id and e.action != "login"
    ]


# -- rounds -----------------------------------------------------------------------------------


def test_a_manager_creates_a_round_and_sees_it_listed(client: Any, db: Any, manager: Any) -> None:
    today = date.today()
    response = post_form(
        client,
        "/manage/rounds/new",
        {
            "year": "2031",
            "questionnaire": "ccg-360",
            "title": "",
            "opens_on": today.isoformat(),
            "closes_on": (today + timedelta(days=35)).isoformat(),
            "suppression_threshold": "5",
            "comment_threshold": "10",
        },
    )
    assert response.status_code == 302
    [survey_round] = db.session.scalars(select(SurveyRound)).all()
    assert response.headers["Location"] == f"/manage/rounds/{survey_round.id}"
    assert survey_round.year == 2031 and survey_round.status.value == "draft"
    listing = client.get("/manage/").get_data(as_text=True)
    assert survey_round.title in listing and "Draft" in listing
    assert _web_audit(db, manager) == ["round.create"]


def test_the_round_form_shows_every_problem_in_an_error_summary(
    client: Any, db: Any, manager: Any
) -> None:
    response = post_form(
        client,
        "/manage/rounds/new",
        {
            "year": "twenty",
            "questionnaire": "ccg-360",
            "opens_on": "2031-03-01",
            "closes_on": "2031-02-01",
            "suppression_threshold": "5",
            "comment_threshold": "3",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<title>Error: Create a survey round" in html and "There is a problem" in html
    assert (
        'href="#year"' in html
        and 'href="#closes_on"' in html
        and 'href="#comment_threshold"' in html
    )
    assert "The last day of fieldwork must be on or after the first day" in html
    assert _count(db, SurveyRound) == 0


def test_a_duplicate_round_is_refused_on_the_form(
    client: Any, db: Any, manager: Any, make_round: Any
) -> None:
    existing = make_round(status="draft")
    response = post_form(
        client,
        "/manage/rounds/new",
        {
            "year": str(existing.year),
            "questionnaire": "ccg-360",
            "opens_on": "2031-01-01",
            "closes_on": "2031-02-01",
            "suppression_threshold": "5",
            "comment_threshold": "10",
        },
    )
    assert response.status_code == 400
    assert "There is already a" in response.get_data(as_text=True)
    assert _count(db, SurveyRound) == 1


def test_a_manager_publishes_interim_results_at_most_the_daily_allowance(
    app: Any, client: Any, db: Any, manager: Any, make_round: Any
) -> None:
    app.config["INTERIM_RELEASES_PER_DAY"] = 1
    survey_round = make_round(suppression_threshold=3, comment_threshold=3)
    page = client.get(f"/manage/rounds/{survey_round.id}")
    assert "No results have been published yet" in page.get_data(as_text=True)
    published = _confirm(client, page, f"/manage/rounds/{survey_round.id}/publish")
    shown = client.get(published.headers["Location"]).get_data(as_text=True)
    assert "Interim results were published: Results as of" in shown
    assert "Commissioners, assessors and every report see release 1" in shown
    assert f'<td class="nhsuk-table__cell">{manager.email}</td>' in shown  # who released it

    again = _confirm(client, page, f"/manage/rounds/{survey_round.id}/publish")
    refused = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "already had 1 interim release(s) in the last 24 hours" in refused
    assert _web_audit(db, manager) == ["results.release"]


def test_a_manager_opens_and_closes_a_round_after_confirming(
    client: Any, db: Any, manager: Any, make_round: Any
) -> None:
    survey_round = make_round(status="draft")
    page = client.get(f"/manage/rounds/{survey_round.id}")
    assert _confirm(client, page, f"/manage/rounds/{survey_round.id}/open").status_code == 302
    db.session.refresh(survey_round)
    assert survey_round.status.value == "open"
    confirmation = client.get(f"/manage/rounds/{survey_round.id}/close")
    assert "This cannot be undone" in confirmation.get_data(as_text=True)
    assert (
        _confirm(client, confirmation, f"/manage/rounds/{survey_round.id}/close").status_code == 302
    )
    db.session.rollback()
    db.session.refresh(survey_round)
    assert survey_round.status.value == "closed"
    assert _web_audit(db, manager) == ["round.open", "round.close"]
    # closing twice is refused with a message, not an error page
    again = _confirm(client, confirmation, f"/manage/rounds/{survey_round.id}/close")
    assert again.status_code == 302
    assert "only an open round closes" in client.get(again.headers["Location"]).get_data(
        as_text=True
    )


# -- stakeholder lists ------------------------------------------------------------------------

BAD_CSV = b"""email,name,group,assesses
not-an-email,Dr Ann Example,gp_practice,ORG1
bea@example.org,,gp_practice,ORG1
cal@example.org,Cal Example,astrologers,NOPE
"""


def test_a_list_with_problems_shows_each_row_and_column_and_stores_nothing(
    client: Any, db: Any, manager: Any, make_round: Any, make_organisation: Any, upload_folder: Path
) -> None:
    survey_round = make_round(status="draft")
    make_organisation(code="ORG1")
    response = _upload(client, f"/manage/rounds/{survey_round.id}/stakeholders", BAD_CSV)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<title>Error: Upload a stakeholder list" in html and "nothing was loaded" in html
    rows = [
        ("2", "email"),
        ("3", "name"),
        ("4", "group"),
        ("4", "assesses"),
    ]
    for row, column in rows:
        assert (
            f'<td class="nhsuk-table__cell">{row}</td>\n'
            f'        <td class="nhsuk-table__cell">{column}</td>' in html
        ), (row, column)
    assert "unknown organisation code &#39;NOPE&#39;" in html
    assert _count(db, Stakeholder) == 0 and _count(db, Invitation) == 0
    assert not list(upload_folder.glob("*"))
    with client.session_transaction() as session:
        assert "manage_upload" not in session


def test_an_unreadable_file_is_reported_as_a_whole_file_problem(
    client: Any, db: Any, manager: Any, make_round: Any
) -> None:
    survey_round = make_round(status="draft")
    response = _upload(client, f"/manage/rounds/{survey_round.id}/stakeholders", b"who,what\nx,y\n")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Whole file" in html and "missing column(s) email, name, group, assesses" in html


def test_an_upload_must_be_a_csv_or_excel_file(client: Any, manager: Any, make_round: Any) -> None:
    survey_round = make_round(status="draft")
    response = _upload(
        client, f"/manage/rounds/{survey_round.id}/stakeholders", b"%PDF", "list.pdf"
    )
    assert response.status_code == 400
    assert (
        'href="#upload">The selected file must be a CSV or Excel (.xlsx) file'
        in response.get_data(as_text=True)
    )
    token = csrf_token(
        client.get(f"/manage/rounds/{survey_round.id}/stakeholders").get_data(as_text=True)
    )
    missing = client.post(
        f"/manage/rounds/{survey_round.id}/stakeholders", data={"csrf_token": token}
    )
    assert missing.status_code == 400 and "Select a CSV or Excel file" in missing.get_data(
        as_text=True
    )


def test_an_upload_over_the_size_limit_is_refused(
    client: Any, manager: Any, make_round: Any, app: Any
) -> None:
    survey_round = make_round(status="draft")
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = _upload(client, f"/manage/rounds/{survey_round.id}/stakeholders", b"x" * 5000)
    assert response.status_code == 413


GOOD_CSV = b"""email,name,group,assesses,employer
ann@example.org,Dr Ann Example,gp_practice,ORG1;ORG2,Riverside Surgery
bea@example.org,Bea Example,Local Healthwatch,ORG1,Healthwatch Testshire
cal@example.org,Cal Example,gp_practice,ORG2,Hillside Practice
"""


def _load_good_list(client: Any, survey_round: SurveyRound) -> Any:
    preview = _upload(client, f"/manage/rounds/{survey_round.id}/stakeholders", GOOD_CSV)
    assert preview.status_code == 200, preview.get_data(as_text=True)[:3000]
    return preview


def test_a_good_list_is_previewed_then_loaded_on_confirmation(
    client: Any, db: Any, manager: Any, make_round: Any, make_organisation: Any, upload_folder: Path
) -> None:
    survey_round = make_round(status="draft")
    make_organisation(code="ORG1")
    make_organisation(code="ORG2")
    preview = _load_good_list(client, survey_round)
    html = preview.get_data(as_text=True)
    assert 'id="new-stakeholders">3<' in html and 'id="new-invitations">4<' in html
    assert (
        'GP member practices</td><td class="nhsuk-table__cell nhsuk-table__cell--numeric">2<'
        in html
    )
    assert _count(db, Stakeholder) == 0  # the preview stores nothing
    [stashed] = list(upload_folder.iterdir())
    response = _confirm(client, preview, f"/manage/rounds/{survey_round.id}/stakeholders/confirm")
    assert response.status_code == 302
    assert _count(db, Stakeholder) == 3 and _count(db, Invitation) == 4
    assert not stashed.exists()  # the upload is deleted once loaded
    assert "Loaded 3 new stakeholder(s)" in client.get(response.headers["Location"]).get_data(
        as_text=True
    )
    assert _web_audit(db, manager) == ["stakeholders.import"]
    # confirming again finds nothing to load
    again = _confirm(client, preview, f"/manage/rounds/{survey_round.id}/stakeholders/confirm")
    assert again.status_code == 302 and again.headers["Location"].endswith("/stakeholders")
    assert _count(db, Invitation) == 4


def test_a_changed_stashed_file_is_not_loaded(
    client: Any, db: Any, manager: Any, make_round: Any, make_organisation: Any, upload_folder: Path
) -> None:
    survey_round = make_round(status="draft")
    make_organisation(code="ORG1")
    make_organisation(code="ORG2")
    preview = _load_good_list(client, survey_round)
    [stashed] = list(upload_folder.iterdir())
    stashed.write_bytes(GOOD_CSV + b"eve@example.org,Eve,gp_practice,ORG1,\n")
    response = _confirm(client, preview, f"/manage/rounds/{survey_round.id}/stakeholders/confirm")
    assert response.status_code == 302 and response.headers["Location"].endswith("/stakeholders")
    assert _count(db, Stakeholder) == 0


def test_a_list_that_went_bad_since_its_preview_loads_nothing(
    client: Any, db: Any, manager: Any, make_round: Any, make_organisation: Any
) -> None:
    survey_round = make_round(status="open")
    make_organisation(code="ORG1")
    make_organisation(code="ORG2")
    preview = _load_good_list(client, survey_round)
    db.session.refresh(survey_round)
    survey_round.close()
    db.session.commit()
    response = _confirm(client, preview, f"/manage/rounds/{survey_round.id}/stakeholders/confirm")
    assert response.status_code == 400
    assert "stakeholders can no longer be loaded" in response.get_data(as_text=True)
    assert _count(db, Stakeholder) == 0


# -- organisations ----------------------------------------------------------------------------


def test_organisations_are_previewed_then_loaded(client: Any, db: Any, manager: Any) -> None:
    bad = b"code,name,kind,region\nA1,NHS Alpha ICB,ccg,North\nA1,,hospital,North\n"
    response = _upload(client, "/manage/organisations", bad)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert (
        '<td class="nhsuk-table__cell">3</td>\n        <td class="nhsuk-table__cell">kind</td>'
        in html
    )
    assert (
        '<td class="nhsuk-table__cell">3</td>\n        <td class="nhsuk-table__cell">code</td>'
        in html
    )
    assert _count(db, Organisation) == 0
    good = b"code,name,kind,region\nA1,NHS Alpha ICB,ccg,North\nB2,NHS England North,direct,North\n"
    preview = _upload(client, "/manage/organisations", good)
    assert preview.status_code == 200 and 'id="created">2<' in preview.get_data(as_text=True)
    assert _count(db, Organisation) == 0 and _count(db, AuditEvent) == 1  # only the sign-in
    response = _confirm(client, preview, "/manage/organisations/confirm")
    assert response.status_code == 302
    assert _count(db, Organisation) == 2
    assert "NHS Alpha ICB" in client.get("/manage/organisations").get_data(as_text=True)
    assert _web_audit(db, manager) == ["organisations.import"]


# -- sending and monitoring -------------------------------------------------------------------


def test_sending_queues_one_email_per_stakeholder_and_the_monitor_counts_them(
    client: Any, db: Any, manager: Any, make_round: Any, make_organisation: Any, app: Any
) -> None:
    survey_round = make_round(status="open")
    make_organisation(code="ORG1", name="NHS One ICB")
    make_organisation(code="ORG2", name="NHS Two ICB")
    preview = _load_good_list(client, survey_round)
    assert (
        _confirm(
            client, preview, f"/manage/rounds/{survey_round.id}/stakeholders/confirm"
        ).status_code
        == 302
    )
    page = client.get(f"/manage/rounds/{survey_round.id}/invitations")
    html = page.get_data(as_text=True)
    assert 'id="pending-invitations">4<' in html and 'id="pending-emails">3<' in html
    response = _confirm(client, page, f"/manage/rounds/{survey_round.id}/invitations")
    assert response.status_code == 302 and response.headers["Location"].endswith("/monitor")
    assert _count(db, OutboxMessage) == 3
    assert (
        len(read_outbox(Path(app.config["MAIL_OUTBOX_DIR"]))) == 3
    )  # the file backend delivered them
    statuses = {m.status for m in db.session.scalars(select(OutboxMessage))}
    assert statuses == {OutboxStatus.SENT}
    assert _web_audit(db, manager) == ["stakeholders.import", "invitations.issue"]

    # one stakeholder answers; one email turns out ambiguous
    invitation = db.session.scalars(
        select(Invitation)
        .join(Invitation.stakeholder)
        .where(Stakeholder.email == "bea@example.org")
    ).one()
    invitation.status = InvitationStatus.COMPLETED
    message = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.recipient == "cal@example.org")
    ).one()
    message.status, message.last_error = OutboxStatus.AMBIGUOUS, "connection lost after DATA"
    db.session.commit()

    monitor = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="total-responded">1<' in monitor and 'id="total-invited">4<' in monitor
    assert "NHS One ICB (ORG1)" in monitor and "1 / 2 (50%)" in monitor
    assert 'id="delivery-sent">2<' in monitor and 'id="delivery-ambiguous">1<' in monitor
    assert "cal@example.org" in monitor and "connection lost after DATA" in monitor
    assert "ann@example.org" not in monitor  # delivered: nothing to check
    listing = client.get("/manage/").get_data(as_text=True)
    assert "25%" in listing

    # nothing left to send
    again = client.get(f"/manage/rounds/{survey_round.id}/invitations").get_data(as_text=True)
    assert "There is nothing to send" in again


def test_invitations_are_not_sent_for_a_draft_round(
    client: Any, db: Any, manager: Any, make_round: Any
) -> None:
    survey_round = make_round(status="draft")
    page = client.get(f"/manage/rounds/{survey_round.id}/invitations")
    assert "Invitations can only be sent while it is open" in page.get_data(as_text=True)
    response = _confirm(client, client.get("/"), f"/manage/rounds/{survey_round.id}/invitations")
    assert response.status_code == 302
    assert "open it before sending invitations" in client.get(
        response.headers["Location"]
    ).get_data(as_text=True)
    assert _count(db, OutboxMessage) == 0
