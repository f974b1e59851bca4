"""Accessibility beyond a yes/no threshold, per grid: cumulative, gravity and 2SFCA measures.

:func:`grid_accessibility` routes from every demand point to every facility of one
life-circle category (:func:`~lifecircle.coverage.routing.time_matrix.travel_time_matrix`,
walking **time** with the chosen profile, its penalties included), applies one measure of
:mod:`~lifecircle.coverage.measures.life_circle.accessibility` to the sparse matrix, and
averages the per-point values over each grid's residents (leaf grids: weighted by the demand points'
residents; parents: :func:`~lifecircle.geo.hierarchy.roll_up`). The equity indices of
:mod:`~lifecircle.coverage.measures.life_circle.equity` describe the same per-point values across
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
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from lifecircle.coverage.measures.demand import demand_from_layers, leaf_grid_ids
from lifecircle.coverage.measures.life_circle.accessibility import (
    DecayFunction,
    StepDecay,
    TravelTimes,
    cumulative_opportunities,
    floating_catchment,
    gravity_accessibility,
    two_step_fca,
)
from lifecircle.coverage.measures.life_circle.equity import EquitySummary
from lifecircle.coverage.measures.life_circle.facility_supply import facility_table
from lifecircle.coverage.measures.life_circle.life_circle import equity_of_points
from lifecircle.coverage.network.walk_network import WalkNetwork
from lifecircle.coverage.routing.profiles import WalkProfile, resolve_profile
from lifecircle.coverage.routing.snap import snap_points
from lifecircle.coverage.routing.split_graph import build_split_graph
from lifecircle.coverage.routing.time_matrix import travel_time_matrix
from lifecircle.errors import LayerError, OptionError
from lifecircle.frozen_mapping import FrozenMapping
from lifecircle.geo.facility_categories import facility_categories
from lifecircle.geo.hierarchy import roll_up
from lifecircle.options import check_flag, check_number, check_text, with_overrides
from lifecircle.typing import FloatArray

if TYPE_CHECKING:
    from lifecircle.geo.layers import Layers

__all__ = ["MEASURES", "AccessOptions", "GridAccessResult", "grid_accessibility"]

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
        object.__setattr__(self, "params", FrozenMapping(dict(self.params)))

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


@dataclass(frozen=True, kw_only=True)
class AccessOptions:
    """How :func:`grid_accessibility` measures access, checked once (``__post_init__``).

    Parameters
    ----------
    measure : {"cumulative", "gravity", "2sfca", "e2sfca"}, default "cumulative"
        See the module table.
    profile : str or WalkProfile, default "elderly"
        Walking speed and penalties (:mod:`lifecircle.coverage.routing.profiles`).
    max_minutes : float, default 15
        The catchment (cumulative, gravity, 2sfca); e2sfca's zones set their own.
    decay : DecayFunction, optional
        Required for ``gravity`` (e.g. ``ExponentialDecay.from_half_life(10)``: no default
        decay is assumed) and ``e2sfca`` (a :class:`StepDecay`).
    use_capacity : bool, default False
        Weight facilities by ``capacity`` for cumulative and gravity (2SFCA always does).
    max_snap_m, spacing_m, include_elderly, older_residents
        As in :class:`~lifecircle.coverage.measures.life_circle.life_circle.LifeCircleOptions`.

    Raises
    ------
    lifecircle.errors.OptionError
        For an unknown measure or profile, a missing decay, or a number out of range.
    lifecircle.errors.OptionTypeError
        For a value of the wrong type.
    """

    measure: str = "cumulative"
    profile: str | WalkProfile = "elderly"
    max_minutes: float = 15.0
    decay: DecayFunction | None = None
    use_capacity: bool = False
    max_snap_m: float = 100.0
    spacing_m: float = 25.0
    include_elderly: bool = True
    older_residents: str | None = None

    def __post_init__(self) -> None:
        if self.measure not in MEASURES:
            raise OptionError(
                f"measure must be one of {list(MEASURES)}, got {self.measure!r}",
                option="measure", value=self.measure, expected=f"one of {', '.join(MEASURES)}",
            )  # fmt: skip
        for name in ("max_minutes", "max_snap_m", "spacing_m"):
            object.__setattr__(self, name, check_number(name, getattr(self, name)))
        for name in ("use_capacity", "include_elderly"):
            object.__setattr__(self, name, check_flag(name, getattr(self, name)))
        check_text("older_residents", self.older_residents)
        if self.measure == "gravity" and self.decay is None:
            raise OptionError(
                "measure 'gravity' needs a decay function, e.g. "
                "decay=ExponentialDecay.from_half_life(10); none is assumed",
                option="decay", value=None, expected="a decay function",
            )  # fmt: skip
        if self.measure == "e2sfca" and not isinstance(self.decay, StepDecay):
            raise OptionError(
                "measure 'e2sfca' needs decay=StepDecay(...), e.g. LUO_QI_2009",
                option="decay", value=self.decay, expected="a StepDecay",
            )  # fmt: skip
        self.walk_profile  # noqa: B018 - an unknown profile name fails here, not mid-run

    @property
    def walk_profile(self) -> WalkProfile:
        """The walking profile used."""
        try:
            return resolve_profile(self.profile)
        except ValueError as exc:
            raise OptionError(
                str(exc), option="profile", value=self.profile, expected="a walking profile"
            ) from None

    @property
    def catchment_minutes(self) -> float:
        """How far the routing looks: ``max_minutes``, or e2sfca's last zone."""
        if self.measure == "e2sfca" and isinstance(self.decay, StepDecay):
            return float(self.decay.upper_minutes[-1])
        return self.max_minutes


