"""Which points the agenda lists, and the words it gives their evidence, recomputed here from
the microdata without the engine's comparison (docs/methods.md §2, §3, §5 and §10): Wilson with
the finite population correction (Korn-Graubard effective n for domains), the benchmark pooled
from the other organisations, the Newcombe hybrid score interval and the p-value that inverts
it, Benjamini-Hochberg per organisation and group (statsmodels), then the agenda's rules: listed
when significant or a gap of at least 10 points, worded by the adjusted p-value."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.stats import norm
from statsmodels.stats.multitest import multipletests

from analysis import ALL_STAKEHOLDERS
from survey.models import Invitation, InvitationStatus, Stakeholder
from survey.reports.agenda import build_agenda
from survey.services.responses import store_response
from survey.services.results.arrays import analyse
from survey.services.rounds import questionnaire_for

Z = 1.959963984540054
Z_MAX = 12.0  # beyond this the engine reports p as 0; every word is then "very strong"
#: (group, respondents, invited) of every organisation
GROUPS = (("gp_practice", 23, 30), ("nhs_provider", 11, 14), ("local_authority", 7, 9))
NAMES = {
    "gp_practice": "GP member practices",
    "nhs_provider": "NHS providers",
    "local_authority": "Local authority",
}
CODES = ("01A", "02B", "03C", "04D", "05E", "06F")
#: how each organisation's stakeholders lean, per (organisation, domain, group) (default 0)
LEAN = {
    ("02B", "governance", "gp_practice"): -1.4,
    ("02B", "governance", "nhs_provider"): -1.4,
    ("03C", "partnership", "nhs_provider"): 1.5,
    ("04D", "leadership", "local_authority"): -1.2,
    ("05E", "patient_engagement", "gp_practice"): 0.9,
}


def _wilson(p: float, n_eff: float, z: float) -> tuple[float, float]:
    """Wilson (1927) score interval on n_eff; exact 0 and 1 at the boundaries."""
    if math.isinf(n_eff):
        return p, p
    centre = (p + z * z / (2 * n_eff)) / (1 + z * z / n_eff)
    half = z / (1 + z * z / n_eff) * math.sqrt(p * (1 - p) / n_eff + z * z / (4 * n_eff**2))
    return (0.0 if p == 0 else centre - half), (1.0 if p == 1 else centre + half)


@dataclass(frozen=True)
class Cell:
    """One organisation x row x unit: its shares (one per respondent) and population."""

    shares: np.ndarray
    invited: int
    domain: bool

    @property
    def n(self) -> int:
        return len(self.shares)

    @property
    def p(self) -> float:
        return float(self.shares.mean())

    @property
    def n_eff(self) -> float:
        n, p = self.n, self.p
        n_star = float(n)
        if self.domain and n > 1:  # Korn & Graubard (1998): n* = min(n, pq / var(mean))
            var = float(self.shares.var(ddof=1)) / n
            n_star = min(n, p * (1 - p) / var) if var > 0 else n
        return math.inf if n >= self.invited else n_star * (self.invited - 1) / (self.invited - n)


def _pool(cells: list[Cell]) -> Cell:
    return Cell(
        np.concatenate([c.shares for c in cells]), sum(c.invited for c in cells), cells[0].domain
    )


def _newcombe_p(a: Cell, b: Cell) -> float:
    """Two-sided p: 2(1 - Phi(z)) at the z where the Newcombe (1998b, method 10) interval's
    limit nearest 0 reaches 0."""
    d = a.p - b.p
    if d == 0:
        return 1.0
    hi, lo = (a, b) if d > 0 else (b, a)

    def lower(z: float) -> float:
        l1, _ = _wilson(hi.p, hi.n_eff, z)
        _, u2 = _wilson(lo.p, lo.n_eff, z)
        return abs(d) - math.sqrt((hi.p - l1) ** 2 + (u2 - lo.p) ** 2)

    if lower(Z_MAX) > 0:
        return 0.0
    return float(2 * norm.sf(brentq(lower, 0.0, Z_MAX, xtol=1e-12)))


def _seed(
    db: Any, survey_round: Any, make_organisation: Callable[..., Any]
) -> dict[tuple[str, str], list[dict[str, int]]]:
    """Invitations and answers; returns each (organisation, group)'s answers by item."""
    questionnaire = questionnaire_for(survey_round)
    rng = np.random.default_rng(20261204)
    answers: dict[tuple[str, str], list[dict[str, int]]] = {}
    for code in CODES:
        org = make_organisation(code=code)
        for group, responding, invited in GROUPS:
            people = [
                Stakeholder(
                    round_id=survey_round.id,
                    email=f"{code}{group}{i}@example.org",
                    name="Person",
                    employer="Employer",
                    group=group,
                )
                for i in range(invited)
            ]
            db.session.add_all(people)
            db.session.flush()
            db.session.add_all(
                Invitation(
                    round_id=survey_round.id,
                    stakeholder_id=person.id,
                    organisation_id=org.id,
                    status=InvitationStatus.ISSUED,
                )
                for person in people
            )
            items = [i for i in questionnaire.scale_items if i.shown_to(group)]
            made = []
            for _ in range(responding):
                scores = {}
                for item in items:
                    lean = LEAN.get((code, item.domain or "", group), 0.0)
                    scores[item.id] = int(np.clip(np.rint(rng.normal(3.6 + lean, 1.0)), 1, 5))
                store_response(
                    survey_round.id, org.id, group, {k: {"score": v} for k, v in scores.items()}
                )
                made.append(scores)
            answers[code, group] = made
    db.session.commit()
    return answers


