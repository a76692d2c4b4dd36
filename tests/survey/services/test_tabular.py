"""Reading uploaded tables on their own: CSV in the encodings and separators spreadsheets save,
XLSX, header tidying, the row numbers a spreadsheet user sees, and refusals that name the file
and what is wrong with it."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from survey.services.errors import InputError
from survey.services.tabular import (
    ORGANISATION_LIST,
    STAKEHOLDER_LIST,
    MissingColumns,
    Problem,
    Row,
    normalise_header,
    read_table,
)


def _xlsx(*rows: list[object]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_headers_are_tidied_and_rows_numbered_as_the_spreadsheet_shows_them() -> None:
    data = (
        b"  Email Address ,Organisation-Code,NAME\r\n"
        b" ann@example.org , 01A ,Ann\r\n"
        b",,\r\n"
        b"bob@example.org,02B,Bob\r\n"
    )

    rows = read_table(data, "people.csv", ["email_address", "organisation_code"])

    # the blank row 3 is skipped, but Bob stays on row 4 where the user sees him
    assert rows == [
        Row(2, {"email_address": "ann@example.org", "organisation_code": "01A", "name": "Ann"}),
        Row(4, {"email_address": "bob@example.org", "organisation_code": "02B", "name": "Bob"}),
    ]


def test_short_rows_are_padded_and_notes_right_of_the_header_ignored() -> None:
    data = b"email,name,,\nann@example.org\nbob@example.org,Bob,a note,another\n"

    rows = read_table(data, "people.csv", ["email"])

    assert [row.values for row in rows] == [
        {"email": "ann@example.org", "name": ""},
        {"email": "bob@example.org", "name": "Bob"},
    ]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("\ufeffemail,name\nzoe@example.org,Zoë\n".encode(), "Zoë"),  # Excel's UTF-8 CSV
        ("email,name\nzoe@example.org,Zoë – £5\n".encode("cp1252"), "Zoë – £5"),  # plain CSV
    ],
)
def test_utf8_with_a_bom_and_windows_1252_both_read(data: bytes, expected: str) -> None:
    [row] = read_table(data, "people.csv", ["email", "name"])
    assert row.values == {"email": "zoe@example.org", "name": expected}


def test_semicolon_and_tab_separated_files_are_recognised() -> None:
    semicolons = b"email;name\nann@example.org;Smith, Ann\nbob@example.org;Bob\n"
    tabs = b"email\tname\nann@example.org\tSmith, Ann\nbob@example.org\tBob\n"
    for data in (semicolons, tabs):
        rows = read_table(data, "people.csv", ["email", "name"])
        assert [row.values["name"] for row in rows] == ["Smith, Ann", "Bob"]


def test_quoted_cells_keep_their_commas_and_line_breaks() -> None:
    data = b'email,name\nann@example.org,"Smith, Ann\nPractice Manager"\nbob@example.org,Bob\n'

    rows = read_table(data, "people.csv", ["email"])

    assert [(row.number, row.values["name"]) for row in rows] == [
        (2, "Smith, Ann\nPractice Manager"),
        (3, "Bob"),
    ]


def test_missing_columns_are_named_with_the_columns_that_were_found() -> None:
    with pytest.raises(InputError) as refused:
        read_table(b"E-mail,Full Name\na@example.org,A\n", "people.csv", ["email", "name"])

    assert str(refused.value) == (
        "people.csv: missing column(s) email, name (found: 'E-mail', 'Full Name'): "
        "rename the headers, or choose which column is which"
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "people.csv: the file is empty"),
        (
            b"email,name\n\x81\x8d\x8f\x90\x9d\n",
            "people.csv: not UTF-8 (byte 11) nor Windows-1252 text (byte 11, 0x81, is no "
            "character in either): save it again as 'CSV UTF-8'",
        ),
        (
            b'email,name\na@example.org,"' + b"x" * 200_000 + b'"\n',
            "people.csv: not a readable CSV file (field larger than field limit",
        ),
    ],
)
def test_unreadable_csv_files_are_refused_with_a_message(data: bytes, message: str) -> None:
    with pytest.raises(InputError) as refused:
        read_table(data, "people.csv", ["email"])
    assert str(refused.value).startswith(message)


def test_a_header_only_file_has_no_rows_and_a_blank_header_finds_none() -> None:
    assert read_table(b"email,name\n", "people.csv", ["email"]) == []
    with pytest.raises(InputError, match=r"missing column\(s\) email \(found: none\)"):
        read_table(b",,\nann@example.org,,\n", "people.csv", ["email"])


def test_xlsx_cells_of_any_type_read_as_text_and_blank_rows_are_skipped() -> None:
    data = _xlsx(
        [" Code", "NAME ", "Staff"],
        ["01a", "NHS Alpha ICB", 250],
        [None, None, None],
        ["02B", None, 1.5],
    )

    rows = read_table(data, "organisations.xlsx", ["code", "name"])

    assert rows == [
        Row(2, {"code": "01a", "name": "NHS Alpha ICB", "staff": "250"}),
        Row(4, {"code": "02B", "name": "", "staff": "1.5"}),
    ]


def test_an_xlsx_is_recognised_by_its_content_whatever_its_name() -> None:
    [row] = read_table(_xlsx(["email"], ["ann@example.org"]), "export.csv", ["email"])
    assert row == Row(2, {"email": "ann@example.org"})


@pytest.mark.parametrize(
    ("data", "source", "message"),
    [
        (b"PK\x03\x04 not really a zip", "people.xlsx", "people.xlsx: not a readable Excel"),
        (b"email\nann@example.org\n", "people.XLSX", "people.XLSX: not a readable Excel"),
        (_xlsx(), "people.xlsx", "people.xlsx: the first sheet is empty"),
    ],
)
def test_unreadable_workbooks_are_refused_with_a_message(
    data: bytes, source: str, message: str
) -> None:
    with pytest.raises(InputError) as refused:
        read_table(data, source, ["email"])
    assert str(refused.value).startswith(message)


def test_problems_read_as_a_place_and_what_is_wrong() -> None:
    assert str(Problem(3, "kind", "'hospital' is not one of ccg, direct")) == (
        "row 3, column 'kind': 'hospital' is not one of ccg, direct"
    )
    assert str(Problem(5, "", "is a duplicate")) == "row 5: is a duplicate"
    assert str(Problem(0, "", "the file is empty")) == "file: the file is empty"
    assert normalise_header("\ufeff Stakeholder  Group-Name ") == "stakeholder_group_name"


def test_headers_people_write_find_their_columns_in_any_case_and_spacing() -> None:
    # the headers of a stakeholder list exported from a contacts spreadsheet (issue 13)
    data = (
        b"Organisation Code,Stakeholder Name,EMAIL address,Stakeholder group,Notes\n"
        b"01A,Dr Ann Example,ann@example.org,GP member practice,met in May\n"
    )

    [row] = read_table(data, "contacts.csv", STAKEHOLDER_LIST)

    assert row.values == {
        "assesses": "01A",
        "name": "Dr Ann Example",
        "email": "ann@example.org",
        "group": "GP member practice",
        "notes": "met in May",
    }
    organisations = b"ORGANISATION_CODE;Organisation name;Type;NHS Region\n01A;Alpha;ccg;North\n"
    [row] = read_table(organisations, "orgs.csv", ORGANISATION_LIST)
    assert row.values == {"code": "01A", "name": "Alpha", "kind": "ccg", "region": "North"}


def test_an_unrecognised_header_is_refused_naming_the_headers_found_until_it_is_chosen() -> None:
    data = b"Contact,Who,Group,Assesses\nann@example.org,Ann,gp_practice,01A\n"

    with pytest.raises(MissingColumns) as refused:
        read_table(data, "people.csv", STAKEHOLDER_LIST)
    assert refused.value.missing == ("email", "name")
    assert refused.value.headers == ("Contact", "Who", "Group", "Assesses")
    assert "found: 'Contact', 'Who', 'Group', 'Assesses'" in str(refused.value)

    [row] = read_table(data, "people.csv", STAKEHOLDER_LIST, {"email": "contact", "name": "Who"})
    assert row.values == {
        "email": "ann@example.org",
        "name": "Ann",
        "group": "gp_practice",
        "assesses": "01A",
    }


def test_a_chosen_column_wins_and_bad_choices_or_two_headers_for_one_column_are_refused() -> None:
    data = b"Email,E-mail address,Name\nold@example.org,ann@example.org,Ann\n"
    with pytest.raises(InputError) as refused:
        read_table(data, "people.csv", STAKEHOLDER_LIST)
    assert str(refused.value) == (
        "people.csv: more than one column gives the same thing: 'Email' and 'E-mail address' "
        "(email): keep one of each"
    )
    [row] = read_table(data, "people.csv", ["email", "name"], {"email": "E-mail address"})
    assert row.values == {"email": "ann@example.org", "name": "Ann"}
    with pytest.raises(InputError, match=r"people.csv: has no column 'Mail'"):
        read_table(data, "people.csv", ["email"], {"email": "Mail"})
    with pytest.raises(InputError, match=r"no list column is called mail "):
        read_table(data, "people.csv", STAKEHOLDER_LIST, {"mail": "Email"})


@pytest.mark.parametrize(
    "data",
    [
        "Email\tName\nzoe@example.org\tZoë – £5\n".encode("utf-16"),  # Excel's "Unicode text"
        "Email,Name\nzoe@example.org,Zoë – £5\n".encode(),  # UTF-8 without a BOM
    ],
)
def test_utf16_with_a_bom_and_utf8_without_one_read(data: bytes) -> None:
    [row] = read_table(data, "people.csv", ["email", "name"])
    assert row.values == {"email": "zoe@example.org", "name": "Zoë – £5"}


def test_binary_or_bom_less_utf16_is_refused_rather_than_read_as_windows_1252() -> None:
    with pytest.raises(InputError) as refused:
        read_table("email,name\n".encode("utf-16-le"), "people.csv", ["email"])
    assert str(refused.value) == (
        "people.csv: not a text file (control character 0x00 at character 1): upload a CSV "
        "saved as 'CSV UTF-8', or an XLSX"
    )
