"""Solver orchestration on a reduced model: heuristic first, then HiGHS when needed."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from lifecircle.coverage.placement.greedy import (
    greedy_cover,
    improve_by_swaps,
    max_covering_upper_bound,
    set_cover_lower_bound,
)
from lifecircle.coverage.placement.lagrange import lagrangian_max_covering, proves_optimal
from lifecircle.coverage.placement.milp import solve_max_covering_milp, solve_set_cover_milp
from lifecircle.coverage.placement.reduce import ReducedModel

__all__ = ["SolveOutcome", "solve_max_covering", "solve_set_cover"]

logger = logging.getLogger(__name__)

#: Share of the time budget the 1-swap local search may use.
_SWAP_SHARE = 0.2
_SWAP_MAX_S = 2.0
#: Share of the time budget (and cap in seconds) of the Lagrangian heuristic.
_LAGRANGE_SHARE = 0.25
_LAGRANGE_MAX_S = 2.0
_TOL = 1e-9


@dataclass(frozen=True)
class SolveOutcome:
    """Selection (reduced column indices), proven bound (reduced objective), status."""

    selected: list[int]
    bound: float
    status: str
    method: str
    notes: tuple[str, ...] = field(default=())


def _value(model: ReducedModel, selected: list[int]) -> float:
    mask = np.zeros(model.coverage.shape[1], dtype=np.int32)
    mask[selected] = 1
    return float(model.weights[(model.coverage @ mask) > 0].sum())


def _remaining(start: float, limit: float) -> float:
    return max(limit - (time.perf_counter() - start), 0.0)


def _lagrange_budget(method: str, time_limit_s: float, start: float) -> float:
    """All the time left (capped) for the heuristic-only method, a share otherwise."""
    left = _remaining(start, time_limit_s)
    if method == "greedy":
        return min(left, _LAGRANGE_MAX_S)
    return min(_LAGRANGE_SHARE * time_limit_s, _LAGRANGE_MAX_S, left)


def solve_max_covering(
    model: ReducedModel, k: int, *, method: str, time_limit_s: float, start: float
) -> SolveOutcome:
    """Best ``k`` free sites on a reduced model (objective excludes the required weight)."""
    n_cand = model.coverage.shape[1]
    total = float(model.weights.sum())
    if k <= 0 or n_cand == 0:
        return SolveOutcome([], 0.0, "optimal", "greedy")
    if n_cand <= k:
        return SolveOutcome(list(range(n_cand)), total, "optimal", "greedy")
    by_cand = sparse.csr_array(model.coverage.T)
    order, _ = greedy_cover(by_cand, model.weights, k=k)
    if len(order) < k:  # everything coverable is covered
        return SolveOutcome(order, total, "optimal", "greedy")
    swap_s = min(_SWAP_SHARE * time_limit_s, _SWAP_MAX_S)
    selected = improve_by_swaps(
        model.coverage, model.weights, order, time_budget_s=swap_s, by_candidate=by_cand
    )
    value = _value(model, selected)
    bound = min(
        max_covering_upper_bound(by_cand, model.weights, selected, k),
        max_covering_upper_bound(by_cand, model.weights, [], k),
    )
    integral = bool(np.all(model.weights == np.round(model.weights)))
    logger.info("greedy+swaps: %.6g, submodular bound %.6g", value, bound)
    if not proves_optimal(value, bound, integral=integral):
        lagr = lagrangian_max_covering(
            model.coverage,
            model.weights,
            k,
            incumbent=selected,
            by_candidate=by_cand,
            time_budget_s=_lagrange_budget(method, time_limit_s, start),
        )
        selected, value, bound = lagr.selected, lagr.value, min(bound, lagr.bound)
        logger.info("lagrangian: %.6g, bound %.6g after %d steps", value, bound, lagr.iterations)
    if proves_optimal(value, bound, integral=integral):
        return SolveOutcome(selected, value, "optimal", "greedy")
    if method == "greedy":
        return SolveOutcome(selected, bound, "heuristic", "greedy")
    out = solve_max_covering_milp(
        model.coverage,
        model.weights,
        k,
        warm_start=selected,
        time_limit_s=_remaining(start, time_limit_s),
    )
    bound = min(bound, out.bound)
    if out.has_solution and len(out.selected) <= k and _value(model, out.selected) > value:
        selected, value = out.selected, _value(model, out.selected)
    proven = out.status == "optimal" or proves_optimal(value, bound, integral=integral)
    status = "optimal" if proven else out.status
    return SolveOutcome(selected, value if proven else bound, status, "milp")


def _shrink_cover(
    model: ReducedModel, selected: list[int], target: float, budget_s: float
) -> list[int]:
    """Drop redundant sites, then try k-1 sites (via swaps) while the target still holds."""
    deadline = time.perf_counter() + budget_s
    for j in sorted(selected, reverse=True):
        trial = [s for s in selected if s != j]
        if _value(model, trial) >= target - _TOL * max(1.0, target):
            selected = trial
    while len(selected) > 1 and time.perf_counter() < deadline:
        gains = [
            _value(model, selected) - _value(model, [s for s in selected if s != j])
            for j in selected
        ]
        trial = [s for i, s in enumerate(selected) if i != int(np.argmin(gains))]
        trial = improve_by_swaps(
            model.coverage,
            model.weights,
            trial,
            time_budget_s=max(deadline - time.perf_counter(), 0.0),
        )
        if _value(model, trial) < target - _TOL * max(1.0, target):
            break
        selected = trial
    return selected


def solve_set_cover(
    model: ReducedModel, target: float, *, method: str, time_limit_s: float, start: float
) -> SolveOutcome:
    """Fewest free sites covering ``target`` weight of the reduced model."""
    if target <= _TOL:
        return SolveOutcome([], 0.0, "optimal", "greedy")
    by_cand = sparse.csr_array(model.coverage.T)
    order, _ = greedy_cover(by_cand, model.weights, target_weight=target)
    swap_s = min(_SWAP_SHARE * time_limit_s, _SWAP_MAX_S)
    selected = _shrink_cover(model, order, target, swap_s)
    bound = set_cover_lower_bound(by_cand, model.weights, target)
    logger.info(
        "greedy set cover: %d site(s) (greedy %d), lower bound %d", len(selected), len(order), bound
    )
    if len(selected) <= bound:
        return SolveOutcome(selected, float(bound), "optimal", "greedy")
    if method == "greedy":
        return SolveOutcome(selected, float(bound), "heuristic", "greedy")
    out = solve_set_cover_milp(
        model.coverage,
        model.weights,
        target,
        warm_start=selected,
        time_limit_s=_remaining(start, time_limit_s),
    )
    bound = max(bound, int(out.bound))
    if (
        out.has_solution
        and len(out.selected) < len(selected)
        and _value(model, out.selected) >= target - _TOL * max(1.0, target)
    ):
        selected = out.selected
    status = "optimal" if out.status == "optimal" or len(selected) <= bound else out.status
    return SolveOutcome(selected, float(bound), status, "milp")
