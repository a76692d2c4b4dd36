"""A realistic demo: commissioners of both kinds, their stakeholders, three years of answers, and
last year's assurance ratings and actions for the demo assessor's region.

Everything goes through the same services as real use (organisations, rounds, stakeholder
import, invitations), except that the demo's stakeholders "answer" by storing responses
directly, with scores drawn around each organisation's own level so that differences and
trends show.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select, update

from survey.extensions import db
from survey.models import (
    ActionStatus,
    Invitation,
    InvitationStatus,
    Organisation,
    Rating,
    Role,
    Stakeholder,
    SurveyRound,
    User,
)
from survey.models.types import utcnow
from survey.services.accounts import create_user
from survey.services.assurance import add_action, record_rating
from survey.services.audit import COMMAND_LINE, Actor
from survey.services.errors import InputError
from survey.services.invitations import issue_invitations
from survey.services.organisations import import_organisations
from survey.services.packing import StoredAnswer
from survey.services.passwords import hash_password
from survey.services.publication import publish_results
from survey.services.responses import store_response
from survey.services.rounds import create_round, group_names, questionnaire_for
from survey.services.stakeholders import apply_stakeholder_import, plan_stakeholder_import

REGIONS = ["North East and Yorkshire", "Midlands", "London", "South West"]
PLACES = [
    "Airedale",
    "Bassetlaw",
    "Calderdale",
    "Darlington",
    "Erewash",
    "Fenland",
    "Gateshead",
    "Halton",
    "Ipswich",
    "Kirklees",
    "Lambeth",
    "Mendip",
    "Newham",
    "Oldham",
    "Rushcliffe",
    "Sefton",
    "Tameside",
    "Uttlesford",
    "Wakefield",
    "Wychavon",
    "Bromley",
    "Torbay",
]
DIRECT_TEAMS = [
    "Specialised commissioning",
    "Health and justice commissioning",
    "Primary care commissioning",
    "Screening and immunisation",
    "Armed forces commissioning",
    "Dental commissioning",
]
#: share of each kind of stakeholder among a commissioner's list, as in the real survey
GROUP_WEIGHTS = {
    "gp_practice": 0.45,
    "health_wellbeing_board": 0.05,
    "local_authority": 0.1,
    "healthwatch": 0.05,
    "patient_groups": 0.05,
    "nhs_provider": 0.12,
    "other_commissioner": 0.06,
    "nhs_england": 0.04,
    "regulator": 0.03,
    "vcse": 0.05,
}
#: the password of every demo account (the demo only: never for real data)
DEMO_PASSWORD = "assure360-demo"
FIRST = [
    "Alex",
    "Sam",
    "Priya",
    "Tom",
    "Aisha",
    "Chris",
    "Jo",
    "Mohammed",
    "Grace",
    "Owen",
    "Ruth",
    "Ben",
]
LAST = ["Patel", "Smith", "Jones", "Khan", "Taylor", "Brown", "Evans", "Ahmed", "Wilson", "Hughes"]


@dataclass
class DemoResult:
    organisations: int = 0
    stakeholders: int = 0
    responses: dict[int, int] = field(default_factory=dict)
    #: (stakeholder group, organisation, link) of a few unanswered invitations, one per group
    unused_links: list[tuple[str, str, str]] = field(default_factory=list)
    #: emails queued (invitations and account links), sent once the seed is committed
    emails: int = 0
    logins: list[tuple[str, str, str]] = field(default_factory=list)

    def summary(self) -> str:
        lines = [
            f"Demo ready: {self.organisations} organisations, {self.stakeholders} stakeholders"
        ]
        for year, count in sorted(self.responses.items()):
            lines.append(f"  {year} round: {count} responses")
        if self.unused_links:
            lines.append("Unused survey links (open one to answer as that stakeholder):")
            lines.extend(
                f"  {group} about {organisation}:\n    {link}"
                for group, organisation, link in self.unused_links
            )
        if self.logins:
            lines.append(f"Demo accounts (sign in at /auth/login, password {DEMO_PASSWORD!r}):")
            lines.extend(f"  {email:<34} {role:<13} {scope}" for email, role, scope in self.logins)
        return "\n".join(lines)


def _organisations_csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["code", "name", "kind", "region", "area"])
    for index, place in enumerate(PLACES):
        region = REGIONS[index % len(REGIONS)]
        writer.writerow(
            [
                f"0{index + 10}X",
                f"NHS {place} Integrated Care Board",
                "ccg",
                region,
                f"{region} area {index % 2 + 1}",
            ]
        )
    for index, team in enumerate(DIRECT_TEAMS):
        region = REGIONS[index % len(REGIONS)]
        writer.writerow(
            [f"DC{index + 1:02d}", f"NHS England {region}: {team}", "direct", region, ""]
        )
    return out.getvalue().encode()


def _stakeholders_csv(
    rng: random.Random, organisations: list[Organisation], groups: list[str]
) -> bytes:
    """20-60 stakeholders per organisation; some local authority and provider people rate two
    or three neighbouring commissioners, as they do in real rounds."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Email", "Name", "Employer", "Group", "Assesses"])
    weights = [GROUP_WEIGHTS.get(group, 0.03) for group in groups]
    number = 0
    by_region: dict[str, list[Organisation]] = {}
    for org in organisations:
        by_region.setdefault(org.region, []).append(org)
    for org in organisations:
        for _ in range(rng.randint(20, 60)):
            number += 1
            group = rng.choices(groups, weights)[0]
            assesses = [org.code]
            if group in ("local_authority", "nhs_provider") and rng.random() < 0.3:
                neighbours = [
                    o.code
                    for o in by_region[org.region]
                    if o.kind == org.kind and o.code != org.code
                ]
                assesses += rng.sample(neighbours, min(len(neighbours), rng.randint(1, 2)))
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            writer.writerow(
                [
                    f"stakeholder{number}@example.org",
                    name,
                    f"{group.replace('_', ' ').title()} {number}",
                    group,
                    ";".join(assesses),
                ]
            )
    return out.getvalue().encode()


