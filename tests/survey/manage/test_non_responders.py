"""The survey team's non-responders page and CSV for one organisation, from the monitor."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from survey.models import AuditEvent, Invitation
from tests.survey.answering import save_answers
from tests.survey.stored import submit_released


def test_a_manager_lists_and_downloads_one_organisations_non_responders(
    client: Any,
    db: Any,
    manager: Any,
    make_round: Any,
    make_organisation: Any,
    make_invitation: Any,
) -> None:
    survey_round = make_round()
    alpha = make_organisation(code="01A", name="NHS Alpha ICB")
    beta = make_organisation(code="02B", name="NHS Beta ICB")
    done = make_invitation(survey_round=survey_round, organisation=alpha, email="done@x.org")
    invitation = db.session.get(Invitation, done.invitation.id)
    save_answers(invitation, {"overall_relationship": {"score": 4}}, resume_section=1)
    submit_released(invitation, ["overall_relationship"])
    db.session.commit()
    make_invitation(survey_round=survey_round, organisation=alpha, email="waiting@x.org")
    make_invitation(survey_round=survey_round, organisation=beta, email="beta@x.org")
    path = f"/manage/rounds/{survey_round.id}/organisations/01A/non-responders"
    monitor = client.get(f"/manage/rounds/{survey_round.id}/monitor").get_data(as_text=True)
    assert f'href="{path}"' in monitor
    page = client.get(path).get_data(as_text=True)
    assert "waiting@x.org" in page and "not started" in page and "GP member practices" in page
    assert "done@x.org" not in page and "beta@x.org" not in page
    download = client.get(path + ".csv")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert "attachment" in download.headers["Content-Disposition"]
    text = download.get_data().decode("utf-8-sig")
    assert "waiting@x.org" in text and "done@x.org" not in text
    assert db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "non_responders.download")
    ).one()
    unknown = f"/manage/rounds/{survey_round.id}/organisations/99Z/non-responders"
    assert client.get(unknown).status_code == 404
