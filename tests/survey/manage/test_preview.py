"""A manager previews a round's questionnaire as each stakeholder group sees it about one
organisation: the same pages, local questions and validation as a stakeholder's, marked
'Preview: nothing is saved', and nothing is stored."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from sqlalchemy import func, select

import questionnaires
from survey.extensions import db as database
from survey.models import OrganisationKind
from survey.services.audit import COMMAND_LINE
from survey.services.local_questions import add_local_question
from tests.survey.helpers import csrf_token

BANNER = "Preview: nothing is saved"


def _rows(db: Any) -> dict[str, int]:
    """How many rows every table holds."""
    db.session.rollback()  # end the test's read snapshot to see what the requests wrote
    return {
        table.name: int(db.session.scalar(select(func.count()).select_from(table)) or 0)
        for table in database.metadata.sorted_tables
    }


def _carried(page: str) -> str:
    found = re.search(r'name="carried" value="([^"]*)"', page)
    assert found, page[:2000]
    return html.unescape(found.group(1))


def _questions(page: str) -> list[tuple[str, str]]:
    """(field name, an answer) for every question on a preview page: the first radio option,
    or a comment."""
    answers: dict[str, str] = {}
    for name, value in re.findall(r'name="([a-z0-9_]+)" type="radio" value="([^"]+)"', page):
        answers.setdefault(name, value)
    for name in re.findall(r'<textarea [^>]*name="([a-z0-9_]+)"', page):
        answers[name] = "A comment"
    return list(answers.items())


def _walk(client: Any, start: str) -> tuple[list[str], str]:
    """Answer every page of a preview; the titles seen and the check page."""
    page = client.get(start)
    assert page.status_code == 200
    titles = []
    url = start
    while True:
        text = page.get_data(as_text=True)
        assert BANNER in text
        if "Check your answers before you submit them" in text:
            return titles, text
        titles.append(re.search(r"<h1>(.*?)</h1>", text, re.S).group(1).strip())
        data = dict(_questions(text)) | {
            "csrf_token": csrf_token(text),
            "carried": _carried(text),
            "action": "continue",
        }
        url = re.search(r'<form method="post" action="([^"]+)"', text).group(1)
        page = client.post(url, data=data)
        assert page.status_code == 200, page.get_data(as_text=True)[:3000]


@pytest.mark.parametrize("name", questionnaires.bundled_names())
def test_a_preview_walks_every_groups_pages_and_stores_nothing(
    client: Any, db: Any, manager: Any, make_round: Any, make_organisation: Any, name: str
) -> None:
    questionnaire = questionnaires.load(name)
    kind = OrganisationKind(questionnaire.organisation_kind)
    survey_round = make_round(questionnaire=name)
    organisation = make_organisation(kind=kind)
    add_local_question(COMMAND_LINE, survey_round, organisation.code, "Do we listen?", "agreement")
    db.session.commit()
    before = _rows(db)

    for group in questionnaire.stakeholder_groups:
        start = client.get(
            f"/manage/rounds/{survey_round.id}/preview",
            query_string={"organisation": organisation.code.lower(), "group": group.id},
        )
        assert start.status_code == 302
        titles, check = _walk(client, start.headers["Location"])

        # the group's own sections, with the local questions before the open comments
        expected = [section.title for section in questionnaire.sections_for(group.id)]
        assert titles == [*expected[:-1], "Local questions", expected[-1]], group.id
        assert "Do we listen?" in check
        answered = sum(len(section.items_for(group.id)) for section in questionnaire.sections)
        end = client.post(
            f"/manage/rounds/{survey_round.id}/preview/{organisation.code}/{group.id}/end",
            data={"csrf_token": csrf_token(check), "carried": _carried(check)},
        )
        assert end.status_code == 200
        assert f"A stakeholder's {answered + 1} answers would be submitted now" in (
            end.get_data(as_text=True)
        )

    assert _rows(db) == before


def test_a_preview_page_is_validated_as_the_stakeholders_page_is(
    client: Any, db: Any, manager: Any, make_round: Any, make_organisation: Any
) -> None:
    survey_round = make_round()
    organisation = make_organisation()
    url = f"/manage/rounds/{survey_round.id}/preview/{organisation.code}/gp_practice/1"
    page = client.get(url).get_data(as_text=True)
    before = _rows(db)

    refused = client.post(
        url, data={"csrf_token": csrf_token(page), "carried": "{}", "action": "continue"}
    )

    assert refused.status_code == 400
    text = refused.get_data(as_text=True)
    assert "<title>Error: Preview: " in text and "Select an answer to question 1, or &#39;" in text
    assert BANNER in text and "Section 1 of " in text
    # Back from page 2 keeps the answers given, carried in the page and nowhere else
    answers = dict(_questions(page))
    second = client.post(
        url, data=answers | {"csrf_token": csrf_token(page), "carried": "{}", "action": "continue"}
    )
    assert "Section 2 of " in second.get_data(as_text=True)
    back = client.post(
        url.removesuffix("/1") + "/2",
        data={
            "csrf_token": csrf_token(page),
            "carried": _carried(second.get_data(as_text=True)),
            "action": "back",
        },
    )
    back_text = back.get_data(as_text=True)
    assert "Section 1 of " in back_text
    first_name, first_value = next(iter(answers.items()))
    assert f'name="{first_name}" type="radio" value="{first_value}" checked' in back_text
    assert _rows(db) == before


def test_a_preview_of_an_unknown_organisation_or_group_is_refused(
    client: Any, manager: Any, make_round: Any, make_organisation: Any
) -> None:
    survey_round = make_round()
    organisation = make_organisation()
    choose = client.get(f"/manage/rounds/{survey_round.id}/preview")
    assert choose.status_code == 200 and organisation.name in choose.get_data(as_text=True)
    wrong = client.get(
        f"/manage/rounds/{survey_round.id}/preview",
        query_string={"organisation": organisation.code, "group": "astrologers"},
    )
    assert wrong.status_code == 400
    base = f"/manage/rounds/{survey_round.id}/preview"
    assert client.get(f"{base}/NOPE/gp_practice/1").status_code == 404
    assert client.get(f"{base}/{organisation.code}/astrologers/1").status_code == 404
    assert client.get(f"{base}/{organisation.code}/gp_practice/99").status_code == 404


def test_change_on_the_check_page_shows_the_page_with_its_answers(
    client: Any, db: Any, manager: Any, make_round: Any, make_organisation: Any
) -> None:
    survey_round = make_round()
    organisation = make_organisation()
    base = f"/manage/rounds/{survey_round.id}/preview/{organisation.code}/healthwatch"
    _titles, check = _walk(client, f"{base}/1")
    assert "Change<span" in check

    shown = client.post(
        f"{base}/1",
        data={"csrf_token": csrf_token(check), "carried": _carried(check), "action": "show"},
    )

    text = shown.get_data(as_text=True)
    assert shown.status_code == 200 and "Section 1 of " in text and BANNER in text
    assert re.search(r'type="radio" value="[^"]+" checked', text)