def _answer_all(
    rng: random.Random,
    survey_round: SurveyRound,
    invitations: list[Invitation],
    level: dict[int, float],
) -> int:
    questionnaire = questionnaire_for(survey_round)
    comments = [
        "Clear about its priorities and easy to reach.",
        "Decisions could be explained earlier.",
        "Good joint working on urgent care this year.",
    ]
    for invitation in invitations:
        answers: dict[str, StoredAnswer] = {}
        for item in questionnaire.items:
            if not item.shown_to(invitation.stakeholder.group):
                continue
            if item.kind == "text":
                if rng.random() < 0.3:
                    answers[item.id] = {"text": rng.choice(comments)}
                continue
            if rng.random() < 0.08:
                answers[item.id] = {"dont_know": True}
                continue
            top = questionnaire.scale_for(item).max_score
            score = round(rng.gauss(level[invitation.organisation_id], 0.9))
            answers[item.id] = {"score": max(1, min(top, score))}
        store_response(
            survey_round.id, invitation.organisation_id, invitation.stakeholder.group, answers
        )
    db.session.flush()
    db.session.execute(
        update(Invitation)
        .where(Invitation.id.in_([i.id for i in invitations]))
        .values(status=InvitationStatus.COMPLETED)
    )
    return len(invitations)


#: how many unused links of different groups the demo prints for each questionnaire
UNUSED_LINKS_PER_ROUND = 2


def seed_demo(
    *, seed: int, today: date, on_step: Callable[[str], None] | None = None
) -> DemoResult:
    """Seed two closed rounds of earlier years and this year's open round, with responses for
    most stakeholders (a three-year trend), and ratings and actions of last year's round.

    :param on_step: called with what is being done before each step (seeding takes a while).
    """
    step = on_step or (lambda _what: None)
    rng = random.Random(seed)
    if db.session.scalar(select(SurveyRound.id).limit(1)) is not None:
        raise InputError(
            "the database already has rounds; run the demo with --reset to start again"
        )
    import_organisations(COMMAND_LINE, _organisations_csv(), "demo organisations")
    organisations = list(db.session.scalars(select(Organisation).order_by(Organisation.code)))
    result = DemoResult(organisations=len(organisations))
    level = {org.id: rng.uniform(3.2, 4.3) for org in organisations}
    result.logins = _demo_accounts(organisations)
    for year, opens, closes in (
        (today.year - 2, today - timedelta(days=745), today - timedelta(days=705)),
        (today.year - 1, today - timedelta(days=380), today - timedelta(days=340)),
        (today.year, today - timedelta(days=14), today + timedelta(days=28)),
    ):
        for kind, name in (("ccg", "ccg-360"), ("direct", "direct-commissioning-360")):
            survey_round = create_round(
                COMMAND_LINE, year=year, questionnaire=name, opens_on=opens, closes_on=closes
            )
            survey_round.open()
            step(f"{year} {name}: stakeholders, invitations and responses")
            members = [org for org in organisations if org.kind.value == kind]
            groups = [group.id for group in questionnaire_for(survey_round).stakeholder_groups]
            plan = plan_stakeholder_import(
                survey_round, _stakeholders_csv(rng, members, groups), "demo stakeholders"
            )
            apply_stakeholder_import(COMMAND_LINE, survey_round, plan)
            result.stakeholders += plan.new_stakeholders
            # Only this year's stakeholders get emails; last year's round is history.
            links: dict[int, str] = {}
            if year == today.year:
                issued = issue_invitations(COMMAND_LINE, survey_round)
                links, result.emails = issued.links, result.emails + issued.emails
            invitations = list(
                db.session.scalars(
                    select(Invitation)
                    .join(Stakeholder)
                    .where(Invitation.round_id == survey_round.id)
                )
            )
            answering = [inv for inv in invitations if rng.random() < 0.75]
            result.responses[year] = result.responses.get(year, 0) + _answer_all(
                rng, survey_round, answering, level
            )
            if year == today.year:
                _pick_unused(result, survey_round, invitations, answering, links)
            if year < today.year:
                survey_round.close()
            # the dashboards, files and trends read releases: each round has one, as it would
            # (a close release of earlier years, an interim release of this year's fieldwork)
            publish_results(
                COMMAND_LINE, survey_round, kind="close" if year < today.year else "interim"
            )
            if year == today.year - 1:
                _assess(rng, survey_round, members, closes)
        level = {org_id: value + rng.uniform(-0.3, 0.3) for org_id, value in level.items()}
    result.emails += len(result.logins)
    return result


