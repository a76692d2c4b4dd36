"""Forms built from questionnaire data: one field per question, named by its stable item id.

Their forgery protection is bound to the survey link, not to a session cookie: the hidden key is
an HMAC of the link, so a stakeholder whose browser blocks or loses cookies can still answer
(docs/security.md, "Respondent forms without cookies").
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field, Form, RadioField, SelectChoice, TextAreaField
from wtforms.csrf.core import CSRF, CSRFTokenField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from survey.respond.pages import DONT_KNOW, Page, Question

#: shown in the error summary when a post came without the page's key (an old copy of the page)
UNVERIFIED = (
    "This page was sent without its check code, for example from an old copy of the page. "
    "Your answers have been kept: check them and send the page again."
)


def link_form_key(secret: str | bytes, link_token: str) -> str:
    """The hidden key of every form on a link's pages: HMAC-SHA256 of the link, per purpose."""
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, b"respond-form:" + link_token.encode(), hashlib.sha256).hexdigest()


class LinkCSRF(CSRF):
    """WTForms CSRF whose token is derived from the link (``meta.csrf_context``)."""

    def setup_form(self, form: Form) -> list[tuple[str, Any]]:
        self.key = link_form_key(form.meta.csrf_secret, str(form.meta.csrf_context))
        return super().setup_form(form)

    def generate_csrf_token(self, csrf_token_field: CSRFTokenField) -> str:
        return self.key

    def validate_csrf_token(self, form: Form, field: CSRFTokenField) -> None:
        if not isinstance(field.data, str) or not hmac.compare_digest(field.data, self.key):
            raise ValidationError(UNVERIFIED)


class LinkForm(FlaskForm):
    """A respondent form: build it with ``meta={"csrf_context": link_token}``."""

    class Meta(FlaskForm.Meta):
        csrf_class = LinkCSRF


class PageForm(LinkForm):
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


def form_for(page: Page, saved: dict[str, dict[str, Any]], link_token: str | None) -> PageForm:
    """A form for ``page``, filled from ``saved`` answers unless the request posted data.

    Its key is bound to ``link_token``; a manager's preview passes None, because signed-in
    pages are already protected by the session's CSRF check and a preview stores nothing.
    """
    form_class = _form_class(page)
    data = {}
    for item_id, value in saved.items():
        if item_id in form_class.questions:
            if value.get("dont_know"):
                data[item_id] = DONT_KNOW
            elif "score" in value:
                data[item_id] = str(value["score"])
            else:
                data[item_id] = value.get("text", "")
    if link_token is None:
        return form_class(data=data, meta={"csrf": False})
    return form_class(data=data, meta={"csrf_context": link_token})


@functools.lru_cache(maxsize=1024)
def _form_class(page: Page) -> type[PageForm]:
    """The form class of ``page``: one field per question (made once per process and page).

    Error messages are short and name the question by its number on the page (shown beside
    each question), as the NHS design system asks, rather than repeating the question.
    """
    fields: dict[str, Any] = {"questions": {question.id: question for question in page.questions}}
    for number, question in enumerate(page.questions, start=1):
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
                choices=[SelectChoice(value, label) for value, label in question.choices],
                validators=[
                    InputRequired(
                        message=(
                            f"Select an answer to question {number}, "
                            f"or '{question.dont_know_label}'"
                        )
                    )
                ],
            )
    return type("PageFormFor", (PageForm,), fields)


def submit_form(link_token: str) -> LinkForm:
    """The check page's form: only its key, which must match the link."""
    return LinkForm(meta={"csrf_context": link_token})
