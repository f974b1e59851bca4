"""Maximal covering when each new site can serve only so many: the capacitated model.

A new site ``j`` serves at most ``capacity_j`` of the demand weight it reaches (a station
with room for 200 older residents helps at most 200, however many live nearby). Demand may
split between sites (residents of one point can use different stations). With existing
facilities fixed, the demand is what they leave uncovered. Current & Storbeck (1988) and
Pirkul & Schilling (1991) give the model::

    max  sum_ij w_i x_ij
    s.t. sum_j x_ij <= 1                     for every demand i
         sum_i w_i x_ij <= capacity_j z_j    for every candidate j
         x_ij <= z_j                         for every covering pair (tightens the LP)
         sum_j z_j <= k,   z_j in {0, 1},   0 <= x_ij <= 1

HiGHS solves it to a proven optimum or to its time limit (its dual bound is then the
proven bound). For fixed sites the value is a transportation LP
(:func:`served_weight`); the suggestions are ranked with it.
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np
from scipy import sparse

from lifecircle.coverage.placement.highs_model import RowwiseModel, highs_model
from lifecircle.typing import FloatArray

__all__ = ["CapacitatedOutcome", "served_weight", "solve_capacitated_covering"]

_MIP_REL_GAP = 1e-7


@dataclass(frozen=True)
class CapacitatedOutcome:
    """Chosen columns in rank order, each one's added weight, value, proven bound, status."""

    selected: tuple[int, ...]
    gains: tuple[float, ...]
    served: float
    bound: float
    status: str


def _model(
    reach: sparse.csr_array,
    weights: FloatArray,
    capacity: FloatArray,
    *,
    fixed: FloatArray | None,
    k: int,
) -> tuple[sparse.csr_array, FloatArray, FloatArray, FloatArray, FloatArray, int]:
    """Rows and columns ``[z (m), x (pairs)]``; ``fixed`` pins ``z`` (the LP of a selection)."""
    coo = sparse.coo_array(reach)
    n_dem, n_cand = reach.shape
    n_pairs = len(coo.data)
    pair = np.arange(n_pairs)
    n_cols = n_cand + n_pairs
    assign = sparse.csr_array((np.ones(n_pairs), (coo.row, n_cand + pair)), shape=(n_dem, n_cols))
    load = sparse.csr_array(
        (
            np.concatenate([weights[coo.row], -capacity]),
            (np.concatenate([coo.col, np.arange(n_cand)]), np.concatenate([n_cand + pair,
                                                                          np.arange(n_cand)])),
        ),
        shape=(n_cand, n_cols),
    )  # fmt: skip
    link = sparse.csr_array(
        (
            np.concatenate([np.ones(n_pairs), -np.ones(n_pairs)]),
            (np.concatenate([pair, pair]), np.concatenate([n_cand + pair, coo.col])),
        ),
        shape=(n_pairs, n_cols),
    )
    count = sparse.csr_array(
        (np.ones(n_cand), (np.zeros(n_cand, dtype=np.int64), np.arange(n_cand))),
        shape=(1, n_cols),
    )
    matrix = sparse.csr_array(sparse.vstack([assign, load, link, count], format="csr"))
    row_upper = np.concatenate([np.ones(n_dem), np.zeros(n_cand + n_pairs), [float(k)]])
    col_lower, col_upper = np.zeros(n_cols), np.ones(n_cols)
    if fixed is not None:
        col_lower[:n_cand] = col_upper[:n_cand] = fixed
    costs = np.concatenate([np.zeros(n_cand), weights[coo.row]])
    return matrix, row_upper, col_lower, col_upper, costs, n_cand


def _run(
    parts: tuple[sparse.csr_array, FloatArray, FloatArray, FloatArray, FloatArray, int],
    *,
    integer: bool,
    time_limit_s: float,
) -> tuple[FloatArray, float, float, bool]:
    matrix, row_upper, col_lower, col_upper, costs, n_cand = parts
    model = RowwiseModel(
        matrix, costs, col_lower, col_upper, np.full(matrix.shape[0], -highspy.kHighsInf),
        row_upper, n_integer=n_cand if integer else 0,
    )  # fmt: skip
    h = highs_model(model, time_limit_s=time_limit_s, mip_rel_gap=_MIP_REL_GAP)
    h.run()
    info = h.getInfo()
    optimal = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    values = np.asarray(h.getSolution().col_value, dtype=float)
    value = float(info.objective_function_value)
    bound = float(info.mip_dual_bound) if integer else value
    return values, value, bound, optimal


def served_weight(
    reach: sparse.csr_array, weights: FloatArray, capacity: FloatArray, chosen: list[int]
) -> float:
    """Largest demand weight the sites ``chosen`` can serve within their capacities (an LP)."""
    if not chosen:
        return 0.0
    fixed = np.zeros(reach.shape[1])
    fixed[chosen] = 1.0
    parts = _model(reach, weights, capacity, fixed=fixed, k=reach.shape[1])
    return _run(parts, integer=False, time_limit_s=60.0)[1]


def solve_capacitated_covering(
    reach: sparse.csr_array,
    weights: FloatArray,
    capacity: FloatArray,
    k: int,
    *,
    time_limit_s: float = 10.0,
) -> CapacitatedOutcome:
    """Choose at most ``k`` columns serving the most weight within their capacities.

    Parameters
    ----------
    reach : scipy.sparse.csr_array
        Boolean ``(demand x candidate)``: the candidate is within the budget of the point.
    weights : numpy.ndarray
        Demand weights (residents not yet covered).
    capacity : numpy.ndarray
        Weight each candidate can serve at most (``inf``: no limit).
    k : int
        Number of new sites.
    time_limit_s : float
        HiGHS time limit in seconds.

    Returns
    -------
    CapacitatedOutcome
    """
    reach = sparse.csr_array(reach, dtype=bool)
    reach.eliminate_zeros()
    cap = np.minimum(capacity, float(weights.sum()) + 1.0)  # inf is no limit, kept finite
    parts = _model(reach, weights, cap, fixed=None, k=k)
    values, _, bound, optimal = _run(parts, integer=True, time_limit_s=time_limit_s)
    n_cand = reach.shape[1]
    chosen = [int(j) for j in np.flatnonzero(values[:n_cand] > 0.5)]
    order: list[int] = []
    gains: list[float] = []
    total = 0.0
    left = list(chosen)
    while left:
        values_with = [served_weight(reach, weights, cap, [*order, j]) for j in left]
        pick = int(np.argmax(values_with))
        order.append(left.pop(pick))
        gains.append(values_with[pick] - total)
        total = values_with[pick]
    kept = [j for j, g in zip(order, gains, strict=True) if g > 1e-9]
    gains = [g for g in gains if g > 1e-9]
    return CapacitatedOutcome(
        tuple(kept),
        tuple(gains),
        total,
        max(bound, total),
        "optimal" if optimal else "time_limit",
    )
