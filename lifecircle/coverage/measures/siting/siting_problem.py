"""The siting problem as the solvers and the explanations see it (one value, no work)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse

from lifecircle.coverage.routing.split_graph import SplitGraph
from lifecircle.coverage.routing.time_matrix import travel_time_matrix
from lifecircle.typing import FloatArray, IndexArray

__all__ = ["SitingProblem"]


@dataclass(frozen=True)
class SitingProblem:
    """Everything the solvers see: demand, existing walks, candidates and their walks.

    ``minutes`` is a ``(demand x candidate)`` sparse matrix of walking minutes from each
    demand point to each candidate, stored up to ``limit_minutes`` and only for the rows the
    objective needs (maximal covering: the residents not yet covered, within the budget;
    the others: every resident, up to ``cap_minutes``); ``existing`` each point's walk to
    the nearest existing facility (``inf``: none within ``cap_minutes``); ``capacity`` one
    value per candidate (``inf``: no limit). ``graph``, ``points`` and ``facility_rows``
    (the split graph's facility row of each column) let :meth:`opened` measure the chosen
    sites' walks for every resident.
    """

    demand: gpd.GeoDataFrame
    existing: FloatArray
    candidates: gpd.GeoDataFrame
    minutes: sparse.csr_array
    capacity: FloatArray
    walk_minutes: float
    cap_minutes: float
    target_share: float
    graph: SplitGraph
    points: pd.DataFrame
    facility_rows: IndexArray

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

    def opened(self, chosen: list[int]) -> SitingProblem:
        """The problem restricted to the columns ``chosen`` (in that order), each with its
        walk from every demand point up to ``cap_minutes`` — what the explanations need."""
        rows = self.facility_rows[np.asarray(chosen, dtype=np.int64)]
        seconds = travel_time_matrix(
            self.graph, self.points, limit_s=self.cap_minutes * 60.0, facilities=rows
        )
        minutes = sparse.csr_array(
            (seconds.data / 60.0, seconds.indices, seconds.indptr), shape=seconds.shape
        )
        return dataclasses.replace(
            self,
            candidates=self.candidates.iloc[list(chosen)],
            minutes=minutes,
            capacity=self.capacity[list(chosen)],
            facility_rows=rows,
        )
