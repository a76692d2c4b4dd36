"""The fixed wording of the organisation report: background, how to read it, using it."""

from __future__ import annotations

BACKGROUND = (
    "The 360\u00b0 stakeholder survey asks the commissioner's stakeholders (GP member "
    "practices, health and wellbeing boards, local authorities, Healthwatch, patient groups, NHS "
    "providers, other commissioners, NHS England, regulators and the voluntary sector) how well "
    "it works with them. It has two purposes: to give the commissioner evidence for its own "
    "organisational development and relationships, and to feed into the assurance conversations "
    "with NHS England across the six assurance domains. The survey informs those conversations; "
    "it never decides a rating."
)
HOW_TO_READ = (
    "<b>% positive</b> is the share of stakeholders with a view who gave one of the top two "
    'answers (for example strongly or tend to agree). "Don\'t know" answers are left out of '
    "the base (n).",
    "<b>95% confidence interval (CI)</b>: with bases of around 30 a percentage is uncertain by "
    "about plus or minus 15 points; the interval shows the range the result is likely to lie in.",
    "<b>Mean score</b>: the average answer on the question's scale, with its 95% CI; "
    '"don\'t know" is left out. It is hidden wherever % positive is.',
    "<b>Benchmark</b>: all other organisations of the same kind, pooled. <b>vs benchmark</b> and "
    "<b>change</b> are differences in percentage points; <b>*</b> marks a difference that is "
    "statistically significant after controlling the false discovery rate across all of this "
    "organisation's questions.",
)
USING = (
    "Take the results to the governing body or its committees, and use the accompanying "
    "assurance agenda: it lists areas for discussion (significantly below the benchmark or last "
    "year) and notable practice (significantly above), as prompts for the conversation."
)
CHART_KEY = "In the charts, bars are % positive, lines the 95% CI and diamonds the benchmark."
