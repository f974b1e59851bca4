"""Lagrangian relaxation of maximal covering: a proven upper bound and good solutions fast.

Relaxing the covering rows ``y_i <= sum_j a_ij x_j`` with multipliers ``0 <= lambda_i <=
w_i`` gives (Galvão & ReVelle 1996)::

    L(lambda) = sum_i max(0, w_i - lambda_i) + (sum of the k largest  c_j = sum_i a_ij lambda_i)

an upper bound on the optimum for every ``lambda``; its minimum equals the LP bound.
Subgradient steps (Held, Wolfe & Crowder 1974) drive it down while the ``k`` sites of each
relaxed solution, polished by 1-swap local search, give feasible solutions. Each step costs
one sparse matrix-vector product.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from lifecircle.coverage.placement.greedy import improve_by_swaps
from lifecircle.typing import FloatArray, IndexArray

__all__ = ["LagrangianOutcome", "lagrangian_max_covering", "proves_optimal"]

_STALL_ITERATIONS = 15
_MIN_THETA = 1e-4
_POLISH_WITHIN = 0.03


@dataclass(frozen=True)
class LagrangianOutcome:
    """Best selection found, its covered weight, and the best (lowest) upper bound."""

    selected: list[int]
    value: float
    bound: float
    iterations: int


def proves_optimal(value: float, bound: float, *, integral: bool) -> bool:
    """Whether ``bound`` proves ``value`` optimal (bounds are floored for integer weights)."""
    tol = 1e-9 * max(1.0, abs(bound))
    if integral:
        return bool(np.floor(bound + tol) <= value + tol)  # np.floor: bound may be inf
    return bound <= value + tol


def _covered_count(
    by_candidate: sparse.csr_array, selected: IndexArray, n_demand: int
) -> IndexArray:
    indptr, indices = by_candidate.indptr, by_candidate.indices
    rows = np.concatenate([indices[indptr[j] : indptr[j + 1]] for j in selected])
    return np.bincount(rows, minlength=n_demand)


def lagrangian_max_covering(
    coverage: sparse.csr_array,
    weights: FloatArray,
    k: int,
    *,
    incumbent: Sequence[int],
    time_budget_s: float,
    by_candidate: sparse.csr_array | None = None,
    max_iterations: int = 2000,
) -> LagrangianOutcome:
    """Subgradient optimisation of the Lagrangian bound with a primal heuristic.

    Parameters
    ----------
    coverage : scipy.sparse.csr_array
        ``(demand x candidate)`` boolean coverage.
    weights : numpy.ndarray
        Demand weights.
    k : int
        Number of sites (``1 <= k < n_candidates``).
    incumbent : sequence of int
        A starting feasible selection (e.g. greedy + swaps).
    time_budget_s : float
        Stop after this many seconds.
    by_candidate : scipy.sparse.csr_array, optional
        Precomputed transpose of ``coverage``.
    max_iterations : int
        Stop after this many subgradient steps.

    Returns
    -------
    LagrangianOutcome
    """
    deadline = time.perf_counter() + time_budget_s
    by_candidate = by_candidate if by_candidate is not None else sparse.csr_array(coverage.T)
    weights = np.asarray(weights, dtype=float)
    n_dem = coverage.shape[0]
    integral = bool(np.all(weights == np.round(weights)))
    best_sel = list(incumbent)
    best_val = float(weights[_covered_count(by_candidate, np.asarray(best_sel), n_dem) > 0].sum())
    best_ub = np.inf
    lam = 0.5 * weights
    theta, stall = 2.0, 0
    seen: set[frozenset[int]] = {frozenset(best_sel)}
    it = 0
    for it in range(1, max_iterations + 1):  # noqa: B007 - reported below
        gains = by_candidate @ lam
        top = np.argpartition(-gains, k - 1)[:k]
        y = weights > lam
        upper = float(np.maximum(weights - lam, 0.0).sum() + gains[top].sum())
        if upper < best_ub - 1e-12 * max(1.0, upper):
            best_ub, stall = upper, 0
        else:
            stall += 1
            if stall >= _STALL_ITERATIONS:
                theta, stall = theta / 2, 0
        count = _covered_count(by_candidate, top, n_dem)
        value = float(weights[count > 0].sum())
        key = frozenset(int(j) for j in top)
        if value >= (1 - _POLISH_WITHIN) * best_val and key not in seen:
            seen.add(key)
            polished = improve_by_swaps(
                coverage,
                weights,
                list(top),
                by_candidate=by_candidate,
                time_budget_s=max(deadline - time.perf_counter(), 0.0),
            )
            mask = _covered_count(by_candidate, np.asarray(polished), n_dem) > 0
            value = max(value, float(weights[mask].sum()))
            top = np.asarray(polished) if weights[mask].sum() >= value else top
        if value > best_val:
            best_val, best_sel = value, [int(j) for j in top]
        if proves_optimal(best_val, best_ub, integral=integral):
            break
        if theta < _MIN_THETA or time.perf_counter() > deadline:
            break
        grad = count - y
        norm = float(grad @ grad)
        if norm == 0:
            break
        step = theta * (upper - best_val) / norm
        lam = np.clip(lam - step * grad, 0.0, weights)
    return LagrangianOutcome(best_sel, best_val, float(best_ub), it)
