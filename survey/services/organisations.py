"""Assessed organisations: checking and loading the list of commissioners, and finding them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import Select, select

from survey.extensions import db
from survey.models import Organisation, OrganisationKind, Role, User
from survey.services import audit
from survey.services.errors import InputError
from survey.services.tabular import ORGANISATION_LIST, MissingColumns, Problem, Row, read_table


@dataclass
class OrganisationPlan:
    """What an organisation list would change, or every problem that stops it loading."""

    source: str
    rows: list[Row] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    problems: list[Problem] = field(default_factory=list)
    #: required columns no header gave, and the file's headers to choose them from
    missing_columns: MissingColumns | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


#: the longest value each column may hold (the database columns' sizes)
COLUMN_LIMITS = {"code": 20, "name": 200, "region": 100, "area": 100}


def _row_problems(rows: list[Row]) -> list[Problem]:
    kinds = {kind.value for kind in OrganisationKind}
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for row in rows:
        for column in ORGANISATION_LIST.required:
            if not row.values.get(column):
                problems.append(Problem(row.number, column, "is empty"))
        kind = row.values.get("kind", "").lower()
        if kind and kind not in kinds:
            choices = ", ".join(sorted(kinds))
            problems.append(Problem(row.number, "kind", f"{kind!r} is not one of {choices}"))
        for column, limit in COLUMN_LIMITS.items():
            if len(row.values.get(column, "")) > limit:
                problems.append(Problem(row.number, column, f"is longer than {limit} characters"))
        code = row.values.get("code", "").upper()
        if code in seen:
            problems.append(Problem(row.number, "code", f"{code} is also on row {seen[code]}"))
        seen.setdefault(code, row.number)
    return problems


def plan_organisations(
    data: bytes, source: str, chosen: Mapping[str, str] | None = None
) -> OrganisationPlan:
    """Check a table with code, name, kind, region (and area); stores nothing.

    A file that cannot be read at all is one problem of the plan, not an exception; required
    columns no header gives are also ``plan.missing_columns``.

    :param chosen: the file's header a person chose for a column (``{"code": "ODS"}``).
    """
    plan = OrganisationPlan(source)
    try:
        plan.rows = read_table(data, source, ORGANISATION_LIST, chosen)
    except InputError as error:
        plan.problems.append(Problem(0, "", str(error)))
        plan.missing_columns = error if isinstance(error, MissingColumns) else None
        return plan
    plan.problems = _row_problems(plan.rows)
    existing = set(db.session.scalars(select(Organisation.code)))
    for row in plan.rows:
        if row.values.get("code", "").upper() in existing:
            plan.updated += 1
        else:
            plan.created += 1
    return plan


def import_organisations(
    actor: audit.Actor, data: bytes, source: str, chosen: Mapping[str, str] | None = None
) -> OrganisationPlan:
    """Create or update the organisations of a checked table, all or nothing.

    A table with problems is returned with them and nothing is stored.
    """
    plan = plan_organisations(data, source, chosen)
    if not plan.ok:
        return plan
    existing = {org.code: org for org in db.session.scalars(select(Organisation))}
    for row in plan.rows:
        code = row.values["code"].upper()
        organisation = existing.get(code)
        if organisation is None:
            organisation = Organisation(code=code)
            db.session.add(organisation)
        organisation.name = row.values["name"]
        organisation.kind = OrganisationKind(row.values["kind"].lower())
        organisation.region = row.values["region"]
        organisation.area = row.values.get("area") or None
    db.session.flush()
    audit.record(actor, "organisations.import", created=plan.created, updated=plan.updated)
    return plan


def organisation_by_code(code: str) -> Organisation:
    """The organisation with ``code`` (any case); ``InputError`` naming the code if none."""
    organisation = db.session.scalar(select(Organisation).where(Organisation.code == code.upper()))
    if organisation is None:
        raise InputError(f"no organisation with code {code!r}")
    return organisation


def all_organisations() -> list[Organisation]:
    """Every assessed organisation, by region and name."""
    query = select(Organisation).order_by(Organisation.region, Organisation.name)
    return list(db.session.scalars(query))


def visible_organisations(user: User) -> Select[Organisation]:
    """A query for the organisations ``user`` may see results of: the one place organisation
    isolation is decided (managers everything, assessors their region, others their own)."""
    query = select(Organisation).order_by(Organisation.region, Organisation.name)
    if user.role is Role.MANAGER:
        return query
    if user.role is Role.ASSESSOR:
        return query.where(Organisation.region == user.region)
    return query.where(Organisation.id == user.organisation_id)
