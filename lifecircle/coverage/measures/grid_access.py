"""Accessibility beyond a yes/no threshold, per grid: cumulative, gravity and 2SFCA measures.

:func:`grid_accessibility` routes from every demand point to every facility of one
life-circle category (:func:`~lifecircle.coverage.routing.time_matrix.travel_time_matrix`,
walking **time** with the chosen profile, its penalties included), applies one measure of
:mod:`~lifecircle.coverage.measures.accessibility` to the sparse matrix, and averages the
per-point values over each grid's residents (leaf grids: weighted by the demand points'
residents; parents: :func:`~lifecircle.geo.hierarchy.roll_up`). The equity indices of
:mod:`~lifecircle.coverage.measures.equity` describe the same per-point values across
residents.

=============  ====================================================  ==========================
measure        per demand point                                      needs
=============  ====================================================  ==========================
cumulative     facilities (or their capacity) within ``max_minutes``  ``max_minutes``
gravity        ``sum_j S_j f(t_ij)`` up to ``max_minutes``            ``decay``
2sfca          supply per resident (Luo & Wang 2003)                  capacities, ``max_minutes``
e2sfca         2SFCA with stepped weights (Luo & Qi 2009)             capacities, a ``StepDecay``
=============  ====================================================  ==========================
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from lifecircle.coverage.measures.accessibility import (
    DecayFunction,
    StepDecay,
    cumulative_opportunities,
    floating_catchment,
    gravity_accessibility,
    two_step_fca,
)
from lifecircle.coverage.measures.arguments import check_positive
from lifecircle.coverage.measures.demand import demand_from_layers, leaf_grid_ids
from lifecircle.coverage.measures.equity import EquitySummary
from lifecircle.coverage.measures.facility_supply import facility_table
from lifecircle.coverage.measures.life_circle import LifeCircleOptions, equity_of_points
from lifecircle.coverage.network.walk_network import WalkNetwork
from lifecircle.coverage.routing.profiles import WalkProfile, resolve_profile
from lifecircle.coverage.routing.snap import snap_points
from lifecircle.coverage.routing.split_graph import build_split_graph
from lifecircle.coverage.routing.time_matrix import travel_time_matrix
from lifecircle.errors import LayerError
from lifecircle.geo.facility_categories import facility_categories
from lifecircle.geo.hierarchy import roll_up

__all__ = ["MEASURES", "GridAccessResult", "grid_accessibility"]

#: The measures :func:`grid_accessibility` knows.
MEASURES = ("cumulative", "gravity", "2sfca", "e2sfca")


@dataclass(frozen=True, eq=False)
class GridAccessResult:
    """Per-grid accessibility of one category (:func:`grid_accessibility`).

    Attributes
    ----------
    category, measure : str
        What was measured and how.
    grids : geopandas.GeoDataFrame
        Every grid (EPSG:4326): ``id, name, level, parent_id, kind, is_leaf, weight,
        access`` (the residents' mean; NaN without residents).
    demand : geopandas.GeoDataFrame
        Demand points with ``grid_id, weight, access``.
    equity : EquitySummary
        Inequality of the per-point ``access`` across residents.
    params : mapping
        Profile, minutes, decay and facility count.
    """

    category: str
    measure: str
    grids: gpd.GeoDataFrame
    demand: gpd.GeoDataFrame
    equity: EquitySummary
    params: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))

    def grid_table(self, level: str | None = None) -> gpd.GeoDataFrame:
        """The grids (of one ``level``), as a GeoDataFrame."""
        if level is None:
            return self.grids.copy()
        return self.grids[self.grids["level"] == level].reset_index(drop=True)

    def __repr__(self) -> str:
        populated = self.grids[self.grids["weight"] > 0]
        leaves = populated[populated["is_leaf"]]["access"]
        return (
            f"GridAccessResult({self.measure} access to {self.category}, "
            f"{self.params.get('profile')} walking, {self.params.get('facilities')} facilities: "
            f"leaf grids {leaves.min():.3g}..{leaves.max():.3g}; "
            f"Gini {self.equity.gini:.2f}, Palma {self.equity.palma:.2f})"
        )


def grid_accessibility(
    layers: Any,
    network: WalkNetwork,
    *,
    category: str,
    measure: str = "cumulative",
    profile: str | WalkProfile = "elderly",
    max_minutes: float = 15.0,
    decay: DecayFunction | None = None,
    use_capacity: bool = False,
    facilities: gpd.GeoDataFrame | None = None,
    options: LifeCircleOptions | None = None,
) -> GridAccessResult:
    """Cumulative, gravity or floating-catchment accessibility of one category, per grid.

    Parameters
    ----------
    layers : lifecircle.geo.Layers
        Grids (and buildings) for demand; ``facilities``/``elderly`` for supply.
    network : WalkNetwork
        The walking network (penalties count: this is walking time).
    category : str
        A facility category code (``"kindergarten"``; see ``facility_categories.toml``).
    measure : {"cumulative", "gravity", "2sfca", "e2sfca"}
        See the module table.
    profile : str or WalkProfile, default "elderly"
        Walking speed and penalties.
    max_minutes : float, default 15
        The catchment (cumulative, gravity, 2sfca); ignored by e2sfca (its zones decide).
    decay : DecayFunction, optional
        Required for ``gravity`` (e.g. ``ExponentialDecay.from_half_life(10)``) and
        ``e2sfca`` (a :class:`StepDecay`).
    use_capacity : bool, default False
        Weight facilities by ``capacity`` for cumulative and gravity (2SFCA always does).
    facilities : geopandas.GeoDataFrame, optional
        Default ``layers.facilities``.
    options : LifeCircleOptions, optional
        ``max_snap_m``, ``spacing_m``, ``include_elderly``, ``older_residents``.

    Returns
    -------
    GridAccessResult
    """
    if measure not in MEASURES:
        raise ValueError(f"unknown measure {measure!r}; expected one of {list(MEASURES)}")
    if category not in facility_categories():
        close = difflib.get_close_matches(str(category), list(facility_categories()), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(
            f"unknown category {category!r}{hint}; expected a code of "
            f"facility_categories.toml: {', '.join(facility_categories())}"
        )
    (max_minutes,) = check_positive(max_minutes=max_minutes)
    if measure == "gravity" and decay is None:
        raise ValueError(
            "measure 'gravity' needs a decay function, e.g. "
            "decay=ExponentialDecay.from_half_life(10); none is assumed (see accessibility)"
        )
    if measure == "e2sfca" and not isinstance(decay, StepDecay):
        raise ValueError("measure 'e2sfca' needs decay=StepDecay(...), e.g. LUO_QI_2009")
    opts = options if options is not None else LifeCircleOptions()
    prof = resolve_profile(profile)
    source = facilities if facilities is not None else getattr(layers, "facilities", None)
    facs = facility_table(layers, source, crs=network.crs, include_elderly=opts.include_elderly)
    facs = facs[facs["category"] == category].reset_index(drop=True)
    capacity = facs["capacity"].to_numpy(dtype=float)
    needs_capacity = use_capacity or measure in ("2sfca", "e2sfca")
    if needs_capacity and np.isnan(capacity).any():
        lacking = facs.loc[np.isnan(capacity), "id"].astype(str).tolist()
        raise LayerError(
            "facilities",
            [
                f"{len(lacking)} {category} facilities have no capacity "
                f"({', '.join(lacking[:5])}{' ...' if len(lacking) > 5 else ''}); {measure} "
                "with capacities needs one per facility (places, beds): fill the capacity column"
            ],
        )
    demand = demand_from_layers(
        layers.grids,
        crs=network.crs,
        buildings=getattr(layers, "buildings", None),
        spacing_m=opts.spacing_m,
    )
    limit_min = (
        float(decay.upper_minutes[-1]) if isinstance(decay, StepDecay) and measure == "e2sfca"
        else max_minutes
    )  # fmt: skip
    d_snap = snap_points(network, demand, max_snap_m=opts.max_snap_m)
    f_snap = snap_points(network, facs, max_snap_m=opts.max_snap_m)
    graph = build_split_graph(network, f_snap, profile=prof)
    matrix = travel_time_matrix(graph, d_snap, limit_s=limit_min * 60.0)
    weight = demand["weight"].to_numpy(dtype=float)
    supply = capacity if needs_capacity else None
    if measure == "cumulative":
        access = cumulative_opportunities(matrix, max_minutes=max_minutes, capacity=supply)
    elif measure == "2sfca":
        catchment = two_step_fca(matrix, demand=weight, supply=capacity, max_minutes=max_minutes)
        access = catchment.access
    elif isinstance(decay, StepDecay) and measure == "e2sfca":
        access = floating_catchment(matrix, demand=weight, supply=capacity, decay=decay).access
    elif decay is not None:  # gravity (checked above)
        access = gravity_accessibility(
            matrix, decay=decay, capacity=supply, max_minutes=max_minutes
        )
    else:  # unreachable: the arguments were checked above
        raise ValueError(f"measure {measure!r} with decay {decay!r}")
    demand["access"] = access
    grids = _grid_values(layers.grids, demand)
    equity = equity_of_points(layers.grids, demand, "access", opts.older_residents)
    params = {
        "profile": prof.name,
        "speed_m_s": prof.speed_m_s,
        "max_minutes": limit_min,
        "decay": repr(decay) if decay is not None else None,
        "use_capacity": needs_capacity,
        "facilities": len(facs),
        "network": repr(network),
    }
    return GridAccessResult(category, measure, grids, demand.to_crs(4326), equity, params)


def _grid_values(grids: gpd.GeoDataFrame, demand: pd.DataFrame) -> gpd.GeoDataFrame:
    out = grids.assign(id=grids["id"].astype(str)).to_crs(4326)
    out["parent_id"] = [None if pd.isna(p) else str(p) for p in out["parent_id"]]
    leaf_ids = leaf_grid_ids(out)
    out["is_leaf"] = out["id"].isin(leaf_ids)
    weight = demand["weight"].to_numpy(dtype=float)
    by = demand["grid_id"].to_numpy()
    values = pd.DataFrame(index=pd.Index(leaf_ids, name="id"))
    values["weight"] = pd.Series(weight).groupby(by).sum().reindex(leaf_ids).fillna(0.0)
    total = pd.Series(weight * demand["access"].to_numpy(float)).groupby(by).sum()
    total = total.reindex(leaf_ids).fillna(0.0)
    populated = values["weight"] > 0
    values["access"] = np.where(populated, total / values["weight"].where(populated, 1.0), math.nan)
    rolled = roll_up(out, values, weight="weight", columns=["access"])
    rolled.index = rolled.index.astype(str)
    out["weight"] = out["id"].map(rolled["weight"]).fillna(0.0).to_numpy()
    out["access"] = out["id"].map(rolled["access"]).to_numpy(float)
    keep = [c for c in ("id", "name", "level", "parent_id", "kind", "is_leaf") if c in out]
    return out[[*keep, "weight", "access", "geometry"]].reset_index(drop=True)
