"""Bounce lists: addresses marked undeliverable, any case, strangers reported, all or nothing."""

from __future__ import annotations

import io

from openpyxl import Workbook
from sqlalchemy import select

from survey.models import Stakeholder
from survey.services.audit import COMMAND_LINE
from survey.services.bounces import mark_bounced
from survey.services.invitations import issue_invitations
from tests.survey.mail.helpers import queue_invitations


def test_a_bounce_list_marks_addresses_any_case_and_reports_strangers(
    db, make_round, make_organisation
) -> None:
    survey_round = make_round()
    queue_invitations(db, survey_round, [make_organisation().id], 3)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in (
        ["Email"],
        ["PERSON0@example.org"],
        ["stranger@example.org"],
        ["person2@example.org"],
    ):
        sheet.append(row)
    data = io.BytesIO()
    workbook.save(data)

    report = mark_bounced(COMMAND_LINE, survey_round, data.getvalue(), "bounces.xlsx")
    db.session.commit()

    assert (report.marked, report.already, report.unknown) == (2, 0, ["stranger@example.org"])
    bounced = sorted(
        s.email
        for s in db.session.scalars(
            select(Stakeholder).where(Stakeholder.undeliverable_at.is_not(None))
        )
    )
    assert bounced == ["person0@example.org", "person2@example.org"]
    again = mark_bounced(COMMAND_LINE, survey_round, b"email\nperson0@example.org\n", "again.csv")
    assert (again.marked, again.already) == (0, 1)
    # bounced stakeholders get no further invitations
    assert issue_invitations(COMMAND_LINE, survey_round).emails == 0


def test_a_bounce_list_with_a_bad_row_marks_no_one(db, make_round, make_organisation) -> None:
    survey_round = make_round()
    queue_invitations(db, survey_round, [make_organisation().id], 2)

    report = mark_bounced(
        COMMAND_LINE, survey_round, b"email\nperson0@example.org\n\n,x\n", "bounces.csv"
    )
    db.session.commit()

    assert report.marked == 0 and [p.row for p in report.problems] == [4]
    marked = db.session.scalars(
        select(Stakeholder).where(Stakeholder.undeliverable_at.is_not(None))
    )
    assert list(marked) == []
