"""Organisations as a service: a list is checked (problems by row and column) before anything is
stored, loaded all or nothing (creating and updating by code), found by code, and each role
sees only the organisations it may."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from survey.models import AuditEvent, Organisation, OrganisationKind
from survey.services.audit import COMMAND_LINE
from survey.services.errors import InputError
from survey.services.organisations import (
    OrganisationPlan,
    all_organisations,
    import_organisations,
    organisation_by_code,
    plan_organisations,
    visible_organisations,
)

HEADER = "code,name,kind,region,area\n"


def _csv(*rows: str) -> bytes:
    return (HEADER + "".join(row + "\n" for row in rows)).encode()


def _count(db: Any, model: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)))


def _imports(db: Any) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.action == "organisations.import")
    return list(db.session.scalars(query))


def test_a_plan_counts_new_and_known_codes_and_stores_nothing(db, make_organisation) -> None:
    make_organisation(code="A1", name="Old name")
    data = _csv("a1,NHS Alpha ICB,ccg,North,", "B2,NHS England North,direct,North,Yorkshire")

    plan = plan_organisations(data, "orgs.csv")

    assert plan.ok and (plan.created, plan.updated) == (1, 1)
    assert [row.number for row in plan.rows] == [2, 3]
    assert _count(db, Organisation) == 1
    assert db.session.scalar(select(Organisation.name)) == "Old name"
    assert _imports(db) == []


def test_every_problem_is_named_by_row_and_column(db) -> None:
    data = _csv(
        "A1,NHS Alpha ICB,ccg,North,",
        ",NHS Nameless ICB,ccg,North,",
        "C3,,hospital,,",
        "a1,NHS Alpha again,direct,North,",
    )

    plan = plan_organisations(data, "orgs.csv")

    assert not plan.ok
    assert [str(problem) for problem in plan.problems] == [
        "row 3, column 'code': is empty",
        "row 4, column 'name': is empty",
        "row 4, column 'region': is empty",
        "row 4, column 'kind': 'hospital' is not one of ccg, direct",
        "row 5, column 'code': A1 is also on row 2",
    ]


def test_importing_creates_and_updates_by_code_and_is_audited(db, make_organisation) -> None:
    kept = make_organisation(code="A1", name="Old name", region="South", area="Old area")
    untouched = make_organisation(code="Z9", name="Not in the list")
    data = _csv("a1,NHS Alpha ICB,CCG,North,", "B2,NHS England North,Direct,North,Yorkshire")

    plan = import_organisations(COMMAND_LINE, data, "orgs.csv")
    db.session.commit()

    assert isinstance(plan, OrganisationPlan) and plan.ok
    assert (plan.created, plan.updated) == (1, 1)
    by_code = {o.code: o for o in db.session.scalars(select(Organisation))}
    assert sorted(by_code) == ["A1", "B2", "Z9"]
    alpha = by_code["A1"]
    assert alpha.id == kept.id  # updated in place: results and accounts still point at it
    assert (alpha.name, alpha.kind, alpha.region, alpha.area) == (
        "NHS Alpha ICB",
        OrganisationKind.CCG,
        "North",
        None,
    )
    beta = by_code["B2"]
    assert (beta.kind, beta.area) == (OrganisationKind.DIRECT, "Yorkshire")
    assert by_code["Z9"].name == untouched.name
    [entry] = _imports(db)
    assert (entry.channel, entry.detail) == ("cli", {"created": 1, "updated": 1})


def test_a_list_with_problems_changes_nothing(db, make_organisation) -> None:
    make_organisation(code="A1", name="Old name")
    data = _csv("A1,New name,ccg,North,", "B2,NHS Beta ICB,trust,North,")

    plan = import_organisations(COMMAND_LINE, data, "orgs.csv")

    assert [(p.row, p.column) for p in plan.problems] == [(3, "kind")]
    assert _count(db, Organisation) == 1
    assert db.session.scalar(select(Organisation.name)) == "Old name"
    assert _imports(db) == []


def test_an_unreadable_file_is_one_problem_not_an_exception(db) -> None:
    for data, expected in (
        (b"who,what\nx,y\n", "orgs.csv: missing column(s) code, name, kind, region"),
        (b"", "orgs.csv: the file is empty"),
        (b"PK\x03\x04 not really a workbook", "orgs.csv: not a readable Excel workbook"),
    ):
        plan = import_organisations(COMMAND_LINE, data, "orgs.csv")
        [problem] = plan.problems
        assert problem.row == 0 and problem.message.startswith(expected), problem
    assert _count(db, Organisation) == 0


def test_a_code_longer_than_can_be_stored_is_a_problem_of_its_row(db) -> None:
    """organisation.code is VARCHAR(20): a longer code must be named in the preview, not pass
    it and then fail the load on PostgreSQL (or be stored anyway on SQLite)."""
    plan = plan_organisations(_csv(f"{'X' * 21},NHS Long ICB,ccg,North,"), "orgs.csv")

    assert [(p.row, p.column) for p in plan.problems] == [(2, "code")]


def test_an_organisation_is_found_by_its_code_in_any_case(db, make_organisation) -> None:
    organisation = make_organisation(code="07K")

    assert organisation_by_code("07k").id == organisation.id
    # unknown codes are bad input (a form or option naming it), told with the code
    with pytest.raises(InputError, match="no organisation with code 'X99'"):
        organisation_by_code("X99")


def test_each_role_sees_only_the_organisations_it_may(db, make_organisation, make_user) -> None:
    north_b = make_organisation(code="N2", name="NHS Beta ICB", region="North")
    north_a = make_organisation(code="N1", name="NHS Alpha ICB", region="North")
    south = make_organisation(code="S1", name="NHS Aardvark ICB", region="South")

    def seen(user: Any) -> list[str]:
        return [o.code for o in db.session.scalars(visible_organisations(user))]

    # managers everything, by region then name
    assert seen(make_user(role="manager")) == ["N1", "N2", "S1"]
    assert [o.code for o in all_organisations()] == ["N1", "N2", "S1"]
    assert seen(make_user(role="assessor", region="North")) == ["N1", "N2"]
    assert seen(make_user(role="assessor", region="East")) == []
    assert seen(make_user(role="commissioner", organisation=north_b)) == ["N2"]
    assert seen(make_user(role="viewer", organisation=south)) == ["S1"]
    assert north_a.code not in seen(make_user(role="viewer", organisation=north_b))
