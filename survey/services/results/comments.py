"""Open comments of an organisation's stakeholders, for the dashboard and the agenda alike
(read here when results are published, and from the release after that).

A comment's wording can identify its author, so comments are shown only where the organisation
has at least the round's comment threshold of respondents (:func:`analysis.comments_visible`),
in a random order and with nothing about who wrote them. How many were written is counted
either way; the count itself is a base like any other and is not given below the suppression
threshold.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace

from sqlalchemy import select

from analysis import comments_visible
from survey.extensions import db
from survey.models import Organisation, SurveyRound
from survey.services.results.arrays import OtherAnswers, other_answers
from survey.services.rounds import questionnaire_for


@dataclass(frozen=True)
class CommentBlock:
    """One open question and its comments (empty when none were written)."""

    question: str
    comments: list[str]


@dataclass(frozen=True)
class Comments:
    """An organisation's comments: how many, and the comments themselves where shown."""

    #: the organisation's respondents (the comment threshold is applied to them)
    respondents: int
    #: open questions asked
    questions: int
    #: comments written (non-blank answers to the open questions)
    count: int
    comment_threshold: int
    suppression_threshold: int
    #: each open question with its comments, shuffled; empty unless :attr:`visible`
    blocks: tuple[CommentBlock, ...] = ()

    @property
    def visible(self) -> bool:
        return bool(comments_visible(self.respondents, self.comment_threshold))

    @property
    def withheld(self) -> bool:
        """Someone responded but there are too few respondents to show their words."""
        return self.respondents > 0 and not self.visible

    @property
    def count_shown(self) -> bool:
        """Whether the number of comments may be given: the organisation's respondents publish
        and the count is not a small number of people."""
        published = self.respondents >= self.suppression_threshold
        return published and (self.count == 0 or self.count >= self.suppression_threshold)


def _written(others: OtherAnswers) -> dict[int, dict[str, list[str]]]:
    """Per organisation id: each open question's non-blank comments."""
    written: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for org_id, answers in others.answers:
        for item_id, answer in answers.items():
            text = str(answer.get("text") or "").strip()
            if text:
                written[org_id][item_id].append(text)
    return written


def _comments(
    survey_round: SurveyRound, respondents: int, written: dict[str, list[str]]
) -> Comments:
    text_items = questionnaire_for(survey_round).text_items
    count = sum(len(written.get(item.id, [])) for item in text_items)
    found = Comments(
        respondents=respondents,
        questions=len(text_items),
        count=count,
        comment_threshold=survey_round.comment_threshold,
        suppression_threshold=survey_round.suppression_threshold,
    )
    if not found.visible:
        return found
    shuffle = random.SystemRandom().shuffle
    blocks = []
    for item in text_items:
        kept = list(written.get(item.id, []))
        shuffle(kept)
        blocks.append(CommentBlock(item.text, kept))
    return replace(found, blocks=tuple(blocks))


def no_comments(survey_round: SurveyRound) -> Comments:
    """What an organisation with no respondents has."""
    return _comments(survey_round, 0, {})


def organisation_comments(organisation: Organisation, survey_round: SurveyRound) -> Comments:
    """The comments about ``organisation`` in ``survey_round`` (access already checked)."""
    others = other_answers(survey_round, organisation.id)
    respondents = others.respondents.get(organisation.id, 0)
    return _comments(survey_round, respondents, _written(others).get(organisation.id, {}))


def round_comments(
    survey_round: SurveyRound, codes: Iterable[str] = (), others: OtherAnswers | None = None
) -> dict[str, Comments]:
    """Every organisation's comments in the round, by organisation code (read in one pass,
    from ``others`` when already read); ``codes`` with no responses are there too, with none."""
    others = others if others is not None else other_answers(survey_round)
    written = _written(others)
    code_of = dict(
        db.session.execute(
            select(Organisation.id, Organisation.code).where(
                Organisation.id.in_(list(others.respondents))
            )
        ).all()
    )
    found = {
        code_of[org_id]: _comments(survey_round, respondents, written.get(org_id, {}))
        for org_id, respondents in others.respondents.items()
    }
    for code in codes:
        found.setdefault(code, _comments(survey_round, 0, {}))
    return found
