"""Why each suggested facility site helps: gains, grids that reach the target, nearest street.

Kept apart from :mod:`~lifecircle.coverage.measures.siting.facility_siting` (which chooses) so that
each concern stays small. Every figure is recomputed from the walks the solver saw
(:class:`~lifecircle.coverage.measures.siting.facility_siting.SitingProblem`), opening the sites one
rank at a time; grid shares are rolled up exactly as
:func:`~lifecircle.coverage.compute_coverage` does (:func:`grid_shares`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from lifecircle.coverage.measures.service_coverage import grid_shares

if TYPE_CHECKING:
    from lifecircle.coverage.measures.siting.siting_problem import SitingProblem
    from lifecircle.coverage.network.walk_network import WalkNetwork
    from lifecircle.geo.layers import Layers
    from lifecircle.typing import FloatArray

__all__ = ["compare_grids", "explain_sites", "rank_for_worst"]

_COLUMNS = [
    "rank", "candidate", "name", "street", "gain_residents", "gain_minutes", "worst_minutes",
    "grids",
]  # fmt: skip


def _shares(problem: SitingProblem, layers: Layers, walks: FloatArray) -> gpd.GeoDataFrame:
    demand = pd.DataFrame(
        {
            "weight": problem.weights,
            "grid_id": problem.demand["grid_id"].to_numpy(),
            "minutes_s": walks,
        }
    )
    return grid_shares(layers.grids, demand, ["s"], problem.walk_minutes, problem.target_share)


def _worst(problem: SitingProblem, walks: FloatArray) -> float:
    """Longest walk of residents with a facility within the cap (the others: out of reach)."""
    live = (problem.weights > 0) & (walks < problem.cap_minutes)
    return float(walks[live].max()) if live.any() else float("nan")


def rank_for_worst(problem: SitingProblem, chosen: list[int]) -> list[int]:
    """Order p-center sites: each next one shortens the longest walk most (then the total)."""
    left, order = list(chosen), list[int]()
    while left:
        keys = []
        for j in left:
            walks = problem.walks_with([*order, j])
            capped = np.minimum(walks, problem.cap_minutes)
            worst = _worst(problem, walks)
            keys.append((worst if worst == worst else np.inf, float(problem.weights @ capped)))
        order.append(left.pop(min(range(len(left)), key=keys.__getitem__)))
    return order


def explain_sites(
    problem: SitingProblem,
    chosen: list[int],
    served: list[float] | None,
    *,
    layers: Layers,
    network: WalkNetwork,
) -> gpd.GeoDataFrame:
    """One row per chosen site, in rank order (EPSG:4326); see ``FacilitySuggestions.sites``.

    ``served`` replaces the residents gained by what each site can serve (capacities).
    """
    weights, walk, cap = problem.weights, problem.walk_minutes, problem.cap_minutes
    cands = problem.candidates
    walks = problem.existing
    covered = _shares(problem, layers, walks)["covered_s"].to_numpy(dtype=bool)
    grid_ids = layers.grids["id"].astype(str).to_numpy()
    rows = []
    for rank, j in enumerate(chosen, start=1):
        after = problem.walks_with(chosen[:rank])
        newly = (after <= walk) & ~(walks <= walk)
        covered_after = _shares(problem, layers, after)["covered_s"].to_numpy(dtype=bool)
        saved = np.minimum(walks, cap) - np.minimum(after, cap)
        rows.append(
            {
                "rank": rank,
                "candidate": str(cands.index[j]),
                "name": _text(cands["name"].iloc[j]) if "name" in cands else "",
                "street": _text(network.edges["name"].iloc[int(cands["edge"].iloc[j])]),
                "gain_residents": float(weights[newly].sum()) if served is None
                else float(served[rank - 1]),
                "gain_minutes": float(weights @ saved),
                "worst_minutes": _worst(problem, after),
                "grids": ",".join(grid_ids[covered_after & ~covered]),
            }
        )  # fmt: skip
        walks, covered = after, covered_after
    geometry = cands.geometry.iloc[list(chosen)].to_numpy()
    sites = gpd.GeoDataFrame(pd.DataFrame(rows, columns=_COLUMNS), geometry=geometry, crs=cands.crs)
    return sites.to_crs(4326)


def _text(value: object) -> str:
    """A name cell as text: missing values become an empty string."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value)


def compare_grids(
    problem: SitingProblem, chosen: list[int], *, layers: Layers, service: str
) -> pd.DataFrame:
    """Per grid (every level), the share within the budget before and after the new sites."""
    before = _shares(problem, layers, problem.existing)
    after = _shares(problem, layers, problem.walks_with(chosen))
    keep = [c for c in ("id", "name", "level", "parent_id") if c in before.columns]
    out = pd.DataFrame(before[keep])
    out["residents"] = before["weight"].to_numpy()
    out["share_before"] = before["share_s"].to_numpy()
    out["share_after"] = after["share_s"].to_numpy()
    out["covered_before"] = before["covered_s"].to_numpy()
    out["covered_after"] = after["covered_s"].to_numpy()
    out.attrs["service"] = service
    return out
