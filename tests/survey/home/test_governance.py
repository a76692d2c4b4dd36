"""The accessibility statement, privacy notice and "why am I being asked" page: linked from
every page's footer, the start page and every email, with the deployment's own text and the
round's own retention."""

from __future__ import annotations

import html as html_lib
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from survey import create_app
from survey.models import OutboxMessage
from survey.services.audit import COMMAND_LINE
from survey.services.reminders import send_reminders
from tests.survey.helpers import answer_everything

FOOTER = ("/accessibility", "/privacy", "/why-am-i-being-asked")


def _text(response: Any) -> str:
    return html_lib.unescape(str(response.get_data(as_text=True)))


def _footer_links(html: str) -> list[str]:
    footer = html.split('<footer class="nhsuk-footer"')[1]
    return re.findall(r'class="nhsuk-footer__list-item-link" href="([^"]+)"', footer)


def test_every_kind_of_page_links_the_three_pages_from_its_footer(
    client: Any, make_invitation: Any
) -> None:
    issued = make_invitation()
    round_id = issued.invitation.round_id
    respondent = [issued.path, f"{issued.path}/1", f"{issued.path}/saved", f"{issued.path}/check"]
    for url in respondent:
        links = _footer_links(_text(client.get(url)))
        # the respondent's privacy link carries the round, never the token
        assert links[:3] == ["/accessibility", f"/privacy?round={round_id}", FOOTER[2]], url
        assert not any(issued.path in link for link in links)
    for url in ("/accessibility", "/privacy", "/why-am-i-being-asked", "/auth/login", "/nope"):
        links = _footer_links(_text(client.get(url)))
        assert links[:3] == list(FOOTER), url
    answer_everything(client, issued.path)
    client.post(f"{issued.path}/check", data={"csrf_token": _csrf(client, issued.path)})
    complete = _text(client.get(issued.path))
    assert "Survey complete" in complete
    assert f"/privacy?round={round_id}" in _footer_links(complete)


def _csrf(client: Any, path: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', _text(client.get(f"{path}/check")))
    assert match
    return match.group(1)


def test_the_start_page_links_them_too(client: Any, make_invitation: Any) -> None:
    issued = make_invitation()
    main = _text(client.get(issued.path)).split("<main")[1].split("</main>")[0]
    for href in ("/why-am-i-being-asked", f"/privacy?round={issued.invitation.round_id}"):
        assert f'href="{href}"' in main
    assert 'href="/accessibility"' in main


def test_the_privacy_notice_gives_the_rounds_retention_and_thresholds(
    client: Any, make_round: Any
) -> None:
    closes = date.today() + timedelta(days=20)
    survey_round = make_round(
        closes_on=closes, retention_days=30, suppression_threshold=7, comment_threshold=11
    )
    page = _text(client.get(f"/privacy?round={survey_round.id}"))
    purge = closes + timedelta(days=30)
    assert f"deleted 30 days after the survey closes, from {purge:%-d %B %Y}" in page
    assert f"closes on {closes:%-d %B %Y}" in page
    assert "groups of at least 7 people" in page and "groups of at least 11" in page
    for section in ("Who is responsible", "lawful basis", "Who sees what", "How long we keep it"):
        assert section in page
    assert "Your rights" in page and "Information Commissioner's Office" in page
    # no round, a bad one or a draft: the general wording, never an error
    draft = make_round(status="draft")
    for query in ("", "?round=abc", f"?round={survey_round.id + 999}", f"?round={draft.id}"):
        general = client.get(f"/privacy{query}")
        assert general.status_code == 200
        assert "a set number of days after the survey closes" in _text(general)


def test_the_accessibility_statement_has_the_model_statements_sections(client: Any) -> None:
    page = _text(client.get("/accessibility"))
    for section in (
        "How accessible this website is",
        "Feedback and contact information",
        "Reporting accessibility problems with this website",
        "Enforcement procedure",
        "Compliance status",
        "Web Content Accessibility Guidelines version 2.2",
        "Preparation of this accessibility statement",
    ):
        assert section in page
    assert "Equality Advisory and Support Service" in page


def test_organisation_specific_text_comes_from_the_deployment(app: Any, tmp_path: Path) -> None:
    settings = {
        key: app.config[key] for key in ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "MAIL_OUTBOX_DIR")
    }
    custom = create_app(
        {
            **settings,
            "TESTING": True,
            "ORGANISATION_NAME": "NHS England North West",
            "DPO_CONTACT": "our DPO at dpo@example.nhs.uk",
            "LAWFUL_BASIS": "Article 6(1)(e): our public task (test wording).",
            "ACCESSIBILITY_CONTACT": "access@example.nhs.uk",
            "SURVEY_CONTACT": "survey@example.nhs.uk",
            "SURVEY_PURPOSE": "This year we also ask about winter planning.",
        }
    )
    client = custom.test_client()
    privacy = _text(client.get("/privacy"))
    # the controller is the organisation unless CONTROLLER_NAME says otherwise
    assert "NHS England North West is the controller of your information" in privacy
    assert "our DPO at dpo@example.nhs.uk" in privacy
    assert "Article 6(1)(e): our public task (test wording)." in privacy
    accessibility = _text(client.get("/accessibility"))
    assert "access@example.nhs.uk" in accessibility and "NHS England North West" in accessibility
    why = _text(client.get("/why-am-i-being-asked"))
    assert "This year we also ask about winter planning." in why
    contact = why.split('id="contact"')[1]
    for text in ("survey@example.nhs.uk", "our DPO at dpo@example.nhs.uk", "access@example.nhs.uk"):
        assert text in contact
    defaults = _text(app.test_client().get("/accessibility"))
    assert app.config["SURVEY_CONTACT"] in defaults  # accessibility goes to the survey team


@pytest.mark.parametrize("kind", ["invitation", "reminder"])
def test_every_email_links_the_three_pages_in_both_parts(
    db: Any, make_invitation: Any, kind: str
) -> None:
    issued = make_invitation()
    survey_round = issued.invitation.survey_round
    if kind == "reminder":
        send_reminders(COMMAND_LINE, survey_round, date.today() + timedelta(days=7))
        db.session.commit()
    message = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)).one()
    base = "http://localhost"
    wanted = (
        f"{base}/privacy?round={survey_round.id}",
        f"{base}/why-am-i-being-asked",
        f"{base}/accessibility",
    )
    for link in wanted:
        assert link in message.text_body, link
        assert f'href="{html_lib.escape(link)}"' in message.html_body, link
