"""The round page says what the scheduler does next and last did, and switches it off."""

from __future__ import annotations

from datetime import date, timedelta

from survey.mail.worker import run_fieldwork
from survey.models import SurveyRound
from tests.survey.fieldwork_helpers import add_pending
from tests.survey.helpers import csrf_token

TODAY = date.today()


def test_the_round_page_shows_the_schedule_and_switches_it_off(
    client, db, manager, make_round, make_organisation
) -> None:
    survey_round = make_round(status="draft", opens_on=TODAY, closes_on=TODAY + timedelta(21))
    add_pending(db, survey_round, [make_organisation().id], 2, "new")
    run_fieldwork("test-worker", TODAY)
    path = f"/manage/rounds/{survey_round.id}"

    page = client.get(path).get_data(as_text=True)

    week = (TODAY + timedelta(7)).strftime("%-d %B %Y")
    closes = (TODAY + timedelta(21)).strftime("%-d %B %Y")
    assert f"Next scheduled: reminders on {week}, closes at the end of {closes}." in page
    assert f"invitations for {TODAY.strftime('%-d %B %Y')} at " in page and "2 email(s)" in page

    switched = client.post(f"{path}/automatic/off", data={"csrf_token": csrf_token(page)})
    assert switched.status_code == 302
    db.session.expire_all()
    assert db.session.get_one(SurveyRound, survey_round.id).auto_fieldwork is False
    assert "Automatic fieldwork is off" in client.get(path).get_data(as_text=True)
