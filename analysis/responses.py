"""The input contract of the round analysis: :class:`RoundResponses`.

Plain arrays, one row per response; the web layer converts database rows
once.  Everything is validated here, with messages quoting the bad value, so
the analysis itself can assume consistent input.  The checks on scores,
"don't know" flags and positive / negative thresholds are shared with
:func:`analysis.analyse_local_questions`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import FloatArray, first_bad

__all__ = ["ALL_STAKEHOLDERS", "RoundResponses"]

ALL_STAKEHOLDERS = "All stakeholders"
"""Group label of the row pooling every stakeholder group of an organisation."""

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


def _labels(values: Sequence[str], name: str) -> tuple[str, ...]:
    out = tuple(str(v) for v in values)
    if len(set(out)) != len(out):
        dupes = sorted({v for v in out if out.count(v) > 1})
        raise ValueError(f"{name} must be unique, got duplicates {dupes!r}")
    return out


def _codes(values: ArrayLike, size: int, length: int, name: str, labels: str) -> IntArray:
    arr = np.asarray(values)
    if arr.shape != (length,):
        raise ValueError(f"{name} must have shape ({length},), got {arr.shape!r}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{name} must hold integer codes, got dtype {arr.dtype!s}")
    codes = arr.astype(np.int64)
    bad = (codes < 0) | (codes >= size)
    if np.any(bad):
        raise ValueError(
            f"{name} codes must index {labels} (0..{size - 1}), got {first_bad(codes, bad)!r}"
        )
    return codes


def _check_answers(
    scores: ArrayLike, dont_know: ArrayLike, columns: str = "items"
) -> tuple[FloatArray, BoolArray]:
    """Scores as a 2-D float array (NaN: no scale answer) and the matching don't-know flags."""
    x = np.asarray(scores, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"scores must be 2-D (responses x {columns}), got shape {x.shape!r}")
    infinite = np.isinf(x)
    if np.any(infinite):
        raise ValueError(f"scores must be finite or NaN, got {first_bad(x, infinite)!r}")
    dk = np.asarray(dont_know)
    if dk.shape != x.shape:
        raise ValueError(f"dont_know must have shape {x.shape!r}, got {dk.shape!r}")
    dk = dk.astype(bool)
    both = dk & ~np.isnan(x)
    if np.any(both):
        raise ValueError(f"scores must be NaN where dont_know is True, got {first_bad(x, both)!r}")
    return x, dk


def _check_cut_points(
    positive_threshold: ArrayLike, negative_threshold: ArrayLike, size: int
) -> tuple[FloatArray, FloatArray]:
    """Per-column positive and negative thresholds, broadcast to ``(size,)``.

    A score >= the positive threshold is positive, a score <= the negative
    threshold negative, so the negative threshold must be below the positive.
    """
    cuts = []
    for name, value in (
        ("positive_threshold", positive_threshold),
        ("negative_threshold", negative_threshold),
    ):
        arr = np.asarray(value, dtype=np.float64)
        try:
            t = np.broadcast_to(arr, (size,)).copy()
        except ValueError:
            raise ValueError(
                f"{name} must be a number or have shape ({size},), got shape {arr.shape!r}"
            ) from None
        if np.any(np.isnan(t)):
            raise ValueError(f"{name} must not be NaN, got {value!r}")
        cuts.append(t)
    positive, negative = cuts
    bad = negative >= positive
    if np.any(bad):
        raise ValueError(
            "negative_threshold must be below positive_threshold, got "
            f"{first_bad(negative, bad)!r} >= {first_bad(positive, bad)!r}"
        )
    return positive, negative


def _check_invited(
    invited: ArrayLike,
    organisation: IntArray,
    group: IntArray,
    organisations: tuple[str, ...],
    groups: tuple[str, ...],
) -> IntArray:
    """Invited counts (O, G): integers >= 0 and never below the responses of the cell."""
    arr = np.asarray(invited)
    shape = (len(organisations), len(groups))
    if arr.shape != shape:
        raise ValueError(f"invited must have shape {shape!r}, got {arr.shape!r}")
    if arr.size and (np.any(arr < 0) or np.any(arr != np.round(arr))):
        raise ValueError(f"invited must hold integers >= 0, got {arr.ravel()[:5]!r}...")
    counts = arr.astype(np.int64)
    responses = np.bincount(organisation * len(groups) + group, minlength=counts.size).reshape(
        shape
    )
    over = responses > counts
    if np.any(over):
        o, g = np.argwhere(over)[0]
        raise ValueError(
            f"invited must be >= responses per organisation and group, got invited="
            f"{int(counts[o, g])} with {int(responses[o, g])} responses for "
            f"{organisations[o]!r} / {groups[g]!r}"
        )
    return counts


