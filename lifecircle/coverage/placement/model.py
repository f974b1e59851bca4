"""The covering model: which candidate sites reach which demand, and how much it weighs.

Build it from a cost structure with :meth:`CoverageModel.from_costs` (a sparse or dense
``demand x candidate`` matrix of walking distances, or a boolean coverage matrix), or
from point layers and a :class:`~lifecircle.coverage.network.walk_network.WalkNetwork` with
:meth:`CoverageModel.from_layers`, which always measures distances along the walking
network. Then :meth:`CoverageModel.solve` answers either

- *maximal covering* (``k=...``): which ``k`` sites cover the most demand weight, or
- *set cover with a target* (``target_share=...``): the fewest sites covering that share.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, TypeAlias

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import sparse

from lifecircle.coverage.placement.greedy import rank_selection
from lifecircle.coverage.placement.reduce import ReducedModel, reduce_model
from lifecircle.coverage.placement.result import PlacementResult
from lifecircle.coverage.placement.solve import SolveOutcome, solve_max_covering, solve_set_cover
from lifecircle.errors import InfeasibleError
from lifecircle.typing import FloatArray, IndexArray

if TYPE_CHECKING:
    import geopandas as gpd

    from lifecircle.coverage.network.walk_network import WalkNetwork

__all__ = ["METHODS", "CoverageModel"]

logger = logging.getLogger(__name__)

#: Solve methods of :meth:`CoverageModel.solve`.
METHODS = ("auto", "greedy", "milp")

#: A ``demand x candidate`` cost matrix: scipy sparse, a numpy array (or nested lists) or a
#: DataFrame; boolean for a coverage matrix itself.
Costs: TypeAlias = "sparse.sparray | sparse.spmatrix | pd.DataFrame | ArrayLike"


def _coverage_from_costs(costs: Costs, max_cost: float | None) -> sparse.csr_array:
    """Turn distances (or a boolean matrix) into boolean coverage."""
    if sparse.issparse(costs):
        coo = sparse.coo_array(costs)
        if coo.dtype == bool:
            keep = coo.data
        else:
            if max_cost is None:
                raise ValueError("max_cost is required when costs are distances, not booleans")
            data = coo.data.astype(float)
            if np.any(data < 0):
                raise ValueError("costs contain negative distances; expected metres >= 0")
            # stored entries are distances (explicit zeros included); missing = unreachable
            keep = np.isfinite(data) & (data <= max_cost)
        matrix = sparse.csr_array(
            (np.ones(int(keep.sum()), dtype=bool), (coo.row[keep], coo.col[keep])),
            shape=coo.shape,
        )
        matrix.sum_duplicates()
        return matrix
    dense = np.asarray(costs)
    if dense.ndim != 2:
        raise ValueError(
            f"costs must be a 2-D (demand x candidate) matrix, got shape {dense.shape}"
        )
    if dense.dtype == bool:
        return sparse.csr_array(dense)
    if max_cost is None:
        raise ValueError("max_cost is required when costs are distances, not booleans")
    dense = dense.astype(float)
    if np.any(dense < 0):
        raise ValueError("costs contain negative distances; expected metres >= 0")
    return sparse.csr_array(np.isfinite(dense) & (dense <= max_cost))


def _check_weights(weights: ArrayLike | None, n_demand: int) -> FloatArray:
    if weights is None:
        return np.ones(n_demand)
    values = np.asarray(weights, dtype=float).ravel()
    if len(values) != n_demand:
        raise ValueError(
            f"weights has {len(values)} values; expected one per demand row ({n_demand})"
        )
    bad = np.flatnonzero(~np.isfinite(values) | (values < 0))
    if len(bad):
        raise ValueError(
            f"weights must be finite and >= 0; {len(bad)} are not, first at row {bad[0]} "
            f"(value {float(values[bad[0]])!r})"
        )
    return values


@dataclass(frozen=True, eq=False)
class CoverageModel:
    """Which candidate sites cover which weighted demand points.

    Parameters
    ----------
    coverage : scipy.sparse.csr_array
        Boolean ``(demand x candidate)`` matrix: ``True`` when the candidate is within the
        cover max_cost of the demand point.
    weights : numpy.ndarray
        Non-negative weight of each demand point (e.g. residents, older residents).
    candidate_ids, demand_ids : pandas.Index
        Labels of the columns and rows.
    max_cost : float or None
        The largest cost (in the unit of the costs: metres for :meth:`from_network`) that
        still covers, as the matrix was built with; for the record.
    """

    coverage: sparse.csr_array
    weights: FloatArray
    candidate_ids: pd.Index
    demand_ids: pd.Index
    max_cost: float | None = None

    def __post_init__(self) -> None:
        n_dem, n_cand = self.coverage.shape
        if len(self.weights) != n_dem or len(self.demand_ids) != n_dem:
            raise ValueError("weights and demand_ids must have one entry per coverage row")
        if len(self.candidate_ids) != n_cand:
            raise ValueError("candidate_ids must have one entry per coverage column")
        if not self.candidate_ids.is_unique:
            dup = self.candidate_ids[self.candidate_ids.duplicated()].unique()[:5].tolist()
            raise ValueError(f"candidate ids must be unique; duplicated: {dup}")

    @classmethod
    def from_costs(
        cls,
        costs: Costs,
        *,
        max_cost: float | None = None,
        weights: ArrayLike | None = None,
        candidate_ids: Iterable[object] | None = None,
        demand_ids: Iterable[object] | None = None,
    ) -> CoverageModel:
        """Build a model from a ``demand x candidate`` cost (distance) matrix.

        Parameters
        ----------
        costs : scipy.sparse matrix, numpy.ndarray or pandas.DataFrame
            Walking distances in metres. In a sparse matrix, stored entries are distances
            (explicit zeros count as 0 m) and missing entries mean "not reachable"; in a
            dense one use ``inf`` or NaN for unreachable. A boolean matrix is taken as the
            coverage itself.
        max_cost : float, optional
            Largest cost that still covers, in the unit of ``costs``; required unless
            ``costs`` is boolean.
        weights : array-like, optional
            Demand weights (default 1 each).
        candidate_ids, demand_ids : iterable, optional
            Labels; default to the DataFrame's columns / index, else ``0..n-1``.

        Returns
        -------
        CoverageModel

        Examples
        --------
        >>> import numpy as np
        >>> costs = np.array([[100.0, np.inf], [250.0, 80.0], [np.inf, 400.0]])
        >>> model = CoverageModel.from_costs(costs, max_cost=300)
        >>> model.solve(1).selected
        (0,)
        """
        if max_cost is not None and not (np.isfinite(max_cost) and max_cost >= 0):
            raise ValueError(f"max_cost must be a finite number >= 0, got {max_cost!r}")
        if isinstance(costs, pd.DataFrame):
            candidate_ids = costs.columns if candidate_ids is None else candidate_ids
            demand_ids = costs.index if demand_ids is None else demand_ids
            costs = costs.to_numpy()
        coverage = _coverage_from_costs(costs, max_cost)
        n_dem, n_cand = coverage.shape
        cand = pd.Index(range(n_cand) if candidate_ids is None else list(candidate_ids))
        dem = pd.Index(range(n_dem) if demand_ids is None else list(demand_ids))
        return cls(coverage, _check_weights(weights, n_dem), cand, dem, max_cost)

    @classmethod
    def from_layers(
        cls,
        demand: gpd.GeoDataFrame,
        candidates: gpd.GeoDataFrame,
        network: WalkNetwork,
        *,
        radius_m: float,
        weight_column: str | None = None,
        max_snap_m: float = 100.0,
    ) -> CoverageModel:
        """Build a model from point layers, measuring distances along the walking network.

        Both layers are snapped onto the network's edges; a demand point is covered by a
        candidate when the walk between their snapped positions (plus both snap
        distances) is at most ``radius_m``. Points farther than ``max_snap_m`` from any
        edge cover / are covered by nothing (logged). There is no straight-line fall-back.

        Parameters
        ----------
        demand, candidates : geopandas.GeoDataFrame
            Point layers (any CRS; reprojected to the network's).
        network : WalkNetwork
            The walking network.
        radius_m : float
            Cover max_cost in metres of walk.
        weight_column : str, optional
            Column of ``demand`` holding weights (default 1 each).
        max_snap_m : float
            Largest distance from a point to the network that still counts as on it.

        Returns
        -------
        CoverageModel
        """
        from lifecircle.coverage.placement.costs import walk_costs

        weights = None if weight_column is None else demand[weight_column].to_numpy()
        costs = walk_costs(demand, candidates, network, max_walk_m=radius_m, max_snap_m=max_snap_m)
        return cls.from_costs(
            costs,
            max_cost=radius_m,
            weights=weights,
            candidate_ids=candidates.index,
            demand_ids=demand.index,
        )

    @property
    def n_demand(self) -> int:
        """Number of demand points (rows)."""
        return int(self.coverage.shape[0])

    @property
    def n_candidates(self) -> int:
        """Number of candidate sites (columns)."""
        return int(self.coverage.shape[1])

    @property
    def total_weight(self) -> float:
        """Sum of all demand weights."""
        return float(self.weights.sum())

    @cached_property
    def by_candidate(self) -> sparse.csr_array:
        """The coverage transposed to ``(candidate x demand)`` CSR (cached)."""
        return sparse.csr_array(self.coverage.T)

    def positions(self, labels: Iterable[object], *, what: str = "candidate") -> IndexArray:
        """Map candidate labels to column positions; unknown labels raise ValueError."""
        labels = list(labels)
        if not labels:
            return np.zeros(0, dtype=np.int64)
        pos = self.candidate_ids.get_indexer(labels)
        unknown = [lab for lab, p in zip(labels, pos, strict=True) if p < 0]
        if unknown:
            raise ValueError(f"{what} ids not among the candidates: {unknown[:10]}")
        found: IndexArray = np.unique(pos.astype(np.int64))
        return found

    def covered_weight(self, selected: Iterable[object]) -> float:
        """Demand weight covered by the candidates with labels ``selected``."""
        cols = self.positions(selected)
        mask = np.zeros(self.n_candidates, dtype=np.int32)
        mask[cols] = 1
        return float(self.weights[(self.coverage @ mask) > 0].sum())

    def reduce(
        self, *, required: Iterable[object] = (), forbidden: Iterable[object] = ()
    ) -> ReducedModel:
        """Return the reduced model handed to the solvers (see :mod:`.reduce`)."""
        req = self.positions(required, what="required")
        forb = self.positions(forbidden, what="forbidden")
        both = np.intersect1d(req, forb)
        if len(both):
            raise ValueError(
                f"candidates both required and forbidden: {self.candidate_ids[both].tolist()[:10]}"
            )
        return reduce_model(self.coverage, self.weights, required=req, forbidden=forb)

    def solve(
        self,
        k: int | None = None,
        *,
        target_share: float | None = None,
        method: str = "auto",
        time_limit_s: float = 10.0,
        required: Iterable[object] = (),
        forbidden: Iterable[object] = (),
    ) -> PlacementResult:
        """Choose sites: best coverage with ``k`` sites, or fewest sites for a target share.

        Parameters
        ----------
        k : int, optional
            Number of sites (required ones included) — maximal covering.
        target_share : float, optional
            Share of the total demand weight to cover, in ``(0, 1]`` — set cover.
            Give exactly one of ``k`` and ``target_share``.
        method : {"auto", "greedy", "milp"}
            ``"greedy"``: lazy greedy + 1-swap local search + the Lagrangian heuristic,
            with the best of the submodularity and Lagrangian bounds as the proven gap;
            these stop on iteration counts, so the answer does not depend on machine
            load. ``"milp"``: the heuristic, then Lagrangian site fixing and HiGHS
            warm-started from it. ``"auto"``: like ``"milp"`` but skips HiGHS when the
            heuristic is already proven optimal.
        time_limit_s : float
            Overall time budget in seconds; only HiGHS is stopped by it (it gets what the
            heuristic leaves, at least 0.01 s).
        required, forbidden : iterable of candidate ids
            Sites that must be / must not be selected.

        Returns
        -------
        PlacementResult

        Raises
        ------
        InfeasibleError
            ``k`` exceeds the allowed candidates, the target share cannot be reached (the
            message gives the largest reachable share), or no candidate is left.
        ValueError
            Bad arguments (unknown ids, both or neither of ``k``/``target_share``...).
        """
        start = time.perf_counter()
        _check_solve_args(k, target_share, method, time_limit_s)
        reduced = self.reduce(required=required, forbidden=forbidden)
        req = self.positions(required, what="required")
        self._check_feasible(reduced, k, target_share, n_required=len(req))
        if k is not None:
            outcome = solve_max_covering(
                reduced, k - len(req), method=method, time_limit_s=time_limit_s, start=start
            )
        else:
            target = float(target_share or 0.0) * self.total_weight - reduced.base_weight
            outcome = solve_set_cover(
                reduced, target, method=method, time_limit_s=time_limit_s, start=start
            )
        return self._result(reduced, req, outcome, k=k, start=start)

    def _check_feasible(
        self, reduced: ReducedModel, k: int | None, target_share: float | None, *, n_required: int
    ) -> None:
        stats = reduced.stats
        n_allowed = self.n_candidates - stats.n_candidates_forbidden
        if n_allowed == 0:
            raise InfeasibleError(
                f"no candidate sites left: all {self.n_candidates} are forbidden or excluded"
            )
        if k is not None and k > n_allowed:
            raise InfeasibleError(
                f"k={k} sites requested but only {n_allowed} candidate(s) are allowed "
                f"({self.n_candidates} in total, {stats.n_candidates_forbidden} forbidden)"
            )
        if k is not None and k < n_required:
            raise ValueError(f"k={k} is smaller than the {n_required} required site(s)")
        if target_share is not None:
            best = reduced.coverable_weight / self.total_weight if self.total_weight > 0 else 0.0
            if target_share > best + 1e-12:
                raise InfeasibleError(
                    f"target share {target_share:.1%} cannot be reached: even selecting every "
                    f"allowed candidate covers at most {best:.2%} of the demand weight "
                    f"({target_share - best:.2%} short; {stats.n_demand_uncoverable} demand "
                    f"point(s) are beyond the largest covering cost of every allowed candidate)"
                )

    def _result(
        self,
        reduced: ReducedModel,
        req: IndexArray,
        outcome: SolveOutcome,
        *,
        k: int | None,
        start: float,
    ) -> PlacementResult:
        chosen = [int(j) for j in req] + [int(reduced.candidate_index[j]) for j in outcome.selected]
        order, gains = rank_selection(self.by_candidate, self.weights, chosen, fixed=len(req))
        covered = float(np.sum(gains))
        if k is not None:
            objective, bound = covered, outcome.bound + reduced.base_weight
        else:
            objective, bound = float(len(chosen)), outcome.bound + len(req)
        gap = abs(bound - objective) / max(abs(objective), 1e-9)
        notes = list(outcome.notes)
        if k is not None and len(chosen) < k:
            notes.append(
                f"{len(chosen)} site(s) already cover all coverable demand; the other "
                f"{k - len(chosen)} would add nothing and were left out"
            )
        return PlacementResult(
            selected=tuple(self.candidate_ids[order]),
            marginal_gains=tuple(gains),
            problem="max_covering" if k is not None else "set_cover",
            objective=objective,
            bound=bound,
            gap=0.0 if outcome.status == "optimal" else gap,
            covered_weight=covered,
            total_weight=self.total_weight,
            status=outcome.status,
            method=outcome.method,
            time_s=time.perf_counter() - start,
            reduction=reduced.stats,
            notes=tuple(notes),
        )

    def __repr__(self) -> str:
        return (
            f"CoverageModel({self.n_demand} demand x {self.n_candidates} candidates, "
            f"{self.coverage.nnz} covering pairs, total weight {self.total_weight:.6g}, "
            f"max_cost={self.max_cost})"
        )


def _check_solve_args(
    k: int | None, target_share: float | None, method: str, time_limit_s: float
) -> None:
    if (k is None) == (target_share is None):
        raise ValueError("give exactly one of k (number of sites) and target_share")
    if k is not None and (isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1):
        raise ValueError(f"k must be a positive integer, got {k!r}")
    if target_share is not None and not (0 < target_share <= 1):
        raise ValueError(f"target_share must be in (0, 1], got {target_share!r}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if not (time_limit_s > 0):
        raise ValueError(f"time_limit_s must be > 0, got {time_limit_s!r}")
