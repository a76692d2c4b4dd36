"""The adapter between stored responses and the analysis engine: database rows -> arrays.

It reads each table once, column-wise, and builds the respondent x item matrix with numpy
indexing (no Python loop per response or answer), so a national round loads in seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select

from analysis import RoundResponses, RoundTable, analyse_round
from questionnaires import Questionnaire
from survey.extensions import db
from survey.models import Answer, Organisation, Response, SurveyRound
from survey.services.population import invited_counts
from survey.services.rounds import previous_round, questionnaire_for

#: the domain label of items outside the six assurance domains (the overall section)
OVERALL = "overall"


@dataclass(frozen=True)
class _Items:
    """The questionnaire's scale items as the engine's columns."""

    ids: NDArray[np.str_]
    domain: NDArray[np.int64]
    domain_labels: tuple[str, ...]
    positive: NDArray[np.float64]
    negative: NDArray[np.float64]
    group_labels: tuple[str, ...]
    routing: NDArray[np.bool_]  # (groups, items): the questionnaire asks the group the item
    family_labels: tuple[str, ...]  # the questionnaire's reporting families, by id
    group_family: NDArray[np.int64]  # family of each group, -1 for none


def _items(questionnaire: Questionnaire) -> _Items:
    items = [item for item in questionnaire.items if item.kind == "scale"]
    domain_labels = (OVERALL, *(domain.id for domain in questionnaire.domains))
    scales = [questionnaire.scale_for(item) for item in items]
    family_of = {
        group: f for f, family in enumerate(questionnaire.group_families) for group in family.groups
    }
    return _Items(
        ids=np.array([item.id for item in items]),
        domain=np.array([domain_labels.index(item.domain or OVERALL) for item in items]),
        domain_labels=domain_labels,
        positive=np.array([min(scale.positive_scores) for scale in scales], dtype=float),
        negative=np.array([max(scale.negative_scores) for scale in scales], dtype=float),
        group_labels=tuple(group.id for group in questionnaire.stakeholder_groups),
        # Read from the questionnaire, not inferred from who answered: a group that was
        # asked and said nothing is part of the item's population.
        routing=np.array(
            [
                [item.shown_to(group.id) for item in items]
                for group in questionnaire.stakeholder_groups
            ],
            dtype=bool,
        ).reshape(len(questionnaire.stakeholder_groups), len(items)),
        family_labels=tuple(family.id for family in questionnaire.group_families),
        group_family=np.array(
            [family_of.get(group.id, -1) for group in questionnaire.stakeholder_groups],
            dtype=np.int64,
        ),
    )


def invited_rows(survey_round: SurveyRound) -> Sequence[tuple[int, str, int]]:
    """(organisation id, group, invited) of the round, by the one definition of invited
    (:func:`survey.services.population.invited_counts`)."""
    return [(org, group, n) for (org, group), n in invited_counts(survey_round).items()]


def _answer_matrix(
    survey_round: SurveyRound, response_ids: NDArray[Any], item_ids: NDArray[np.str_]
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Scores (NaN where none) and don't-know flags, one row per response (``response_ids``
    sorted), one column per item; answers to other items (local questions) are left out."""
    scores = np.full((len(response_ids), len(item_ids)), np.nan)
    dont_know = np.zeros(scores.shape, dtype=bool)
    answers = db.session.execute(
        select(Answer.response_id, Answer.item_id, Answer.score, Answer.dont_know)
        .join(Response, Response.id == Answer.response_id)
        .where(Response.round_id == survey_round.id, Answer.text.is_(None))
    ).all()
    if not answers or not len(response_ids):
        return scores, dont_know
    columns = list(zip(*answers, strict=True))
    answer_item = np.array(columns[1])
    answer_score = np.array([np.nan if s is None else s for s in columns[2]], dtype=float)
    # Map ids to row and column numbers with sorted searches (response_ids is sorted).
    rows = np.searchsorted(response_ids, np.array(columns[0]))
    item_order = np.argsort(item_ids)
    found = np.searchsorted(item_ids[item_order], answer_item).clip(0, len(item_ids) - 1)
    known = item_ids[item_order][found] == answer_item
    cols = item_order[found]
    scores[rows[known], cols[known]] = answer_score[known]
    dont_know[rows[known], cols[known]] = np.array(columns[3], dtype=bool)[known]
    return scores, dont_know


def round_responses(survey_round: SurveyRound) -> RoundResponses:
    """The round's scale answers as a :class:`analysis.RoundResponses`.

    Items are the questionnaire's scale items (open text and local questions are reported
    apart). Organisations are those with invitations in the round, so an organisation with
    no responses still appears, with its invited counts.
    """
    items = _items(questionnaire_for(survey_round))
    counted = invited_rows(survey_round)
    response_rows = db.session.execute(
        select(Response.id, Response.organisation_id, Response.stakeholder_group)
        .where(Response.round_id == survey_round.id)
        .order_by(Response.id)
    ).all()
    organisation_ids = sorted({row[0] for row in counted} | {row[1] for row in response_rows})
    organisations = {
        org.id: org
        for org in db.session.scalars(
            select(Organisation).where(Organisation.id.in_(organisation_ids))
        )
    }
    org_index = {org_id: index for index, org_id in enumerate(organisation_ids)}
    kind_labels = sorted({org.kind.value for org in organisations.values()}) or ["ccg"]

    invited = np.zeros((len(organisation_ids), len(items.group_labels)), dtype=np.int64)
    for org_id, group, count in counted:
        invited[org_index[org_id], items.group_labels.index(group)] = count
    organisation = np.array([org_index[row[1]] for row in response_rows], dtype=np.int64)
    group_index = np.array(
        [items.group_labels.index(row[2]) for row in response_rows], dtype=np.int64
    )
    # No one answers without being asked: where the invitation rows are gone (identities purged
    # after retention, or responses loaded without their list) the responses are the floor.
    answered = np.zeros_like(invited)
    np.add.at(answered, (organisation, group_index), 1)
    scores, dont_know = _answer_matrix(
        survey_round, np.array([row[0] for row in response_rows]), items.ids
    )
    return RoundResponses(
        scores=scores,
        dont_know=dont_know,
        item_labels=tuple(items.ids.tolist()),
        item_domain=items.domain,
        domain_labels=items.domain_labels,
        organisation=organisation,
        organisation_labels=tuple(organisations[org_id].code for org_id in organisation_ids),
        organisation_kind=np.array(
            [kind_labels.index(organisations[org_id].kind.value) for org_id in organisation_ids],
            dtype=np.int64,
        ),
        group=group_index,
        group_labels=items.group_labels,
        invited=np.maximum(invited, answered),
        kind_labels=tuple(kind_labels),
        positive_threshold=items.positive,
        negative_threshold=items.negative,
        routing=items.routing,
        family_labels=items.family_labels,
        group_family=items.group_family,
    )


def analyse(survey_round: SurveyRound) -> RoundTable:
    """The round's full results table, with last year's round for trends when it has
    responses."""
    previous = previous_round(survey_round)
    last_year = round_responses(previous) if previous is not None else None
    if last_year is not None and last_year.organisation.size == 0:
        last_year = None  # a round nobody answered has no figures to compare with
    return analyse_round(
        round_responses(survey_round),
        last_year,
        threshold=survey_round.suppression_threshold,
        comment_threshold=survey_round.comment_threshold,
    )
