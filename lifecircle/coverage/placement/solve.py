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
from lifecircle.coverage.placement.lagrange import (
    fix_by_bound,
    lagrangian_bound,
    lagrangian_max_covering,
    proves_optimal,
)
from lifecircle.coverage.placement.milp import solve_max_covering_milp, solve_set_cover_milp
from lifecircle.coverage.placement.reduce import ReducedModel, reduce_model
from lifecircle.typing import FloatArray

__all__ = ["SolveOutcome", "solve_max_covering", "solve_set_cover"]

logger = logging.getLogger(__name__)

_TOL = 1e-9
#: Set cover: rounds of "drop the weakest site, then swap" and the swaps in each round.
_SHRINK_ROUNDS = 20
_SHRINK_SWAPS = 200


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


def solve_max_covering(
    model: ReducedModel, k: int, *, method: str, time_limit_s: float, start: float
) -> SolveOutcome:
    """Best ``k`` free sites on a reduced model (objective excludes the required weight).

    Greedy, 1-swap local search and the Lagrangian heuristic run to iteration limits, so
    their answer (all of ``method="greedy"``) does not depend on machine load. For the
    exact methods the Lagrangian bound then fixes the sites that cannot be in (or out of)
    a better solution (:func:`.lagrange.fix_by_bound`), the restricted model is reduced
    again, and HiGHS solves it warm-started from the incumbent within ``time_limit_s``.
    """
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
    selected = improve_by_swaps(model.coverage, model.weights, order, by_candidate=by_cand)
    value = _value(model, selected)
    bound = min(
        max_covering_upper_bound(by_cand, model.weights, selected, k),
        max_covering_upper_bound(by_cand, model.weights, [], k),
    )
    integral = bool(np.all(model.weights == np.round(model.weights)))
    logger.info("greedy+swaps: %.6g, submodular bound %.6g", value, bound)
    if proves_optimal(value, bound, integral=integral):
        return SolveOutcome(selected, value, "optimal", "greedy")
    lagr = lagrangian_max_covering(
        model.coverage, model.weights, k, incumbent=selected, by_candidate=by_cand
    )
    selected, value, bound = lagr.selected, lagr.value, min(bound, lagr.bound)
    logger.info("lagrangian: %.6g, bound %.6g after %d steps", value, bound, lagr.iterations)
    if proves_optimal(value, bound, integral=integral):
        return SolveOutcome(selected, value, "optimal", "greedy")
    if method == "greedy":
        return SolveOutcome(selected, bound, "heuristic", "greedy")
    return _max_covering_exact(
        model,
        k,
        _Incumbent(selected, value, bound, lagr.multipliers),
        integral=integral,
        time_left_s=_remaining(start, time_limit_s),
    )


@dataclass(frozen=True)
class _Incumbent:
    """The heuristics' best selection, its value, the best bound and its multipliers."""

    selected: list[int]
    value: float
    bound: float
    multipliers: FloatArray


def _max_covering_exact(
    model: ReducedModel, k: int, best: _Incumbent, *, integral: bool, time_left_s: float
) -> SolveOutcome:
    """Fix sites by the Lagrangian bound, reduce again, and let HiGHS close the gap."""
    by_cand = sparse.csr_array(model.coverage.T)
    lag_bound, gains = lagrangian_bound(by_cand, model.weights, best.multipliers, k)
    fixed_in, fixed_out = fix_by_bound(
        gains, lag_bound, k, incumbent=best.selected, value=best.value, integral=integral
    )
    sub = reduce_model(
        model.coverage,
        model.weights,
        required=np.flatnonzero(fixed_in),
        forbidden=np.flatnonzero(fixed_out),
    )
    k_sub = k - int(fixed_in.sum())
    logger.info(
        "bound fixing: %d site(s) in, %d out; restricted model %d x %d for %d site(s)",
        int(fixed_in.sum()),
        int(fixed_out.sum()),
        sub.coverage.shape[0],
        sub.coverage.shape[1],
        k_sub,
    )
    # selections obeying the fixings: the fixed-in sites plus k_sub of sub's candidates
    position = np.full(model.coverage.shape[1], -1, dtype=np.int64)
    position[sub.candidate_index] = np.arange(len(sub.candidate_index))
    warm = [int(position[j]) for j in best.selected if position[j] >= 0]
    fixed = [int(j) for j in np.flatnonzero(fixed_in)]
    if k_sub <= 0 or sub.coverage.shape[1] <= k_sub:
        chosen = fixed + [int(j) for j in sub.candidate_index[: max(k_sub, 0)]]
        return _better_of(model, best, chosen, restricted_bound=None, status="optimal")
    out = solve_max_covering_milp(
        sub.coverage, sub.weights, k_sub, warm_start=warm, time_limit_s=time_left_s
    )
    chosen = fixed + [int(sub.candidate_index[j]) for j in out.selected]
    restricted = out.bound + sub.base_weight if out.has_solution else None
    return _better_of(model, best, chosen, restricted_bound=restricted, status=out.status)


def _better_of(
    model: ReducedModel,
    best: _Incumbent,
    chosen: list[int],
    *,
    restricted_bound: float | None,
    status: str,
) -> SolveOutcome:
    """The better of the incumbent and the restricted solve, with the proven bound.

    The optimum is the larger of the restricted optimum and the incumbent's value (every
    selection the fixings exclude is no better than the incumbent).
    """
    selected, value = best.selected, best.value
    if chosen and _value(model, chosen) > value:
        selected, value = chosen, _value(model, chosen)
    bound = best.bound
    if status == "optimal":
        bound = min(bound, value)
    elif restricted_bound is not None:
        bound = min(bound, max(restricted_bound, value))
    integral = bool(np.all(model.weights == np.round(model.weights)))
    proven = status == "optimal" or proves_optimal(value, bound, integral=integral)
    return SolveOutcome(
        selected, value if proven else bound, "optimal" if proven else status, "milp"
    )


def _shrink_cover(model: ReducedModel, selected: list[int], target: float) -> list[int]:
    """Drop redundant sites, then try k-1 sites (via swaps) while the target still holds.

    At most :data:`_SHRINK_ROUNDS` rounds of :data:`_SHRINK_SWAPS` swaps: iteration limits,
    so the answer does not depend on machine load.
    """
    for j in sorted(selected, reverse=True):
        trial = [s for s in selected if s != j]
        if _value(model, trial) >= target - _TOL * max(1.0, target):
            selected = trial
    for _ in range(_SHRINK_ROUNDS):
        if len(selected) <= 1:
            break
        gains = [
            _value(model, selected) - _value(model, [s for s in selected if s != j])
            for j in selected
        ]
        trial = [s for i, s in enumerate(selected) if i != int(np.argmin(gains))]
        trial = improve_by_swaps(
            model.coverage,
            model.weights,
            trial,
            max_swaps=_SHRINK_SWAPS,
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
    selected = _shrink_cover(model, order, target)
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
