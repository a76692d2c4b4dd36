"""Local questions: items an organisation adds to its own stakeholders' questionnaire.

Each local question belongs to exactly one organisation and is asked of all
its stakeholders; it is reported for the organisation as a whole, never by
stakeholder group.  Entry point :func:`analyse_local_questions`.  The rules
are the engine's item rules (``docs/methods.md``, "Local questions"): the same
positive / negative definitions, "don't know" excluded from the base, the
Wilson(-FPC) interval and the threshold rule of disclosure control.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._estimation import _estimates
from ._results import ColumnTable
from ._validation import FloatArray, as_float, check_confidence, first_bad
from .disclosure import _suppress_matrix, check_threshold
from .responses import _check_answers, _check_cut_points

__all__ = ["LocalQuestionTable", "analyse_local_questions"]

BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class LocalQuestionTable(ColumnTable):
    """Results of local questions: equal-length, read-only column arrays, one row per question.

    Rows are in the order the questions were given.  Proportions are in
    [0, 1] (multiply by 100 to display); means are on the question's scale.
    Every number of a suppressed row is NaN, ``n`` included; a question with
    no scale answers has ``n == 0`` and NaN estimates.

    Attributes
    ----------
    question : ndarray of str
        The question labels, as given.
    n : ndarray of float
        Base: scale answers ("don't know" excluded).
    positive, positive_low, positive_high : ndarray of float
        % positive with its Wilson interval, with the finite population
        correction on the organisation's invited stakeholders unless it was
        switched off.
    negative : ndarray of float
        % negative.
    dont_know : ndarray of float
        % "don't know" among those who answered the question (scale answers
        plus don't know).
    mean : ndarray of float
        Mean score.
    suppressed : ndarray of bool
        True where 0 < n < threshold: the row is hidden by disclosure control.
    """

    question: NDArray[np.str_]
    n: FloatArray
    positive: FloatArray
    positive_low: FloatArray
    positive_high: FloatArray
    negative: FloatArray
    dont_know: FloatArray
    mean: FloatArray
    suppressed: BoolArray


def _check_labels(question_labels: Sequence[str], size: int) -> NDArray[np.str_]:
    """One label per column of scores; labels need not be unique (two organisations may
    ask the same wording)."""
    if isinstance(question_labels, str):
        raise ValueError(f"question_labels must be a sequence of labels, got {question_labels!r}")
    labels = [str(label) for label in question_labels]
    if len(labels) != size:
        raise ValueError(
            f"question_labels must have {size} entries (columns of scores), got {len(labels)}"
        )
    return np.asarray(labels, dtype=np.str_).reshape(size)


def _check_population(invited: ArrayLike, size: int) -> FloatArray:
    """Invited stakeholders of each question's organisation: integers >= 0, shape (Q,)."""
    big_n = as_float(invited, "invited")
    if big_n.shape != (size,):
        raise ValueError(f"invited must have shape ({size},), got {big_n.shape!r}")
    bad = ~np.isfinite(big_n) | (big_n < 0) | (big_n != np.round(big_n))
    if np.any(bad):
        raise ValueError(f"invited must hold integers >= 0, got {first_bad(big_n, bad)!r}")
    return big_n


def analyse_local_questions(
    scores: ArrayLike,
    dont_know: ArrayLike,
    question_labels: Sequence[str],
    positive_threshold: ArrayLike,
    negative_threshold: ArrayLike,
    invited: ArrayLike,
    threshold: int,
    confidence: float = 0.95,
    finite_population: bool = True,
) -> LocalQuestionTable:
    """% positive, % negative, % don't know and mean of each local question, suppressed.

    Parameters
    ----------
    scores : array_like of float, shape (R, Q)
        Scale answer per response and local question, higher is better.  NaN
        where there is no scale answer: "don't know", skipped, or a response
        about another organisation (which was not asked the question).
    dont_know : array_like of bool, shape (R, Q)
        True where the answer was "don't know".  ``scores`` must be NaN there.
    question_labels : sequence of str, length Q
        Labels of the questions (e.g. their wording), returned as given.
    positive_threshold : array_like of float, shape (Q,) or scalar
        A score >= this is positive (e.g. 4: top two of 1-5).
    negative_threshold : array_like of float, shape (Q,) or scalar
        A score <= this is negative; must be below ``positive_threshold``.
    invited : array_like of int, shape (Q,)
        Population N of each question's organisation: all its invited
        stakeholders, every group.  A count below the question's n (e.g.
        after invitations were purged) is raised to n.
    threshold : int
        Minimum publishable base k (>= 3), as for the round's items.
    confidence : float, optional
        Two-sided confidence level in (0, 1).  Default 0.95.
    finite_population : bool, optional
        Apply the finite population correction with ``invited`` (default
        True), which assumes the respondents are like a random sample of the
        organisation's invited stakeholders.

    Returns
    -------
    LocalQuestionTable
        One row per question.  A question with 0 < n < k is suppressed: every
        number is NaN.  A question with n == 0 is not suppressed (it reveals
        nothing): n is 0 and the estimates are NaN, except % don't know,
        which is shown when at least k people answered "don't know" (the
        engine's rule for all-don't-know cells).

    Raises
    ------
    ValueError
        If an argument is malformed, quoting the bad value: scores not 2-D
        or infinite, ``dont_know`` of another shape or True where a score is
        given, a label count other than Q, thresholds not broadcastable to
        (Q,), NaN, or negative >= positive, ``invited`` not (Q,) integers
        >= 0, ``threshold`` below 3, ``confidence`` outside (0, 1).

    Notes
    -----
    These are the item rules of :func:`analysis.analyse_round`, computed by
    the same helpers: positive means ``score >= positive_threshold``,
    negative ``score <= negative_threshold``, don't know is excluded from n
    and the same n is used for the interval, the finite population
    correction and suppression.  The interval is Wilson's score interval on
    n_eff = n (N - 1) / (N - n) (the observed proportion at n == N), with
    exact limits 0 and 1 when no one or everyone is positive.  There is no
    complementary suppression: nothing is published below the organisation.

    References
    ----------
    .. [1] Wilson EB (1927). JASA 22:209-212.
    .. [2] Newcombe RG (1998). Stat Med 17:857-872 (method 3).
    .. [3] Cochran WG (1977). Sampling Techniques, 3rd ed., ch. 3 (finite
       population correction).
    .. [4] Hundepool A et al. (2012). Statistical Disclosure Control. Wiley, ch. 4.

    Examples
    --------
    >>> import numpy as np
    >>> from analysis import analyse_local_questions
    >>> scores = np.array([[5.0], [4.0], [2.0], [np.nan], [4.0], [3.0]])
    >>> dk = np.isnan(scores)
    >>> table = analyse_local_questions(scores, dk, ["Local Q1"], 4, 2, [8], threshold=5)
    >>> float(table.n[0]), round(float(table.positive[0]), 2)
    (5.0, 0.6)
    """
    k = check_threshold(threshold)
    conf = check_confidence(confidence)
    x, dk = _check_answers(scores, dont_know, columns="questions")
    size = x.shape[1]
    labels = _check_labels(question_labels, size)
    positive_at, negative_at = _check_cut_points(positive_threshold, negative_threshold, size)
    big_n = _check_population(invited, size)

    # Sufficient statistics per question, as the engine forms them for items.
    valid = ~np.isnan(x)
    x0 = np.where(valid, x, 0.0)
    n = valid.sum(axis=0).astype(np.float64)
    pos = (valid & (x0 >= positive_at)).sum(axis=0).astype(np.float64)
    neg = (valid & (x0 <= negative_at)).sum(axis=0).astype(np.float64)
    total = x0.sum(axis=0)
    total_sq = (x0 * x0).sum(axis=0)
    asked = n + dk.sum(axis=0)
    population = np.maximum(big_n, n) if finite_population else np.full(size, np.nan)
    est = _estimates(
        n, pos, pos, neg, total, total_sq, population, np.zeros(size, dtype=bool), conf
    )

    # Threshold rule: each question is a partition of one cell with no published total.
    counts = np.rint(n).astype(np.int64)[:, None]
    hidden = _suppress_matrix(counts, k, total_published=False)[0][:, 0]
    has_data = ~hidden & (n > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        dont_know_share = np.where(asked > 0, (asked - n) / asked, np.nan)
    dk_shown = has_data | (~hidden & (asked >= k))

    def show(values: FloatArray) -> FloatArray:
        return np.where(has_data, values, np.nan)

    return LocalQuestionTable(
        question=labels,
        n=np.where(hidden, np.nan, n),
        positive=show(est.prop),
        positive_low=show(est.low),
        positive_high=show(est.high),
        negative=show(est.negative),
        dont_know=np.where(dk_shown, dont_know_share, np.nan),
        mean=show(est.mean),
        suppressed=hidden,
    )
