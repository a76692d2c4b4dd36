"""Nothing hidden in a round with families can be worked out from what the table publishes.

Random small rounds (hypothesis) with groups, families of groups and questionnaire routing
are analysed; the published numbers are then attacked as a reader would, with a linear
programme that does not use the engine's rule.  Unknowns per organisation: every group's
base n on every unit and its response count r.  What the reader knows: every published base
(of a group, a family or "All stakeholders": the sum of its groups' bases), every published
response count (response rate x invited: a group's own on every unit; for a total or a
family on a unit not asked of all its groups, the sum over the groups asked), that a group
not asked a unit has n = 0 there (the questionnaire is public), and 0 <= n <= r.

A hidden group's base must then still range over more than one value (unless the reader
knows the group had no responses at all), and a hidden family or total that can be worked
out holds at least k people.  In particular no published row shows that a hidden group
asked the unit had no answers (issue 12: "All stakeholders n = 0" beside the one hidden
group asked).  A response count that can be worked out is 0 or at least k.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from analysis import ALL_STAKEHOLDERS, RoundResponses, analyse_round

K = 5


@st.composite
def rounds(draw: st.DrawFn) -> RoundResponses:
    """Two organisations, 2-5 groups (some in families), 3 items in 2 domains, routing,
    0-9 responses per organisation x group with don't knows and skips."""
    n_grp = draw(st.integers(2, 5))
    n_items = 3
    n_fam = draw(st.integers(1, 2))
    group_family = np.array([draw(st.integers(-1, n_fam - 1)) for _ in range(n_grp)])
    families = [f for f in range(n_fam) if np.any(group_family == f)]
    group_family = np.array([families.index(f) if f >= 0 else -1 for f in group_family])
    # every item is asked of at least one group, the first item of every group
    routing = np.array(
        [[i == 0 or draw(st.booleans()) for i in range(n_items)] for _ in range(n_grp)]
    )
    counts = np.array(
        [[draw(st.sampled_from((0, 0, 1, 2, 3, 4, 5, 6, 9))) for _ in range(n_grp)] for _ in "ab"]
    )
    org = np.repeat(np.repeat([0, 1], n_grp), counts.ravel())
    group = np.repeat(np.tile(np.arange(n_grp), 2), counts.ravel())
    answers = np.array(
        draw(
            st.lists(
                st.lists(st.sampled_from((1, 2, 3, 4, 5, 5, 0, -1)), min_size=3, max_size=3),
                min_size=org.size,
                max_size=org.size,
            )
        ),
        dtype=float,
    ).reshape(org.size, n_items)
    asked = routing[group]
    dont_know = (answers == 0) & asked
    scores = np.where(asked & (answers > 0), answers, np.nan)
    extra = np.array([[draw(st.integers(0, 3)) for _ in range(n_grp)] for _ in "ab"])
    return RoundResponses(
        scores=scores,
        dont_know=dont_know,
        item_labels=("Q0", "Q1", "Q2"),
        item_domain=np.array([0, 1, 1]),
        domain_labels=("D0", "D1"),
        organisation=org,
        organisation_labels=("A", "B"),
        organisation_kind=np.array([0, 0]),
        group=group,
        group_labels=tuple(f"G{g}" for g in range(n_grp)),
        invited=counts + extra,
        routing=routing,
        family_labels=tuple(f"F{f}" for f in range(len(families))),
        group_family=group_family,
    )


def _members(resp: RoundResponses) -> np.ndarray:
    """Indicator of the groups in each row of the group axis: all, the groups, the families."""
    n_grp = len(resp.group_labels)
    return np.vstack((np.ones(n_grp), np.eye(n_grp), resp.family_member.T.astype(float)))


def _unit_routing(resp: RoundResponses) -> np.ndarray:
    """(G, U): groups asked each unit (a domain: any of its items)."""
    doms = [resp.routing[:, resp.item_domain == d].any(axis=1) for d in range(2)]
    return np.column_stack((*doms, resp.routing))