def _pick_unused(
    result: DemoResult,
    survey_round: SurveyRound,
    invitations: list[Invitation],
    answering: list[Invitation],
    links: dict[int, str],
) -> None:
    """Keep links of a few unanswered invitations of the round, each of another group."""
    names = group_names(survey_round)
    picked: set[str] = set()
    for invitation in invitations:
        if len(picked) == UNUSED_LINKS_PER_ROUND:
            return
        group = invitation.stakeholder.group
        if invitation not in answering and group not in picked and invitation.id in links:
            picked.add(group)
            result.unused_links.append(
                (names.get(group, group), invitation.organisation.name, links[invitation.id])
            )


#: actions an assessor might agree, by domain
ACTIONS = {
    "clinical_quality": "Share the quality dashboard with member practices every quarter",
    "patient_engagement": "Report back to the patient reference group on decisions it shaped",
    "plans_outcomes": "Bring the operational plan to the health and wellbeing board",
    "governance": "Publish the register of conflicts of interest",
    "partnership": "Agree a joint discharge plan with the council",
    "leadership": "Hold an open leadership session with stakeholders",
}


def _assess(
    rng: random.Random, survey_round: SurveyRound, members: list[Organisation], closed: date
) -> None:
    """Last year's conversations in the demo assessor's region: a rating per domain and an
    action or two, some done, so this year's agenda starts from them."""
    assessor = db.session.scalar(select(User).where(User.role == Role.ASSESSOR))
    if assessor is None:
        return
    actor = Actor("cli", assessor.id)
    ratings = [r.value for r in Rating]
    for org in (o for o in members if o.region == assessor.region):
        for domain in questionnaire_for(survey_round).domains:
            rating = rng.choices(ratings, [0.6, 0.3, 0.1])[0]
            record_rating(assessor, org, survey_round, domain.id, rating, actor=actor)
            if rating != Rating.ASSURED.value and domain.id in ACTIONS:
                action = add_action(
                    assessor,
                    org,
                    survey_round,
                    domain.id,
                    ACTIONS[domain.id],
                    rng.choice(["Director of strategy", "Chief nurse", "Board secretary"]),
                    closed + timedelta(days=rng.choice([90, 180, 270])),
                    actor=actor,
                )
                if rng.random() < 0.5:
                    action.status, action.completed_at = ActionStatus.DONE, utcnow()


def _demo_accounts(organisations: list[Organisation]) -> list[tuple[str, str, str]]:
    """One account of each role, with a known password, so the demo can be explored."""
    ccg = next(org for org in organisations if org.kind.value == "ccg")
    accounts = [
        ("manager@demo.example.org", "Morgan Manager", Role.MANAGER, None, None),
        ("assessor@demo.example.org", "Avery Assessor", Role.ASSESSOR, None, ccg.region),
        ("commissioner@demo.example.org", "Casey Commissioner", Role.COMMISSIONER, ccg.code, None),
        ("viewer@demo.example.org", "Vic Viewer", Role.VIEWER, ccg.code, None),
    ]
    logins = []
    for email, name, role, organisation, region in accounts:
        user, _link = create_user(
            COMMAND_LINE,
            email=email,
            name=name,
            role=role,
            organisation_code=organisation,
            region=region,
        )
        user.password_hash = hash_password(DEMO_PASSWORD)
        scope = user.organisation.name if user.organisation else (region or "all organisations")
        logins.append((email, role.value, scope))
    return logins
