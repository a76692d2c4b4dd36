"""Reporting families of stakeholder groups in analyse_round: numbers and suppression.

A family's numbers are recomputed here from the raw responses of its groups (pooled by hand),
with the single-cell building blocks that are themselves checked against published values;
suppression is attacked with the sum identities of all > families > groups.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from analysis import ALL_STAKEHOLDERS, RoundResponses, analyse_round
from analysis.intervals import mean_interval, wilson

FAMILIES = ("Big and small", "Middle")
GROUP_FAMILY = np.array([0, 1, 1, 0, -1])  # G4 is in no family


def _with_families(resp: RoundResponses) -> RoundResponses:
    return dataclasses.replace(resp, family_labels=FAMILIES, group_family=GROUP_FAMILY)


@pytest.fixture
def resp(make_round) -> RoundResponses:
    return _with_families(make_round(seed=4, n_orgs=5, n_groups=5, n_responses=500))


@pytest.fixture
def table(resp):
    return analyse_round(resp)


def test_families_are_rows_beside_the_groups_marked_as_families(resp, table):
    n_units = len(resp.domain_labels) + resp.n_items
    assert len(table) == 5 * (1 + 5 + 2) * n_units
    org = table.filter(organisation="O0")
    assert list(dict.fromkeys(org.group.tolist())) == [
        ALL_STAKEHOLDERS,
        "G0",
        "G1",
        "G2",
        "G3",
        "G4",
        *FAMILIES,
    ]
    assert set(org.filter(is_family=True).group.tolist()) == set(FAMILIES)
    assert not org.filter(group=["G0", ALL_STAKEHOLDERS]).is_family.any()


def test_a_family_pools_its_groups_responses_with_the_same_estimators(resp, table):
    members = np.flatnonzero(GROUP_FAMILY == 0)
    checked = 0
    for o, org in enumerate(resp.organisation_labels):
        rows = (resp.organisation == o) & np.isin(resp.group, members)
        for i, item in enumerate(resp.item_labels):
            (row,) = table.filter(organisation=org, group=FAMILIES[0], unit=item).rows()
            routed = resp.routing[members, i]
            population = resp.invited[o, members[routed]].sum()
            assert row["n_invited"] == population or row["suppressed"]
            x = resp.scores[rows, i]
            x = x[~np.isnan(x)]
            if row["suppressed"]:
                continue
            assert row["n"] == x.size
            if x.size == 0:
                continue
            low, high = wilson(int(np.sum(x >= 4)), x.size, population=population)
            assert row["positive"] == pytest.approx(np.mean(x >= 4))
            assert (row["positive_low"], row["positive_high"]) == pytest.approx((low, high))
            ref = mean_interval(x, population=population)
            assert row["mean"] == pytest.approx(ref.mean)
            assert row["mean_low"] == pytest.approx(ref.low, nan_ok=True)
            checked += 1
    assert checked > 10


def test_a_family_of_every_group_is_the_all_row(make_round):
    base = make_round(seed=2, n_orgs=4, n_groups=3, n_responses=300)
    resp = dataclasses.replace(base, family_labels=("Everyone",), group_family=np.zeros(3, int))
    table = analyse_round(resp)
    everyone = table.filter(group=ALL_STAKEHOLDERS)
    family = table.filter(group="Everyone")
    for column in ("n", "n_invited", "positive", "positive_low", "mean", "response_rate"):
        np.testing.assert_array_equal(getattr(family, column), getattr(everyone, column))
    np.testing.assert_array_equal(family.suppressed, everyone.suppressed)


def test_without_families_no_row_is_a_family(make_round):
    assert not analyse_round(make_round(seed=3)).is_family.any()


def _tree_rows(resp: RoundResponses) -> tuple[np.ndarray, np.ndarray]:
    """Leaf indicator per row of the group axis (all, groups, families) over the groups."""
    n_grp = len(resp.group_labels)
    rows = np.vstack((np.ones(n_grp), np.eye(n_grp), resp.family_member.T.astype(float)))
    return rows, np.arange(rows.shape[0])


def _in_row_space(rows: np.ndarray, vector: np.ndarray) -> bool:
    if rows.shape[0] == 0:
        return not vector.any()
    return int(np.linalg.matrix_rank(np.vstack((rows, vector)))) == int(np.linalg.matrix_rank(rows))


@pytest.mark.parametrize("seed", range(6))
def test_no_hidden_base_is_derivable_from_the_published_bases(seed, make_round):
    """For every organisation x unit: no hidden row (group, family or total) is a linear
    combination of published rows, so neither its base nor any additive statistic of it
    (positive answers, score sums) can be worked out; and what is hidden holds 0 or >= k."""
    resp = _with_families(make_round(seed=seed, n_orgs=4, n_groups=5, n_responses=220))
    table = analyse_round(resp, threshold=5)
    indicator, _ = _tree_rows(resp)
    labels = (ALL_STAKEHOLDERS, *resp.group_labels, *resp.family_labels)
    routed = (indicator @ resp.routed) > 0  # (rows, units)
    hidden_seen = 0
    for org in resp.organisation_labels:
        for u, unit in enumerate((*resp.domain_labels, *resp.item_labels)):
            cells = {r["group"]: r for r in table.filter(organisation=org, unit=unit).rows()}
            hidden = np.array([cells[label]["suppressed"] for label in labels])
            # a row the questionnaire does not ask the unit is known to be empty
            known = hidden & ~routed[:, u]
            published = indicator[~hidden | known]
            hidden &= ~known
            for h in np.flatnonzero(hidden):
                assert not _in_row_space(published, indicator[h]), (org, unit, labels[h])
                hidden_seen += 1
            for label in labels:
                n = cells[label]["n"]
                assert cells[label]["suppressed"] or n == 0 or n >= 5
    assert hidden_seen > 0


def test_a_family_with_few_responses_is_hidden_on_every_unit(make_round):
    base = make_round(seed=1, n_orgs=4, n_groups=5, n_responses=300)
    # the two smallest groups form a family; find an organisation where it has 1-4 responses
    resp = dataclasses.replace(
        base, family_labels=("Small",), group_family=np.array([-1, -1, -1, 0, 0])
    )
    sizes = np.bincount(resp.organisation[resp.group >= 3], minlength=4)
    small = [resp.organisation_labels[o] for o in range(4) if 0 < sizes[o] < 5]
    assert small, sizes
    table = analyse_round(resp)
    for org in small:
        rows = table.filter(organisation=org, group="Small")
        assert rows.suppressed.all()
        assert np.isnan(rows.response_rate).all()


def test_family_labels_must_not_clash_with_groups(make_round):
    base = make_round(seed=1, n_groups=3)
    with pytest.raises(ValueError, match="differ from the group labels"):
        dataclasses.replace(base, family_labels=("G0",), group_family=np.array([0, -1, -1]))
    with pytest.raises(ValueError, match="empty families"):
        dataclasses.replace(base, family_labels=("A", "B"), group_family=np.array([0, 0, -1]))
    with pytest.raises(ValueError, match="index family_labels"):
        dataclasses.replace(base, family_labels=("A",), group_family=np.array([0, 1, -1]))
