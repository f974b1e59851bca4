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
``lower`` is then the smallest value not proven infeasible, and the gap is reported. The
search starts at the walk no choice can beat (the longest of each point's best possible
walk), first asks whether the longest walk can be shortened at all (a small question, and
often the answer), and stops asking when the time limit is spent.

When no ``k`` sites shorten the longest walk at all (the residents who walk it are too many
or too spread out), every choice is equally optimal for it, including none. Rather than an
empty answer, a second question is then asked (:class:`WorstWalkRelief`): which ``k`` sites
bring the most of those residents nearer — a weighted maximal covering, with its own proven
bound.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from lifecircle.coverage.placement.model import CoverageModel
from lifecircle.typing import FloatArray

__all__ = ["CenterOutcome", "WorstWalkRelief", "solve_p_center"]

_TOL = 1e-9


@dataclass(frozen=True)
class WorstWalkRelief:
    """When no choice of ``k`` sites shortens the longest walk: who walks it, and how many
    of them the chosen sites bring nearer.

    Attributes
    ----------
    weight : float
        Weight (residents) of the points at the longest walk.
    relieved : float
        The part of ``weight`` the chosen sites bring nearer than the longest walk.
    bound : float
        Proven upper bound on ``relieved`` over every choice of ``k`` sites.
    status : str
        ``"optimal"`` when ``relieved`` reaches ``bound``, else ``"time_limit"`` or
        ``"heuristic"`` (from :meth:`CoverageModel.solve`).
    """

    weight: float
    relieved: float
    bound: float
    status: str


@dataclass(frozen=True)
class CenterOutcome:
    """The chosen columns, the worst walk they leave, and the proven lower bound on it.

    ``worst`` and ``lower`` are in the unit of the costs; ``status`` is ``"optimal"`` when
    ``lower == worst``, else ``"time_limit"``. ``relief`` is set when the worst walk cannot
    be shortened at all (``worst`` is then today's, proven): the columns are chosen for it.
    """

    selected: tuple[int, ...]
    worst: float
    lower: float
    status: str
    method: str
    relief: WorstWalkRelief | None = None


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


def _relieve(
    costs: sparse.csr_array,
    base: FloatArray,
    weights: FloatArray,
    k: int,
    worst: float,
    time_limit_s: float,
) -> tuple[list[int], WorstWalkRelief, str]:
    """The ``k`` columns that bring the most weight at the ``worst`` walk nearer."""
    rows = np.flatnonzero(base >= worst - _TOL)
    sub = sparse.csr_array(costs[rows])
    nearer = sparse.csr_array((sub.data < worst - _TOL, sub.indices, sub.indptr), shape=sub.shape)
    nearer.eliminate_zeros()
    weight = float(weights[rows].sum())
    if nearer.nnz == 0:
        return [], WorstWalkRelief(weight, 0.0, 0.0, "optimal"), "greedy"
    model = CoverageModel.from_costs(nearer, weights=weights[rows])
    result = model.solve(min(k, model.n_candidates), time_limit_s=max(time_limit_s, 0.01))
    chosen = [int(j) for j in model.candidate_ids.get_indexer(list(result.selected))]
    relief = WorstWalkRelief(weight, float(result.objective), float(result.bound), result.status)
    return chosen, relief, result.method


def solve_p_center(
    costs: sparse.csr_array,
    base: FloatArray,
    k: int,
    *,
    time_limit_s: float = 10.0,
    weights: FloatArray | None = None,
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
    weights : numpy.ndarray, optional
        Residents per point (default 1 each): what the second question counts when the
        worst walk cannot be shortened.

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
    # no choice beats any point's own best walk: below the longest of those, "no" is proven
    best = base.copy()
    np.minimum.at(best, coo.row[useful], coo.data[useful])
    floor = float(best.max()) if len(best) else 0.0
    lo, hi = int(np.searchsorted(values, floor - _TOL)), int(np.searchsorted(values, worst))
    lo = min(lo, hi)  # values[hi] == worst: achievable
    lower_index, method, open_question, first = lo, "greedy", False, True
    while lo < hi:
        left = time_limit_s - (time.perf_counter() - start)
        if left <= 0:  # the rest of the interval stays open
            open_question = True
            break
        # first ask whether the longest walk can be shortened at all: a small question
        # (only the points that walk it), and often the last ("no" proves today's optimal)
        mid = hi - 1 if first else (lo + hi) // 2
        first = False
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
    lower = float(values[lower_index]) if open_question and len(values) else worst
    status = "optimal" if lower >= worst - _TOL else "time_limit"
    relief = None
    if not chosen and len(base) and k > 0:
        # no k sites shorten the longest walk (proven, or none found in time): choose for
        # those who walk it
        left = time_limit_s - (time.perf_counter() - start)
        w = np.ones(len(base)) if weights is None else np.asarray(weights, dtype=float)
        chosen, relief, used = _relieve(costs, base, w, k, worst, left)
        method = "milp" if used == "milp" else method
    return CenterOutcome(tuple(chosen), worst, min(lower, worst), status, method, relief)
