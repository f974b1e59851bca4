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
from lifecircle.typing import BoolArray, FloatArray, IndexArray

__all__ = [
    "MAX_ITERATIONS",
    "LagrangianOutcome",
    "fix_by_bound",
    "lagrangian_bound",
    "lagrangian_max_covering",
    "proves_optimal",
]

_STALL_ITERATIONS = 15
_MIN_THETA = 1e-4
_POLISH_WITHIN = 0.03
#: Swaps allowed when polishing one relaxed solution.
_POLISH_SWAPS = 200

#: Default cap on the subgradient steps. The step size halves after every 15 steps
#: without a better bound and the search stops below 1e-4, so it usually ends within
#: a few hundred steps; iteration limits (not seconds) keep the answer independent of
#: machine load.
MAX_ITERATIONS = 2000


@dataclass(frozen=True)
class LagrangianOutcome:
    """Best selection found, its covered weight, and the best (lowest) upper bound.

    ``multipliers`` are the ``lambda`` that gave ``bound`` (see :func:`lagrangian_bound`).
    """

    selected: list[int]
    value: float
    bound: float
    iterations: int
    multipliers: FloatArray


def proves_optimal(value: float, bound: float, *, integral: bool) -> bool:
    """Whether ``bound`` proves ``value`` optimal (bounds are floored for integer weights)."""
    tol = 1e-9 * max(1.0, abs(bound))
    if integral:
        return bool(np.floor(bound + tol) <= value + tol)  # np.floor: bound may be inf
    return bound <= value + tol


def lagrangian_bound(
    by_candidate: sparse.csr_array, weights: FloatArray, multipliers: FloatArray, k: int
) -> tuple[float, FloatArray]:
    """The Lagrangian upper bound ``L(lambda)`` and each candidate's Lagrangian gain.

    Parameters
    ----------
    by_candidate : scipy.sparse.csr_array
        ``(candidate x demand)`` boolean coverage.
    weights : numpy.ndarray
        Demand weights.
    multipliers : numpy.ndarray
        ``lambda``, one per demand row; any values in ``[0, weights]`` give a valid bound.
    k : int
        Number of sites (``1 <= k <= n_candidates``).

    Returns
    -------
    bound, gains : float, numpy.ndarray
        ``L(lambda) = sum_i max(0, w_i - lambda_i) + (sum of the k largest gains)`` with
        ``gain_j = sum of lambda_i over the demand j covers``.
    """
    gains: FloatArray = by_candidate @ multipliers
    top = np.partition(-gains, k - 1)[:k]
    bound = float(np.maximum(weights - multipliers, 0.0).sum() - top.sum())
    return bound, gains


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
    by_candidate: sparse.csr_array | None = None,
    max_iterations: int = MAX_ITERATIONS,
    time_budget_s: float | None = None,
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
    by_candidate : scipy.sparse.csr_array, optional
        Precomputed transpose of ``coverage``.
    max_iterations : int
        Stop after this many subgradient steps.
    time_budget_s : float, optional
        Also stop after this many seconds. Off by default, so that the answer does not
        depend on machine load.

    Returns
    -------
    LagrangianOutcome
    """
    deadline = None if time_budget_s is None else time.perf_counter() + time_budget_s
    by_candidate = by_candidate if by_candidate is not None else sparse.csr_array(coverage.T)
    weights = np.asarray(weights, dtype=float)
    n_dem = coverage.shape[0]
    integral = bool(np.all(weights == np.round(weights)))
    best_sel = list(incumbent)
    best_val = float(weights[_covered_count(by_candidate, np.asarray(best_sel), n_dem) > 0].sum())
    best_ub = np.inf
    lam = 0.5 * weights
    best_lam = lam
    theta, stall = 2.0, 0
    seen: set[frozenset[int]] = {frozenset(best_sel)}
    it = 0
    for it in range(1, max_iterations + 1):  # noqa: B007 - reported below
        gains = by_candidate @ lam
        top = np.argpartition(-gains, k - 1)[:k]
        y = weights > lam
        upper = float(np.maximum(weights - lam, 0.0).sum() + gains[top].sum())
        if upper < best_ub - 1e-12 * max(1.0, upper):
            best_ub, best_lam, stall = upper, lam, 0
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
                max_swaps=_POLISH_SWAPS,
            )
            mask = _covered_count(by_candidate, np.asarray(polished), n_dem) > 0
            value = max(value, float(weights[mask].sum()))
            top = np.asarray(polished) if weights[mask].sum() >= value else top
        if value > best_val:
            best_val, best_sel = value, [int(j) for j in top]
        if proves_optimal(best_val, best_ub, integral=integral):
            break
        if theta < _MIN_THETA or (deadline is not None and time.perf_counter() > deadline):
            break
        grad = count - y
        norm = float(grad @ grad)
        if norm == 0:
            break
        step = theta * (upper - best_val) / norm
        lam = np.clip(lam - step * grad, 0.0, weights)
    return LagrangianOutcome(best_sel, best_val, float(best_ub), it, best_lam)


def fix_by_bound(
    gains: FloatArray,
    bound: float,
    k: int,
    *,
    incumbent: Sequence[int],
    value: float,
    integral: bool,
) -> tuple[BoolArray, BoolArray]:
    """Lagrangian variable fixing: sites that cannot be in (or out of) a better solution.

    With ``L = bound`` from :func:`lagrangian_bound`, ``c_k`` and ``c_(k+1)`` the ``k``-th
    and ``(k+1)``-th largest gains, forcing site ``j`` in bounds every selection holding
    it by ``L + min(0, c_j - c_k)``, and forcing it out bounds every selection without it
    by ``L - max(0, c_j - c_(k+1))``. When such a bound does not exceed the incumbent's
    ``value``, no selection violating the fixing beats the incumbent; the incumbent obeys
    every fixing (its sites are never fixed out, other sites never fixed in), so the
    optimum of the restricted problem equals the unrestricted one.

    Parameters
    ----------
    gains : numpy.ndarray
        Lagrangian gain of each candidate (from :func:`lagrangian_bound`).
    bound : float
        ``L(lambda)`` for the same multipliers.
    k : int
        Number of sites (``1 <= k < len(gains)``).
    incumbent : sequence of int
        A feasible selection of at most ``k`` sites.
    value : float
        Its covered weight.
    integral : bool
        Whether every demand weight is an integer (bounds are then floored).

    Returns
    -------
    fixed_in, fixed_out : numpy.ndarray
        Boolean masks over the candidates: sites every better solution must hold, and
        sites no better solution may hold.
    """
    ordered = -np.partition(-gains, (k - 1, k))
    c_k, c_next = float(ordered[k - 1]), float(ordered[k])
    in_incumbent = np.zeros(len(gains), dtype=bool)
    in_incumbent[list(incumbent)] = True
    forced_in = bound + np.minimum(0.0, gains - c_k)
    forced_out = bound - np.maximum(0.0, gains - c_next)
    fixed_out = ~in_incumbent & _not_better(forced_in, value, integral=integral)
    fixed_in = in_incumbent & _not_better(forced_out, value, integral=integral)
    return fixed_in, fixed_out


def _not_better(bounds: FloatArray, value: float, *, integral: bool) -> BoolArray:
    """Where ``bounds`` prove no solution beats ``value`` (rounding errors count against)."""
    tol = 1e-9 * max(1.0, abs(value))
    if integral:
        result: BoolArray = np.floor(bounds + tol) <= value
    else:
        result = bounds + tol <= value
    return result
