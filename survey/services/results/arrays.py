"""The adapter between stored responses and the analysis engine: database rows -> arrays.

It reads each table once, column-wise, and builds the respondent x item matrix with numpy
indexing (no Python loop per response or answer), so a national round loads in seconds.
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import func, select

from analysis import RoundResponses, RoundTable, analyse_round
from survey.extensions import db
from survey.models import (
    Answer,
    Invitation,
    InvitationStatus,
    Organisation,
    Response,
    Stakeholder,
    SurveyRound,
)
from survey.models.invited_count import InvitedCount
from survey.services.rounds import previous_round, questionnaire_for

#: the domain label of items outside the six assurance domains (the overall section)
OVERALL = "overall"


def round_responses(survey_round: SurveyRound) -> RoundResponses:
    """The round's scale answers as a :class:`analysis.RoundResponses`.

    Items are the questionnaire's scale items (open text and local questions are reported
    apart). Organisations are those with invitations in the round, so an organisation with
    no responses still appears, with its invited counts.
    """
    questionnaire = questionnaire_for(survey_round)
    items = [item for item in questionnaire.items if item.kind == "scale"]
    item_ids = np.array([item.id for item in items])
    domain_labels = [OVERALL] + [domain.id for domain in questionnaire.domains]
    item_domain = np.array([domain_labels.index(item.domain or OVERALL) for item in items])
    scales = [questionnaire.scale_for(item) for item in items]
    positive = np.array([min(scale.positive_scores) for scale in scales], dtype=float)
    negative = np.array([max(scale.negative_scores) for scale in scales], dtype=float)
    group_labels = [group.id for group in questionnaire.stakeholder_groups]

    if survey_round.identities_purged_at is not None:
        # The invitations are gone; their counts were kept when the identities were purged.
        invited_rows = db.session.execute(
            select(
                InvitedCount.organisation_id, InvitedCount.stakeholder_group, InvitedCount.invited
            ).where(InvitedCount.round_id == survey_round.id)
        ).all()
    else:
        invited_rows = db.session.execute(
            select(Invitation.organisation_id, Stakeholder.group, func.count())
            .join(Stakeholder, Stakeholder.id == Invitation.stakeholder_id)
            .where(
                Invitation.round_id == survey_round.id,
                Invitation.status != InvitationStatus.REVOKED,
            )
            .group_by(Invitation.organisation_id, Stakeholder.group)
        ).all()
    response_rows = db.session.execute(
        select(Response.id, Response.organisation_id, Response.stakeholder_group)
        .where(Response.round_id == survey_round.id)
        .order_by(Response.id)
    ).all()
    organisation_ids = sorted({row[0] for row in invited_rows} | {row[1] for row in response_rows})
    organisations = {
        org.id: org
        for org in db.session.scalars(
            select(Organisation).where(Organisation.id.in_(organisation_ids))
        )
    }
    org_index = {org_id: index for index, org_id in enumerate(organisation_ids)}
    kind_labels = sorted({org.kind.value for org in organisations.values()}) or ["ccg"]

    invited = np.zeros((len(organisation_ids), len(group_labels)), dtype=np.int64)
    for org_id, group, count in invited_rows:
        invited[org_index[org_id], group_labels.index(group)] = count

    response_ids = np.array([row[0] for row in response_rows])
    organisation = np.array([org_index[row[1]] for row in response_rows], dtype=np.int64)
    group = np.array([group_labels.index(row[2]) for row in response_rows], dtype=np.int64)
    # No one answers without being asked: where the invitation rows are gone (identities purged
    # after retention, or responses loaded without their list) the responses are the floor.
    answered = np.zeros_like(invited)
    np.add.at(answered, (organisation, group), 1)
    invited = np.maximum(invited, answered)

    scores = np.full((len(response_rows), len(items)), np.nan)
    dont_know = np.zeros(scores.shape, dtype=bool)
    answers = db.session.execute(
        select(Answer.response_id, Answer.item_id, Answer.score, Answer.dont_know)
        .join(Response, Response.id == Answer.response_id)
        .where(Response.round_id == survey_round.id, Answer.text.is_(None))
    ).all()
    if answers and len(response_rows):
        columns = list(zip(*answers, strict=True))
        answer_response = np.array(columns[0])
        answer_item = np.array(columns[1])
        answer_score = np.array([np.nan if s is None else s for s in columns[2]], dtype=float)
        answer_dont_know = np.array(columns[3], dtype=bool)
        # Map ids to row and column numbers with sorted searches (response_ids is sorted).
        rows = np.searchsorted(response_ids, answer_response)
        item_order = np.argsort(item_ids)
        found = np.searchsorted(item_ids[item_order], answer_item).clip(0, len(items) - 1)
        known = item_ids[item_order][found] == answer_item
        cols = item_order[found]
        scores[rows[known], cols[known]] = answer_score[known]
        dont_know[rows[known], cols[known]] = answer_dont_know[known]

    return RoundResponses(
        scores=scores,
        dont_know=dont_know,
        item_labels=tuple(item_ids.tolist()),
        item_domain=item_domain,
        domain_labels=tuple(domain_labels),
        organisation=organisation,
        organisation_labels=tuple(organisations[org_id].code for org_id in organisation_ids),
        organisation_kind=np.array(
            [kind_labels.index(organisations[org_id].kind.value) for org_id in organisation_ids],
            dtype=np.int64,
        ),
        group=group,
        group_labels=tuple(group_labels),
        invited=invited,
        kind_labels=tuple(kind_labels),
        positive_threshold=positive,
        negative_threshold=negative,
    )


def analyse(survey_round: SurveyRound) -> RoundTable:
    """The round's full results table, with last year's round for trends when there is one."""
    previous = previous_round(survey_round)
    return analyse_round(
        round_responses(survey_round),
        round_responses(previous) if previous is not None else None,
        threshold=survey_round.suppression_threshold,
        comment_threshold=survey_round.comment_threshold,
    )
