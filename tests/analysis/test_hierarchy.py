"""Complementary suppression along total > families > groups: nothing hidden can be derived.

The checks do not reuse the engine's rule: they attack the published cells the way a reader
would (parent minus its published children, a total minus the published cells of any level)
and, on small trees, enumerate the tree's sum equations and test with a rank computation that
no hidden cell, and no union of hidden groups below k, lies in the row space of the published
cells.  The equations do not depend on the statistic, so what holds for the counts holds for
every additive statistic of the cells (positive answers, score sums).
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.disclosure import _suppress_matrix
from analysis.hierarchy import suppress_hierarchy

K = 5


@st.composite
def trees(draw: st.DrawFn, max_nodes: int = 10, max_count: int = 14) -> tuple:
    """A random tree (parent[i] < i, root 0), leaf counts summed up the tree, forced leaves."""
    size = draw(st.integers(2, max_nodes))
    parent = [-1] + [draw(st.integers(0, i - 1)) for i in range(1, size)]
    is_leaf = [i not in parent for i in range(size)]
    counts = [draw(st.integers(0, max_count)) if is_leaf[i] else 0 for i in range(size)]
    for i in range(size - 1, 0, -1):  # children have larger indices than their parent
        counts[parent[i]] += counts[i]
    forced = [is_leaf[i] and draw(st.booleans()) and draw(st.booleans()) for i in range(size)]
    return np.array(parent), np.array(counts), np.array(forced)


def _leaves_under(parent: np.ndarray) -> np.ndarray:
    """Indicator (nodes x leaves) of the leaves below each node."""
    size = len(parent)
    leaves = [i for i in range(size) if i not in parent]
    out = np.zeros((size, len(leaves)))
    for j, leaf in enumerate(leaves):
        u = leaf
        while u != -1:
            out[u, j] = 1
            u = parent[u]
    return out


def _children(parent: np.ndarray, v: int) -> list[int]:
    return [i for i, p in enumerate(parent) if p == v]


def _in_row_space(rows: np.ndarray, vector: np.ndarray) -> bool:
    if rows.shape[0] == 0:
        return not vector.any()
    r = np.linalg.matrix_rank(rows)
    return int(np.linalg.matrix_rank(np.vstack((rows, vector)))) == int(r)


def _hidden(parent, counts, forced) -> np.ndarray:
    return suppress_hierarchy(counts[None, :], parent, K, forced[None, :])[0]


@settings(max_examples=400, deadline=None)
@given(trees())
def test_small_and_forced_cells_are_hidden(tree):
    parent, counts, forced = tree
    hidden = _hidden(parent, counts, forced)
    assert np.all(hidden[(counts > 0) & (counts < K)])
    assert np.all(hidden[forced])


@settings(max_examples=400, deadline=None)
@given(trees())
def test_parent_minus_published_children_reveals_no_hidden_cell(tree):
    parent, counts, forced = tree
    hidden = _hidden(parent, counts, forced)
    for v in range(len(parent)):
        kids = _children(parent, v)
        if not kids:
            continue
        hidden_kids = [c for c in kids if hidden[c]]
        if not hidden[v]:
            # v minus its published children is the sum of the hidden ones: never one cell,
            # never fewer than k people
            assert len(hidden_kids) != 1
            if hidden_kids:
                assert counts[hidden_kids].sum() >= K
        else:
            # the published children must not add up to the hidden parent
            assert hidden_kids


@settings(max_examples=400, deadline=None)
@given(trees())
def test_total_minus_published_cells_of_any_level_reveals_no_hidden_cell(tree):
    """Cut the tree below each published cell at every depth: the cells at that depth (and
    the leaves above it) partition its respondents; those not published are revealed
    together by subtraction, so they must be none, or two or more holding >= k."""
    parent, counts, forced = tree
    hidden = _hidden(parent, counts, forced)
    depth = np.zeros(len(parent), dtype=int)
    for i in range(1, len(parent)):
        depth[i] = depth[parent[i]] + 1
    for top in np.flatnonzero(~hidden):
        below = [i for i in range(len(parent)) if i != top and _has_ancestor(parent, i, top)]
        for d in range(depth[top] + 1, depth.max() + 1):
            cut = [i for i in below if depth[i] == d or (depth[i] < d and i not in parent)]
            secret = [i for i in cut if hidden[i]]
            assert len(secret) != 1, (top, d, cut)
            if secret:
                assert counts[secret].sum() >= K


def _has_ancestor(parent: np.ndarray, node: int, ancestor: int) -> bool:
    u = parent[node]
    while u != -1:
        if u == ancestor:
            return True
        u = parent[u]
    return False


@settings(max_examples=300, deadline=None)
@given(trees(max_nodes=9))
def test_no_hidden_cell_is_a_linear_combination_of_published_cells(tree):
    """Brute force: the published cells' leaf indicators span everything a reader can derive."""
    parent, counts, forced = tree
    hidden = _hidden(parent, counts, forced)
    under = _leaves_under(parent)
    published = under[~hidden]
    for h in np.flatnonzero(hidden):
        assert not _in_row_space(published, under[h]), f"cell {h} is derivable"
    # no union of hidden groups is derivable with fewer than k respondents
    leaves = [i for i in range(len(parent)) if i not in parent]
    secret = [j for j, leaf in enumerate(leaves) if hidden[leaf]]
    leaf_counts = counts[leaves]
    for size in range(1, len(secret) + 1):
        for subset in combinations(secret, size):
            vector = np.zeros(len(leaves))
            vector[list(subset)] = 1
            if _in_row_space(published, vector):
                assert leaf_counts[list(subset)].sum() >= K, subset


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 14), min_size=1, max_size=8))
def test_a_flat_tree_is_the_single_partition_rule(values):
    """With no families the rule is the one-partition rule the engine already used."""
    counts = np.array([[sum(values), *values]])
    parent = np.array([-1] + [0] * len(values))
    flat, total_hidden = _suppress_matrix(counts[:, 1:], K)
    hidden = suppress_hierarchy(counts, parent, K)
    assert hidden[0, 1:].tolist() == flat[0].tolist()
    assert bool(hidden[0, 0]) == bool(total_hidden[0])


