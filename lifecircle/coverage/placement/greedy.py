"""Heuristic solvers: lazy greedy and 1-swap local search, vectorised over CSR matrices.

The covering objective ``f(S)`` (weight of demand reached by at least one site of ``S``)
is monotone submodular, so plain greedy keeps the ``1 - 1/e`` guarantee and lazy
evaluation (Minoux's accelerated greedy) returns exactly the same sets, faster.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Sequence

import numpy as np
from scipy import sparse

from lifecircle.typing import BoolArray, FloatArray, IndexArray

__all__ = [
    "MAX_SWAPS",
    "greedy_cover",
    "improve_by_swaps",
    "marginal_gains",
    "max_covering_upper_bound",
    "rank_selection",
    "set_cover_lower_bound",
]

_EPS = 1e-9

#: Default cap on the swaps of :func:`improve_by_swaps`. Each swap strictly improves the
#: covered weight, so the search usually stops at a local optimum long before this.
MAX_SWAPS = 1000


def marginal_gains(
    by_candidate: sparse.csr_array, weights: FloatArray, covered: BoolArray
) -> FloatArray:
    """Weight each candidate would newly cover given the ``covered`` demand mask."""
    gains: FloatArray = by_candidate @ np.where(covered, 0.0, weights)
    return gains


def greedy_cover(
    by_candidate: sparse.csr_array,
    weights: FloatArray,
    *,
    k: int | None = None,
    target_weight: float | None = None,
    covered: BoolArray | None = None,
) -> tuple[list[int], list[float]]:
    """Lazy greedy: add the candidate with the largest marginal gain until a stop rule.

    Parameters
    ----------
    by_candidate : scipy.sparse.csr_array
        ``(candidate x demand)`` boolean coverage (the transpose of the model matrix).
    weights : numpy.ndarray
        Demand weights (non-negative).
    k : int, optional
        Stop after ``k`` sites.
    target_weight : float, optional
        Stop as soon as the covered weight reaches this value.
    covered : numpy.ndarray, optional
        Demand already covered (not counted as gain). Not modified.

    Returns
    -------
    order, gains : list of int, list of float
        Chosen candidate rows in order and the weight each added. Stops early when no
        candidate adds any weight.
    """
    remaining = np.asarray(weights, dtype=float).copy()
    if covered is not None:
        remaining[covered] = 0.0
    indptr, indices = by_candidate.indptr, by_candidate.indices
    first = by_candidate @ remaining
    heap = [(-g, j) for j, g in enumerate(first) if g > _EPS]
    heapq.heapify(heap)
    order: list[int] = []
    gains: list[float] = []
    total = 0.0
    while heap and (k is None or len(order) < k):
        if target_weight is not None and total >= target_weight - _EPS:
            break
        _, j = heapq.heappop(heap)
        rows = indices[indptr[j] : indptr[j + 1]]
        gain = float(remaining[rows].sum())
        if gain <= _EPS:
            continue
        if heap and gain < -heap[0][0] - _EPS:
            heapq.heappush(heap, (-gain, j))
            continue
        order.append(j)
        gains.append(gain)
        total += gain
        remaining[rows] = 0.0
    return order, gains


def _best_swap(
    coverage: sparse.csr_array,
    by_candidate: sparse.csr_array,
    weights: FloatArray,
    count: IndexArray,
    selected: list[int],
    movable: Sequence[int],
) -> tuple[float, int, int]:
    """Return ``(delta, position, candidate)`` of the best single swap (delta <= 0: none).

    Swapping out the site at ``position`` loses its *critical* demand (covered by no other
    selected site) and lets a candidate gain the uncovered demand plus that critical
    demand. One sparse product gives the gain of every candidate for every position.
    """
    n_dem, n_sel = coverage.shape[0], len(selected)
    base = by_candidate @ np.where(count == 0, weights, 0.0)
    indptr, indices = by_candidate.indptr, by_candidate.indices
    rows = np.concatenate([indices[indptr[j] : indptr[j + 1]] for j in selected])
    owner = np.repeat(np.arange(n_sel), [indptr[j + 1] - indptr[j] for j in selected])
    critical = count[rows] == 1
    rows, owner = rows[critical], owner[critical]
    loss = np.bincount(owner, weights=weights[rows], minlength=n_sel)
    # (positions x demand) @ (demand x candidates): work only on the critical rows
    lost = sparse.csr_array((weights[rows], (owner, rows)), shape=(n_sel, n_dem))
    gains = (lost @ coverage).toarray().T + base[:, None]
    gains[selected, :] = -np.inf
    best_cand = np.argmax(gains, axis=0)
    best = (0.0, -1, -1)
    for pos in movable:
        cand = int(best_cand[pos])
        delta = float(gains[cand, pos]) - float(loss[pos])
        if delta > best[0] + _EPS * max(1.0, float(loss[pos])):
            best = (delta, pos, cand)
    return best


def improve_by_swaps(
    coverage: sparse.csr_array,
    weights: FloatArray,
    selected: Sequence[int],
    *,
    fixed: int = 0,
    max_swaps: int = MAX_SWAPS,
    time_budget_s: float | None = None,
    by_candidate: sparse.csr_array | None = None,
) -> list[int]:
    """Best-improvement 1-swap local search for the covering objective.

    Repeatedly replaces one selected site with the unselected candidate that increases
    the covered weight the most, until no swap helps or ``max_swaps`` swaps were made.
    The answer depends on the input only (not on machine load) unless a
    ``time_budget_s`` is given as well.

    Parameters
    ----------
    coverage : scipy.sparse.csr_array
        ``(demand x candidate)`` boolean coverage.
    weights : numpy.ndarray
        Demand weights.
    selected : sequence of int
        Starting selection (column indices).
    fixed : int
        The first ``fixed`` entries of ``selected`` are never swapped out.
    max_swaps : int
        Stop after this many swaps (each one strictly improves the covered weight).
    time_budget_s : float, optional
        Also stop after this many seconds (checked between swaps). Off by default: a
        wall-clock limit makes the answer depend on how loaded the machine is.
    by_candidate : scipy.sparse.csr_array, optional
        Precomputed transpose of ``coverage`` in CSR form.

    Returns
    -------
    list of int
        The improved selection (same length).
    """
    selected = list(selected)
    if len(selected) <= fixed or len(selected) >= coverage.shape[1]:
        return selected
    by_candidate = by_candidate if by_candidate is not None else sparse.csr_array(coverage.T)
    count = np.zeros(coverage.shape[0], dtype=np.int64)
    indptr, indices = by_candidate.indptr, by_candidate.indices
    for j in selected:
        count[indices[indptr[j] : indptr[j + 1]]] += 1
    deadline = None if time_budget_s is None else time.perf_counter() + time_budget_s
    movable = range(fixed, len(selected))
    for _ in range(max_swaps):
        if deadline is not None and time.perf_counter() >= deadline:
            break
        _, pos, cand = _best_swap(coverage, by_candidate, weights, count, selected, movable)
        if pos < 0:
            break
        count[indices[indptr[selected[pos]] : indptr[selected[pos] + 1]]] -= 1
        count[indices[indptr[cand] : indptr[cand + 1]]] += 1
        selected[pos] = cand
    return selected


def rank_selection(
    by_candidate: sparse.csr_array,
    weights: FloatArray,
    selected: Sequence[int],
    *,
    fixed: int = 0,
) -> tuple[list[int], list[float]]:
    """Order a selection greedily: each next site adds the most given those before it.

    The first ``fixed`` entries keep their place at the front.
    """
    selected = list(selected)
    remaining = np.asarray(weights, dtype=float).copy()
    indptr, indices = by_candidate.indptr, by_candidate.indices
    order: list[int] = []
    gains: list[float] = []

    def take(j: int) -> None:
        rows = indices[indptr[j] : indptr[j + 1]]
        order.append(j)
        gains.append(float(remaining[rows].sum()))
        remaining[rows] = 0.0

    for j in selected[:fixed]:
        take(j)
    rest = selected[fixed:]
    while rest:
        scores = [remaining[indices[indptr[j] : indptr[j + 1]]].sum() for j in rest]
        take(rest.pop(int(np.argmax(scores))))
    return order, gains


def max_covering_upper_bound(
    by_candidate: sparse.csr_array, weights: FloatArray, selected: Sequence[int], k: int
) -> float:
    """Submodularity bound: ``OPT <= f(S) + sum of the k largest marginal gains w.r.t. S``.

    Valid for any selection ``S`` (Nemhauser, Wolsey & Fisher 1978). Capped at the total
    coverable weight.
    """
    covered = np.zeros(by_candidate.shape[1], dtype=bool)
    indptr, indices = by_candidate.indptr, by_candidate.indices
    for j in selected:
        covered[indices[indptr[j] : indptr[j + 1]]] = True
    value = float(weights[covered].sum())
    gains = marginal_gains(by_candidate, weights, covered)
    top = np.sort(gains)[::-1][:k]
    coverable = float(weights[np.diff(sparse.csc_array(by_candidate).indptr) > 0].sum())
    return min(value + float(top.sum()), coverable)


def set_cover_lower_bound(
    by_candidate: sparse.csr_array, weights: FloatArray, target_weight: float
) -> int:
    """Fewest sites that could possibly reach ``target_weight``: ``f(S) <= sum f({j})``."""
    if target_weight <= _EPS:
        return 0
    singles = np.sort(by_candidate @ np.asarray(weights, dtype=float))[::-1]
    reach = np.cumsum(singles)
    hit = np.flatnonzero(reach >= target_weight - _EPS)
    return int(hit[0]) + 1 if len(hit) else len(singles) + 1