def _check_routing(
    routing: ArrayLike | None,
    scores: NDArray[np.float64],
    dont_know: BoolArray,
    group: IntArray,
    groups: tuple[str, ...],
    items: tuple[str, ...],
) -> BoolArray:
    """Routing (G, I): which groups the questionnaire asks each item; None routes every group.

    No response may answer (or say "don't know" to) an item its group is not
    routed to: the item's population would then leave out a respondent.
    """
    shape = (len(groups), len(items))
    if routing is None:
        return np.ones(shape, dtype=bool)
    arr = np.asarray(routing)
    if arr.shape != shape:
        raise ValueError(f"routing must have shape {shape!r} (groups x items), got {arr.shape!r}")
    if arr.size and arr.dtype != np.bool_:
        raise ValueError(f"routing must hold booleans, got dtype {arr.dtype!s}")
    routed = arr.astype(bool)
    stray = (~np.isnan(scores) | dont_know) & ~routed[group]
    if np.any(stray):
        r, i = np.argwhere(stray)[0]
        raise ValueError(
            f"routing does not route group {groups[group[r]]!r} to item {items[i]!r}, "
            f"but response {int(r)} answered it"
        )
    return routed


def _check_families(
    group_family: ArrayLike | None, families: tuple[str, ...], groups: tuple[str, ...]
) -> IntArray:
    """Family code per group (-1: in no family); every family holds at least one group."""
    clash = sorted(set(families) & {ALL_STAKEHOLDERS, *groups})
    if clash:
        raise ValueError(f"family_labels must differ from the group labels, got {clash!r}")
    if group_family is None:
        if families:
            raise ValueError("group_family must be given with family_labels")
        return np.full(len(groups), -1, dtype=np.int64)
    arr = np.asarray(group_family)
    if arr.shape != (len(groups),):
        raise ValueError(f"group_family must have shape ({len(groups)},), got {arr.shape!r}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"group_family must hold integer codes, got dtype {arr.dtype!s}")
    codes = arr.astype(np.int64)
    bad = (codes < -1) | (codes >= len(families))
    if np.any(bad):
        raise ValueError(
            f"group_family codes must index family_labels or be -1, got {first_bad(codes, bad)!r}"
        )
    empty = [f for i, f in enumerate(families) if not np.any(codes == i)]
    if empty:
        raise ValueError(f"every family must hold a group, got empty families {empty!r}")
    return codes


@dataclass(frozen=True)
class RoundResponses:
    """One survey round's responses, as arrays (the input contract of :func:`analyse_round`).

    One row per response: a stakeholder's answers about one organisation.

    Parameters
    ----------
    scores : ndarray of float, shape (R, I)
        Scale answer per response and item, on a scale where higher is
        better (e.g. 1-5, 5 best).  NaN where there is no scale answer: not
        routed, skipped, or "don't know".
    dont_know : ndarray of bool, shape (R, I)
        True where the answer was "don't know" / "not applicable".  ``scores``
        must be NaN there.
    item_labels : sequence of str, length I
        Stable item identifiers (used to match the previous round).
    item_domain : ndarray of int, shape (I,)
        Domain code of each item, indexing ``domain_labels``.
    domain_labels : sequence of str, length D
    organisation : ndarray of int, shape (R,)
        Assessed organisation of each response, indexing ``organisation_labels``.
    organisation_labels : sequence of str, length O
    organisation_kind : ndarray of int, shape (O,)
        Kind of each organisation (e.g. CCG / direct commissioning), indexing
        ``kind_labels``.  An organisation's benchmark is every other
        organisation of the same kind.
    group : ndarray of int, shape (R,)
        Stakeholder group of each response, indexing ``group_labels``.
    group_labels : sequence of str, length G
        Must not contain ``"All stakeholders"``.
    invited : ndarray of int, shape (O, G)
        Stakeholders invited per organisation and group (the finite
        population N; also the response-rate denominator).  Must be >= the
        number of responses in the cell.
    kind_labels : sequence of str, optional
        Default ``("commissioner",)``: every organisation is of one kind.
    positive_threshold : float or ndarray of float, shape (I,), optional
        A score >= this is "positive" (default 4: top two of 1-5).
    negative_threshold : float or ndarray of float, shape (I,), optional
        A score <= this is "negative" (default 2: bottom two of 1-5).
    routing : ndarray of bool, shape (G, I), optional
        Whether the questionnaire asks each group each item (its routing,
        not who happened to answer).  The finite population N of a pooled
        cell is the invited count summed over the groups routed to the unit
        (a domain: to any of its items).  Default: every group is asked
        every item.  No response may answer an item its group is not routed to.
    family_labels : sequence of str, length F, optional
        Reporting families of stakeholder groups (e.g. "NHS partners"), reported
        beside the groups; labels must differ from the group labels.
    group_family : ndarray of int, shape (G,), optional
        Family code of each group, indexing ``family_labels``; -1 for a group
        in no family.  A group belongs to at most one family.

    Raises
    ------
    ValueError
        On any inconsistency, quoting the bad value.
    """

    scores: NDArray[np.float64]
    dont_know: NDArray[np.bool_]
    item_labels: tuple[str, ...]
    item_domain: IntArray
    domain_labels: tuple[str, ...]
    organisation: IntArray
    organisation_labels: tuple[str, ...]
    organisation_kind: IntArray
    group: IntArray
    group_labels: tuple[str, ...]
    invited: IntArray
    kind_labels: tuple[str, ...] = ("commissioner",)
    positive_threshold: NDArray[np.float64] | float = 4.0
    negative_threshold: NDArray[np.float64] | float = 2.0
    routing: NDArray[np.bool_] | None = None
    family_labels: tuple[str, ...] = ()
    group_family: IntArray | None = None

    def __post_init__(self) -> None:
        # Frozen: each validated, normalised value is stored once, here.
        put: Callable[[str, object], None] = lambda k, v: object.__setattr__(self, k, v)  # noqa: E731
        scores, dk = _check_answers(self.scores, self.dont_know)
        r, i = scores.shape
        items = _labels(self.item_labels, "item_labels")
        if len(items) != i:
            raise ValueError(
                f"item_labels must have {i} entries (columns of scores), got {len(items)}"
            )
        domains = _labels(self.domain_labels, "domain_labels")
        orgs = _labels(self.organisation_labels, "organisation_labels")
        groups = _labels(self.group_labels, "group_labels")
        if ALL_STAKEHOLDERS in groups:
            raise ValueError(f"group_labels must not contain the reserved {ALL_STAKEHOLDERS!r}")
        kinds = _labels(self.kind_labels, "kind_labels")
        put("scores", scores)
        put("dont_know", dk)
        put("item_labels", items)
        put("domain_labels", domains)
        put("organisation_labels", orgs)
        put("group_labels", groups)
        put("kind_labels", kinds)
        put(
            "item_domain", _codes(self.item_domain, len(domains), i, "item_domain", "domain_labels")
        )
        put(
            "organisation",
            _codes(self.organisation, len(orgs), r, "organisation", "organisation_labels"),
        )
        put("group", _codes(self.group, len(groups), r, "group", "group_labels"))
        put(
            "organisation_kind",
            _codes(
                self.organisation_kind, len(kinds), len(orgs), "organisation_kind", "kind_labels"
            ),
        )
        positive, negative = _check_cut_points(self.positive_threshold, self.negative_threshold, i)
        put("positive_threshold", positive)
        put("negative_threshold", negative)
        put("invited", _check_invited(self.invited, self.organisation, self.group, orgs, groups))
        put("routing", _check_routing(self.routing, scores, dk, self.group, groups, items))
        families = _labels(self.family_labels, "family_labels")
        put("family_labels", families)
        put("group_family", _check_families(self.group_family, families, groups))

    @property
    def family_member(self) -> BoolArray:
        """Membership of each group in each family, shape (G, F)."""
        assert self.group_family is not None  # set in __post_init__
        member: BoolArray = self.group_family[:, None] == np.arange(len(self.family_labels))
        return member

    @property
    def cell_parent(self) -> IntArray:
        """The reporting tree over the rows "All stakeholders", groups, families.

        Parent index of each row (-1 for the all row): a group's family row, or the
        all row for a group in no family; a family's parent is the all row.
        """
        assert self.group_family is not None  # set in __post_init__
        n_grp = len(self.group_labels)
        groups = np.where(self.group_family >= 0, 1 + n_grp + self.group_family, 0)
        families = np.zeros(len(self.family_labels), dtype=np.int64)
        return np.concatenate(([-1], groups, families)).astype(np.int64)

    @property
    def routed(self) -> BoolArray:
        """Routing per group and unit, shape (G, D + I): domains (any item routed), then items."""
        assert self.routing is not None  # set in __post_init__
        member = np.zeros((self.n_items, len(self.domain_labels)), dtype=bool)
        member[np.arange(self.n_items), self.item_domain] = True
        domains = (self.routing.astype(np.int64) @ member.astype(np.int64)) > 0
        return np.concatenate((domains, self.routing), axis=1)

    @property
    def n_items(self) -> int:
        """Number of items I."""
        return int(self.scores.shape[1])
