"""The siting problem as the solvers and the explanations see it (one value, no work)."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
from scipy import sparse

from lifecircle.typing import FloatArray

__all__ = ["SitingProblem"]


@dataclass(frozen=True)
class SitingProblem:
    """Everything the solvers see: demand, existing walks, candidates and their walks.

    ``minutes`` is a ``(demand x candidate)`` sparse matrix of walking minutes from each
    demand point to each candidate (stored = within ``SEARCH_FACTOR`` times the budget);
    ``existing`` each point's walk to the nearest existing facility (``inf``: none within
    that reach); ``capacity`` one value per candidate (``inf``: no limit).
    """

    demand: gpd.GeoDataFrame
    existing: FloatArray
    candidates: gpd.GeoDataFrame
    minutes: sparse.csr_array
    capacity: FloatArray
    walk_minutes: float
    cap_minutes: float
    target_share: float

    @property
    def weights(self) -> FloatArray:
        """Residents of each demand point."""
        values: FloatArray = self.demand["weight"].to_numpy(dtype=float)
        return values

    def walks_with(self, chosen: list[int]) -> FloatArray:
        """Each demand point's walk once the candidates at positions ``chosen`` open."""
        best = self.existing.copy()
        if chosen:
            sub = sparse.coo_array(self.minutes[:, np.asarray(chosen, dtype=np.int64)])
            np.minimum.at(best, sub.row, sub.data)
        return best
