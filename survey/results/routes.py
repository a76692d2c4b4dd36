"""Results views: load what the signed-in account may see (else 404), build, render."""

from __future__ import annotations

import math

from flask import abort, render_template, request
from flask_login import current_user, login_required

from survey.access import roles_required, visible_organisation_or_404
from survey.models import Role
from survey.results import bp
from survey.services.assurance import assessment
from survey.services.results.arrays import OVERALL
from survey.services.results.comparison import SORT_KEYS, compare
from survey.services.results.comparison_rounds import KINDS, round_to_compare
from survey.services.results.dashboard import (
    default_round,
    organisation_dashboard,
    rounds_of_organisation,
)
from survey.services.results.trend import organisation_trend


def _round_argument() -> int | None:
    value = request.args.get("round", "").strip()
    if not value:
        return None
    if not value.isdigit():
        abort(404)
    return int(value)


@bp.get("/methods")
@login_required
def methods() -> str:
    """How the numbers are made: a summary of docs/methods.md."""
    return render_template("results/methods.html")


@bp.get("/national")
@roles_required(Role.MANAGER, Role.ASSESSOR, Role.COMMISSIONER)
def national() -> str:
    """Organisations compared per domain (funnel plot and sortable table): assessors see their
    region by name, commissioners every organisation's point but only their own named."""
    try:
        survey_round, kind = round_to_compare(
            current_user, _round_argument(), request.args.get("kind") or None
        )
    except LookupError:
        abort(404)
    region = request.args.get("region") or None
    sort = request.args.get("sort", "positive")
    if sort not in SORT_KEYS:
        sort = "positive"
    descending = (
        request.args.get("order", "desc" if sort in ("n", "positive", "difference") else "asc")
        == "desc"
    )
    comparison = compare(
        current_user,
        survey_round=survey_round,
        kind=kind,
        region=region,
        domain=request.args.get("domain", OVERALL),
        item=request.args.get("item") or None,
        highlight=request.args.get("organisation") or None,
        sort=sort,
        descending=descending,
    )
    if region and region not in comparison.regions:
        abort(404)  # another region (or any, for a commissioner): it does not exist for them
    return render_template("results/national.html", c=comparison, kinds=KINDS, sort_keys=SORT_KEYS)


@bp.get("/<code>")
@login_required
def organisation(code: str) -> str:
    """One organisation's dashboard for a round (default: the latest with data)."""
    org = visible_organisation_or_404(current_user, code)
    rounds = rounds_of_organisation(org)
    round_id = _round_argument()
    if round_id is None:
        survey_round = default_round(org)
    else:
        survey_round = next((r for r in rounds if r.id == round_id), None)
        if survey_round is None:
            abort(404)
    if survey_round is None:
        return render_template("results/no_results.html", organisation=org)
    board = organisation_dashboard(org, survey_round)
    return render_template(
        "results/organisation.html",
        board=board,
        rounds=rounds,
        assessment_record=assessment(current_user, org, survey_round),
        trend=(
            organisation_trend(org.code, survey_round, board.release, chart=True)
            if board.has_data
            else None
        ),
    )


# -- template helpers ----------------------------------------------------------------------


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


@bp.app_template_test("missing")
def _is_missing(value: object) -> bool:
    """``{% if x is missing %}``: None or NaN (suppressed or no data)."""
    return _missing(value)


@bp.app_template_filter("pct")
def _pct(value: float | None) -> str:
    """0.456 -> "46%"; NaN -> "" (the template says why a number is missing)."""
    return "" if _missing(value) else f"{100 * float(value):.0f}%"  # type: ignore[arg-type]


@bp.app_template_filter("score")
def _score(value: float | None) -> str:
    """A mean score on the item's scale, one decimal: 3.84 -> "3.8"; NaN -> ""."""
    return "" if _missing(value) else f"{float(value):.1f}"  # type: ignore[arg-type]


@bp.app_template_filter("points")
def _points(value: float | None) -> str:
    """A difference of proportions in percentage points, signed: 0.052 -> "+5"."""
    if _missing(value):
        return ""
    points = round(100 * float(value))  # type: ignore[arg-type]
    return f"+{points}" if points > 0 else ("0" if points == 0 else f"−{-points}")


@bp.app_template_filter("count")
def _count(value: float | None) -> str:
    return "" if _missing(value) else f"{int(round(float(value))):,}"  # type: ignore[arg-type]