def test_a_hidden_group_is_not_the_family_minus_its_published_siblings():
    # total; family 1 = groups 2 (2 people) + 3 (10); family 4 = groups 5 + 6
    parent = [-1, 0, 1, 1, 0, 4, 4]
    hidden = suppress_hierarchy([[50, 12, 2, 10, 38, 18, 20]], parent)[0]
    assert hidden.tolist() == [False, False, True, True, False, False, False]


def test_a_small_family_takes_a_sibling_family_and_one_of_its_groups_along():
    # family 1 (4 people) is hidden; the total minus family 4 would give it, so family 4 is
    # hidden too, and then one of its groups, or family 4 = its groups 5 + 6.
    parent = [-1, 0, 1, 1, 0, 4, 4]
    hidden = suppress_hierarchy([[30, 4, 3, 1, 26, 6, 20]], parent)[0]
    assert hidden.tolist() == [False, True, True, True, True, True, False]


def test_a_group_outside_families_protects_a_small_family():
    parent = [-1, 0, 1, 1, 0, 4, 4, 0]
    hidden = suppress_hierarchy([[60, 4, 4, 0, 40, 20, 20, 16]], parent)[0]
    # group 7 (16, outside families) is smaller than family 4 (40), so it is taken
    assert hidden.tolist() == [False, True, True, False, False, False, False, True]


def test_a_forced_group_with_no_answers_on_the_item_is_protected():
    parent = [-1, 0, 1, 1, 0]
    forced = [[False, False, True, False, False]]
    hidden = suppress_hierarchy([[30, 10, 0, 10, 20]], parent, forced=forced)[0]
    # family 1 minus group 3 would show group 2 gave no answer, so group 3 is hidden too
    assert hidden.tolist() == [False, False, True, True, False]


def test_a_total_below_the_threshold_hides_everything_with_people():
    parent = [-1, 0, 1, 1, 0]
    hidden = suppress_hierarchy([[4, 3, 3, 0, 1]], parent)[0]
    assert hidden.tolist() == [True, True, True, False, True]


def test_many_tables_at_once_match_one_at_a_time():
    rng = np.random.default_rng(3)
    parent = np.array([-1, 0, 0, 0, 1, 1, 2, 2, 2, 0])
    leaves = rng.integers(0, 9, (200, 10))
    counts = np.zeros((200, 10), dtype=np.int64)
    for i in (4, 5, 6, 7, 8, 9, 3):
        counts[:, i] = leaves[:, i]
    counts[:, 1] = counts[:, 4] + counts[:, 5]
    counts[:, 2] = counts[:, 6:9].sum(axis=1)
    counts[:, 0] = counts[:, [1, 2, 3, 9]].sum(axis=1)
    together = suppress_hierarchy(counts, parent)
    for row in range(200):
        alone = suppress_hierarchy(counts[row : row + 1], parent)[0]
        assert together[row].tolist() == alone.tolist()


@pytest.mark.parametrize(
    ("counts", "parent", "message"),
    [
        ([[3, 1, 1]], [-1, 0, 0], "sum of its children"),
        ([[2, 1, 1]], [-1, -1, 0], "exactly one root"),
        ([[2, 1, 1]], [1, 2, 0], "exactly one root"),
        ([[2, 1, 1]], [-1, 2, 1], "cycle"),
        ([[2, -1, 3]], [-1, 0, 0], "integers >= 0"),
        ([[2, 1]], [-1, 0, 0], "shape"),
    ],
)
def test_bad_input_is_refused(counts, parent, message):
    with pytest.raises(ValueError, match=message):
        suppress_hierarchy(counts, parent)
