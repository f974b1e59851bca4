"""Exact covering models solved with HiGHS (``highspy``), warm-started from a heuristic.

Maximal covering (Church & ReVelle 1974)::

    max  sum_i w_i y_i
    s.t. y_i <= sum_{j covers i} x_j     for every demand i
         sum_j x_j <= k
         x_j in {0, 1},  0 <= y_i <= 1

Set cover with a target (fewest sites reaching a covered weight ``T``)::

    min  sum_j x_j
    s.t. y_i <= sum_{j covers i} x_j,   sum_i w_i y_i >= T

``y`` can stay continuous: for binary ``x`` an optimal ``y`` is always integral.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import highspy
import numpy as np
from scipy import sparse

from lifecircle.coverage.placement.highs_model import RowwiseModel, highs_model
from lifecircle.typing import FloatArray, IndexArray

__all__ = ["MilpOutcome", "solve_max_covering_milp", "solve_set_cover_milp"]

logger = logging.getLogger(__name__)

_MIP_REL_GAP = 1e-6


@dataclass(frozen=True)
class MilpOutcome:
    """What HiGHS returned: selection, objective, proven bound and status."""

    selected: list[int]
    objective: float
    bound: float
    status: str
    has_solution: bool


def _covering_rows(coverage: sparse.csr_array) -> sparse.csr_array:
    """Rows ``y_i - sum_j a_ij x_j <= 0`` over columns ``[x (m), y (n)]``."""
    n_dem = coverage.shape[0]
    return sparse.csr_array(
        sparse.hstack(
            [-sparse.csr_array(coverage, dtype=float), sparse.identity(n_dem, format="csr")],
            format="csr",
        )
    )


def _covering_matrix(
    coverage: sparse.csr_array, cols: IndexArray, values: FloatArray
) -> sparse.csr_array:
    """:func:`_covering_rows` plus one last row with ``values`` at ``cols`` of ``[x, y]``."""
    n_dem, n_cand = coverage.shape
    last = sparse.csr_array(
        (values, (np.zeros(len(cols), dtype=np.int64), cols)), shape=(1, n_cand + n_dem)
    )
    return sparse.csr_array(sparse.vstack([_covering_rows(coverage), last], format="csr"))


def _run(
    matrix: sparse.csr_array,
    *,
    costs: FloatArray,
    row_lower: FloatArray,
    row_upper: FloatArray,
    n_binary: int,
    sense: highspy.ObjSense,
    warm_start: FloatArray,
    time_limit_s: float,
) -> highspy.Highs:
    n_cols = matrix.shape[1]
    model = RowwiseModel(
        matrix, costs, np.zeros(n_cols), np.ones(n_cols), row_lower, row_upper,
        n_integer=n_binary, sense=sense,
    )  # fmt: skip
    # the model is already reduced (see reduce.py); HiGHS' presolve only costs time here
    h = highs_model(
        model, time_limit_s=time_limit_s, mip_rel_gap=_MIP_REL_GAP, presolve=False,
        warm_start=warm_start,
    )  # fmt: skip
    h.run()
    return h


def _outcome(h: highspy.Highs, n_binary: int) -> MilpOutcome:
    status = h.getModelStatus()
    info = h.getInfo()
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    selected: list[int] = []
    if has_solution:
        values = np.asarray(h.getSolution().col_value[:n_binary])
        selected = [int(j) for j in np.flatnonzero(values > 0.5)]
    label = {
        highspy.HighsModelStatus.kOptimal: "optimal",
        highspy.HighsModelStatus.kTimeLimit: "time_limit",
        highspy.HighsModelStatus.kInfeasible: "infeasible",
    }.get(status, h.modelStatusToString(status))
    logger.debug(
        "HiGHS: %s, objective %s, bound %s",
        label,
        info.objective_function_value,
        info.mip_dual_bound,
    )
    return MilpOutcome(
        selected,
        float(info.objective_function_value),
        float(info.mip_dual_bound),
        label,
        has_solution,
    )


def _warm_vector(coverage: sparse.csr_array, selected: Sequence[int]) -> FloatArray:
    x = np.zeros(coverage.shape[1])
    x[list(selected)] = 1.0
    y = np.minimum(coverage @ x, 1.0)
    return np.concatenate([x, y])


def solve_max_covering_milp(
    coverage: sparse.csr_array,
    weights: FloatArray,
    k: int,
    *,
    warm_start: Sequence[int],
    time_limit_s: float,
) -> MilpOutcome:
    """Solve the maximal-covering MILP exactly (or until the time limit).

    Parameters
    ----------
    coverage : scipy.sparse.csr_array
        Boolean ``(demand x candidate)`` coverage.
    weights : numpy.ndarray
        Demand weights.
    k : int
        Maximum number of sites.
    warm_start : sequence of int
        A feasible selection (at most ``k`` columns) handed to HiGHS as incumbent.
    time_limit_s : float
        HiGHS time limit in seconds.

    Returns
    -------
    MilpOutcome
        ``bound`` is HiGHS' proven upper bound on the optimum.
    """
    n_dem, n_cand = coverage.shape
    matrix = _covering_matrix(coverage, np.arange(n_cand), np.ones(n_cand))  # sum_j x_j <= k
    h = _run(
        matrix,
        costs=np.concatenate([np.zeros(n_cand), weights]),
        row_lower=np.full(n_dem + 1, -highspy.kHighsInf),
        row_upper=np.concatenate([np.zeros(n_dem), [float(k)]]),
        n_binary=n_cand,
        sense=highspy.ObjSense.kMaximize,
        warm_start=_warm_vector(coverage, warm_start),
        time_limit_s=time_limit_s,
    )
    return _outcome(h, n_cand)


def solve_set_cover_milp(
    coverage: sparse.csr_array,
    weights: FloatArray,
    target_weight: float,
    *,
    warm_start: Sequence[int],
    time_limit_s: float,
) -> MilpOutcome:
    """Solve the fewest-sites-to-reach-a-target MILP exactly (or until the time limit).

    Parameters
    ----------
    coverage : scipy.sparse.csr_array
        Boolean ``(demand x candidate)`` coverage.
    weights : numpy.ndarray
        Demand weights.
    target_weight : float
        Weight the selection must cover.
    warm_start : sequence of int
        A selection reaching ``target_weight``.
    time_limit_s : float
        HiGHS time limit in seconds.

    Returns
    -------
    MilpOutcome
        ``bound`` is HiGHS' proven lower bound on the number of sites, rounded up.
    """
    n_dem, n_cand = coverage.shape
    # sum_i w_i y_i >= T
    matrix = _covering_matrix(coverage, n_cand + np.arange(n_dem), weights.astype(float))
    slack = 1e-9 * max(1.0, abs(target_weight))
    h = _run(
        matrix,
        costs=np.concatenate([np.ones(n_cand), np.zeros(n_dem)]),
        row_lower=np.concatenate([np.full(n_dem, -highspy.kHighsInf), [target_weight - slack]]),
        row_upper=np.concatenate([np.zeros(n_dem), [highspy.kHighsInf]]),
        n_binary=n_cand,
        sense=highspy.ObjSense.kMinimize,
        warm_start=_warm_vector(coverage, warm_start),
        time_limit_s=time_limit_s,
    )
    out = _outcome(h, n_cand)
    bound = math.ceil(out.bound - 1e-6) if math.isfinite(out.bound) else 0
    return MilpOutcome(out.selected, out.objective, float(bound), out.status, out.has_solution)