class _Reader:
    """What one organisation's published rows tell a reader, as linear constraints.

    Variables: n[g, u] for every group and unit (flattened), then r[g].
    """

    def __init__(
        self, resp: RoundResponses, table: Any, org: str, responses_known: bool = False
    ) -> None:
        self.members = _members(resp)
        self.routed = _unit_routing(resp)
        self.n_grp, self.n_units = self.routed.shape
        self.labels = (ALL_STAKEHOLDERS, *resp.group_labels, *resp.family_labels)
        self.units = (*resp.domain_labels, *resp.item_labels)
        self.size = self.n_grp * self.n_units + self.n_grp
        self.cells = {
            (row["group"], row["unit"]): row for row in table.filter(organisation=org).rows()
        }
        rows, values = [], []
        for u, unit in enumerate(self.units):
            for i, label in enumerate(self.labels):
                cell = self.cells[(label, unit)]
                if not cell["suppressed"] and not np.isnan(cell["n"]):
                    rows.append(self.base(i, u))
                    values.append(cell["n"])
                rate, invited = cell["response_rate"], cell["n_invited"]
                if not np.isnan(rate) and not np.isnan(invited):
                    rows.append(self.responses(i, u))
                    values.append(round(rate * invited))
        if responses_known:  # as the commissioner's fieldwork page shows them
            o = resp.organisation_labels.index(org)
            for g in range(self.n_grp):
                rows.append(self.responses(1 + g, 0))
                values.append(float(np.sum((resp.organisation == o) & (resp.group == g))))
        for g in range(self.n_grp):  # the questionnaire says who is not asked a unit
            for u in np.flatnonzero(~self.routed[g]):
                rows.append(self._n(g, u))
                values.append(0.0)
        self.a_eq, self.b_eq = np.array(rows), np.array(values, dtype=float)
        caps = []  # n[g, u] - r[g] <= 0
        for g in range(self.n_grp):
            for u in range(self.n_units):
                cap = self._n(g, u)
                cap[self.n_grp * self.n_units + g] = -1.0
                caps.append(cap)
        self.a_ub = np.array(caps)

    def _n(self, g: int, u: int) -> np.ndarray:
        v = np.zeros(self.size)
        v[g * self.n_units + u] = 1.0
        return v

    def base(self, row: int, u: int) -> np.ndarray:
        """The base of a row of the group axis on unit u, as a sum of group bases."""
        return sum((self._n(g, u) for g in np.flatnonzero(self.members[row])), np.zeros(self.size))

    def responses(self, row: int, u: int) -> np.ndarray:
        """The response count a row shows on unit u: a group's own count on every unit; for
        "All stakeholders" and a family, the sum over their groups asked the unit."""
        v = np.zeros(self.size)
        asked = self.members[row].astype(bool)
        if not 1 <= row <= self.n_grp:
            asked &= self.routed[:, u]
        v[self.n_grp * self.n_units + np.flatnonzero(asked)] = 1.0
        return v

    def range_of(self, objective: np.ndarray) -> tuple[float, float]:
        ends = []
        for sign in (1.0, -1.0):
            result = linprog(
                sign * objective,
                A_ub=self.a_ub,
                b_ub=np.zeros(len(self.a_ub)),
                A_eq=self.a_eq,
                b_eq=self.b_eq,
                bounds=(0, None),
                method="highs",
            )
            assert result.status in (0, 3), result.message  # 3: unbounded above
            ends.append(sign * result.fun if result.status == 0 else np.inf)
        return ends[0], ends[1]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rounds())
