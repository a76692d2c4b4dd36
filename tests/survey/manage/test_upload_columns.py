"""Uploads of the spreadsheets people have: headers as people write them, groups by their
names, and a step choosing which column is which when a header is not recognised."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from survey.models import Invitation, Organisation, Stakeholder
from tests.survey.helpers import csrf_token


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


def _post(client: Any, page: Any, path: str, **fields: str) -> Any:
    return client.post(path, data={"csrf_token": csrf_token(page.get_data(as_text=True))} | fields)


CONTACTS = (
    "Organisation Code,Stakeholder Name,EMAIL address,Stakeholder group\n"
    "ORG1,Dr Ann Example,ann@example.org,GP member practice\n"
    "ORG1,Bob Example,bob@example.org,NHS provider\n"
    "ORG1,Cal Example,cal@example.org,Other commissioner\n"
).encode("cp1252")


def test_a_contacts_spreadsheet_export_previews_and_loads_as_it_is(
    client: Any, db: Any, manager: Any, make_round: Any, make_organisation: Any
) -> None:
    survey_round = make_round(status="draft")
    make_organisation(code="ORG1")
    path = f"/manage/rounds/{survey_round.id}/stakeholders"

    preview = _upload(client, path, CONTACTS, "contacts.csv")

    html = preview.get_data(as_text=True)
    assert preview.status_code == 200, html[:3000]
    for name in ("GP member practices", "NHS providers", "Other commissioners"):
        assert f'{name}</td><td class="nhsuk-table__cell nhsuk-table__cell--numeric">1<' in html
    assert _count(db, Stakeholder) == 0
    assert _post(client, preview, f"{path}/confirm").status_code == 302
    assert _count(db, Stakeholder) == 3 and _count(db, Invitation) == 3


def test_unrecognised_headers_are_chosen_on_the_page_then_previewed_and_loaded(
    client: Any, db: Any, manager: Any, make_round: Any, make_organisation: Any, upload_folder: Path
) -> None:
    survey_round = make_round(status="draft")
    make_organisation(code="ORG1")
    path = f"/manage/rounds/{survey_round.id}/stakeholders"
    data = b"Contact,Who,Group,CCG\nann@example.org,Ann,gp_practice,ORG1\n"

    asked = _upload(client, path, data)

    html = asked.get_data(as_text=True)
    assert asked.status_code == 400 and "Choose which column is which" in html
    assert (
        "missing column(s) email, name, assesses (found: &#39;Contact&#39;, &#39;Who&#39;" in html
    )
    assert '<select class="nhsuk-select" id="column-email" name="column-email">' in html
    assert '<option value="CCG">CCG</option>' in html
    assert 'id="column-group"' not in html  # 'Group' was recognised
    [stashed] = list(upload_folder.iterdir())  # the file waits for the choice

    # a choice still missing one column asks again for that one
    partly = _post(client, asked, f"{path}/columns", **{"column-email": "Contact"})
    assert partly.status_code == 400
    partly_html = partly.get_data(as_text=True)
    assert 'id="column-name"' in partly_html and 'id="column-email"' not in partly_html

    preview = _post(
        client, partly, f"{path}/columns", **{"column-name": "Who", "column-assesses": "CCG"}
    )
    assert preview.status_code == 200, preview.get_data(as_text=True)[:3000]
    assert 'id="new-stakeholders">1<' in preview.get_data(as_text=True)
    assert _count(db, Stakeholder) == 0

    assert _post(client, preview, f"{path}/confirm").status_code == 302
    assert _count(db, Stakeholder) == 1 and _count(db, Invitation) == 1
    assert not stashed.exists()


def test_organisation_columns_can_be_chosen_too(client: Any, db: Any, manager: Any) -> None:
    data = b"ODS,Organisation name,Type,Patch\nA1,NHS Alpha ICB,ccg,North\n"
    asked = _upload(client, "/manage/organisations", data)
    assert asked.status_code == 400
    assert 'id="column-code"' in asked.get_data(as_text=True)

    preview = _post(
        client,
        asked,
        "/manage/organisations/columns",
        **{"column-code": "ODS", "column-region": "Patch"},
    )
    assert preview.status_code == 200 and 'id="created">1<' in preview.get_data(as_text=True)
    assert _post(client, preview, "/manage/organisations/confirm").status_code == 302
    [organisation] = db.session.scalars(select(Organisation))
    assert (organisation.code, organisation.region) == ("A1", "North")


def test_choosing_columns_without_an_upload_waiting_says_it_expired(
    client: Any, manager: Any
) -> None:
    page = client.get("/manage/organisations")
    response = _post(client, page, "/manage/organisations/columns", **{"column-code": "ODS"})
    assert response.status_code == 302
    assert "has expired" in client.get(response.headers["Location"]).get_data(as_text=True)
