"""Answers as a service: drafts merge page by page, a submit stores one anonymous response
exactly once, a refused submit stores nothing, and a used or withdrawn link takes no more."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select, update

from survey.models import (
    Invitation,
    InvitationStatus,
    PendingResponse,
    Response,
)
from survey.services.audit import COMMAND_LINE
from survey.services.errors import AlreadySubmitted, InputError
from survey.services.invitations import revoke
from survey.services.links import lock_link
from survey.services.responses import discard_drafts, save_page, store_response, stored_answers
from survey.services.rounds import questionnaire_for
from survey.transactions import unit_of_work
from tests.survey.answering import count_drafts, save_answers, saved_answers, submit_response
from tests.survey.stored import release_all

ITEMS = ["overall_relationship", "overall_involved_enough", "comment_does_well"]


def _count(db: Any, model: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)))


def test_saving_pages_merges_them_into_one_draft_and_marks_it_started(db, make_invitation) -> None:
    invitation = make_invitation().invitation
    assert invitation.status is InvitationStatus.ISSUED

    save_answers(invitation, {"overall_relationship": {"score": 2}}, resume_section=2)
    save_answers(
        invitation,
        {"overall_relationship": {"score": 4}, "overall_involved_enough": {"dont_know": True}},
        resume_section=3,
    )
    db.session.commit()

    assert invitation.resume_section == 3
    assert saved_answers(invitation) == {
        "overall_relationship": {"score": 4},  # the later page's answer wins
        "overall_involved_enough": {"dont_know": True},
    }
    assert invitation.status is InvitationStatus.STARTED
    assert _count(db, Response) == 0  # a draft is not a response


def test_a_page_saved_under_its_lock_merges_into_the_draft_like_any_save(
    db, make_invitation
) -> None:
    """``save_page``, the respondent page's one-statement save, after ``lock_link``."""
    issued = make_invitation()
    token = issued.link.rsplit("/s/", 1)[1]
    save_page(lock_link(token, date.today()), {"overall_relationship": {"score": 2}}, 2)
    db.session.commit()
    link = lock_link(token, date.today())
    assert link.status is InvitationStatus.STARTED and link.resume_section == 2
    save_page(link, {"overall_involved_enough": {"dont_know": True}}, resume_section=3)
    db.session.commit()

    invitation = db.session.get(Invitation, issued.invitation.id)
    assert saved_answers(invitation) == {
        "overall_relationship": {"score": 2},
        "overall_involved_enough": {"dont_know": True},
    }
    assert invitation.resume_section == 3
    submit_response(invitation, ITEMS)
    db.session.commit()
    with pytest.raises(AlreadySubmitted):
        save_page(lock_link(token, date.today()), {"overall_relationship": {"score": 1}}, 1)


def test_submitting_stores_one_anonymous_response_and_deletes_the_draft(
    db, make_organisation, make_invitation
) -> None:
    organisation = make_organisation()
    issued = make_invitation(organisation=organisation, group="local_authority")
    invitation = issued.invitation
    save_answers(
        invitation,
        {
            "overall_relationship": {"score": 5},
            "overall_involved_enough": {"dont_know": True},
            "comment_does_well": {"text": "Listens to us."},
        },
        resume_section=4,
    )

    submit_response(invitation, ITEMS)
    db.session.commit()
    assert (_count(db, PendingResponse), _count(db, Response)) == (1, 0)  # sealed, waiting
    assert release_all(db) == 1

    response = db.session.scalars(select(Response)).one()
    assert (response.round_id, response.organisation_id, response.stakeholder_group) == (
        invitation.round_id,
        organisation.id,
        "local_authority",
    )
    assert stored_answers(response) == {
        "overall_relationship": {"score": 5},
        "overall_involved_enough": {"dont_know": True},
        "comment_does_well": {"text": "Listens to us."},
    }
    assert invitation.status is InvitationStatus.COMPLETED
    assert invitation.sealed_draft is None and count_drafts() == 0


def test_only_the_items_shown_are_kept_and_blank_comments_are_dropped(db, make_invitation) -> None:
    invitation = make_invitation().invitation
    save_answers(
        invitation,
        {
            "overall_relationship": {"score": 3},
            "clin_practice_influence": {"score": 1},  # saved, but not among the items shown
            "comment_does_well": {"text": "   \n "},
        },
        resume_section=1,
    )

    submit_response(invitation, ITEMS)
    release_all(db)

    response = db.session.scalars(select(Response)).one()
    assert stored_answers(response) == {"overall_relationship": {"score": 3}}


def test_a_second_submit_is_already_submitted_and_stores_nothing(db, make_invitation) -> None:
    invitation = make_invitation().invitation
    save_answers(invitation, {"overall_relationship": {"score": 4}}, resume_section=1)
    submit_response(invitation, ITEMS)
    db.session.commit()

    with pytest.raises(AlreadySubmitted):
        submit_response(invitation, ITEMS)

    assert _count(db, PendingResponse) == 1
    release_all(db)
    assert stored_answers(db.session.scalars(select(Response)).one()) == {
        "overall_relationship": {"score": 4}
    }
    assert invitation.status is InvitationStatus.COMPLETED


