"""The adapter between stored responses and the analysis engine: database rows -> arrays.

It reads the round's responses in one aggregate query, a row per organisation x group cell
holding its responses' packed scale answers (``survey.services.packing``) joined, and turns
them into the respondent x item matrix with one ``numpy.frombuffer``: no Python work per
answer or per response, so a national round loads in less than the engine's own time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import LargeBinary, func, literal, select
from sqlalchemy.dialects.postgresql import aggregate_order_by

from analysis import RoundResponses, RoundTable, analyse_round
from questionnaires import Questionnaire
from survey.extensions import db
from survey.models import Organisation, Response, SurveyRound
from survey.services.packing import StoredAnswer, unpack_matrix
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
    # the packed answers' columns, in the same order (``survey.services.packing``)
    items = questionnaire.scale_items
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


def _group_index(groups: Sequence[str], labels: tuple[str, ...]) -> NDArray[np.int64]:
    """Each group's position in ``labels`` (a group the questionnaire does not have is an
    error naming it)."""
    unknown = sorted(set(groups) - set(labels))
    if unknown:
        raise ValueError(f"responses from groups the questionnaire does not have: {unknown}")
    return np.array([labels.index(group) for group in groups], dtype=np.int64)


@dataclass(frozen=True)
class OtherAnswers:
    """A round's answers other than scale answers (open text, local questions; as
    ``survey.services.packing`` keeps them), by organisation id."""

    #: the responses about each organisation that has any
    respondents: dict[int, int]
    #: (organisation id, a response's other answers) for each response that has any
    answers: list[tuple[int, dict[str, StoredAnswer]]]


@dataclass(frozen=True)
class _Cells:
    """A round's responses by organisation x group cell, their packed answers joined."""

    organisation_ids: tuple[int, ...]
    groups: tuple[str, ...]
    counts: NDArray[np.int64]  # responses in each cell
    joined: bytes  # every response's packed answers end to end, cell after cell


def _cells(survey_round: SurveyRound, width: int) -> _Cells:
    """One aggregate query: a row per organisation x group cell (about two thousand in a
    national round, not one per response, let alone per answer), its responses' packed answers
    joined by the database: PostgreSQL's ``string_agg`` of bytea; SQLite's ``group_concat``,
    which joins only text, of their hex. On SQLite the query reads a covering index
    (``ix_response_cells``), not the table: one lookup of the table by key per response was
    three quarters of the time.

    The order within a cell changes no count, but it is the order of the engine's sums, so it
    follows the random keys, never storage, for the same numbers to the last digit whenever the
    same responses load: PostgreSQL orders the aggregate by key; SQLite (before 3.44 it takes no
    ORDER BY in an aggregate) reads the table, WITHOUT ROWID, in key order."""
    packed = Response.scale_answers
    postgres = db.session.get_bind().dialect.name == "postgresql"
    joined = (
        func.string_agg(
            packed, aggregate_order_by(literal(b"", LargeBinary), Response.id), type_=LargeBinary
        )
        if postgres
        else func.group_concat(func.hex(packed), "")
    )
    cell = (Response.organisation_id, Response.stakeholder_group)
    rows = db.session.execute(
        select(
            *cell,
            func.count(),
            func.min(func.length(packed)),
            func.max(func.length(packed)),
            joined,
        )
        .where(Response.round_id == survey_round.id)
        .group_by(*cell)
        .order_by(*cell)
    ).all()
    for organisation_id, group, _count, shortest, longest, _joined in rows:
        if shortest != width or longest != width:
            raise ValueError(
                f"responses about organisation {organisation_id} from {group!r} hold"
                f" {shortest} to {longest} packed bytes, not one per scale item ({width})"
            )
    return _Cells(
        organisation_ids=tuple(row[0] for row in rows),
        groups=tuple(row[1] for row in rows),
        counts=np.array([row[2] for row in rows], dtype=np.int64),
        joined=b"".join(bytes(row[5]) if postgres else bytes.fromhex(row[5]) for row in rows),
    )


def other_answers(survey_round: SurveyRound, organisation_id: int | None = None) -> OtherAnswers:
    """The round's other answers (only those about ``organisation_id`` when given): two
    queries, whatever reads them (comments, local questions), each on an index
    (``ix_response_others`` holds only the responses that have other answers)."""
    answered = select(Response.organisation_id, func.count()).where(
        Response.round_id == survey_round.id
    )
    others = select(Response.organisation_id, Response.other_answers).where(
        Response.round_id == survey_round.id, Response.other_answers.is_not(None)
    )
    if organisation_id is not None:
        answered = answered.where(Response.organisation_id == organisation_id)
        others = others.where(Response.organisation_id == organisation_id)
    return OtherAnswers(
        respondents={
            org_id: count
            for org_id, count in db.session.execute(answered.group_by(Response.organisation_id))
        },
        answers=[(org_id, answers) for org_id, answers in db.session.execute(others)],
    )


def round_responses(survey_round: SurveyRound) -> RoundResponses:
    """The round's scale answers as a :class:`analysis.RoundResponses`.

    Items are the questionnaire's scale items (open text and local questions are reported
    apart). Organisations are those with invitations in the round, so an organisation with
    no responses still appears, with its invited counts.
    """
    items = _items(questionnaire_for(survey_round))
    counted = invited_rows(survey_round)
    # The database holds format 1 only (``Response``'s CHECK): no per-row version to look at.
    cells = _cells(survey_round, len(items.ids))
    organisation_ids = sorted({row[0] for row in counted} | set(cells.organisation_ids))
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
    cell_organisation = np.searchsorted(
        np.array(organisation_ids, dtype=np.int64),
        np.array(cells.organisation_ids, dtype=np.int64),
    )
    cell_group = _group_index(cells.groups, items.group_labels)
    # No one answers without being asked: where the invitation rows are gone (identities purged
    # after retention, or responses loaded without their list) the responses are the floor.
    answered = np.zeros_like(invited)
    answered[cell_organisation, cell_group] = cells.counts
    scores, dont_know = unpack_matrix(cells.joined, int(cells.counts.sum()), len(items.ids))
    return RoundResponses(
        scores=scores,
        dont_know=dont_know,
        item_labels=tuple(items.ids.tolist()),
        item_domain=items.domain,
        domain_labels=items.domain_labels,
        organisation=np.repeat(cell_organisation, cells.counts),
        organisation_labels=tuple(organisations[org_id].code for org_id in organisation_ids),
        organisation_kind=np.array(
            [kind_labels.index(organisations[org_id].kind.value) for org_id in organisation_ids],
            dtype=np.int64,
        ),
        group=np.repeat(cell_group, cells.counts),
        group_labels=items.group_labels,
        invited=np.maximum(invited, answered),
        kind_labels=tuple(kind_labels),
        positive_threshold=items.positive,
        negative_threshold=items.negative,
        routing=items.routing,
        family_labels=items.family_labels,
        group_family=items.group_family,
    )


def analyse(survey_round: SurveyRound, responses: RoundResponses | None = None) -> RoundTable:
    """The round's full results table (from ``responses`` when already loaded), with last
    year's round for trends when it has responses."""
    previous = previous_round(survey_round)
    last_year = round_responses(previous) if previous is not None else None
    if last_year is not None and last_year.organisation.size == 0:
        last_year = None  # a round nobody answered has no figures to compare with
    return analyse_round(
        responses if responses is not None else round_responses(survey_round),
        last_year,
        threshold=survey_round.suppression_threshold,
        comment_threshold=survey_round.comment_threshold,
    )
