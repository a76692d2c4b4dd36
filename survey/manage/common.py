"""What every manage view needs: the round of the URL and error messages as sentences."""

from __future__ import annotations

from werkzeug.wrappers import Response as WerkzeugResponse

from survey.extensions import db
from survey.models import SurveyRound

View = str | WerkzeugResponse | tuple[str, int]


def sentence(error: Exception) -> str:
    """An error message as a sentence (str.capitalize would lower-case codes such as 01A)."""
    message = str(error)
    return message[:1].upper() + message[1:]


def round_or_404(round_id: int) -> SurveyRound:
    return db.get_or_404(SurveyRound, round_id)
