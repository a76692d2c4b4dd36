"""Which invitation a link stands for, read as a page reads it (``find_link``) and locked as a
request that saves or submits takes it (``lock_link``): both refuse the same links the same way,
and both read what the ORM loads."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from survey.models import Invitation, InvitationStatus, LocalQuestion
from survey.services.errors import DeadLink
from survey.services.links import Link, find_link, lock_link
from survey.services.responses import unsealed_draft
from tests.survey.answering import link_of, save_answers
from tests.survey.stored import submit_released

TODAY = date.today()


def _token(link: str) -> str:
    return link.rsplit("/s/", 1)[1]


def _read(token: str, today: date) -> Link:
    return find_link(token, today)


@pytest.mark.parametrize("find", [_read, lock_link], ids=["read", "locked"])
def test_an_issued_link_finds_its_invitation_and_a_bad_one_does_not(
    db: Any, make_round: Any, make_invitation: Any, find: Callable[[str, date], Link]
) -> None:
    survey_round = make_round(opens_on=TODAY - timedelta(days=3), closes_on=TODAY + timedelta(3))
    issued = make_invitation(survey_round=survey_round)
    token = _token(issued.link)

    assert find(token, TODAY).invitation_id == issued.invitation.id
    assert find(token, survey_round.closes_on).invitation_id == issued.invitation.id
    for dead in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "x" * 300, "nope"):
        with pytest.raises(DeadLink):
            find(dead, TODAY)
    # outside the fieldwork dates the same link is dead
    for day in (survey_round.opens_on - timedelta(days=1), survey_round.closes_on + timedelta(1)):
        with pytest.raises(DeadLink, match="not in fieldwork"):
            find(token, day)
        db.session.rollback()  # as the refused request would
    # a submitted response leaves the link resolving, so its page can say "complete"
    save_answers(issued.invitation, {"overall_relationship": {"score": 4}}, resume_section=1)
    submit_released(issued.invitation, ["overall_relationship"])
    assert find(token, TODAY).status is InvitationStatus.COMPLETED
    survey_round.close()
    db.session.commit()
    with pytest.raises(DeadLink, match="not in fieldwork"):
        find(token, TODAY)


def test_a_link_read_without_the_orm_shows_what_the_orm_loads(
    db: Any, make_invitation: Any
) -> None:
    """The same page from either path: round, organisation, local questions in their order,
    and the saved answers (still sealed) with where to resume."""
    issued = make_invitation()
    invitation: Invitation = issued.invitation
    for position, number in ((2, 1), (1, 2)):
        db.session.add(
            LocalQuestion(
                round_id=invitation.round_id,
                organisation_id=invitation.organisation_id,
                item_id=f"local_{number}",
                text=f"Local question {number}?",
                scale="agreement",
                position=position,
            )
        )
    save_answers(invitation, {"overall_relationship": {"score": 3}}, resume_section=2)
    db.session.commit()
    token = _token(issued.link)

    read = find_link(token, TODAY)
    db.session.expire_all()
    assert read == link_of(db.session.get_one(Invitation, invitation.id)) == lock_link(token, TODAY)
    assert [item for item, _text, _scale in read.local_questions] == ["local_2", "local_1"]
    assert (read.organisation_name, read.resume_section) == (invitation.organisation.name, 2)
    assert unsealed_draft(read) == {"overall_relationship": {"score": 3}}
