"""Immutable result objects of the seat-placement solvers."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["PlacementResult", "ReductionStats"]


@dataclass(frozen=True)
class ReductionStats:
    """What model reduction removed before solving.

    Parameters
    ----------
    n_demand, n_candidates : int
        Size of the model as given.
    n_demand_reduced, n_candidates_reduced : int
        Size of the model handed to the solver.
    n_demand_uncoverable : int
        Demand points no allowed candidate reaches (they can never be covered).
    n_demand_required : int
        Demand points already covered by the required sites.
    n_demand_merged : int
        Demand points merged into another one with the same covering set.
    n_candidates_forbidden, n_candidates_dominated : int
        Candidates removed because forbidden, or because another candidate covers a superset.
    """

    n_demand: int
    n_candidates: int
    n_demand_reduced: int
    n_candidates_reduced: int
    n_demand_uncoverable: int = 0
    n_demand_required: int = 0
    n_demand_merged: int = 0
    n_candidates_forbidden: int = 0
    n_candidates_dominated: int = 0


@dataclass(frozen=True)
class PlacementResult:
    """The answer of :meth:`CoverageModel.solve`.

    Parameters
    ----------
    selected : tuple
        Labels of the chosen candidates (required ones first), in rank order: each site is
        the one adding the most weight given the sites ranked before it.
    marginal_gains : tuple of float
        Demand weight each selected site adds, given the sites ranked before it.
    problem : str
        ``"max_covering"`` (best coverage with ``k`` sites) or ``"set_cover"`` (fewest sites
        reaching ``target_share``).
    objective : float
        Covered weight (``max_covering``) or number of sites (``set_cover``).
    bound : float
        Proven bound on the optimal objective: an upper bound for ``max_covering``, a lower
        bound for ``set_cover``.
    gap : float
        Proven relative optimality gap ``|bound - objective| / max(|objective|, 1e-9)``;
        ``0.0`` means proven optimal.
    covered_weight, total_weight : float
        Demand weight covered by the selection, and total demand weight of the model.
    status : str
        ``"optimal"``, ``"time_limit"`` (stopped early; ``gap`` says how far from proven), or
        ``"heuristic"`` (no exact solve was run).
    method : str
        ``"greedy"`` (lazy greedy + 1-swap local search) or ``"milp"`` (HiGHS).
    time_s : float
        Wall time spent in :meth:`solve`, seconds.
    reduction : ReductionStats
        What the model reduction removed.
    notes : tuple of str
        Human-readable remarks (e.g. fewer than ``k`` sites were enough).
    """

    selected: tuple[object, ...]
    marginal_gains: tuple[float, ...]
    problem: str
    objective: float
    bound: float
    gap: float
    covered_weight: float
    total_weight: float
    status: str
    method: str
    time_s: float
    reduction: ReductionStats
    notes: tuple[str, ...] = field(default=())

    @property
    def covered_share(self) -> float:
        """Share of the total demand weight covered, in ``[0, 1]``."""
        return self.covered_weight / self.total_weight if self.total_weight > 0 else 0.0

    @property
    def n_sites(self) -> int:
        """Number of selected sites (required ones included)."""
        return len(self.selected)

    @property
    def is_optimal(self) -> bool:
        """Whether the solution is proven optimal."""
        return self.status == "optimal"

    def to_frame(self) -> pd.DataFrame:
        """Return the selected sites as a DataFrame.

        Returns
        -------
        pandas.DataFrame
            Columns ``rank`` (1-based), ``candidate``, ``marginal_gain`` and
            ``cumulative_weight``, one row per selected site.
        """
        gains = np.asarray(self.marginal_gains, dtype=float)
        return pd.DataFrame(
            {
                "rank": np.arange(1, len(self.selected) + 1),
                "candidate": list(self.selected),
                "marginal_gain": gains,
                "cumulative_weight": np.cumsum(gains) if len(gains) else gains,
            }
        )

    def __repr__(self) -> str:
        gap = f"{100 * self.gap:.3g}%" if np.isfinite(self.gap) else "unknown"
        return (
            f"PlacementResult({self.problem}, {self.n_sites} site(s), covered "
            f"{self.covered_weight:.6g}/{self.total_weight:.6g} ({100 * self.covered_share:.1f}%), "
            f"status={self.status}, gap={gap}, method={self.method}, time={self.time_s:.2f}s)"
        )
