"""An organisation's open comments (:mod:`survey.services.results.comments`): counted always,
the count withheld when it would be a small number, the words only from the comment threshold,
only the organisation's own, blank answers dropped, one pass over the round alike."""

from __future__ import annotations

from typing import Any

from survey.services.responses import store_response
from survey.services.results.comments import organisation_comments, round_comments


def _respond(db: Any, survey_round: Any, organisation: Any, texts: list[dict[str, str]]) -> None:
    """One response per entry, each answering the open questions named in it."""
    for answers in texts:
        store_response(
            survey_round.id,
            organisation.id,
            "gp_practice",
            {"overall_relationship": {"score": 4}, **{k: {"text": t} for k, t in answers.items()}},
        )
    db.session.commit()


def test_comments_are_counted_always_and_shown_from_the_comment_threshold(
    db: Any, make_round: Any, make_organisation: Any
) -> None:
    survey_round = make_round(suppression_threshold=3, comment_threshold=4)
    alpha, beta, gamma = (make_organisation(code=c) for c in ("01A", "02B", "03C"))
    silent = make_organisation(code="04D")
    _respond(
        db,
        survey_round,
        alpha,
        [
            {"comment_does_well": "  Listens well. ", "comment_could_improve": "Faster replies"},
            {"comment_does_well": "Clear plans"},
            {"comment_does_well": "   "},  # blank: not a comment
            {},
        ],
    )
    _respond(db, survey_round, beta, [{"comment_could_improve": "Beta's words"}] * 3)
    _respond(db, survey_round, gamma, [{"comment_does_well": "One"}, {}, {}])

    shown = organisation_comments(alpha, survey_round)
    assert (shown.respondents, shown.count, shown.questions) == (4, 3, 3)
    assert shown.visible and not shown.withheld and shown.count_shown
    blocks = [sorted(block.comments) for block in shown.blocks]  # in the questionnaire's order
    assert blocks == [["Clear plans", "Listens well."], ["Faster replies"], []]
    assert shown.blocks[0].question == "What does the commissioner do well?"

    withheld = organisation_comments(beta, survey_round)  # one short of the comment threshold
    assert withheld.count == 3 and withheld.count_shown and withheld.withheld
    assert withheld.blocks == ()
    small = organisation_comments(gamma, survey_round)  # one comment: a count of one person
    assert small.count == 1 and not small.count_shown and small.blocks == ()
    nobody = organisation_comments(silent, survey_round)
    assert nobody.respondents == 0 and not nobody.withheld and nobody.blocks == ()

    every = round_comments(survey_round, ["04D"])
    assert set(every) == {"01A", "02B", "03C", "04D"}
    assert {c: (every[c].respondents, every[c].count) for c in every} == {
        "01A": (4, 3),
        "02B": (3, 3),
        "03C": (3, 1),
        "04D": (0, 0),
    }
    assert sum(len(b.comments) for b in every["01A"].blocks) == 3  # nothing of Beta's
    assert every["02B"].blocks == ()
