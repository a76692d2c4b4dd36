"""Who counts as invited: the one population behind every response rate and the finite
population correction (FPC).

A stakeholder counts as invited for an organisation when their invitation's link was made and
sent: its status is issued, started or completed. Left out are invitations still pending (nobody
has been asked yet, so nobody can answer) and revoked ones (the survey team withdrew them: loaded
by mistake, wrong person). Stakeholders who opted out or whose address bounced after the link was
sent stay in: they were asked and did not answer, which is nonresponse, not a smaller population.

The fieldwork monitor, ``assure360 round status``, the results pages and every export read this
function; after a round's identities are purged the counts kept at the purge are read instead
(:class:`survey.models.invited_count.InvitedCount`), so published numbers never change.
"""

from __future__ import annotations

from sqlalchemy import func, select

from survey.extensions import db
from survey.models import Invitation, InvitationStatus, Stakeholder, SurveyRound
from survey.models.invited_count import InvitedCount

#: invitation statuses counted as invited (the link was made and sent)
INVITED_STATUSES = (InvitationStatus.ISSUED, InvitationStatus.STARTED, InvitationStatus.COMPLETED)

#: (organisation id, stakeholder group) -> invited
InvitedCounts = dict[tuple[int, str], int]


def live_invited_counts(survey_round: SurveyRound) -> InvitedCounts:
    """Invited stakeholders per organisation and group, counted from the invitations."""
    rows = db.session.execute(
        select(Invitation.organisation_id, Stakeholder.group, func.count())
        .join(Stakeholder, Stakeholder.id == Invitation.stakeholder_id)
        .where(Invitation.round_id == survey_round.id, Invitation.status.in_(INVITED_STATUSES))
        .group_by(Invitation.organisation_id, Stakeholder.group)
    )
    return {(int(org), str(group)): int(n) for org, group, n in rows}


def invited_counts(survey_round: SurveyRound) -> InvitedCounts:
    """Invited stakeholders per organisation and group: from the invitations, or from the
    counts kept when the round's identities were purged. Cells with nobody invited are absent."""
    if survey_round.identities_purged_at is None:
        return live_invited_counts(survey_round)
    rows = db.session.execute(
        select(
            InvitedCount.organisation_id, InvitedCount.stakeholder_group, InvitedCount.invited
        ).where(InvitedCount.round_id == survey_round.id)
    )
    return {(int(org), str(group)): int(n) for org, group, n in rows if n}
