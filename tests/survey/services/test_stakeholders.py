"""Stakeholder lists as a service: a plan says what loading would do and every problem by row
and column, stores nothing; loading is all or nothing; reloading updates and only adds what is
new; duplicates and unknown groups or organisations are named."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from survey.models import AuditEvent, Invitation, InvitationStatus, Stakeholder
from survey.services.audit import COMMAND_LINE
from survey.services.errors import InputError
from survey.services.stakeholders import (
    apply_stakeholder_import,
    load_stakeholders,
    plan_stakeholder_import,
)

HEADER = "email,name,group,assesses,employer\n"


def _csv(*rows: str) -> bytes:
    return (HEADER + "".join(row + "\n" for row in rows)).encode()


def _count(db: Any, model: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)))


def _imports(db: Any) -> int:
    query = select(func.count()).where(AuditEvent.action == "stakeholders.import")
    return int(db.session.scalar(query))


def _problems(plan: Any) -> list[tuple[int, str]]:
    return [(problem.row, problem.column) for problem in plan.problems]


@pytest.fixture
def orgs(make_organisation: Any) -> dict[str, Any]:
    return {code: make_organisation(code=code) for code in ("ORG1", "ORG2", "ORG3")}


def test_a_plan_counts_what_loading_would_do_and_stores_nothing(db, make_round, orgs) -> None:
    survey_round = make_round(status="draft")
    data = _csv(
        "ann@example.org,Dr Ann Example,gp_practice,org1; ORG2,Riverside Surgery",
        "bea@example.org,Bea Example,local healthwatch,ORG1|ORG3,",  # a group by its name
        "cal@example.org,Cal Example,GP member practices,ORG3,Hillside",
    )

    plan = plan_stakeholder_import(survey_round, data, "list.csv")

    assert plan.ok and plan.problems == []
    assert (plan.new_stakeholders, plan.updated_stakeholders, plan.new_invitations) == (3, 0, 5)
    assert dict(plan.by_group) == {"gp_practice": 2, "healthwatch": 1}
    assert [(row.row, row.group, row.assesses) for row in plan.rows] == [
        (2, "gp_practice", ("ORG1", "ORG2")),
        (3, "healthwatch", ("ORG1", "ORG3")),
        (4, "gp_practice", ("ORG3",)),
    ]
    assert _count(db, Stakeholder) == 0 and _count(db, Invitation) == 0
    assert _imports(db) == 0


def test_every_malformed_row_is_named_by_row_and_column(db, make_round, orgs) -> None:
    survey_round = make_round(status="draft")
    data = _csv(
        "ann@example.org,Dr Ann Example,gp_practice,ORG1,",  # fine
        "not-an-email,Bob Example,gp_practice,ORG1,",
        "cal@example.org,,gp_practice,ORG1,",
        "dee@example.org,Dee Example,astrologers,NOPE,",
        "eve@example.org,Eve Example,gp_practice,,",
    )

    plan = load_stakeholders(COMMAND_LINE, survey_round, data, "list.csv")

    assert not plan.ok
    assert _problems(plan) == [
        (3, "email"),
        (4, "name"),
        (5, "group"),
        (5, "assesses"),
        (6, "assesses"),
    ]
    messages = [str(problem) for problem in plan.problems]
    assert messages[0].startswith("row 3, column 'email': 'not-an-email': ")
    assert messages[1] == "row 4, column 'name': is empty"
    assert messages[2].startswith(
        "row 5, column 'group': unknown stakeholder group 'astrologers' "
        "(known: 'GP member practices', 'Health and wellbeing board', "
    )
    assert messages[3] == "row 5, column 'assesses': unknown organisation code 'NOPE'"
    assert messages[4] == "row 6, column 'assesses': names no organisation"
    # all or nothing: the good first row was not loaded either
    assert _count(db, Stakeholder) == 0 and _count(db, Invitation) == 0
    assert _imports(db) == 0


def test_duplicates_within_a_list_are_named_with_the_row_they_repeat(db, make_round, orgs) -> None:
    survey_round = make_round(status="draft")
    data = _csv(
        "ann@example.org,Ann,gp_practice,ORG1,",
        "ann@example.org,Ann,gp_practice,ORG2,",  # the same person, another organisation: fine
        "ann@example.org,Ann,gp_practice,ORG1,",
        "ann@example.org,Ann,local_authority,ORG3,",
    )

    plan = plan_stakeholder_import(survey_round, data, "list.csv")

    assert [str(problem) for problem in plan.problems] == [
        "row 4, column 'assesses': ann@example.org already assesses ORG1 on row 2",
        "row 5, column 'group': ann@example.org is in group gp_practice on row 2",
    ]


def test_an_address_repeated_in_another_case_is_a_duplicate(db, make_round, orgs) -> None:
    """Addresses are matched without case everywhere else (bounces, erasure, accounts): one
    person listed as Ann.Example@ and ann.example@ must not get two links to one organisation."""
    survey_round = make_round(status="draft")
    data = _csv(
        "Ann.Example@example.org,Ann,gp_practice,ORG1,",
        "ann.example@example.org,Ann,gp_practice,ORG1,",
    )

    plan = load_stakeholders(COMMAND_LINE, survey_round, data, "list.csv")

    assert [problem.row for problem in plan.problems] == [3]
    assert _count(db, Stakeholder) == 0 and _count(db, Invitation) == 0


def test_a_name_longer_than_can_be_stored_is_a_problem_of_its_row(db, make_round, orgs) -> None:
    """stakeholder.name is VARCHAR(200): a longer name must be named in the preview, not pass
    it and then fail the load on PostgreSQL (or be stored anyway on SQLite)."""
    survey_round = make_round(status="draft")
    data = _csv(f"ann@example.org,{'A' * 201},gp_practice,ORG1,")

    plan = plan_stakeholder_import(survey_round, data, "list.csv")

    assert _problems(plan) == [(2, "name")]


def test_loading_stores_stakeholders_with_pending_invitations_and_audits_counts(
    db, make_round, orgs
) -> None:
    survey_round = make_round(status="draft")
    data = _csv(
        "Ann@Example.ORG,Dr Ann Example,gp_practice,ORG1;ORG2,Riverside Surgery",
        "bea@example.org,Bea Example,healthwatch,ORG3,",
    )
    plan = plan_stakeholder_import(survey_round, data, "list.csv")
    progress: list[int] = []

    apply_stakeholder_import(COMMAND_LINE, survey_round, plan, on_progress=progress.append)
    db.session.commit()

    stakeholders = {s.email: s for s in db.session.scalars(select(Stakeholder))}
    assert sorted(stakeholders) == ["Ann@example.org", "bea@example.org"]  # domain lower-cased
    ann = stakeholders["Ann@example.org"]
    assert (ann.name, ann.employer, ann.group, ann.round_id) == (
        "Dr Ann Example",
        "Riverside Surgery",
        "gp_practice",
        survey_round.id,
    )
    assert sorted(i.organisation.code for i in ann.invitations) == ["ORG1", "ORG2"]
    for invitation in db.session.scalars(select(Invitation)):
        assert invitation.status is InvitationStatus.PENDING and invitation.token_hash is None
    assert progress == [1, 2]
    entry = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "stakeholders.import")
    ).one()
    assert entry.target == f"round:{survey_round.id}"
    assert entry.detail == {"new_stakeholders": 2, "updated_stakeholders": 0, "new_invitations": 3}
    assert "example" not in str(entry.detail).lower()


def test_reloading_updates_people_and_adds_only_new_invitations(db, make_round, orgs) -> None:
    survey_round = make_round(status="draft")
    load_stakeholders(
        COMMAND_LINE, survey_round, _csv("ann@example.org,Ann,gp_practice,ORG1,Old"), "one.csv"
    )
    db.session.commit()

    plan = load_stakeholders(
        COMMAND_LINE,
        survey_round,
        _csv(
            "ann@example.org,Dr Ann Example,gp_practice,ORG1;ORG2,New",
            "bea@example.org,Bea,gp_practice,ORG1,",
        ),
        "two.csv",
    )
    db.session.commit()

    assert plan.ok
    assert (plan.new_stakeholders, plan.updated_stakeholders, plan.new_invitations) == (1, 1, 2)
    [ann] = db.session.scalars(select(Stakeholder).where(Stakeholder.email == "ann@example.org"))
    assert (ann.name, ann.employer) == ("Dr Ann Example", "New")
    assert _count(db, Stakeholder) == 2 and _count(db, Invitation) == 3
    # someone already loaded cannot move to another group
    moved = load_stakeholders(
        COMMAND_LINE, survey_round, _csv("ann@example.org,Ann,vcse,ORG3,"), "three.csv"
    )
    assert [str(p) for p in moved.problems] == [
        "row 2, column 'group': ann@example.org is already loaded in group gp_practice"
    ]
    assert _count(db, Invitation) == 3 and ann.group == "gp_practice"


def test_applying_a_plan_with_problems_is_refused_and_loads_nothing(db, make_round, orgs) -> None:
    survey_round = make_round(status="draft")
    plan = plan_stakeholder_import(
        survey_round,
        _csv("ann@example.org,Ann,gp_practice,ORG1,", "bea@example.org,Bea,gp_practice,NOPE,"),
        "list.csv",
    )
    assert len(plan.rows) == 1  # the good row is in the plan ...

    with pytest.raises(InputError, match=r"list.csv: 1 problem\(s\), nothing was loaded: row 3"):
        apply_stakeholder_import(COMMAND_LINE, survey_round, plan)

    assert _count(db, Stakeholder) == 0 and _count(db, Invitation) == 0  # ... but not loaded
    assert _imports(db) == 0


def test_a_closed_round_or_an_unreadable_file_is_one_whole_file_problem(
    db, make_round, orgs
) -> None:
    closed = make_round(status="closed")
    good = _csv("ann@example.org,Ann,gp_practice,ORG1,")
    [problem] = load_stakeholders(COMMAND_LINE, closed, good, "list.csv").problems
    assert str(problem) == (
        f"file: round {closed.year} is closed: stakeholders can no longer be loaded"
    )

    draft = make_round(status="draft")
    [missing] = plan_stakeholder_import(
        draft, b"email,name\nann@example.org,Ann\n", "x.csv"
    ).problems
    assert missing.row == 0 and "missing column(s) group, assesses" in missing.message
    assert _count(db, Stakeholder) == 0


def test_a_contacts_spreadsheet_loads_with_its_own_headers_and_group_names(
    db, make_round, orgs
) -> None:
    # the export of issue 13: its headers, and groups named as people write them
    data = (
        "Organisation Code,Stakeholder Name,EMAIL address,Stakeholder group\n"
        "ORG1,Dr Ann Example,ann@example.org,GP member practice\n"
        "ORG2,Bob Example,bob@example.org,NHS provider\n"
        "ORG3,Cal Example,cal@example.org,other COMMISSIONER\n"
        "ORG1,Dee Example,dee@example.org,  regulators \n"
        "ORG2,Eve Example,eve@example.org,nhs_provider\n"
    ).encode("cp1252")

    plan = load_stakeholders(COMMAND_LINE, make_round(status="draft"), data, "contacts.csv")

    assert plan.ok, plan.problems
    assert [(row.email, row.group, row.assesses) for row in plan.rows] == [
        ("ann@example.org", "gp_practice", ("ORG1",)),
        ("bob@example.org", "nhs_provider", ("ORG2",)),
        ("cal@example.org", "other_commissioner", ("ORG3",)),
        ("dee@example.org", "regulator", ("ORG1",)),
        ("eve@example.org", "nhs_provider", ("ORG2",)),
    ]
    assert _count(db, Stakeholder) == 5 and _count(db, Invitation) == 5


def test_a_near_miss_of_a_group_name_asks_did_you_mean(db, make_round, orgs) -> None:
    data = _csv(
        "ann@example.org,Ann,GP member practises,ORG1,",
        "bob@example.org,Bob,Helathwatch,ORG1,",
        "cal@example.org,Cal,astrologers,ORG1,",
    )

    plan = load_stakeholders(COMMAND_LINE, make_round(status="draft"), data, "list.csv")

    messages = [problem.message for problem in plan.problems]
    assert messages[0].startswith(
        "unknown stakeholder group 'GP member practises': did you mean 'GP member practices'? "
    )
    assert messages[1].startswith(
        "unknown stakeholder group 'Helathwatch': did you mean 'Local Healthwatch'? "
    )
    assert "did you mean" not in messages[2]
    assert _count(db, Stakeholder) == 0


def test_missing_columns_are_given_with_the_headers_to_choose_from_and_a_choice_loads(
    db, make_round, orgs
) -> None:
    survey_round = make_round(status="draft")
    data = b"Contact,Full name,Group,Org\nann@example.org,Ann,gp_practice,ORG1\n"

    plan = plan_stakeholder_import(survey_round, data, "list.csv")

    assert not plan.ok and plan.missing_columns is not None
    assert plan.missing_columns.missing == ("email", "assesses")
    assert plan.missing_columns.headers == ("Contact", "Full name", "Group", "Org")
    chosen = {"email": "Contact", "assesses": "Org"}
    loaded = load_stakeholders(COMMAND_LINE, survey_round, data, "list.csv", chosen)
    assert loaded.ok and _count(db, Invitation) == 1
