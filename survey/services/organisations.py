"""Assessed organisations: loading the list of commissioners."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from survey.services import audit
from survey.errors import InputError
from survey.extensions import db
from survey.models import Organisation, OrganisationKind
from survey.services.tabular import Problem, read_table

ORGANISATION_COLUMNS = ("code", "name", "kind", "region")


@dataclass(frozen=True)
class OrganisationImport:
    created: int
    updated: int


def import_organisations(data: bytes, source: str) -> OrganisationImport:
    """Create or update organisations from a table with code, name, kind, region (and area).

    All or nothing: any bad row raises ``InputError`` listing every problem, and nothing is stored.
    """
    rows = read_table(data, source, ORGANISATION_COLUMNS)
    kinds = {kind.value for kind in OrganisationKind}
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for row in rows:
        for column in ORGANISATION_COLUMNS:
            if not row.values.get(column):
                problems.append(Problem(row.number, column, "is empty"))
        kind = row.values.get("kind", "").lower()
        if kind and kind not in kinds:
            problems.append(
                Problem(row.number, "kind", f"{kind!r} is not one of {', '.join(sorted(kinds))}")
            )
        code = row.values.get("code", "").upper()
        if code in seen:
            problems.append(Problem(row.number, "code", f"{code} is also on row {seen[code]}"))
        seen.setdefault(code, row.number)
    if problems:
        raise InputError(f"{source}: " + "; ".join(str(problem) for problem in problems))
    existing = {org.code: org for org in db.session.scalars(select(Organisation))}
    created = updated = 0
    for row in rows:
        code = row.values["code"].upper()
        organisation = existing.get(code)
        if organisation is None:
            organisation = Organisation(code=code)
            db.session.add(organisation)
            created += 1
        else:
            updated += 1
        organisation.name = row.values["name"]
        organisation.kind = OrganisationKind(row.values["kind"].lower())
        organisation.region = row.values["region"]
        organisation.area = row.values.get("area") or None
    db.session.flush()
    audit.record("organisations.import", created=created, updated=updated)
    return OrganisationImport(created, updated)


def organisation_by_code(code: str) -> Organisation:
    organisation = db.session.scalar(select(Organisation).where(Organisation.code == code.upper()))
    if organisation is None:
        raise InputError(f"no organisation with code {code!r}")
    return organisation
