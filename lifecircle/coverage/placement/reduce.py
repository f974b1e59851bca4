"""Model reduction: shrink a covering model without changing its optimum.

Four exact reductions, applied in this order:

1. forbidden candidates are removed;
2. demand already covered by a required site is removed (its weight becomes a constant of
   the objective), and so is demand with zero weight or that no allowed candidate reaches;
3. dominated candidates are removed: a candidate whose covering set is a subset of another
   allowed candidate's (for identical sets the lowest index is kept). Any solution using a
   dominated candidate can swap it for its dominator without losing coverage, so both the
   maximal-covering and the set-cover optimum are unchanged;
4. demand points with identical covering sets are merged (weights summed).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import cast

import numpy as np
from scipy import sparse

from lifecircle.coverage.placement.result import ReductionStats
from lifecircle.typing import BoolArray, FloatArray, IndexArray

__all__ = ["ReducedModel", "dominated_candidates", "merge_identical_rows", "reduce_model"]

logger = logging.getLogger(__name__)

_DOMINANCE_CHUNK_NNZ = 20_000_000


@dataclass(frozen=True, eq=False)
class ReducedModel:
    """A covering model after reduction, with the maps back to the original one.

    Parameters
    ----------
    coverage : scipy.sparse.csr_array
        Boolean ``(demand x candidate)`` coverage of the reduced model.
    weights : numpy.ndarray
        Weight of each reduced demand row.
    candidate_index : numpy.ndarray
        Original column index of each reduced candidate.
    base_weight : float
        Weight already covered by the required sites.
    coverable_weight : float
        Largest weight any selection can cover (required coverage included).
    stats : ReductionStats
        Counts of what was removed.
    """

    coverage: sparse.csr_array
    weights: FloatArray
    candidate_index: IndexArray
    base_weight: float
    coverable_weight: float
    stats: ReductionStats


def dominated_candidates(coverage: sparse.csr_array) -> BoolArray:
    """Flag the columns whose covering set is a subset of another column's.

    Among identical columns the one with the lowest index is kept. Empty columns are
    always dominated.

    Parameters
    ----------
    coverage : scipy.sparse.csr_array
        Boolean ``(demand x candidate)`` matrix.

    Returns
    -------
    numpy.ndarray
        Boolean mask over the columns, ``True`` for dominated ones.
    """
    csc = sparse.csc_array(coverage, dtype=np.int32)
    csr = sparse.csr_array(coverage, dtype=np.int32)
    n_cols = csc.shape[1]
    size = np.diff(csc.indptr)
    dominated: BoolArray = size == 0
    row_deg = np.diff(csr.indptr).astype(np.int64)
    # work of column j in C^T C is sum of the degrees of its rows
    cum = np.concatenate([[0], np.cumsum(row_deg[csc.indices])])
    col_work = cum[csc.indptr[1:]] - cum[csc.indptr[:-1]]
    start = 0
    while start < n_cols:
        stop = start + 1
        acc = col_work[start]
        while stop < n_cols and acc + col_work[stop] <= _DOMINANCE_CHUNK_NNZ:
            acc += col_work[stop]
            stop += 1
        block = sparse.coo_array(csc[:, start:stop].T @ csr)
        own = block.row + start
        other = block.col
        own_size = size[own]
        other_size = size[other]
        is_subset = (block.data == own_size) & (other != own)
        beats = (other_size > own_size) | ((other_size == own_size) & (other < own))
        dominated[own[is_subset & beats]] = True
        start = stop
    return dominated


def merge_identical_rows(
    coverage: sparse.csr_array, weights: FloatArray
) -> tuple[sparse.csr_array, FloatArray]:
    """Merge rows with identical sparsity patterns, summing their weights.

    Parameters
    ----------
    coverage : scipy.sparse.csr_array
        Boolean matrix with sorted indices.
    weights : numpy.ndarray
        One weight per row.

    Returns
    -------
    coverage, weights
        The merged matrix (rows in order of first appearance) and the summed weights.
    """
    coverage = sparse.csr_array(coverage)
    coverage.sort_indices()
    indptr, indices = coverage.indptr, coverage.indices
    keys: dict[bytes, int] = {}
    group = np.empty(coverage.shape[0], dtype=np.int64)
    for row in range(coverage.shape[0]):
        key = indices[indptr[row] : indptr[row + 1]].tobytes()
        group[row] = keys.setdefault(key, len(keys))
    if len(keys) == coverage.shape[0]:
        return coverage, weights
    first = np.full(len(keys), -1, dtype=np.int64)
    first[group[::-1]] = np.arange(coverage.shape[0])[::-1]
    # float64 with weights (numpy's stubs say intp whatever the weights)
    merged_weights = cast(FloatArray, np.bincount(group, weights=weights, minlength=len(keys)))
    return sparse.csr_array(coverage[first]), merged_weights


def reduce_model(
    coverage: sparse.csr_array,
    weights: FloatArray,
    *,
    required: IndexArray,
    forbidden: IndexArray,
    drop_dominated: bool = True,
) -> ReducedModel:
    """Apply the exact reductions described in the module docstring.

    Parameters
    ----------
    coverage : scipy.sparse.csr_array
        Boolean ``(demand x candidate)`` coverage.
    weights : numpy.ndarray
        Non-negative demand weights.
    required, forbidden : numpy.ndarray
        Integer column indices that must / must not be selected (disjoint).
    drop_dominated : bool
        Remove dominated candidates (step 3).

    Returns
    -------
    ReducedModel
        The reduced model; its candidates never include required or forbidden ones.
    """
    n_dem, n_cand = coverage.shape
    csr = sparse.csr_array(coverage, dtype=bool)
    allowed = np.ones(n_cand, dtype=bool)
    allowed[forbidden] = False
    req_mask = np.zeros(n_cand, dtype=bool)
    req_mask[required] = True
    by_required = (csr @ req_mask.astype(np.int32)) > 0 if len(required) else np.zeros(n_dem, bool)
    free = allowed & ~req_mask
    by_free = (csr @ free.astype(np.int32)) > 0
    base_weight = float(weights[by_required].sum())
    coverable = float(weights[by_required | by_free].sum())
    keep_rows = by_free & ~by_required & (weights > 0)
    n_uncoverable = int((~by_required & ~by_free).sum())
    cand_index = np.flatnonzero(free)
    sub = sparse.csr_array(csr[keep_rows][:, cand_index])
    sub_weights = np.asarray(weights[keep_rows], dtype=float)
    n_dominated = 0
    if drop_dominated and sub.shape[1] > 1:
        dom = dominated_candidates(sub)
        n_dominated = int(dom.sum())
        cand_index = cand_index[~dom]
        sub = sparse.csr_array(sub[:, np.flatnonzero(~dom)])
    merged, merged_weights = merge_identical_rows(sub, sub_weights)
    stats = ReductionStats(
        n_demand=n_dem,
        n_candidates=n_cand,
        n_demand_reduced=merged.shape[0],
        n_candidates_reduced=merged.shape[1],
        n_demand_uncoverable=n_uncoverable,
        n_demand_required=int(by_required.sum()),
        n_demand_merged=sub.shape[0] - merged.shape[0],
        n_candidates_forbidden=int((~allowed).sum()),
        n_candidates_dominated=n_dominated,
    )
    logger.debug("reduced covering model: %s", stats)
    return ReducedModel(merged, merged_weights, cand_index, base_weight, coverable, stats)
