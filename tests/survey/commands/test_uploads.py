"""Loading the spreadsheets people have from the command line: their headers, their group
names, and headers named with --column when they are not recognised."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from survey.models import Organisation, Stakeholder


def test_a_contacts_export_loads_and_unknown_headers_are_named_with_column(
    runner: Any, db: Any, tmp_path: Path, make_round: Any
) -> None:
    orgs = tmp_path / "orgs.csv"
    orgs.write_bytes(b"ODS,Organisation name,Type,NHS region\n01A,NHS Alpha ICB,ccg,North\n")
    refused = runner.invoke(args=["organisations", "import", str(orgs)])
    assert refused.exit_code == 1
    assert "missing column(s) code (found: 'ODS', 'Organisation name', 'Type', 'NHS region')" in (
        refused.output
    )
    assert "code (or organisation_code, organization_code, org_code)" in refused.output
    assert "--column NAME=HEADER" in refused.output
    loaded = runner.invoke(args=["organisations", "import", str(orgs), "--column", "code=ODS"])
    assert loaded.exit_code == 0, loaded.output
    db.session.rollback()
    assert db.session.scalar(select(Organisation.code)) == "01A"

    survey_round = make_round(status="draft")
    contacts = tmp_path / "contacts.csv"
    contacts.write_bytes(
        "Organisation Code,Stakeholder Name,EMAIL address,Stakeholder group\n"
        "01A,Zoë Example,zoe@example.org,GP member practice\n".encode("cp1252")
    )
    result = runner.invoke(
        args=["stakeholders", "import", str(survey_round.id), str(contacts), "--yes"]
    )
    assert result.exit_code == 0, result.output
    assert "gp_practice: 1" in result.output
    db.session.rollback()
    assert db.session.scalar(select(Stakeholder.name)) == "Zoë Example"
    assert db.session.scalar(select(func.count()).select_from(Stakeholder)) == 1


def test_a_bad_column_option_is_refused(runner: Any, tmp_path: Path) -> None:
    orgs = tmp_path / "orgs.csv"
    orgs.write_bytes(b"code,name,kind,region\n01A,NHS Alpha ICB,ccg,North\n")
    result = runner.invoke(args=["organisations", "import", str(orgs), "--column", "code"])
    assert result.exit_code == 2 and "is not like email='Contact address'" in result.output
