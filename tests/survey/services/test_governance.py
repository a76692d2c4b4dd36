"""The privacy notice's facts come from the round's own settings."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from survey.services.governance import round_privacy


def test_retention_and_thresholds_are_the_rounds_own(db: Any, make_round: Any) -> None:
    closes = date.today() + timedelta(days=10)
    survey_round = make_round(
        closes_on=closes, suppression_threshold=6, comment_threshold=12, retention_days=45
    )
    facts = round_privacy(survey_round.id)
    assert facts is not None
    assert (facts.closes_on, facts.retention_days) == (closes, 45)
    assert facts.purge_on == closes + timedelta(days=45)
    assert (facts.suppression_threshold, facts.comment_threshold) == (6, 12)
    assert facts.title == survey_round.title


def test_no_round_an_unknown_round_or_a_draft_gives_nothing(db: Any, make_round: Any) -> None:
    draft = make_round(status="draft")
    assert round_privacy(None) is None
    assert round_privacy(draft.id + 1000) is None
    assert round_privacy(draft.id) is None