def test_a_submit_that_lost_the_race_stores_nothing(db, make_invitation) -> None:
    """Another request completed the invitation after this one read it (its copy is stale)."""
    invitation = make_invitation().invitation
    save_answers(invitation, {"overall_relationship": {"score": 4}}, resume_section=1)
    db.session.commit()
    db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id)
        .values(status=InvitationStatus.COMPLETED, sealed_draft=None, resume_section=None)
        .execution_options(synchronize_session=False)
    )
    assert invitation.status is InvitationStatus.STARTED  # what this request still believes

    with pytest.raises(AlreadySubmitted, match="already been used"):
        submit_response(invitation, ITEMS)

    assert _count(db, Response) == 0


def test_answers_cannot_be_saved_on_a_used_or_withdrawn_invitation(db, make_invitation) -> None:
    done = make_invitation().invitation
    save_answers(done, {"overall_relationship": {"score": 4}}, resume_section=1)
    submit_response(done, ITEMS)
    withdrawn = make_invitation().invitation
    revoke(COMMAND_LINE, withdrawn)
    db.session.commit()

    for invitation in (done, withdrawn):
        with pytest.raises(AlreadySubmitted):
            save_answers(invitation, {"overall_relationship": {"score": 1}}, resume_section=2)
        assert invitation.sealed_draft is None
    assert withdrawn.status is InvitationStatus.REVOKED
    assert _count(db, PendingResponse) == 1


@pytest.mark.parametrize(
    "saved",
    [
        None,  # nothing saved at all
        {"comment_does_well": {"text": "  "}},  # only a blank comment
        {"clin_practice_influence": {"score": 4}},  # only an item this person was not shown
    ],
)
def test_a_submit_with_nothing_to_keep_is_refused_before_anything_is_written(
    db, make_invitation, saved
) -> None:
    invitation = make_invitation().invitation
    if saved is not None:
        save_answers(invitation, saved, resume_section=1)
    status_before = invitation.status

    with pytest.raises(InputError, match="there are no answers to submit"):
        submit_response(invitation, ITEMS)

    # checked in the same session, before any rollback: nothing was written at all
    assert invitation.status is status_before
    db.session.refresh(invitation)
    assert invitation.status is status_before
    assert _count(db, Response) == 0
    assert (invitation.sealed_draft is None) == (saved is None)  # a draft is kept to go on with


@pytest.mark.parametrize("score", [11, 0, "4", True])
def test_an_answer_the_store_would_refuse_is_refused_at_submit_and_leaves_the_link_open(
    app, db, make_invitation, score
) -> None:
    """A score outside the scale must not wait sealed for a release that the database would
    then refuse (holding back its whole batch): the submit refuses it, naming it, and the unit
    of work (as a request runs it) keeps the link open with nothing pending."""
    invitation_id = make_invitation().invitation.id
    save_answers(
        db.session.get(Invitation, invitation_id),
        {"overall_relationship": {"score": score}, "overall_involved_enough": {"score": 4}},
        resume_section=1,
    )
    db.session.commit()

    with (
        app.app_context(),
        pytest.raises(InputError, match="overall_relationship is not a score from 1 to 10"),
        unit_of_work(),
    ):
        submit_response(db.session.get(Invitation, invitation_id), ITEMS)

    db.session.expire_all()
    assert db.session.get(Invitation, invitation_id).status is InvitationStatus.STARTED
    assert (_count(db, PendingResponse), _count(db, Response)) == (0, 0)
    assert db.session.get(Invitation, invitation_id).sealed_draft is not None


def test_closing_discards_only_that_rounds_drafts(db, make_round, make_invitation) -> None:
    closing, staying = make_round(), make_round()
    first = make_invitation(survey_round=closing).invitation
    second = make_invitation(survey_round=closing).invitation
    elsewhere = make_invitation(survey_round=staying).invitation
    for invitation in (first, second, elsewhere):
        save_answers(invitation, {"overall_relationship": {"score": 3}}, resume_section=1)

    assert discard_drafts(closing) == 2

    assert first.sealed_draft is None and second.sealed_draft is None
    assert first.resume_section is None and elsewhere.sealed_draft is not None


def test_a_stored_response_is_one_row_its_scale_answers_one_byte_each_in_item_order(
    db, make_round, make_organisation
) -> None:
    survey_round, organisation = make_round(), make_organisation()
    columns = [item.id for item in questionnaire_for(survey_round).scale_items]
    answers = {
        columns[2]: {"score": 4},
        columns[0]: {"dont_know": True},
        "comment_does_well": {"text": "Listens to us."},
        "local_1": {"score": 2},  # a local question: not one of the questionnaire's columns
    }

    store_response(survey_round.id, organisation.id, "gp_practice", answers)
    db.session.commit()

    response = db.session.scalars(select(Response)).one()
    assert response.format_version == 1
    assert response.scale_answers == bytes([255, 0, 4] + [0] * (len(columns) - 3))
    assert response.other_answers == {
        "comment_does_well": {"text": "Listens to us."},
        "local_1": {"score": 2},
    }
    assert stored_answers(response) == answers
