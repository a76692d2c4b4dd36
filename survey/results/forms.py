"""Forms of the assurance record: a domain's rating, an agreed action, an action's status."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Length, Optional

from survey.models import RATING_LABELS
from survey.services.assurance import MAX_ACTION, MAX_NOTE, MAX_OWNER


class _DueDate(DateField):
    """A date field whose message for a date that does not exist says what to enter."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError("Enter the due date as a real date, for example 2027-03-31") from None


class RatingForm(FlaskForm):
    rating = RadioField(
        "Rating",
        choices=[SelectChoice(rating.value, label) for rating, label in RATING_LABELS.items()],
        validators=[InputRequired(message="Select a rating")],
    )
    note = TextAreaField(
        "Summary of the judgement (optional)",
        description="The evidence the rating rests on, as you would write it in the report.",
        validators=[
            Optional(),
            Length(max=MAX_NOTE, message=f"The summary must be {MAX_NOTE} characters or fewer"),
        ],
    )


class ActionForm(FlaskForm):
    text = TextAreaField(
        "Agreed action",
        validators=[
            InputRequired(message="Enter the agreed action"),
            Length(max=MAX_ACTION, message=f"The action must be {MAX_ACTION} characters or fewer"),
        ],
    )
    owner = StringField(
        "Owner",
        description="The person or team who will do it.",
        validators=[
            InputRequired(message="Enter who owns the action"),
            Length(max=MAX_OWNER, message=f"The owner must be {MAX_OWNER} characters or fewer"),
        ],
    )
    due_on = _DueDate(
        "Due date",
        description="For example, 2027-03-31.",
        validators=[InputRequired(message="Enter the due date as a real date")],
    )


class StatusForm(FlaskForm):
    status = HiddenField(validators=[AnyOf(("done", "open"), message="Choose done or open")])
