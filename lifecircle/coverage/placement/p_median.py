"""p-median with existing facilities fixed: ``k`` new sites that most cut the total walk.

Each demand point ``i`` (weight ``w_i``, e.g. residents) already walks ``b_i`` to the nearest
existing facility (capped, see below); a new site ``j`` at ``c_ij`` saves it
``s_ij = max(0, b_i - c_ij)``. Minimising the total walk ``sum_i w_i min(b_i, min_j c_ij)``
is maximising the total saving::

    F(S) = sum_i w_i max_{j in S} s_ij

a monotone submodular function (the uncapacitated facility-location objective), so the
greedy choice plus 1-swap local search is a good incumbent and, for any selection ``S``,
``F(OPT) <= F(S) + sum of the k largest marginal gains w.r.t. S`` (Nemhauser, Wolsey &
Fisher 1978) proves how far it can be from the optimum. When that bound does not close the
gap, HiGHS solves the assignment MILP (ReVelle & Swain 1970, with the existing facilities
as a free fallback)::

    max  sum_ij w_i s_ij x_ij
    s.t. sum_j x_ij <= 1        for every demand i
         x_ij <= z_j            for every pair with s_ij > 0
         sum_j z_j = k,   z_j in {0, 1},   0 <= x_ij <= 1

warm-started from the heuristic; its dual bound is the proven bound. Only pairs with a
positive saving enter, so a point already next to an existing facility costs nothing.

The cap (``b_i`` for a point no existing facility reaches) is the caller's choice; the
facility siting uses the farthest walk the coverage reports
(:data:`lifecircle.coverage.measures.service_coverage.SEARCH_FACTOR` times the budget).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import highspy
import numpy as np
from scipy import sparse

from lifecircle.coverage.placement.highs_model import RowwiseModel, highs_model
from lifecircle.typing import FloatArray, IndexArray

__all__ = ["MedianOutcome", "savings_matrix", "solve_p_median"]

_TOL = 1e-9
_MIP_REL_GAP = 1e-7
#: Share of the time budget the 1-swap local search may use.
_SWAP_SHARE = 0.3
#: Largest number of (demand, candidate) pairs handed to HiGHS: the assignment MILP has a
#: column and a row per pair, and past a million HiGHS needs gigabytes (a 10k-node city
#: with 5,000 street candidates has about 10^8); beyond it the heuristic's proven gap stands.
MAX_MILP_PAIRS = 1_000_000


@dataclass(frozen=True)
class MedianOutcome:
    """Chosen sites (column positions, rank order) and how good the choice is proven to be.

    ``saving`` is the weighted walk saved (the caller's unit times weight), ``bound`` a
    proven upper bound on the best possible saving, ``status`` ``"optimal"`` (proven),
    ``"time_limit"`` or ``"heuristic"``; ``gains`` the saving each site adds given the
    sites ranked before it.
    """

    selected: tuple[int, ...]
    gains: tuple[float, ...]
    saving: float
    bound: float
    status: str
    method: str
    notes: tuple[str, ...] = field(default=())


def savings_matrix(costs: sparse.csr_array, base: FloatArray) -> sparse.csr_array:
    """``max(0, base_i - c_ij)`` for the stored pairs of ``costs`` (demand x candidate).

    Absent entries of ``costs`` are unreachable (no saving); only positive savings are kept.
    """
    coo = sparse.coo_array(costs)
    saving = base[coo.row] - coo.data
    keep = saving > _TOL
    out = sparse.csr_array(
        (saving[keep], (coo.row[keep], coo.col[keep])), shape=costs.shape, dtype=float
    )
    out.sum_duplicates()
    return out


def _gains(by_cand: sparse.csr_array, weights: FloatArray, current: FloatArray) -> FloatArray:
    """Saving each candidate would add on top of ``current`` (per-demand best saving)."""
    rows = by_cand.indices
    extra = np.maximum(by_cand.data - current[rows], 0.0) * weights[rows]
    n_cand = by_cand.shape[0]
    owner = np.repeat(np.arange(n_cand), np.diff(by_cand.indptr))
    out: FloatArray = np.bincount(owner, weights=extra, minlength=n_cand).astype(float)
    return out


def _current(by_cand: sparse.csr_array, n_demand: int, chosen: list[int]) -> FloatArray:
    best = np.zeros(n_demand)
    for j in chosen:
        lo, hi = by_cand.indptr[j], by_cand.indptr[j + 1]
        np.maximum.at(best, by_cand.indices[lo:hi], by_cand.data[lo:hi])
    return best


def _value(by_cand: sparse.csr_array, weights: FloatArray, chosen: list[int]) -> float:
    return float(weights @ _current(by_cand, len(weights), chosen))


def _greedy(by_cand: sparse.csr_array, weights: FloatArray, k: int) -> list[int]:
    current = np.zeros(len(weights))
    chosen: list[int] = []
    for _ in range(k):
        gains = _gains(by_cand, weights, current)
        gains[chosen] = -1.0
        j = int(np.argmax(gains))
        if gains[j] <= _TOL:
            break
        chosen.append(j)
        lo, hi = by_cand.indptr[j], by_cand.indptr[j + 1]
        np.maximum.at(current, by_cand.indices[lo:hi], by_cand.data[lo:hi])
    return chosen


def _swaps(
    by_cand: sparse.csr_array, weights: FloatArray, chosen: list[int], deadline: float
) -> list[int]:
    """First-improvement 1-swap local search until no swap helps or the deadline."""
    value = _value(by_cand, weights, chosen)
    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        for pos in range(len(chosen)):
            rest = chosen[:pos] + chosen[pos + 1 :]
            gains = _gains(by_cand, weights, _current(by_cand, len(weights), rest))
            gains[chosen] = -1.0
            j = int(np.argmax(gains))
            candidate = _value(by_cand, weights, rest) + float(gains[j])
            if candidate > value * (1 + 1e-12) + _TOL:
                chosen, value, improved = [*rest, j], candidate, True
                break
    return chosen


def _bound(by_cand: sparse.csr_array, weights: FloatArray, chosen: list[int], k: int) -> float:
    """Submodularity bound: F(S) plus the ``k`` largest gains with respect to ``S``."""
    gains = _gains(by_cand, weights, _current(by_cand, len(weights), chosen))
    top = np.sort(gains)[::-1][:k]
    return _value(by_cand, weights, chosen) + float(np.maximum(top, 0.0).sum())


def rank_by_gain(
    by_cand: sparse.csr_array, weights: FloatArray, chosen: list[int]
) -> tuple[list[int], list[float]]:
    """Order ``chosen`` greedily: each next site adds the most saving given those before."""
    left, order, gains = list(chosen), [], []
    current = np.zeros(len(weights))
    while left:
        extra = _gains(by_cand, weights, current)[left]
        pick = int(np.argmax(extra))
        j = left.pop(pick)
        order.append(j)
        gains.append(float(extra[pick]))
        lo, hi = by_cand.indptr[j], by_cand.indptr[j + 1]
        np.maximum.at(current, by_cand.indices[lo:hi], by_cand.data[lo:hi])
    return order, gains


def _milp(
    savings: sparse.csr_array, weights: FloatArray, k: int, warm: list[int], time_limit_s: float
) -> tuple[list[int], float, float, str]:
    """The assignment MILP over ``[z (m), x (pairs)]``; (selection, objective, bound, status)."""
    coo = sparse.coo_array(savings)
    n_dem, n_cand = savings.shape
    n_pairs = len(coo.data)
    pair = np.arange(n_pairs)
    # rows: one per demand (sum_j x_ij <= 1), one per pair (x_ij - z_j <= 0), one sum z = k
    assign = sparse.csr_array(
        (np.ones(n_pairs), (coo.row, n_cand + pair)), shape=(n_dem, n_cand + n_pairs)
    )
    link = sparse.csr_array(
        (
            np.concatenate([np.ones(n_pairs), -np.ones(n_pairs)]),
            (np.concatenate([pair, pair]), np.concatenate([n_cand + pair, coo.col])),
        ),
        shape=(n_pairs, n_cand + n_pairs),
    )
    count = sparse.csr_array(
        (np.ones(n_cand), (np.zeros(n_cand, dtype=np.int64), np.arange(n_cand))),
        shape=(1, n_cand + n_pairs),
    )
    matrix = sparse.csr_array(sparse.vstack([assign, link, count], format="csr"))
    n_cols = matrix.shape[1]
    costs = np.concatenate([np.zeros(n_cand), weights[coo.row] * coo.data])
    lower = np.concatenate([np.full(n_dem + n_pairs, -highspy.kHighsInf), [float(k)]])
    upper = np.concatenate([np.ones(n_dem), np.zeros(n_pairs), [float(k)]])
    model = RowwiseModel(
        matrix, costs, np.zeros(n_cols), np.ones(n_cols), lower, upper, n_integer=n_cand
    )
    h = highs_model(
        model, time_limit_s=time_limit_s, mip_rel_gap=_MIP_REL_GAP,
        warm_start=_warm_vector(coo, n_cand, warm, k),
    )  # fmt: skip
    h.run()
    info = h.getInfo()
    status = h.getModelStatus()
    label = "optimal" if status == highspy.HighsModelStatus.kOptimal else "time_limit"
    selected = warm
    if info.primal_solution_status == 2:
        values = np.asarray(h.getSolution().col_value[:n_cand])
        selected = [int(j) for j in np.flatnonzero(values > 0.5)]
    return selected, float(info.objective_function_value), float(info.mip_dual_bound), label


def _warm_vector(coo: sparse.coo_array, n_cand: int, chosen: list[int], k: int) -> FloatArray:
    """A feasible start: ``chosen`` padded to exactly ``k`` sites, each demand on its best."""
    z = np.zeros(n_cand)
    z[chosen] = 1.0
    spare = np.flatnonzero(z == 0)[: max(k - len(chosen), 0)]
    z[spare] = 1.0
    x = np.zeros(len(coo.data))
    open_pair = z[coo.col] > 0
    best: dict[int, tuple[float, int]] = {}
    for p in np.flatnonzero(open_pair):
        i = int(coo.row[p])
        if i not in best or coo.data[p] > best[i][0]:
            best[i] = (float(coo.data[p]), int(p))
    x[[p for _, p in best.values()]] = 1.0
    return np.concatenate([z, x])


def solve_p_median(
    savings: sparse.csr_array,
    weights: FloatArray,
    k: int,
    *,
    method: str = "auto",
    time_limit_s: float = 10.0,
) -> MedianOutcome:
    """Choose ``k`` columns maximising the weighted saving (see the module docstring).

    Parameters
    ----------
    savings : scipy.sparse.csr_array
        ``(demand x candidate)`` savings ``s_ij >= 0`` (:func:`savings_matrix`).
    weights : numpy.ndarray
        Demand weights.
    k : int
        Number of new sites (at most the number of candidates).
    method : {"auto", "greedy", "milp"}
        ``"greedy"``: greedy + 1-swap with the submodularity bound; ``"milp"``: then HiGHS;
        ``"auto"``: HiGHS only when the bound does not prove the heuristic optimal.
    time_limit_s : float
        Overall budget in seconds.

    Returns
    -------
    MedianOutcome
    """
    start = time.perf_counter()
    n_cand = savings.shape[1]
    if not (1 <= k <= n_cand):
        raise ValueError(f"k must be between 1 and the {n_cand} candidates, got {k}")
    by_cand = sparse.csr_array(savings.T)
    chosen = _greedy(by_cand, weights, k)
    chosen = _swaps(by_cand, weights, chosen, start + _SWAP_SHARE * time_limit_s)
    value = _value(by_cand, weights, chosen)
    bound = _bound(by_cand, weights, chosen, k)
    status, used = "heuristic", "greedy"
    notes: list[str] = []
    if bound - value <= _TOL * max(1.0, abs(value)):
        status = "optimal"
    elif method != "greedy" and savings.nnz > MAX_MILP_PAIRS:
        notes.append(
            f"the exact model would have {savings.nnz:,} demand-site pairs (HiGHS is run up "
            f"to {MAX_MILP_PAIRS:,}); the heuristic's proven gap is reported"
        )
    elif method != "greedy" and savings.nnz:
        left = max(time_limit_s - (time.perf_counter() - start), 0.01)
        picked, _, milp_bound, label = _milp(savings, weights, k, chosen, left)
        used = "milp"
        picked_value = _value(by_cand, weights, picked)
        if picked_value >= value:
            chosen, value = picked, picked_value
        bound = min(bound, milp_bound)
        status = "optimal" if label == "optimal" else "time_limit"
        if status == "optimal":
            bound = value
    if len(chosen) < k:
        notes.append(
            f"{len(chosen)} site(s) already save every minute the candidates can; the other "
            f"{k - len(chosen)} would add nothing and were left out"
        )
    order, gains = rank_by_gain(by_cand, weights, chosen)
    return MedianOutcome(
        tuple(order), tuple(gains), value, max(bound, value), status, used, tuple(notes)
    )


def selection_saving(savings: sparse.csr_array, weights: FloatArray, chosen: IndexArray) -> float:
    """Weighted saving of the columns ``chosen`` (for checks and brute force)."""
    best = np.zeros(savings.shape[0])
    sub = sparse.csr_array(savings[:, np.asarray(chosen, dtype=np.int64)])
    if sub.nnz:
        best = np.asarray(sub.max(axis=1).toarray()).ravel()
    return float(weights @ best)
