"""Tests for analysis.disclosure: threshold and complementary suppression."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.disclosure import _suppress_matrix, comments_visible, suppress


def _safe(cells: dict[str, int], hidden: set[str], k: int) -> bool:
    """No hidden group, nor any union of hidden groups below k, is total - shown."""
    informative = [g for g in hidden if cells[g] > 0]
    if not informative:
        return True
    total = sum(cells.values())
    if total < k:
        return True  # the total is hidden too, so nothing can be subtracted
    return len(informative) >= 2 and sum(cells[g] for g in informative) >= k


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        # One small group: the next smallest is hidden with it (GPPS "next-lowest" rule).
        ({"GP": 20, "CQC": 1, "Healthwatch": 6, "Provider": 9}, {"CQC", "Healthwatch"}),
        # Two small groups summing below k: add the smallest remaining.
        ({"GP": 20, "CQC": 1, "HW": 2, "P": 9}, {"CQC", "HW", "P"}),
        # Two small groups summing to >= k protect each other.
        ({"GP": 20, "CQC": 3, "HW": 4}, {"CQC", "HW"}),
        # Nothing small: nothing hidden.
        ({"GP": 20, "HW": 5}, set()),
        # Empty groups reveal nothing and are never returned.
        ({"GP": 30, "CQC": 0}, set()),
        ({"GP": 30, "CQC": 0, "HW": 2, "LA": 7}, {"HW", "LA"}),
        # Ties broken by the given order.
        ({"A": 9, "B": 9, "C": 2}, {"A", "C"}),
        # Total below k: every non-empty group (and the caller hides the total).
        ({"GP": 3, "CQC": 1, "X": 0}, {"GP", "CQC"}),
        ({}, set()),
    ],
)
def test_suppress_examples(cells, expected):
    assert suppress(cells) == expected
    assert _safe(cells, expected, 5)


def test_suppress_without_published_total_hides_only_primary_cells():
    assert suppress({"GP": 30, "CQC": 4}, total_published=False) == {"CQC"}
    assert suppress({"GP": 30, "CQC": 4}) == {"CQC", "GP"}


def test_suppress_threshold_ten():
    assert suppress({"GP": 40, "LA": 9, "HW": 12, "P": 30}, threshold=10) == {"LA", "HW"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cells": {"GP": -1}}, r"count for group 'GP' must be an integer >= 0, got -1"),
        ({"cells": {"GP": 2.5}}, r"got 2\.5"),
        ({"cells": {"GP": 2}, "threshold": 2}, r"threshold must be an integer >= 3, got 2"),
    ],
)
def test_suppress_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        suppress(**kwargs)


@given(
    st.dictionaries(
        st.text(alphabet="abcdefghij", min_size=1, max_size=3),
        st.integers(min_value=0, max_value=40),
        max_size=10,
    ),
    st.integers(min_value=3, max_value=12),
)
@settings(max_examples=500, deadline=None)
def test_suppression_can_never_be_undone_by_subtraction(cells, k):
    hidden = suppress(cells, threshold=k)
    assert hidden <= set(cells)
    # Every primary cell is hidden, no empty cell is returned.
    assert {g for g, n in cells.items() if 0 < n < k} <= hidden
    assert all(cells[g] > 0 for g in hidden)
    assert _safe(cells, hidden, k)
    # Minimal in the greedy sense: dropping the largest complementary cell breaks safety.
    complementary = sorted((cells[g], g) for g in hidden if cells[g] >= k)
    if complementary:
        largest = complementary[-1][1]
        assert not _safe(cells, hidden - {largest}, k)


def test_matrix_version_matches_mapping_version_row_by_row():
    rng = np.random.default_rng(31)
    counts = rng.integers(0, 12, (500, 8)) * (rng.random((500, 8)) < 0.8)
    hidden, total_hidden = _suppress_matrix(counts, 5)
    for row, h, th in zip(counts, hidden, total_hidden, strict=True):
        cells = {f"g{i}": int(c) for i, c in enumerate(row)}
        assert {f"g{i}" for i in np.flatnonzero(h)} == suppress(cells)
        assert th == (0 < row.sum() < 5)


def test_forced_cells_are_hidden_and_protected():
    counts = np.array([[20, 3, 0, 9]])
    forced = np.array([[False, False, True, False]])
    hidden, _ = _suppress_matrix(counts, 5, True, forced)
    assert hidden.tolist() == [[False, True, True, True]]


def test_comments_visible():
    assert comments_visible(10) is True
    assert comments_visible(9) is False
    np.testing.assert_array_equal(
        comments_visible([12, 12, np.nan, 30], suppressed=[False, True, False, False]),
        [True, False, False, True],
    )
    with pytest.raises(ValueError, match=r"threshold must be an integer >= 3, got 1"):
        comments_visible(5, threshold=1)
