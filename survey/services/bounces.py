"""Bounce lists: addresses a mail system refused, marked so that they get no more email."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from survey.extensions import db
from survey.models import Stakeholder, SurveyRound
from survey.models.types import utcnow
from survey.services import audit
from survey.services.errors import InputError
from survey.services.tabular import Problem, read_table


@dataclass
class BounceReport:
    marked: int = 0
    already: int = 0
    #: addresses on the list that are not stakeholders of the round
    unknown: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def mark_bounced(
    actor: audit.Actor, survey_round: SurveyRound, data: bytes, source: str
) -> BounceReport:
    """Mark the stakeholders whose addresses are listed (CSV/XLSX, column ``email``) undeliverable.

    They get no more invitations or reminders. Addresses match without regard to case;
    addresses that are not the round's stakeholders are reported, not an error. All or nothing:
    a list with a bad row (or that cannot be read) is returned with its problems, and nothing
    is marked.
    """
    report = BounceReport()
    try:
        rows = read_table(data, source, ("email",))
    except InputError as error:
        report.problems.append(Problem(0, "", str(error)))
        return report
    by_email = {
        stakeholder.email.lower(): stakeholder
        for stakeholder in db.session.scalars(
            select(Stakeholder).where(Stakeholder.round_id == survey_round.id)
        )
    }
    to_mark: dict[int, Stakeholder] = {}
    for row in rows:
        address = row.values["email"].strip().lower()
        stakeholder = by_email.get(address)
        if not address:
            report.problems.append(Problem(row.number, "email", "is empty"))
        elif stakeholder is None:
            report.unknown.append(address)
        elif stakeholder.undeliverable_at is not None:
            report.already += 1
        else:
            to_mark[stakeholder.id] = stakeholder
    if report.problems:
        return report
    now = utcnow()
    for stakeholder in to_mark.values():
        stakeholder.undeliverable_at = now
    report.marked = len(to_mark)
    db.session.flush()
    audit.record(
        actor,
        "mail.bounces",
        target=f"round:{survey_round.id}",
        source=source,
        marked=report.marked,
        unknown=len(report.unknown),
    )
    return report
