"""A question's radios, made once per process for each way they can look.

Radios are most of a section page's rendering, and they can look only so many ways: a
question, its number on the page, the chosen answer and the error shown. Their markup is kept
for each such combination; not for a posted value that is none of the answers (a client
chooses it), and comment boxes never (they hold what the stakeholder wrote).
"""

from __future__ import annotations

import functools

from flask import get_template_attribute
from jinja2.runtime import Macro
from markupsafe import Markup
from wtforms import Field

from survey.respond import bp
from survey.respond.pages import Question


@bp.app_template_global()
def question_radios(question: Question, field: Field, number: int) -> Markup:
    """The ``radios`` macro of ``_macros/forms.html`` for ``field``, the ``number``-th question
    of its page (a template that is reloaded is a new macro, so its markup is made afresh)."""
    macro: Macro = get_template_attribute("_macros/forms.html", "radios")
    error = field.errors[0] if field.errors else None
    value = field.data
    if value is not None and value not in question.values:
        return Markup(macro(question, field.name, value, error, number))
    return _radios(macro, question, field.name, value, error, number)


@functools.lru_cache(maxsize=4096)
def _radios(
    macro: Macro, question: Question, name: str, value: str | None, error: str | None, number: int
) -> Markup:
    return Markup(macro(question, name, value, error, number))
