"""Invitations as a service: only an open round sends, one email per stakeholder listing each of
their links, issued links resolve (and dead ones do not), re-issue and revoke, opt-out, audit."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from survey.models import (
    AuditEvent,
    Invitation,
    InvitationStatus,
    OutboxMessage,
    Stakeholder,
)
from survey.models.types import utcnow
from survey.services.audit import COMMAND_LINE, Actor
from survey.services.errors import DeadLink, InputError
from survey.services.invitations import (
    current_link,
    issue_invitations,
    link_on_request,
    opt_out,
    opt_out_link,
    reissue_link,
    revoke,
    stakeholder_for_opt_out,
)
from survey.services.links import find_link
from tests.survey.answering import save_answers
from tests.survey.stored import submit_released

TODAY = date.today()


def _invite(db: Any, survey_round: Any, organisations: list[Any], email: str) -> Stakeholder:
    """A loaded stakeholder with a pending invitation per organisation (no link yet)."""
    stakeholder = Stakeholder(
        round_id=survey_round.id, email=email, name="Test Person", group="gp_practice"
    )
    db.session.add(stakeholder)
    db.session.flush()
    for organisation in organisations:
        db.session.add(
            Invitation(
                round_id=survey_round.id,
                stakeholder_id=stakeholder.id,
                organisation_id=organisation.id,
            )
        )
    db.session.commit()
    return stakeholder


def _token(link: str) -> str:
    return link.rsplit("/s/", 1)[1]


def _count(db: Any, model: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)))


def _actions(db: Any) -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


@pytest.mark.parametrize("status", ["draft", "closed"])
def test_a_round_that_is_not_open_sends_nothing(db, make_round, make_organisation, status) -> None:
    survey_round = make_round(status=status)
    stakeholder = _invite(db, survey_round, [make_organisation()], "ann@example.org")

    with pytest.raises(InputError, match=f"round {survey_round.year} is {status}: open it"):
        issue_invitations(COMMAND_LINE, survey_round)

    [invitation] = stakeholder.invitations
    assert invitation.status is InvitationStatus.PENDING and invitation.token_hash is None
    assert stakeholder.invited_at is None
    assert _count(db, OutboxMessage) == 0
    assert "invitations.issue" not in _actions(db)


def test_one_email_per_stakeholder_carries_each_of_their_links(
    db, make_round, make_organisation
) -> None:
    survey_round = make_round()
    alpha = make_organisation(name="NHS Alpha ICB")
    beta = make_organisation(name="NHS Beta ICB")
    both = _invite(db, survey_round, [alpha, beta], "both@example.org")
    one = _invite(db, survey_round, [beta], "one@example.org")

    report = issue_invitations(Actor("cli"), survey_round)
    db.session.commit()

    assert (report.emails, report.invitations) == (2, 3)
    messages = {m.recipient: m for m in db.session.scalars(select(OutboxMessage))}
    assert sorted(messages) == ["both@example.org", "one@example.org"]
    assert messages["both@example.org"].subject == (
        f"Your views on working with 2 NHS commissioners: {survey_round.title}"
    )
    assert messages["one@example.org"].subject == (
        f"Your views on working with NHS Beta ICB: {survey_round.title}"
    )
    for stakeholder in (both, one):
        body = messages[stakeholder.email].text_body
        for invitation in stakeholder.invitations:
            assert invitation.status is InvitationStatus.ISSUED
            assert report.links[invitation.id] in body
            assert current_link(invitation) == report.links[invitation.id]
        assert stakeholder.invited_at is not None
        assert messages[stakeholder.email].unsubscribe_url == opt_out_link(stakeholder)
    # the other stakeholder's link is not in this one's email
    [one_invitation] = one.invitations
    assert report.links[one_invitation.id] not in messages["both@example.org"].text_body
    assert len(set(report.links.values())) == 3


def test_issuing_again_sends_only_what_is_still_pending(db, make_round, make_organisation) -> None:
    survey_round = make_round()
    alpha, beta = make_organisation(), make_organisation()
    stakeholder = _invite(db, survey_round, [alpha, beta], "ann@example.org")

    first = issue_invitations(COMMAND_LINE, survey_round, {alpha.id})
    db.session.commit()
    assert (first.emails, first.invitations) == (1, 1)
    by_organisation = {i.organisation_id: i for i in stakeholder.invitations}
    assert by_organisation[beta.id].status is InvitationStatus.PENDING
    hash_before = by_organisation[alpha.id].token_hash

    second = issue_invitations(COMMAND_LINE, survey_round)
    db.session.commit()
    assert (second.emails, second.invitations) == (1, 1)
    assert list(second.links) == [by_organisation[beta.id].id]
    assert by_organisation[alpha.id].token_hash == hash_before  # its link did not change

    third = issue_invitations(COMMAND_LINE, survey_round)
    assert (third.emails, third.invitations, third.links) == (0, 0, {})
    assert _count(db, OutboxMessage) == 2


def test_opted_out_and_bounced_stakeholders_are_left_out(db, make_round, make_organisation) -> None:
    survey_round = make_round()
    organisation = make_organisation()
    keep = _invite(db, survey_round, [organisation], "keep@example.org")
    opted = _invite(db, survey_round, [organisation], "opted@example.org")
    bounced = _invite(db, survey_round, [organisation], "bounced@example.org")
    opted.opted_out_at = utcnow()
    bounced.undeliverable_at = utcnow()
    db.session.commit()

    report = issue_invitations(COMMAND_LINE, survey_round)

    assert report.emails == 1
    assert list(db.session.scalars(select(OutboxMessage.recipient))) == ["keep@example.org"]
    assert [i.status for i in keep.invitations] == [InvitationStatus.ISSUED]
    for left_out in (opted, bounced):
        assert [i.status for i in left_out.invitations] == [InvitationStatus.PENDING]


def test_reissuing_kills_the_old_link_and_is_audited(db, make_invitation, make_user) -> None:
    issued = make_invitation()
    manager = make_user(role="manager")
    old_token = _token(issued.link)

    new_link = reissue_link(Actor.web(manager), issued.invitation)
    db.session.commit()

    assert new_link != issued.link and current_link(issued.invitation) == new_link
    assert find_link(_token(new_link), TODAY).invitation_id == issued.invitation.id
    with pytest.raises(DeadLink):
        find_link(old_token, TODAY)
    [entry] = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "invitation.reissue")
    ).all()
    assert (entry.channel, entry.user_id) == ("web", manager.id)
    assert entry.target == f"invitation:{issued.invitation.id}"


def test_revoking_kills_the_link_and_deletes_saved_answers(db, make_invitation) -> None:
    issued = make_invitation()
    save_answers(issued.invitation, {"overall_relationship": {"score": 2}}, resume_section=1)
    db.session.commit()

    revoke(COMMAND_LINE, issued.invitation)
    db.session.commit()

    assert issued.invitation.status is InvitationStatus.REVOKED
    assert issued.invitation.token_hash is None and current_link(issued.invitation) is None
    assert issued.invitation.sealed_draft is None and issued.invitation.resume_section is None
    with pytest.raises(DeadLink, match="no live invitation"):
        find_link(_token(issued.link), TODAY)
    assert "invitation.revoke" in _actions(db)
    # a revoked invitation can be given a fresh link that works
    link = reissue_link(COMMAND_LINE, issued.invitation)
    assert issued.invitation.status is InvitationStatus.ISSUED
    assert find_link(_token(link), TODAY).invitation_id == issued.invitation.id


def test_a_completed_invitation_cannot_be_reissued_or_revoked(db, make_invitation) -> None:
    issued = make_invitation()
    save_answers(issued.invitation, {"overall_relationship": {"score": 5}}, resume_section=1)
    submit_released(issued.invitation, ["overall_relationship"])
    db.session.commit()
    hash_before = issued.invitation.token_hash

    with pytest.raises(DeadLink, match="nothing to reissue"):
        reissue_link(COMMAND_LINE, issued.invitation)
    with pytest.raises(DeadLink, match="cannot be withdrawn"):
        revoke(COMMAND_LINE, issued.invitation)

    assert issued.invitation.status is InvitationStatus.COMPLETED
    assert issued.invitation.token_hash == hash_before
    assert not {"invitation.reissue", "invitation.revoke"} & set(_actions(db))


def test_opting_out_stops_email_but_not_the_link(db, make_round, make_invitation) -> None:
    survey_round = make_round()
    issued = make_invitation(survey_round=survey_round, email="ann@example.org")
    stakeholder = issued.invitation.stakeholder
    token = opt_out_link(stakeholder).rsplit("/s/opt-out/", 1)[1]

    assert stakeholder_for_opt_out(token).id == stakeholder.id
    assert opt_out(COMMAND_LINE, stakeholder) is True
    assert opt_out(COMMAND_LINE, stakeholder) is False  # already out: nothing more happens
    db.session.commit()

    assert stakeholder.opted_out_at is not None
    assert find_link(_token(issued.link), TODAY).invitation_id == issued.invitation.id
    assert _actions(db).count("stakeholder.opt_out") == 1
    with pytest.raises(DeadLink):
        stakeholder_for_opt_out(token + "x")


def test_audit_entries_hold_counts_never_addresses_or_links(
    db, make_round, make_organisation
) -> None:
    survey_round = make_round()
    stakeholder = _invite(db, survey_round, [make_organisation()], "secret.person@example.org")
    report = issue_invitations(COMMAND_LINE, survey_round)
    [invitation] = stakeholder.invitations
    reissue_link(COMMAND_LINE, invitation)
    db.session.commit()

    entries = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    issue = next(e for e in entries if e.action == "invitations.issue")
    assert (issue.channel, issue.user_id, issue.target) == ("cli", None, f"round:{survey_round.id}")
    assert issue.detail == {"emails": 1, "invitations": 1}
    logged = str([(e.action, e.target, e.detail) for e in entries])
    assert "secret.person" not in logged
    assert _token(report.links[invitation.id]) not in logged
    assert invitation.token_nonce not in logged and invitation.token_hash not in logged


def test_a_manager_is_shown_or_reissued_one_stakeholders_link_on_purpose(
    db, make_invitation, make_user
) -> None:
    issued = make_invitation(email="Ann@Example.org")
    invitation = issued.invitation
    manager = Actor.web(make_user(role="manager"))
    args = (invitation.survey_round, "ann@example.ORG", invitation.organisation_id)

    assert link_on_request(manager, *args) == issued.link
    fresh = link_on_request(manager, *args, reissue=True)
    db.session.commit()

    assert fresh != issued.link and link_on_request(manager, *args) == fresh
    with pytest.raises(DeadLink):
        find_link(_token(issued.link), TODAY)
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.target == f"invitation:{invitation.id}")
    ).all()
    assert sorted(actions) == [
        "invitation.link_shown",
        "invitation.link_shown",
        "invitation.reissue",
    ]
    with pytest.raises(InputError, match="bob@example.org has no invitation about that"):
        link_on_request(
            manager, invitation.survey_round, "bob@example.org", invitation.organisation_id
        )
    revoke(manager, invitation)
    with pytest.raises(InputError, match=r"has no live link \(revoked\): re-issue it"):
        link_on_request(manager, *args)
