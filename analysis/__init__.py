"""Assure360 analysis engine: estimates, intervals, comparisons and disclosure control.

Pure numpy/scipy; no I/O.  The high-level entry points are :func:`analyse_round`
and, for the questions an organisation adds itself, :func:`analyse_local_questions`;
the building blocks are importable from their modules and re-exported here.
Methods, references and rules: ``docs/methods.md``.
"""

from ._results import ConfidenceInterval, MeanInterval, MultipleTestResult, WelchResult
from .compare import benjamini_hochberg, newcombe_pvalue, welch_difference
from .disclosure import MIN_THRESHOLD, comments_visible, suppress
from .hierarchy import suppress_hierarchy
from .intervals import clopper_pearson, newcombe_difference, wilson
from .local import LocalQuestionTable, analyse_local_questions
from .means import mean_interval
from .reliability import cronbach_alpha, feldt_interval
from .responses import ALL_STAKEHOLDERS, RoundResponses
from .round_table import RoundTable
from .tables import analyse_round

__all__ = [
    "ALL_STAKEHOLDERS",
    "MIN_THRESHOLD",
    "ConfidenceInterval",
    "LocalQuestionTable",
    "MeanInterval",
    "MultipleTestResult",
    "RoundResponses",
    "RoundTable",
    "WelchResult",
    "analyse_local_questions",
    "analyse_round",
    "benjamini_hochberg",
    "clopper_pearson",
    "comments_visible",
    "cronbach_alpha",
    "feldt_interval",
    "mean_interval",
    "newcombe_difference",
    "newcombe_pvalue",
    "suppress",
    "suppress_hierarchy",
    "welch_difference",
    "wilson",
]