def grid_accessibility(
    layers: Layers,
    network: WalkNetwork,
    *,
    category: str,
    facilities: gpd.GeoDataFrame | None = None,
    options: AccessOptions | None = None,
    **overrides: object,
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
    facilities : geopandas.GeoDataFrame, optional
        Default ``layers.facilities``.
    options : AccessOptions, optional
        The measure, profile, catchment and decay (default ``AccessOptions()``: facilities
        within 15 minutes at the elderly pace).
    **overrides
        Any option of :class:`AccessOptions` by name, applied on top of ``options``.

    Returns
    -------
    GridAccessResult

    Raises
    ------
    ValueError
        For an unknown category (with the closest code) or option; LayerError when a
        capacity-weighted measure meets a facility without a capacity.
    """
    if category not in facility_categories():
        close = difflib.get_close_matches(str(category), list(facility_categories()), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(
            f"unknown category {category!r}{hint}; expected a code of "
            f"facility_categories.toml: {', '.join(facility_categories())}"
        )
    opts = with_overrides(options, overrides, kind=AccessOptions, function="grid_accessibility")
    source = facilities if facilities is not None else getattr(layers, "facilities", None)
    facs = facility_table(layers, source, crs=network.crs, include_elderly=opts.include_elderly)
    facs = facs[facs["category"] == category].reset_index(drop=True)
    capacity = _capacities(facs, category, opts)
    demand = demand_from_layers(
        layers.grids,
        crs=network.crs,
        buildings=getattr(layers, "buildings", None),
        spacing_m=opts.spacing_m,
    )
    d_snap = snap_points(network, demand, max_snap_m=opts.max_snap_m)
    f_snap = snap_points(network, facs, max_snap_m=opts.max_snap_m)
    graph = build_split_graph(network, f_snap, profile=opts.walk_profile)
    matrix = travel_time_matrix(graph, d_snap, limit_s=opts.catchment_minutes * 60.0)
    demand["access"] = _access(matrix, demand["weight"].to_numpy(dtype=float), capacity, opts)
    grids = _grid_values(layers.grids, demand)
    equity = equity_of_points(layers.grids, demand, "access", opts.older_residents)
    params = {
        "profile": opts.walk_profile.name,
        "speed_m_s": opts.walk_profile.speed_m_s,
        "max_minutes": opts.catchment_minutes,
        "decay": repr(opts.decay) if opts.decay is not None else None,
        "use_capacity": capacity is not None,
        "facilities": len(facs),
        "network": repr(network),
    }
    return GridAccessResult(category, opts.measure, grids, demand.to_crs(4326), equity, params)


def _capacities(facs: pd.DataFrame, category: str, opts: AccessOptions) -> FloatArray | None:
    """The facilities' capacities when the measure weighs them (every one must have one)."""
    if not (opts.use_capacity or opts.measure in ("2sfca", "e2sfca")):
        return None
    capacity = np.asarray(facs["capacity"], dtype=np.float64)
    if np.isnan(capacity).any():
        lacking = facs.loc[np.isnan(capacity), "id"].astype(str).tolist()
        raise LayerError(
            "facilities",
            [
                f"{len(lacking)} {category} facilities have no capacity "
                f"({', '.join(lacking[:5])}{' ...' if len(lacking) > 5 else ''}); "
                f"{opts.measure} with capacities needs one per facility (places, beds): "
                "fill the capacity column"
            ],
        )
    return capacity


def _access(
    matrix: TravelTimes, weight: FloatArray, capacity: FloatArray | None, opts: AccessOptions
) -> FloatArray:
    """The measure of ``opts`` for every demand point."""
    if opts.measure == "cumulative":
        return cumulative_opportunities(matrix, max_minutes=opts.max_minutes, capacity=capacity)
    if opts.measure == "gravity" and opts.decay is not None:
        return gravity_accessibility(
            matrix, decay=opts.decay, capacity=capacity, max_minutes=opts.max_minutes
        )
    if capacity is None:  # the floating catchments always weigh capacities (checked above)
        raise ValueError(f"measure {opts.measure!r} needs capacities")
    if opts.measure == "2sfca":
        return two_step_fca(
            matrix, demand=weight, supply=capacity, max_minutes=opts.max_minutes
        ).access
    if isinstance(opts.decay, StepDecay):
        return floating_catchment(matrix, demand=weight, supply=capacity, decay=opts.decay).access
    raise ValueError(f"measure {opts.measure!r} with decay {opts.decay!r}")


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
