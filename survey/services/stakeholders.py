"""Stakeholder lists: checking an upload, previewing it, and loading it all or nothing."""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select

from questionnaires import Questionnaire
from survey.extensions import db
from survey.models import Invitation, Organisation, RoundStatus, Stakeholder, SurveyRound
from survey.services import audit
from survey.services.errors import InputError
from survey.services.rounds import questionnaire_for
from survey.services.tabular import (
    STAKEHOLDER_LIST,
    MissingColumns,
    Problem,
    normalise_header,
    read_table,
)


@dataclass(frozen=True)
class StakeholderRow:
    row: int
    email: str
    name: str
    employer: str
    group: str
    assesses: tuple[str, ...]


@dataclass
class StakeholderImportPlan:
    """What an upload would change, and every problem found in it."""

    source: str
    rows: list[StakeholderRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    new_stakeholders: int = 0
    updated_stakeholders: int = 0
    new_invitations: int = 0
    by_group: Counter[str] = field(default_factory=Counter)
    #: required columns no header gave, and the file's headers to choose them from
    missing_columns: MissingColumns | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def _assessed_codes(cell: str) -> tuple[str, ...]:
    parts = cell.replace(",", ";").replace("|", ";").split(";")
    return tuple(dict.fromkeys(part.strip().upper() for part in parts if part.strip()))


def _group_key(text: str) -> str:
    """'GP member practice', 'gp_member_practices' -> 'gp_member_practice': any case or
    spacing, singular or plural."""
    return "_".join(word.removesuffix("s") for word in normalise_header(text).split("_"))


class _Groups:
    """Stakeholder groups by id or by the questionnaire's name for them, any case or number."""

    def __init__(self, questionnaire: Questionnaire):
        self.names = {group.id: group.name for group in questionnaire.stakeholder_groups}
        self.by_key: dict[str, str] = {}
        for group in questionnaire.stakeholder_groups:
            self.by_key[_group_key(group.name)] = group.id
            self.by_key[_group_key(group.id)] = group.id

    def find(self, text: str) -> str | None:
        return self.by_key.get(_group_key(text))

    def unknown(self, text: str) -> str:
        """Why ``text`` is no group, with the nearest group's name if it is a near miss."""
        near = difflib.get_close_matches(_group_key(text), self.by_key, n=1, cutoff=0.75)
        hint = f": did you mean {self.names[self.by_key[near[0]]]!r}?" if near else ""
        known = ", ".join(map(repr, self.names.values()))
        return f"unknown stakeholder group {text!r}{hint} (known: {known})"


#: the longest name or employer a stakeholder row may hold (the columns' size)
TEXT_LIMIT = 200


def plan_stakeholder_import(
    survey_round: SurveyRound,
    data: bytes,
    source: str,
    chosen: Mapping[str, str] | None = None,
) -> StakeholderImportPlan:
    """Check an upload against the round and say what loading it would do; stores nothing.

    A closed round, or a file that cannot be read at all, is one problem of the plan; required
    columns no header gives are also ``plan.missing_columns``.

    :param chosen: the file's header a person chose for a column (``{"email": "Contact"}``).
    """
    if survey_round.status is RoundStatus.CLOSED:
        problem = f"round {survey_round.year} is closed: stakeholders can no longer be loaded"
        return StakeholderImportPlan(source=source, problems=[Problem(0, "", problem)])
    try:
        table = read_table(data, source, STAKEHOLDER_LIST, chosen)
    except InputError as error:
        return StakeholderImportPlan(
            source=source,
            problems=[Problem(0, "", str(error))],
            missing_columns=error if isinstance(error, MissingColumns) else None,
        )
    groups = _Groups(questionnaire_for(survey_round))
    organisations = {org.code: org for org in db.session.scalars(select(Organisation))}
    existing = {
        s.email: s
        for s in db.session.scalars(
            select(Stakeholder).where(Stakeholder.round_id == survey_round.id)
        )
    }
    plan = StakeholderImportPlan(source=source)
    first_seen: dict[tuple[str, str], int] = {}
    group_of: dict[str, tuple[str, int]] = {}
    # one person however their address is capitalised: the first spelling stands for all
    spelling = {address.lower(): address for address in existing}
    for table_row in table:
        values, number = table_row.values, table_row.number
        problems_before = len(plan.problems)
        try:
            email = validate_email(values["email"], check_deliverability=False).normalized
            email = spelling.setdefault(email.lower(), email)
        except EmailNotValidError as error:
            plan.problems.append(Problem(number, "email", f"{values['email']!r}: {error}"))
            email = values["email"]
        if not values["name"]:
            plan.problems.append(Problem(number, "name", "is empty"))
        for column in ("name", "employer"):
            if len(values.get(column, "")) > TEXT_LIMIT:
                plan.problems.append(
                    Problem(number, column, f"is longer than {TEXT_LIMIT} characters")
                )
        group = groups.find(values["group"])
        if group is None:
            plan.problems.append(Problem(number, "group", groups.unknown(values["group"])))
        codes = _assessed_codes(values["assesses"])
        if not codes:
            plan.problems.append(Problem(number, "assesses", "names no organisation"))
        for code in codes:
            if code not in organisations:
                plan.problems.append(
                    Problem(number, "assesses", f"unknown organisation code {code!r}")
                )
            elif (email, code) in first_seen:
                plan.problems.append(
                    Problem(
                        number,
                        "assesses",
                        f"{email} already assesses {code} on row {first_seen[(email, code)]}",
                    )
                )
            else:
                first_seen[(email, code)] = number
        if group is not None and email in group_of and group_of[email][0] != group:
            plan.problems.append(
                Problem(
                    number,
                    "group",
                    f"{email} is in group {group_of[email][0]} on row {group_of[email][1]}",
                )
            )
        if group is not None and email in existing and existing[email].group != group:
            plan.problems.append(
                Problem(
                    number, "group", f"{email} is already loaded in group {existing[email].group}"
                )
            )
        if len(plan.problems) == problems_before and group is not None:
            group_of.setdefault(email, (group, number))
            plan.rows.append(
                StakeholderRow(
                    number, email, values["name"], values.get("employer", ""), group, codes
                )
            )
    _count_changes(plan, survey_round, existing, organisations)
    return plan


def _count_changes(
    plan: StakeholderImportPlan,
    survey_round: SurveyRound,
    existing: dict[str, Stakeholder],
    organisations: dict[str, Organisation],
) -> None:
    invited = {
        (stakeholder_id, organisation_id)
        for stakeholder_id, organisation_id in db.session.execute(
            select(Invitation.stakeholder_id, Invitation.organisation_id).where(
                Invitation.round_id == survey_round.id
            )
        )
    }
    emails: set[str] = set()
    for row in plan.rows:
        if row.email not in emails:
            emails.add(row.email)
            plan.by_group[row.group] += 1
            if row.email in existing:
                plan.updated_stakeholders += 1
            else:
                plan.new_stakeholders += 1
        stakeholder = existing.get(row.email)
        for code in row.assesses:
            if stakeholder is None or (stakeholder.id, organisations[code].id) not in invited:
                plan.new_invitations += 1


def apply_stakeholder_import(
    actor: audit.Actor,
    survey_round: SurveyRound,
    plan: StakeholderImportPlan,
    on_progress: Callable[[int], None] | None = None,
) -> None:
    """Load a checked plan: stakeholders and their (not yet sent) invitations, all or nothing.

    :param on_progress: called with the number of rows loaded so far (a progress bar).
    """
    if not plan.ok:
        raise InputError(
            f"{plan.source}: {len(plan.problems)} problem(s), nothing was loaded: "
            + "; ".join(str(problem) for problem in plan.problems[:20])
        )
    organisations = {org.code: org for org in db.session.scalars(select(Organisation))}
    stakeholders = {
        s.email: s
        for s in db.session.scalars(
            select(Stakeholder).where(Stakeholder.round_id == survey_round.id)
        )
    }
    invited = {
        (stakeholder_id, organisation_id)
        for stakeholder_id, organisation_id in db.session.execute(
            select(Invitation.stakeholder_id, Invitation.organisation_id).where(
                Invitation.round_id == survey_round.id
            )
        )
    }
    for loaded, row in enumerate(plan.rows, start=1):
        stakeholder = stakeholders.get(row.email)
        if stakeholder is None:
            stakeholder = Stakeholder(round_id=survey_round.id, email=row.email, group=row.group)
            db.session.add(stakeholder)
            stakeholders[row.email] = stakeholder
        stakeholder.name = row.name
        stakeholder.employer = row.employer
        db.session.flush()
        for code in row.assesses:
            key = (stakeholder.id, organisations[code].id)
            if key not in invited:
                invited.add(key)
                db.session.add(
                    Invitation(
                        round_id=survey_round.id,
                        stakeholder_id=stakeholder.id,
                        organisation_id=organisations[code].id,
                    )
                )
        if on_progress is not None:
            on_progress(loaded)
    db.session.flush()
    audit.record(
        actor,
        "stakeholders.import",
        target=f"round:{survey_round.id}",
        new_stakeholders=plan.new_stakeholders,
        updated_stakeholders=plan.updated_stakeholders,
        new_invitations=plan.new_invitations,
    )


def load_stakeholders(
    actor: audit.Actor,
    survey_round: SurveyRound,
    data: bytes,
    source: str,
    chosen: Mapping[str, str] | None = None,
) -> StakeholderImportPlan:
    """Check a confirmed upload again (the round may have changed since its preview) and load
    it if it is clean; a plan with problems is returned and nothing is loaded."""
    plan = plan_stakeholder_import(survey_round, data, source, chosen)
    if plan.ok:
        apply_stakeholder_import(actor, survey_round, plan)
    return plan
