"""Assure360 analysis engine: estimates, intervals, comparisons and disclosure control.

Pure numpy/scipy; no I/O.  The high-level entry points are :func:`analyse_round`
and, for the questions an organisation adds itself, :func:`analyse_local_questions`;
the building blocks are importable from their modules and re-exported here.
Methods, references and rules: ``docs/methods.md``.
"""

from ._results import ConfidenceInterval, MeanInterval, MultipleTestResult, WelchResult
from .compare import benjamini_hochberg, newcombe_pvalue, welch_difference
from .disclosure import MIN_THRESHOLD, comments_visible, suppress
from .funnel import (
    FUNNEL_CONFIDENCES,
    FunnelComparison,
    Overdispersion,
    funnel_compare,
    funnel_limits,
    funnel_z_scores,
    overdispersion,
)
from .hierarchy import suppress_hierarchy
from .intervals import clopper_pearson, newcombe_difference, wilson
from .local import LocalQuestionTable, analyse_local_questions
from .means import mean_interval
from .microdata import COMBINED_GROUPS, MicrodataPlacement, RecordCell, protect_microdata
from .reliability import (
    WHOLE_ROUND,
    DomainReliability,
    cronbach_alpha,
    domain_reliability,
    feldt_interval,
)
from .responses import ALL_STAKEHOLDERS, RoundResponses
from .round_table import RoundTable
from .tables import analyse_round

__all__ = [
    "ALL_STAKEHOLDERS",
    "COMBINED_GROUPS",
    "FUNNEL_CONFIDENCES",
    "MIN_THRESHOLD",
    "WHOLE_ROUND",
    "ConfidenceInterval",
    "DomainReliability",
    "FunnelComparison",
    "LocalQuestionTable",
    "MeanInterval",
    "MicrodataPlacement",
    "MultipleTestResult",
    "RecordCell",
    "Overdispersion",
    "RoundResponses",
    "RoundTable",
    "WelchResult",
    "analyse_local_questions",
    "analyse_round",
    "benjamini_hochberg",
    "clopper_pearson",
    "comments_visible",
    "cronbach_alpha",
    "domain_reliability",
    "feldt_interval",
    "funnel_compare",
    "funnel_limits",
    "funnel_z_scores",
    "mean_interval",
    "newcombe_difference",
    "newcombe_pvalue",
    "protect_microdata",
    "overdispersion",
    "suppress",
    "suppress_hierarchy",
    "welch_difference",
    "wilson",
]
