"""Forms built from questionnaire data: one field per question, named by its stable item id."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field, RadioField, SelectChoice, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from survey.respond.pages import Page, Question

DONT_KNOW = "dk"


class PageForm(FlaskForm):
    """Base for a page's form; ``questions`` maps field names to their questions."""

    questions: dict[str, Question] = {}

    def question_fields(self) -> list[tuple[Question, Field]]:
        return [(question, self[question.id]) for question in self.questions.values()]

    def answers(self, *, valid_only: bool = False) -> dict[str, dict[str, Any]]:
        """The page's answers in stored form; with ``valid_only``, those that passed validation."""
        answers: dict[str, dict[str, Any]] = {}
        for question, field in self.question_fields():
            if valid_only and field.errors:
                continue
            value = field.data
            if question.is_text:
                if value is not None:
                    answers[question.id] = {"text": value.strip()}
            elif value == DONT_KNOW:
                answers[question.id] = {"dont_know": True}
            elif value:
                answers[question.id] = {"score": int(value)}
        return answers


def form_for(page: Page, saved: dict[str, dict[str, Any]]) -> PageForm:
    """A form for ``page``, filled from ``saved`` answers unless the request posted data."""
    fields: dict[str, Any] = {"questions": {question.id: question for question in page.questions}}
    for question in page.questions:
        if question.is_text:
            fields[question.id] = TextAreaField(
                question.text,
                description=question.hint or "",
                validators=[
                    Optional(),
                    Length(
                        max=question.max_length,
                        message=f"Your comment must be {question.max_length} characters or fewer",
                    ),
                ],
            )
        else:
            fields[question.id] = RadioField(
                question.text,
                description=question.hint or "",
                choices=[SelectChoice(str(score), label) for score, label in question.options]
                + [SelectChoice(DONT_KNOW, question.dont_know_label)],
                validators=[
                    InputRequired(
                        message=(
                            f"Select an answer, or '{question.dont_know_label}', "
                            f"for: {question.text}"
                        )
                    )
                ],
            )
    form_class = type("PageFormFor", (PageForm,), fields)
    data = {}
    for item_id, value in saved.items():
        if item_id in fields:
            if value.get("dont_know"):
                data[item_id] = DONT_KNOW
            elif "score" in value:
                data[item_id] = str(value["score"])
            else:
                data[item_id] = value.get("text", "")
    return form_class(data=data)
