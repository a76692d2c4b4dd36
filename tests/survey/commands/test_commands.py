"""The assure360 command line: help for every command, and clear errors that store nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from survey.models import Organisation, SurveyRound

COMMANDS = [
    ("questionnaire", "list"),
    ("questionnaire", "check"),
    ("organisations", "import"),
    ("organisations", "list"),
    ("round", "create"),
    ("round", "open"),
    ("round", "close"),
    ("round", "list"),
    ("stakeholders", "import"),
    ("invitations", "issue"),
    ("mail", "send"),
    ("export", "responses"),
    ("round", "purge"),
    ("round", "thresholds"),
    ("stakeholders", "erase"),
    ("retention",),
    ("backup",),
    ("export", "results"),
    ("demo",),
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_explains_itself(runner: Any, command: tuple[str, ...]) -> None:
    result = runner.invoke(args=[*command, "--help"])
    assert result.exit_code == 0
    usage, _, description = result.output.partition("\n\n")
    assert usage.startswith("Usage:")
    assert len(description.split("\n\n")[0].strip()) > 20


def test_checking_a_broken_questionnaire_names_the_file_and_the_problem(
    runner: Any, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: broken\nversion: one\n")
    result = runner.invoke(args=["questionnaire", "check", str(broken)])
    assert result.exit_code == 1
    assert f"{broken}: version:" in result.output


def test_a_round_that_closes_before_it_opens_is_refused(runner: Any, db: Any) -> None:
    result = runner.invoke(
        args=[
            "round",
            "create",
            "--year",
            "2030",
            "--questionnaire",
            "ccg-360",
            "--opens",
            "2030-03-01",
            "--closes",
            "2030-02-01",
        ]
    )
    assert result.exit_code == 1
    assert "closes (2030-02-01) before it opens (2030-03-01)" in result.output
    assert db.session.scalar(select(func.count()).select_from(SurveyRound)) == 0


def test_an_unknown_questionnaire_lists_the_known_ones(runner: Any) -> None:
    result = runner.invoke(
        args=[
            "round",
            "create",
            "--year",
            "2030",
            "--questionnaire",
            "ccg-306",
            "--opens",
            "2030-01-01",
            "--closes",
            "2030-02-01",
        ]
    )
    assert result.exit_code == 1
    assert "ccg-306" in result.output and "ccg-360" in result.output


def test_a_bad_organisation_file_stores_nothing_and_names_rows(
    runner: Any, db: Any, tmp_path: Path
) -> None:
    good = tmp_path / "good.csv"
    good.write_text("code,name,kind,region\n01A,NHS Alpha ICB,ccg,Midlands\n")
    assert runner.invoke(args=["organisations", "import", str(good)]).exit_code == 0
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "code,name,kind,region\n01A,Renamed Alpha,ccg,Midlands\n"
        "02B,NHS Beta ICB,hospital,Midlands\n03C,,ccg,London\n"
    )
    result = runner.invoke(args=["organisations", "import", str(bad)])
    assert result.exit_code == 1
    assert "row 3, column 'kind': 'hospital' is not one of ccg, direct" in result.output
    assert "row 4, column 'name': is empty" in result.output
    db.session.rollback()
    assert [o.name for o in db.session.scalars(select(Organisation))] == ["NHS Alpha ICB"]


def test_xlsx_uploads_with_odd_headers_and_blank_rows_load(
    runner: Any, db: Any, tmp_path: Path
) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append([" Code", "NAME ", "Kind", "region", "Area"])
    sheet.append(["01a", "NHS Alpha ICB", "CCG", "Midlands", None])
    sheet.append(
        ["DC01", "NHS England Midlands: Specialised commissioning", "direct", "Midlands", None]
    )
    sheet.append([None, None, None, None, None])
    book.save(tmp_path / "orgs.xlsx")
    result = runner.invoke(args=["organisations", "import", str(tmp_path / "orgs.xlsx")])
    assert result.exit_code == 0, result.output
    assert "2 organisation(s) created" in result.output
    codes = sorted(db.session.scalars(select(Organisation.code)))
    assert codes == ["01A", "DC01"]


def test_a_missing_file_is_a_message_not_a_traceback(runner: Any) -> None:
    result = runner.invoke(args=["organisations", "import", "/nonexistent/orgs.csv"])
    assert result.exit_code == 1
    assert "cannot read /nonexistent/orgs.csv" in result.output
    assert "Traceback" not in result.output
