"""The methods annex of the organisation report: how the mean scores are made, and how
consistent each domain's questions are (Cronbach's alpha with Feldt's 95% interval), for the
organisation and for the whole round."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer

from analysis import WHOLE_ROUND, DomainReliability
from survey.services.results.evidence import unit_labels

MEAN_METHOD = (
    "The mean score is the average answer on the question's scale (1 = most negative; "
    "\"don't know\" is left out). A domain's mean is the average, over stakeholders, of each "
    "stakeholder's mean over the domain's questions they answered (if they answered at least "
    "half of those they were asked). The 95% interval is the Student t interval with the "
    "finite population correction. It is hidden wherever % positive is."
)
ALPHA_METHOD = (
    "Cronbach's alpha measures how consistently a domain's questions are answered: near 1 when "
    "people who rate one question highly rate the others highly too. It is computed on complete "
    "cases only: the responses with a scale answer to every scored question of the domain. A "
    "\"don't know\", a skipped question or a question the stakeholder's group is not asked "
    "leaves that response out of the domain's alpha (n is the number used). With k questions, "
    "alpha = k/(k-1) x (1 - sum of the question variances / variance of the total score), with "
    "sample variances. The 95% interval is Feldt's F interval, on n-1 and (n-1)(k-1) degrees of "
    "freedom. At one organisation's numbers the interval is wide; the whole round's figure is "
    "the one for judging the questionnaire."
)


def _alpha_ci(alpha: float, low: float, high: float) -> str:
    """Alpha and its interval, two decimals: "0.82 (0.71 to 0.90)"."""
    if math.isnan(alpha) or math.isnan(low) or math.isnan(high):
        return "not estimable (no variation)"
    return f"{alpha:.2f} ({low:.2f} to {high:.2f})"


def reliability_cells(scope: DomainReliability, domain: str, threshold: int) -> tuple[str, str]:
    """(n, alpha with its interval) as printed for one domain of one scope's rows."""
    found = np.flatnonzero(scope.domain == domain)
    if found.size == 0:  # an organisation with no responses has no rows
        return "0", "no responses"
    index = int(found[0])
    n = float(scope.n[index])
    if int(scope.n_items[index]) < 2:
        return "", "not applicable (fewer than two questions)"
    if bool(scope.suppressed[index]):
        return "", f"fewer than {threshold} complete responses"
    if math.isnan(n) or n == 0:
        return "0", "no responses"
    if n < 2:
        return str(int(n)), "not estimable"
    limits = (scope.alpha[index], scope.alpha_low[index], scope.alpha_high[index])
    return str(int(n)), _alpha_ci(*(float(value) for value in limits))


def annex_story(
    report: Any, number: int, reliability: DomainReliability | None, code: str
) -> list[Flowable]:
    """The annex: the methods in words, then one row per domain (organisation, whole round).

    ``report``: the report being written (its styles, width, table helpers, questionnaire and
    threshold); ``reliability``: at least the rows of ``code`` and of the whole round.
    """
    story: list[Flowable] = [
        Paragraph(f"{number}. Annex: methods", report.h1),
        Paragraph("Mean scores", report.h2),
        Paragraph(MEAN_METHOD, report.body),
        Paragraph("Internal consistency of the domains (Cronbach's alpha)", report.h2),
        Paragraph(ALPHA_METHOD, report.body),
        Spacer(1, 3 * mm),
    ]
    if reliability is None:
        story.append(Paragraph("Alpha was not computed for this report.", report.body))
        return story
    labels = unit_labels(report.questionnaire)
    own, pooled = reliability.of(code), reliability.of(WHOLE_ROUND)
    heading = (
        "Domain",
        "Questions (k)",
        "n",
        "This organisation: alpha (95% CI)",
        "n",
        "Whole round: alpha (95% CI)",
    )
    data: list[list[Any]] = [[report.cell_head(text) for text in heading]]
    for domain, k in zip(pooled.domain.tolist(), pooled.n_items.tolist(), strict=True):
        data.append(
            [
                report.cell(labels.get(domain, domain)),
                str(k),
                *reliability_cells(own, domain, report.threshold),
                *reliability_cells(pooled, domain, report.threshold),
            ]
        )
    widths = [report.width * f for f in (0.3, 0.1, 0.06, 0.24, 0.06, 0.24)]
    story.append(report.grid(data, widths))
    return story