@pytest.fixture
def recomputed(db: Any, make_round: Any, make_organisation: Any) -> Any:
    survey_round = make_round(suppression_threshold=5)
    return survey_round, _seed(db, survey_round, make_organisation)


def _cells(
    questionnaire: Any, answers: dict[tuple[str, str], list[dict[str, int]]]
) -> dict[tuple[str, str, str], Cell]:
    """(organisation, row, unit) -> cell, for every non-empty cell; rows are all stakeholders,
    the groups and the families; units the domains (overall first) and the scale items."""
    items = questionnaire.scale_items
    domains = ["overall", *(d.id for d in questionnaire.domains)]
    cells: dict[tuple[str, str, str], Cell] = {}
    invited = {group: count for group, _n, count in GROUPS}
    # families of groups pool the invited groups they hold (the questionnaire's defaults)
    members_of = {
        family.id: [g for g in family.groups if g in invited]
        for family in questionnaire.group_families
    }
    rows = {ALL_STAKEHOLDERS: list(invited), **{g: [g] for g in invited}}
    rows.update({family: groups for family, groups in members_of.items() if groups})
    for code in CODES:
        for row, groups in rows.items():
            people = [s for g in groups for s in answers[code, g]]
            for item in items:
                asked = [g for g in groups if item.shown_to(g)]
                got = [s[item.id] >= 4 for s in people if item.id in s]
                if got:
                    population = sum(invited[g] for g in asked)
                    cells[code, row, item.id] = Cell(np.array(got, float), population, False)
            for domain in domains:
                members = [i for i in items if (i.domain or "overall") == domain]
                asked = [g for g in groups if any(i.shown_to(g) for i in members)]
                shares = [
                    np.mean([s[i.id] >= 4 for i in members if i.id in s])
                    for s in people
                    if any(i.id in s for i in members)
                ]
                if shares:
                    population = sum(invited[g] for g in asked)
                    cells[code, row, domain] = Cell(np.array(shares), population, True)
    return cells


def _expected(
    cells: dict[tuple[str, str, str], Cell], questionnaire: Any
) -> dict[tuple[str, str, str, str], str]:
    """(organisation, unit, kind, who) -> the words, for every difference the agenda lists."""
    names = {**NAMES, **{family.id: family.name for family in questionnaire.group_families}}
    raw: dict[tuple[str, str], list[tuple[str, float, float]]] = {}
    for (code, row, unit), cell in cells.items():
        others = [c for (o, r, u), c in cells.items() if r == row and u == unit and o != code]
        bench = _pool(others)
        raw.setdefault((code, row), []).append((unit, cell.p - bench.p, _newcombe_p(cell, bench)))
    listed: dict[tuple[str, str, str, str], tuple[str, bool]] = {}
    for (code, row), found in raw.items():
        adjusted = multipletests([p for _u, _d, p in found], method="fdr_bh")[1]
        for (unit, diff, _p), p_adj in zip(found, adjusted, strict=True):
            # the test's data keep clear of every cut-off, so the rounding of a root search
            # cannot decide a word
            assert all(abs(p_adj - cut) > 1e-6 for cut in (0.001, 0.01, 0.05)), (code, row, unit)
            assert abs(abs(100 * diff) - 9.5) > 1e-6, (code, row, unit)
            if p_adj <= 0.05:
                words = (
                    "very strong evidence"
                    if p_adj < 0.001
                    else "strong evidence"
                    if p_adj < 0.01
                    else "moderate evidence"
                )
            elif round(100 * abs(diff)) >= 10:
                words = "worth asking about, not statistically significant"
            else:
                continue
            kind = "discussion" if diff < 0 else "notable"
            listed[code, unit, kind, names.get(row, row)] = (words, p_adj <= 0.05)
    # A point stands when all stakeholders' difference is listed or a group's is significant;
    # it then names every listed group in its direction.
    standing = {
        (c, u, k)
        for (c, u, k, who), (_words, significant) in listed.items()
        if who == ALL_STAKEHOLDERS or significant
    }
    return {key: words for key, (words, _s) in listed.items() if key[:3] in standing}


def test_the_listed_points_and_their_words_match_a_recomputation(recomputed: Any) -> None:
    survey_round, answers = recomputed
    questionnaire = questionnaire_for(survey_round)
    expected = _expected(_cells(questionnaire, answers), questionnaire)
    table = analyse(survey_round)
    found = {}
    for code in CODES:
        agenda = build_agenda(table, code, survey_round, questionnaire)
        for section in agenda.sections:
            for point in (*section.discussion, *section.notable):
                assert point.comparison == "benchmark"  # no previous round
                for difference in point.raised_by:
                    key = (code, point.unit, point.kind, difference.who)
                    found[key] = difference.strength
                    assert difference.low_base == (difference.n < 20)
    assert found == expected
    # the data give every kind of point: strong and weak evidence, large gaps that are not
    # significant, points raised by a group alone, both directions
    words = set(expected.values())
    assert {"very strong evidence", "worth asking about, not statistically significant"} <= words
    assert {kind for _c, _u, kind, _w in expected} == {"discussion", "notable"}
    alone = {(c, u, k) for c, u, k, w in expected if w != ALL_STAKEHOLDERS} - {
        (c, u, k) for c, u, k, w in expected if w == ALL_STAKEHOLDERS
    }
    assert alone, "no point raised by a group alone"
