"""Factory fixtures: each returns a callable that makes one thing, with defaults for everything."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest

from survey.models import (
    Invitation,
    LocalQuestion,
    Organisation,
    OrganisationKind,
    Stakeholder,
    SurveyRound,
)
from survey.services.audit import COMMAND_LINE
from survey.services.invitations import issue_invitations
from survey.services.rounds import create_round

_numbers = itertools.count(1)


@pytest.fixture
def make_organisation(db: Any) -> Callable[..., Organisation]:
    def make(**overrides: Any) -> Organisation:
        number = next(_numbers)
        values: dict[str, Any] = {
            "code": f"T{number:03d}",
            "name": f"NHS Testshire {number} Integrated Care Board",
            "kind": OrganisationKind.CCG,
            "region": "Midlands",
            "area": None,
        }
        values.update(overrides)
        organisation = Organisation(**values)
        db.session.add(organisation)
        db.session.commit()
        return organisation

    return make


@pytest.fixture
def make_round(db: Any) -> Callable[..., SurveyRound]:
    def make(*, status: str = "open", **overrides: Any) -> SurveyRound:
        today = date.today()
        values: dict[str, Any] = {
            # Each test has a database of its own: years need only differ within one test,
            # and stay inside the range the round form accepts (2000-2100).
            "year": 2030 + next(_numbers) % 60,
            "questionnaire": "ccg-360",
            "opens_on": today - timedelta(days=7),
            "closes_on": today + timedelta(days=21),
        }
        values.update(overrides)
        survey_round = create_round(COMMAND_LINE, **values)
        if status in ("open", "closed"):
            survey_round.open()
        if status == "closed":
            survey_round.close()
        db.session.commit()
        return survey_round

    return make


@pytest.fixture
def make_local_question(db: Any) -> Callable[..., LocalQuestion]:
    """``make_local_question(survey_round, organisation, text=..., item_id=..., scale=...)``:
    a local question of the organisation in the round, committed."""

    def make(
        survey_round: SurveyRound,
        organisation: Organisation,
        *,
        text: str = "Is the new hub working?",
        item_id: str = "local_1",
        scale: str = "agreement",
    ) -> LocalQuestion:
        question = LocalQuestion(
            round_id=survey_round.id,
            organisation_id=organisation.id,
            item_id=item_id,
            text=text,
            scale=scale,
        )
        db.session.add(question)
        db.session.commit()
        return question

    return make


@dataclass
class IssuedInvitation:
    invitation: Invitation
    #: the full link as emailed
    link: str

    @property
    def path(self) -> str:
        return self.link.removeprefix("http://localhost")


@pytest.fixture
def make_invitation(
    db: Any, make_organisation: Callable[..., Organisation], make_round: Callable[..., SurveyRound]
) -> Callable[..., IssuedInvitation]:
    """An issued invitation (committed) with its link."""

    def make(
        *,
        survey_round: SurveyRound | None = None,
        organisation: Organisation | None = None,
        group: str = "gp_practice",
        email: str | None = None,
    ) -> IssuedInvitation:
        survey_round = survey_round or make_round()
        organisation = organisation or make_organisation()
        stakeholder = Stakeholder(
            round_id=survey_round.id,
            email=email or f"person{next(_numbers)}@example.org",
            name="Test Person",
            employer="Test Practice",
            group=group,
        )
        db.session.add(stakeholder)
        db.session.flush()
        invitation = Invitation(
            round_id=survey_round.id, stakeholder_id=stakeholder.id, organisation_id=organisation.id
        )
        db.session.add(invitation)
        db.session.flush()
        report = issue_invitations(COMMAND_LINE, survey_round, {organisation.id})
        db.session.commit()
        return IssuedInvitation(invitation, report.links[invitation.id])

    return make


#: the password every factory-made account has
PASSWORD = "correct horse battery staple"


@pytest.fixture
def make_user(db: Any) -> Callable[..., Any]:
    """An active account with a password (committed). Pass role=, organisation= or region=."""
    from survey.models import Role, User
    from survey.services.passwords import hash_password

    def make(
        *,
        role: Any = "manager",
        organisation: Organisation | None = None,
        region: str | None = None,
        **overrides: Any,
    ) -> User:
        role = Role(role)
        user = User(
            email=overrides.pop("email", f"user{next(_numbers)}@example.org"),
            name=overrides.pop("name", "Test User"),
            role=role,
            organisation_id=organisation.id if organisation else None,
            region=region or ("Midlands" if role is Role.ASSESSOR else None),
            password_hash=hash_password(PASSWORD),
            **overrides,
        )
        db.session.add(user)
        db.session.commit()
        return user

    return make


@pytest.fixture
def sign_in(client: Any) -> Callable[[Any], None]:
    """Sign ``user`` in on the test client through the real sign-in form."""
    import re

    def sign(user: Any) -> None:
        page = client.get("/auth/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token
        response = client.post(
            "/auth/login",
            data={"csrf_token": token.group(1), "email": user.email, "password": PASSWORD},
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:500]

    return sign
