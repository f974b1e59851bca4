"""p-center with existing facilities fixed: ``k`` new sites that most shorten the longest walk.

Every demand point ``i`` (with residents) already walks ``b_i`` to the nearest existing
facility; the worst walk after adding sites ``S`` is ``max_i min(b_i, min_{j in S} c_ij)``.
The optimum is one of the values ``b_i`` or ``c_ij``, and a threshold ``T`` is achievable
exactly when the points with ``b_i > T`` can all be covered within ``T`` by ``k`` sites — a
maximal-covering question. So the search runs over the sorted distinct values (binary
search; Minieka 1970 reduces p-center to covering the same way), and each question is
answered by :class:`~lifecircle.coverage.placement.model.CoverageModel` (reduction, greedy,
Lagrangian bound, HiGHS), whose proven bound says *infeasible* when it is below the number
of points to cover. A question left open by the time limit is neither: the answer's
``lower`` is then the smallest value not proven infeasible, and the gap is reported.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from lifecircle.coverage.placement.model import CoverageModel
from lifecircle.typing import FloatArray

__all__ = ["CenterOutcome", "solve_p_center"]

_TOL = 1e-9


@dataclass(frozen=True)
class CenterOutcome:
    """The chosen columns, the worst walk they leave, and the proven lower bound on it.

    ``worst`` and ``lower`` are in the unit of the costs; ``status`` is ``"optimal"`` when
    ``lower == worst``, else ``"time_limit"``.
    """

    selected: tuple[int, ...]
    worst: float
    lower: float
    status: str
    method: str


def _worst(costs: sparse.csr_array, base: FloatArray, chosen: list[int]) -> float:
    best = base.copy()
    if chosen:
        sub = sparse.coo_array(costs[:, np.asarray(chosen, dtype=np.int64)])
        np.minimum.at(best, sub.row, sub.data)
    return float(best.max()) if len(best) else 0.0


def _answer(
    costs: sparse.csr_array, base: FloatArray, k: int, threshold: float, time_limit_s: float
) -> tuple[bool | None, list[int], str]:
    """Can ``k`` sites bring every walk to ``threshold`` or less? (yes / no / unknown)."""
    need = np.flatnonzero(base > threshold + _TOL)
    if len(need) == 0:
        return True, [], "greedy"
    sub = sparse.csr_array(costs[need])
    reach = sparse.csr_array(
        (sub.data <= threshold + _TOL, sub.indices, sub.indptr), shape=sub.shape
    )
    reach.eliminate_zeros()
    if np.any(np.diff(reach.indptr) == 0):  # a point no candidate reaches in time
        return False, [], "greedy"
    model = CoverageModel.from_costs(reach)
    result = model.solve(min(k, model.n_candidates), time_limit_s=max(time_limit_s, 0.01))
    chosen = [int(j) for j in model.candidate_ids.get_indexer(list(result.selected))]
    if result.covered_weight >= len(need) - _TOL:
        return True, chosen, result.method
    if result.bound < len(need) - 1e-6:
        return False, chosen, result.method
    return None, chosen, result.method


def solve_p_center(
    costs: sparse.csr_array,
    base: FloatArray,
    k: int,
    *,
    time_limit_s: float = 10.0,
) -> CenterOutcome:
    """Choose at most ``k`` columns minimising the worst walk (see the module docstring).

    Parameters
    ----------
    costs : scipy.sparse.csr_array
        ``(demand x candidate)`` walks (stored = reachable, in any unit); give only the
        demand points that count (with residents).
    base : numpy.ndarray
        Each point's walk to the existing facilities (the cap where none reaches).
    k : int
        Number of new sites.
    time_limit_s : float
        Overall budget in seconds, shared by the covering questions.

    Returns
    -------
    CenterOutcome
    """
    start = time.perf_counter()
    coo = sparse.coo_array(costs)
    useful = coo.data < base[coo.row]
    values = np.unique(np.concatenate([base, coo.data[useful]]))
    values = values[values <= (base.max() if len(base) else 0.0)]
    chosen: list[int] = []
    worst = _worst(costs, base, chosen)
    lo, hi = 0, int(np.searchsorted(values, worst))  # values[hi] == worst: achievable
    lower_index, method, open_question = 0, "greedy", False
    while lo < hi:
        mid = (lo + hi) // 2
        left = time_limit_s - (time.perf_counter() - start)
        verdict, picked, used = _answer(costs, base, k, float(values[mid]), left / 4)
        method = "milp" if used == "milp" else method
        if verdict:
            hi, chosen = mid, picked
        else:
            lo = mid + 1
            if verdict is None:
                open_question = True
            else:
                lower_index = max(lower_index, mid + 1)
    worst = _worst(costs, base, chosen)
    # without an open question the search is exact; with one, everything below the
    # smallest value not proven infeasible is proven out of reach
    lower = float(values[lower_index]) if open_question else worst
    status = "optimal" if lower >= worst - _TOL else "time_limit"
    return CenterOutcome(tuple(chosen), worst, min(lower, worst), status, method)