def test_no_hidden_base_or_response_count_can_be_worked_out(resp):
    table = analyse_round(resp, threshold=K)
    for org in resp.organisation_labels:
        reader = _Reader(resp, table, org)
        for u, unit in enumerate(reader.units):
            for i, label in enumerate(reader.labels):
                cell = reader.cells[(label, unit)]
                asked = reader.members[i].astype(bool) & reader.routed[:, u]
                if not cell["suppressed"] or not asked.any():
                    continue  # published, or known to be empty from the questionnaire
                low, high = reader.range_of(reader.base(i, u))
                if high - low > 0.5:
                    continue
                # Worked out: allowed for a total or family of at least k people, or where
                # every hidden group in it is known to have had no responses at all.
                if i == 0 or i > reader.n_grp:
                    if low >= K:
                        continue
                for g in np.flatnonzero(asked):
                    if reader.cells[(resp.group_labels[g], unit)]["suppressed"]:
                        r_high = reader.range_of(reader.responses(1 + g, u))[1]
                        assert r_high < 0.5, (org, label, unit, resp.group_labels[g], low)
        # a group's response count that can be worked out is 0 or at least k
        for g in range(reader.n_grp):
            low, high = reader.range_of(reader.responses(1 + g, 0))
            if high - low <= 0.5:
                assert round(low) == 0 or low >= K, (org, resp.group_labels[g], low)
    # what is published is 0 or at least k people
    n = table.n[~table.suppressed]
    assert np.all((n == 0) | (n >= K))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rounds())
def test_known_response_counts_never_show_that_a_hidden_group_gave_no_answers(resp):
    """Even knowing every group's responses (fieldwork shows them to commissioners), a hidden
    group with responses may have answered a unit it was asked.  (Its base can be pinned at
    its responses when everyone in a hidden sum answered: docs/methods.md section 7.8.)"""
    table = analyse_round(resp, threshold=K)
    for org in resp.organisation_labels:
        reader = _Reader(resp, table, org, responses_known=True)
        o = resp.organisation_labels.index(org)
        for g, label in enumerate(resp.group_labels):
            if not np.any((resp.organisation == o) & (resp.group == g)):
                continue
            for u, unit in enumerate(reader.units):
                if reader.cells[(label, unit)]["suppressed"] and reader.routed[g, u]:
                    high = reader.range_of(reader.base(1 + g, u))[1]
                    assert high > 0.5, (org, label, unit)


def test_the_all_and_family_rows_do_not_show_that_the_one_hidden_group_asked_said_nothing():
    """Q1 is asked of G2 only: its 3 respondents (below k) all said don't know there.  Neither
    "All stakeholders" nor G2's family may publish n = 0 on Q1."""
    gp = [[4.0, np.nan, 3.0]] * 8
    hidden = [[2.0, np.nan, 5.0]] * 3
    other = [[5.0, np.nan, 4.0]] * 6
    scores = np.array(gp + hidden + other)
    group = np.array([0] * 8 + [2] * 3 + [1] * 6)
    routing = np.array([[True, False, True], [True, False, True], [True, True, True]])
    resp = RoundResponses(
        scores=scores,
        dont_know=np.isnan(scores) & routing[group],
        item_labels=("Q0", "Q1", "Q2"),
        item_domain=np.array([0, 0, 0]),
        domain_labels=("D",),
        organisation=np.zeros(group.size, dtype=np.int64),
        organisation_labels=("A",),
        organisation_kind=np.array([0]),
        group=group,
        group_labels=("gp", "provider", "regulator"),
        invited=np.array([[10, 8, 3]]),
        routing=routing,
        family_labels=("NHS partners",),
        group_family=np.array([-1, 0, 0]),
    )
    table = analyse_round(resp, threshold=K)
    q1 = {row["group"]: row for row in table.filter(unit="Q1").rows()}
    for label in (ALL_STAKEHOLDERS, "NHS partners", "regulator"):
        assert q1[label]["suppressed"], label
        assert np.isnan(q1[label]["n"]) and np.isnan(q1[label]["dont_know"]), label
    # the providers are not asked Q1: their n = 0 there says nothing about the regulators
    assert q1["provider"]["n"] == 0 and not q1["provider"]["suppressed"]
    # Q0, asked of everyone: the family of 9 is published only if the regulators' 3 are not
    # its total minus the 6 providers: so the providers are hidden with them
    q0 = {row["group"]: row for row in table.filter(unit="Q0").rows()}
    assert q0["regulator"]["suppressed"] and q0["provider"]["suppressed"]
