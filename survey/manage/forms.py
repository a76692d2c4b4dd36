"""Forms of the survey team's pages."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import DateField, IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import InputRequired, NumberRange, Optional, ValidationError

import questionnaires
from analysis import MIN_THRESHOLD
from survey.models import SurveyRound
from survey.services.clock import uk_today

#: spreadsheet types a list may come in
UPLOAD_TYPES = ("csv", "xlsx")


class RoundForm(FlaskForm):
    """A new survey round (a draft until it is opened)."""

    year = IntegerField(
        "Survey year",
        description="The year of fieldwork, for example 2026.",
        validators=[
            InputRequired(message="Enter the survey year"),
            NumberRange(min=2000, max=2100, message="Enter a survey year between 2000 and 2100"),
        ],
    )
    questionnaire = SelectField(
        "Questionnaire", validators=[InputRequired(message="Select a questionnaire")]
    )
    title = StringField(
        "Title shown to stakeholders (optional)",
        description="Leave empty to use the questionnaire's title and the year.",
        validators=[Optional()],
    )
    opens_on = DateField(
        "First day of fieldwork",
        description="For example, 2026-01-15.",
        validators=[InputRequired(message="Enter the first day of fieldwork as a real date")],
    )
    closes_on = DateField(
        "Last day of fieldwork",
        description="For example, 2026-02-28.",
        validators=[InputRequired(message="Enter the last day of fieldwork as a real date")],
    )
    suppression_threshold = IntegerField(
        "Smallest group whose results are shown",
        default=5,
        validators=[
            InputRequired(message="Enter the smallest group whose results are shown"),
            NumberRange(
                min=MIN_THRESHOLD,
                max=100,
                message=f"The smallest group shown must be between {MIN_THRESHOLD} and 100",
            ),
        ],
    )
    comment_threshold = IntegerField(
        "Smallest group whose comments are shown",
        default=10,
        validators=[
            InputRequired(message="Enter the smallest group whose comments are shown"),
            NumberRange(
                min=MIN_THRESHOLD,
                max=100,
                message=(
                    f"The smallest group for comments must be between {MIN_THRESHOLD} and 100"
                ),
            ),
        ],
    )

    interim_release_every_days = IntegerField(
        "Publish interim results every (days, optional)",
        description=(
            "While fieldwork is open, results are published at interim releases: leave empty "
            "to release them only by hand. Results are always published when the round closes."
        ),
        validators=[
            Optional(),
            NumberRange(min=1, max=366, message="Enter a number of days between 1 and 366"),
        ],
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.questionnaire.choices = [(name, name) for name in questionnaires.bundled_names()]
        if self.year.data is None and not self.is_submitted():
            self.year.data = uk_today().year

    def round_values(self) -> dict[str, Any]:
        """The form's values as ``survey.services.rounds.create_round`` takes them."""
        values = {name: self[name].data for name in self.data if name != "csrf_token"}
        values["title"] = values.get("title") or None
        return values

    def validate_closes_on(self, field: DateField) -> None:
        if field.data and self.opens_on.data and field.data < self.opens_on.data:
            raise ValidationError("The last day of fieldwork must be on or after the first day")

    def validate_comment_threshold(self, field: IntegerField) -> None:
        threshold = self.suppression_threshold.data
        if field.data is not None and threshold is not None and field.data < threshold:
            raise ValidationError(
                "The smallest group for comments must not be below the smallest group shown"
            )


class UploadForm(FlaskForm):
    """A stakeholder or organisation list to check (nothing is stored until it is confirmed)."""

    upload = FileField(
        "Upload a file",
        description="A CSV or Excel (.xlsx) file, up to 5 MB.",
        validators=[
            FileRequired(message="Select a CSV or Excel file"),
            FileAllowed(
                UPLOAD_TYPES, message="The selected file must be a CSV or Excel (.xlsx) file"
            ),
        ],
    )


class ConfirmForm(FlaskForm):
    """A button that changes something: the form only carries the CSRF token."""


def _days(text: str | None) -> list[int]:
    parts = [part.strip() for part in (text or "").replace(";", ",").split(",") if part.strip()]
    if not all(part.isdigit() for part in parts):
        raise ValidationError("Enter whole numbers of days separated by commas, for example 7, 14")
    return [int(part) for part in parts]


class ReminderScheduleForm(FlaskForm):
    """When stakeholders who have not finished get a reminder."""

    after_invitation = StringField(
        "Days after the invitation",
        description="Whole numbers separated by commas, for example 7, 14. Leave empty for none.",
    )
    before_close = StringField(
        "Days before the round closes",
        description="For example 2. Leave empty for none.",
    )
    limit = IntegerField(
        "Most reminders one stakeholder gets",
        validators=[
            InputRequired(message="Enter the most reminders one stakeholder gets"),
            NumberRange(min=0, max=10, message="The most reminders must be between 0 and 10"),
        ],
    )

    @classmethod
    def of(cls, survey_round: SurveyRound) -> ReminderScheduleForm:
        """The form filled with the round's current schedule."""
        return cls(
            after_invitation=", ".join(map(str, survey_round.reminder_days_after_invitation)),
            before_close=", ".join(map(str, survey_round.reminder_days_before_close)),
            limit=survey_round.reminder_limit,
        )

    def validate_after_invitation(self, field: StringField) -> None:
        if any(day < 1 for day in _days(field.data)):
            raise ValidationError("Days after the invitation must be 1 or more")

    def validate_before_close(self, field: StringField) -> None:
        _days(field.data)

    def days(self) -> dict[str, list[int]]:
        """The validated schedule as lists of days."""
        return {
            "after_invitation": _days(self.after_invitation.data),
            "before_close": _days(self.before_close.data),
        }


class AccountForm(FlaskForm):
    """A new account: its role decides whether it needs an organisation or a region."""

    email = StringField(
        "Email address", validators=[InputRequired(message="Enter the email address")]
    )
    name = StringField("Full name", validators=[InputRequired(message="Enter the person's name")])
    role = SelectField(
        "Role",
        choices=[
            SelectChoice("commissioner", "Commissioner: their own organisation's results"),
            SelectChoice("viewer", "Viewer: one organisation's results, read only"),
            SelectChoice("assessor", "Assessor: every organisation of a region"),
            SelectChoice("manager", "Survey manager: everything"),
        ],
        validators=[InputRequired(message="Select a role")],
    )
    organisation = StringField(
        "Organisation code (commissioners and viewers)",
        description="For example 01A.",
        validators=[Optional()],
    )
    region = StringField(
        "Region (assessors)",
        description="As written on the organisations' list.",
        validators=[Optional()],
    )


class LocalQuestionForm(FlaskForm):
    """A local question for one organisation's stakeholders."""

    organisation = StringField(
        "Organisation code",
        description="For example 01A.",
        validators=[InputRequired(message="Enter the organisation code")],
    )
    text = StringField("Question", validators=[InputRequired(message="Enter the question")])
    scale = SelectField(
        "Answer scale", validators=[InputRequired(message="Select an answer scale")]
    )
