"""Questionnaires as data.

A questionnaire is a YAML file (format: docs/questionnaire-format.md) validated
into immutable, typed objects::

    from questionnaires import load
    q = load("ccg-360")                 # bundled, or load("path/to/file.yaml")
    for section in q.sections_for("gp_practice"):
        for item in section.items_for("gp_practice"):
            ...
"""

from ._common import ID_PATTERN
from .items import Item, Section
from .loader import QuestionnaireError, bundled_names, load, parse, read_source
from .model import Domain, GroupFamily, LocalQuestionBlock, Questionnaire, StakeholderGroup
from .scales import Scale, ScaleOption

__all__ = [
    "ID_PATTERN",
    "Domain",
    "Item",
    "LocalQuestionBlock",
    "Questionnaire",
    "QuestionnaireError",
    "Scale",
    "ScaleOption",
    "Section",
    "GroupFamily",
    "StakeholderGroup",
    "bundled_names",
    "load",
    "parse",
    "read_source",
]
