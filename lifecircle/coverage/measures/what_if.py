"""What if a facility were added, moved or removed? Every figure updated in milliseconds.

:class:`CoverageState` holds what a coverage solve needs to be *updated* rather than redone:
the editable split graph (:class:`~lifecircle.coverage.routing.incremental.SiteGraph`), per
service the walking seconds and nearest facility of every node and every demand point, and
per grid the covered weight and shares at every level. An edit re-solves only the nodes
within the search limit of the edited street (see :mod:`lifecircle.coverage.routing.incremental`
for why that is exact), then the demand points entering through them, then the grids they
belong to and those grids' ancestors.

The figures equal :func:`~lifecircle.coverage.compute_coverage` on the same facility set,
bit for bit: ``minutes``, ``share`` and ``covered`` of every demand point and grid. The
nearest facility of a point may differ only where two facilities are exactly equally near.
Isochrones are left out (``result().isochrones`` is empty, as with ``isochrones=False``).

Why immutable states. Each edit returns a *new* state and leaves the old one intact: undo is
keeping the previous state, scenarios are states side by side (a notebook's map can compare
"before" and "after"), and nothing half-edited is ever visible. The cost is a copy of the
per-node arrays per edit (a millisecond at 100,000 nodes); the graph, demand and grid
structures are shared between states.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from numpy.typing import NDArray

from lifecircle.coverage.measures.coverage_result import CoverageResult
from lifecircle.coverage.measures.demand import demand_from_layers, leaf_grid_ids
from lifecircle.coverage.measures.service_coverage import (
    SEARCH_FACTOR,
    ServiceSpec,
    default_services,
    grid_shares,
)
from lifecircle.coverage.network.extent import beyond_reach
from lifecircle.coverage.network.walk_network import WalkNetwork
from lifecircle.coverage.options import CoverageOptions
from lifecircle.coverage.routing.incremental import SiteGraph, region_nodes, resolve_region
from lifecircle.coverage.routing.snap import check_snapped, snap_points
from lifecircle.coverage.routing.split_graph import build_split_graph, enter_graph
from lifecircle.coverage.routing.travel_times import nearest_facility
from lifecircle.errors import CoordinateWarning
from lifecircle.geo.hierarchy import ancestors
from lifecircle.geo.schema import ELDERLY_TYPES
from lifecircle.options import with_overrides
from lifecircle.typing import BoolArray, CRSLike, FloatArray, IndexArray

if TYPE_CHECKING:
    from lifecircle.geo.layers import Layers

__all__ = ["CoverageState"]

logger = logging.getLogger(__name__)

_FACILITY_COLUMNS = ["service", "id", "name", "type", "geometry", "snap_m", "snapped", "access"]


@dataclass(frozen=True, eq=False)
class _Demand:
    """Demand points and grid structure shared by every state of one analysis."""

    frame: gpd.GeoDataFrame  # network CRS, with snap_m and component
    snap: pd.DataFrame
    edge: IndexArray
    offset_m: FloatArray
    leg_s: FloatArray
    snapped: BoolArray
    weight: FloatArray
    leaf: IndexArray  # leaf position of each point
    by_leaf: IndexArray  # point positions sorted by leaf (stable)
    leaf_start: IndexArray  # by_leaf[leaf_start[k]:leaf_start[k+1]] are leaf k's points
    leaf_ids: list[str]
    leaf_weight: FloatArray
    unit: FloatArray  # leaf weight / its max (roll_up's scale-free weights)
    member_group: IndexArray  # roll-up members: grid position of each (leaf, ancestor) pair
    member_leaf: IndexArray
    leaf_groups: tuple[IndexArray, ...]  # grid positions of each leaf and its ancestors
    grid_ids: list[str]


@dataclass(frozen=True, eq=False)
class _Service:
    """Per-service arrays of one state."""

    node_seconds: FloatArray
    node_facility: IndexArray  # facility key, -1 unreached
    point_seconds: FloatArray
    point_facility: IndexArray
    leaf_covered: FloatArray
    grid_share: FloatArray  # every grid, in grids order


@dataclass(frozen=True, eq=False)
class CoverageState:
    """An analysis that can take, move or lose a facility and update every figure at once.

    Build it with :meth:`from_layers`; edit it with :meth:`add_facility`,
    :meth:`move_facility` and :meth:`remove_facility`, each returning a new state (this one
    is unchanged: keep it to undo). Read the figures with :meth:`share`, :meth:`covered`
    and :meth:`minutes` (cheap), or :meth:`result` (a full :class:`CoverageResult`).

    Examples
    --------
    >>> state = CoverageState.from_layers(layers, network)  # doctest: +SKIP
    >>> more = state.add_facility("care_home", (121.45, 31.23), id="new-1")  # doctest: +SKIP
    >>> (more.share("elderly") - state.share("elderly")).max()  # doctest: +SKIP
    """

    network: WalkNetwork
    options: CoverageOptions
    specs: Mapping[str, ServiceSpec]
    grids: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    graph: SiteGraph
    _demand: _Demand
    _entry: tuple[IndexArray, IndexArray, FloatArray, FloatArray]
    _services: Mapping[str, _Service]
    _next_key: int

    # ---- construction ------------------------------------------------------------------

    @classmethod
    def from_layers(
        cls,
        layers: Layers,
        network: WalkNetwork,
        *,
        options: CoverageOptions | None = None,
        services: Mapping[str, ServiceSpec] | None = None,
        **overrides: object,
    ) -> CoverageState:
        """Solve coverage once, keeping what later edits need.

        Parameters
        ----------
        layers, network, options, services, **overrides
            As for :func:`~lifecircle.coverage.compute_coverage` (``isochrones`` is
            ignored: a state computes none).

        Returns
        -------
        CoverageState
        """
        if not isinstance(network, WalkNetwork):
            raise TypeError(f"network must be a WalkNetwork, got {type(network).__name__}")
        if not isinstance(getattr(layers, "grids", None), gpd.GeoDataFrame):
            raise TypeError(
                f"layers must be a Layers object with a 'grids' GeoDataFrame, got "
                f"{type(layers).__name__}"
            )
        opts = with_overrides(
            options, overrides, kind=CoverageOptions, function="CoverageState.from_layers"
        )
        specs = dict(default_services(layers) if services is None else services)
        if not specs:
            raise ValueError("services is empty; give at least one service")
        facs = _facility_table(layers, specs, crs=network.crs)
        demand = demand_from_layers(
            layers.grids,
            crs=network.crs,
            buildings=getattr(layers, "buildings", None),
            spacing_m=opts.spacing_m,
        )
        d_snap = snap_points(network, demand, max_snap_m=opts.max_snap_m)
        f_snap = snap_points(network, facs, max_snap_m=opts.max_snap_m)
        drop = beyond_reach(network, facs, max_snap_m=opts.max_snap_m)
        drop &= ~f_snap["snapped"].to_numpy(dtype=bool)
        facs = facs[~drop].reset_index(drop=True)
        f_snap = f_snap[~drop].reset_index(drop=True)
        far = check_snapped(
            d_snap, f_snap, services=facs["service"], max_snap_m=opts.max_snap_m,
            listed_in="result().unsnapped",
        )  # fmt: skip
        if far:
            warnings.warn(far, CoordinateWarning, stacklevel=2)
        split = build_split_graph(network, f_snap, profile=opts.walk_profile)
        graph = SiteGraph.from_split_graph(split, offsets_m=f_snap["offset_m"].to_numpy(float))
        facs["snap_m"] = f_snap["snap_m"].to_numpy(dtype=float)
        facs["snapped"] = f_snap["snapped"].to_numpy(dtype=bool)
        facs["access"] = split.access_node
        entry = enter_graph(split, d_snap)
        shared = _demand_structure(layers.grids, demand, d_snap, entry, split.profile.speed_m_s)
        limit_s = SEARCH_FACTOR * opts.walk_minutes * 60.0
        per: dict[str, _Service] = {}
        for name in specs:
            rows = np.flatnonzero(facs["service"].to_numpy() == name)
            near = nearest_facility(split, facilities=rows, limit_s=limit_s)
            ent = (entry.a, entry.b, entry.to_a_s, entry.to_b_s)
            secs, fac = _point_seconds(near.seconds, near.facility, ent, shared, limit_s)
            per[name] = _Service(near.seconds, near.facility, secs, fac, *_empty_grid(shared))
        grids = layers.grids
        state = cls(
            network, opts, MappingProxyType(specs), grids,
            gpd.GeoDataFrame(facs, geometry="geometry", crs=network.crs), graph, shared,
            (entry.a, entry.b, entry.to_a_s, entry.to_b_s), MappingProxyType(per), len(facs),
        )  # fmt: skip
        leaves = np.arange(len(shared.leaf_ids))
        return state._with_grids({s: leaves for s in specs}, dict(per))

    # ---- figures -----------------------------------------------------------------------

    @property
    def services(self) -> list[str]:
        """Names of the services analysed."""
        return list(self.specs)

    def _service(self, service: str) -> _Service:
        if service not in self._services:
            raise ValueError(
                f"service {service!r} is not in the analysis; it has {', '.join(self.specs)}"
            )
        return self._services[service]

    def share(self, service: str) -> pd.Series:
        """Share of each grid's weight within the budget (aligned with :attr:`grids`)."""
        values = self._service(service).grid_share
        return pd.Series(values, index=self.grids.index, name=f"share_{service}")

    def covered(self, service: str) -> pd.Series:
        """Whether each grid meets the target share (aligned with :attr:`grids`)."""
        values = self._service(service).grid_share >= self.options.target_share
        return pd.Series(values, index=self.grids.index, name=f"covered_{service}")

    def minutes(self, service: str) -> FloatArray:
        """Walking minutes of every demand point to its nearest facility (``inf`` beyond
        twice the budget), in demand order."""
        minutes: FloatArray = self._service(service).point_seconds / 60.0
        return minutes

    def result(self) -> CoverageResult:
        """Return the full :class:`CoverageResult` of this facility set (no isochrones)."""
        demand = self._demand.frame.copy()
        keys = self._facility_ids()
        for name, svc in self._services.items():
            demand[f"minutes_{name}"] = svc.point_seconds / 60.0
            demand[f"facility_{name}"] = keys[svc.point_facility]
        opts, prof = self.options, self.options.walk_profile
        services = list(self.specs)
        grids = grid_shares(self.grids, demand, services, opts.walk_minutes, opts.target_share)
        params = {
            "profile": prof.name,
            "speed_m_s": prof.speed_m_s,
            "penalties": dict(prof.penalties),
            "walk_minutes": opts.walk_minutes,
            "max_snap_m": opts.max_snap_m,
            "access_m": opts.access_m,
            "spacing_m": opts.spacing_m,
            "target_share": opts.target_share,
            "services": {
                k: (v if isinstance(v, tuple | list) else "<GeoDataFrame>")
                for k, v in self.specs.items()
            },
            "network": repr(self.network),
            "weight_kind": ",".join(sorted(set(demand["weight_kind"]))),
        }
        facs = self._ordered_facilities()
        return CoverageResult(
            demand=demand.to_crs(4326),
            grids=grids,
            facilities=_facility_summary(facs, demand, services, opts.walk_minutes),
            isochrones=gpd.GeoDataFrame(
                {"service": [], "facility_id": [], "minutes": []}, geometry=[], crs=4326
            ),
            unsnapped=_unsnapped(demand, self._demand.snap, facs),
            params=params,
        )

    # ---- edits -------------------------------------------------------------------------

    def add_facility(
        self,
        service_or_type: str,
        point: shapely.Point | tuple[float, float],
        *,
        id: str,  # noqa: A002 - the facility's id, as in the layers
        crs: CRSLike = 4326,
        name: str | None = None,
    ) -> CoverageState:
        """Return the state with one more facility.

        Parameters
        ----------
        service_or_type : str
            A service name (the facility joins that service) or an elderly ``type`` code
            (it joins every service listing that code, as a row of ``layers.elderly``
            would).
        point : shapely.Point or (x, y)
            Where it is, in ``crs``.
        id : str
            Its id (unique among the facilities).
        crs : CRS-like, default EPSG:4326
            The CRS of ``point`` (longitude, latitude by default).
        name : str, optional
            Its name (default the id).

        Raises
        ------
        ValueError
            For an unknown service or type, or an id already in use.
        """
        if str(id) in set(self.facilities["id"]):
            raise ValueError(f"a facility with id {id!r} exists; give a new id")
        rows = self._new_rows(service_or_type, str(id), name, _point_in(point, crs, self))
        return self._edit(add=rows, remove=[])

    def remove_facility(self, id: str) -> CoverageState:  # noqa: A002
        """Return the state without facility ``id`` (in every service listing it).

        Raises
        ------
        KeyError
            When no facility has that id.
        """
        keys = self._keys_of(str(id))
        return self._edit(add=self.facilities.iloc[:0], remove=keys)

    def move_facility(
        self,
        id: str,  # noqa: A002
        point: shapely.Point | tuple[float, float],
        *,
        crs: CRSLike = 4326,
    ) -> CoverageState:
        """Return the state with facility ``id`` at ``point`` (in ``crs``), same services.

        Raises
        ------
        KeyError
            When no facility has that id.
        """
        keys = self._keys_of(str(id))
        moved = self.facilities.loc[keys].copy()
        moved["geometry"] = _point_in(point, crs, self)
        moved = gpd.GeoDataFrame(moved, geometry="geometry", crs=self.network.crs)
        return self._edit(add=moved, remove=keys, keep_keys=True)

    # ---- internals ---------------------------------------------------------------------

    def _keys_of(self, fid: str) -> list[int]:
        keys = self.facilities.index[self.facilities["id"] == fid].tolist()
        if not keys:
            raise KeyError(f"no facility has id {fid!r}")
        return [int(k) for k in keys]

    def _new_rows(
        self, what: str, fid: str, name: str | None, geom: shapely.Point
    ) -> gpd.GeoDataFrame:
        if what in self.specs:
            services, ftype = [what], what
        else:
            services = [
                s for s, spec in self.specs.items() if isinstance(spec, tuple | list) and what in spec
            ]
            ftype = what
            if not services:
                raise ValueError(
                    f"{what!r} is neither a service ({', '.join(self.specs)}) nor an elderly "
                    "type code listed by one"
                )
        frame = pd.DataFrame(
            {"service": services, "id": fid, "name": fid if name is None else name, "type": ftype}
        )
        return gpd.GeoDataFrame(frame, geometry=[geom] * len(services), crs=self.network.crs)

    def _edit(
        self, *, add: gpd.GeoDataFrame, remove: list[int], keep_keys: bool = False
    ) -> CoverageState:
        graph, facs = self.graph, self.facilities.copy()
        touched: list[IndexArray] = []
        for key in remove:
            acc = int(facs.at[key, "access"])
            if acc >= 0:
                graph, t = graph.remove_site(acc)
                touched.append(t)
        facs = facs.drop(index=remove)
        next_key = self._next_key
        add_keys = list(add.index) if keep_keys else list(range(next_key, next_key + len(add)))
        next_key += 0 if keep_keys else len(add)
        new = add.set_axis(add_keys).copy()
        max_snap = self.options.max_snap_m
        snapped = snap_points(self.network, new, max_snap_m=max_snap) if len(new) else None
        access = np.full(len(new), -1, dtype=np.int64)
        edges_changed: set[int] = set()
        for k in range(len(new)):
            assert snapped is not None
            if not bool(snapped["snapped"].iloc[k]):
                continue
            edge = int(snapped["edge"].iloc[k])
            graph, acc, t = graph.add_site(
                edge, float(snapped["offset_m"].iloc[k]), float(snapped["snap_m"].iloc[k])
            )
            access[k] = acc
            touched.append(t)
            edges_changed.add(edge)
        for key in remove:
            acc = int(self.facilities.at[key, "access"])
            if acc >= 0:
                edges_changed.add(self.graph.site_node[acc][0])
        if len(new):
            assert snapped is not None
            new["snap_m"] = snapped["snap_m"].to_numpy(dtype=float)
            new["snapped"] = snapped["snapped"].to_numpy(dtype=bool)
            new["access"] = access
            facs = pd.concat([facs, new[_FACILITY_COLUMNS]])
            facs = gpd.GeoDataFrame(facs, geometry="geometry", crs=self.network.crs)
        state = replace(self, facilities=facs, graph=graph, _next_key=next_key)
        if not touched:
            return state
        return state._resolve(np.concatenate(touched), edges_changed - {-1})

    def _resolve(self, touched: IndexArray, edges_changed: set[int]) -> CoverageState:
        graph, dem = self.graph, self._demand
        limit_s = SEARCH_FACTOR * self.options.walk_minutes * 60.0
        region = region_nodes(graph.csr, touched, limit_s=limit_s)
        entry, moved = _rebracket(graph, self._entry, dem, edges_changed)
        n = graph.n_nodes
        in_region = np.zeros(n, dtype=bool)
        in_region[region] = True
        a, b = entry[0], entry[1]
        points = np.flatnonzero((in_region[a] | in_region[b] | moved) & dem.snapped)
        live = self.facilities[self.facilities["access"] >= 0]
        per: dict[str, _Service] = {}
        leaves: dict[str, IndexArray] = {}
        for name, svc in self._services.items():
            mine = live[live["service"] == name]
            sources = dict(zip(mine["access"].astype(int), mine.index.astype(int), strict=True))
            secs = _grown(svc.node_seconds, n, np.inf)
            fac = _grown(svc.node_facility, n, -1)
            secs, fac = resolve_region(
                graph.csr, secs, fac, region=region, sources=sources, limit_s=limit_s
            )
            sub = tuple(x[points] for x in entry)
            p_secs, p_fac = _point_seconds(secs, fac, sub, dem, limit_s, rows=points)
            point_seconds = svc.point_seconds.copy()
            point_facility = svc.point_facility.copy()
            was_ok = point_seconds[points] / 60.0 <= self.options.walk_minutes
            now_ok = p_secs / 60.0 <= self.options.walk_minutes
            point_seconds[points], point_facility[points] = p_secs, p_fac
            leaves[name] = np.unique(dem.leaf[points[was_ok != now_ok]])
            per[name] = replace(
                svc, node_seconds=secs, node_facility=fac, point_seconds=point_seconds,
                point_facility=point_facility,
            )  # fmt: skip
        return replace(self, _entry=entry)._with_grids(leaves, per)

    def _with_grids(self, leaves: Mapping[str, IndexArray], per: dict[str, _Service]) -> CoverageState:
        """Recompute the covered weight of ``leaves`` and roll it up (as ``grid_shares``)."""
        dem, walk_minutes = self._demand, self.options.walk_minutes
        out: dict[str, _Service] = {}
        for name, svc in per.items():
            todo = leaves.get(name, np.empty(0, dtype=np.int64))
            if len(todo) == 0:
                out[name] = svc
                continue
            lens = dem.leaf_start[todo + 1] - dem.leaf_start[todo]
            pos = np.repeat(dem.leaf_start[todo], lens) + (
                np.arange(lens.sum()) - np.repeat(np.cumsum(lens) - lens, lens)
            )
            rows = np.sort(dem.by_leaf[pos])  # demand order, as grid_shares groups them
            ok = svc.point_seconds[rows] / 60.0 <= walk_minutes
            covered = (
                pd.Series(np.where(ok, dem.weight[rows], 0.0)).groupby(dem.leaf[rows]).sum()
            )
            leaf_covered = svc.leaf_covered.copy()
            leaf_covered[covered.index.to_numpy()] = covered.to_numpy()
            groups = np.unique(np.concatenate([dem.leaf_groups[k] for k in todo]))
            share = svc.grid_share.copy()
            share[groups] = _rolled(dem, leaf_covered, groups)
            out[name] = replace(svc, leaf_covered=leaf_covered, grid_share=share)
        return replace(self, _services=MappingProxyType(out))

    def _facility_ids(self) -> NDArray[np.object_]:
        keys = np.full(self._next_key + 1, None, dtype=object)
        keys[self.facilities.index.to_numpy(dtype=np.int64)] = self.facilities["id"].to_numpy()
        return keys  # keys[-1] is None: unreachable

    def _ordered_facilities(self) -> gpd.GeoDataFrame:
        order = {s: k for k, s in enumerate(self.specs)}
        facs = self.facilities.assign(_order=self.facilities["service"].map(order))
        facs = facs.rename_axis("_key").sort_values(["_order", "_key"], kind="stable")
        return facs.drop(columns="_order").reset_index(drop=True)


def _grown(values: np.ndarray, n: int, fill: float) -> Any:
    if len(values) >= n:
        return values
    return np.concatenate([values, np.full(n - len(values), fill, dtype=values.dtype)])


def _point_in(point: object, crs: CRSLike, state: CoverageState) -> shapely.Point:
    """The point as a shapely Point in the network CRS."""
    if isinstance(point, shapely.Point):
        geom = point
    elif isinstance(point, tuple | list) and len(point) == 2:
        geom = shapely.Point(float(point[0]), float(point[1]))
    else:
        raise TypeError(f"point must be a shapely Point or (x, y), got {type(point).__name__}")
    series = gpd.GeoSeries([geom], crs=pyproj.CRS.from_user_input(crs)).to_crs(state.network.crs)
    out: shapely.Point = series.iloc[0]
    return out


def _facility_table(
    layers: Layers, specs: Mapping[str, ServiceSpec], *, crs: pyproj.CRS
) -> gpd.GeoDataFrame:
    """Stack the facilities of every service: ``service, id, name, type, geometry``
    (the same rows, in the same order, as ``compute_coverage``)."""
    known = {c.code for c in ELDERLY_TYPES}
    frames = []
    for name, spec in specs.items():
        if isinstance(spec, gpd.GeoDataFrame):
            frame = spec
        elif isinstance(spec, tuple | list):
            unknown = sorted(set(spec) - known)
            if unknown:
                raise ValueError(f"service {name!r}: unknown elderly type(s) {unknown}")
            frame = layers.elderly[layers.elderly["type"].isin(spec)]
        else:
            raise TypeError(
                f"service {name!r} must be a GeoDataFrame or a tuple of elderly type codes"
            )
        ids = frame["id"].astype(str) if "id" in frame else frame.index.astype(str).to_series()
        frames.append(
            gpd.GeoDataFrame(
                {
                    "service": name,
                    "id": ids.to_numpy(),
                    "name": frame["name"].to_numpy() if "name" in frame else ids.to_numpy(),
                    "type": frame["type"].to_numpy() if "type" in frame else name,
                },
                geometry=frame.geometry.to_crs(crs).to_numpy(),
                crs=crs,
            )
        )
    return pd.concat(frames, ignore_index=True)


def _demand_structure(
    grids: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame,
    d_snap: pd.DataFrame,
    entry: Any,
    speed_m_s: float,
) -> _Demand:
    out = grids.assign(id=grids["id"].astype(str))
    out["parent_id"] = [None if pd.isna(p) else str(p) for p in out["parent_id"]]
    leaf_ids = leaf_grid_ids(out)
    leaf_pos = {g: k for k, g in enumerate(leaf_ids)}
    weight = demand["weight"].to_numpy(dtype=float)
    by = demand["grid_id"].to_numpy()
    leaf = np.asarray([leaf_pos[str(g)] for g in by], dtype=np.int64)
    leaf_weight = (
        pd.Series(weight).groupby(by).sum().reindex(leaf_ids).fillna(0.0).to_numpy(dtype=float)
    )
    scale = leaf_weight.max() if len(leaf_weight) and leaf_weight.max() > 0 else 1.0
    grid_ids = out["id"].tolist()
    grid_pos = {g: k for k, g in enumerate(grid_ids)}
    chains = ancestors(out)
    member = [(grid_pos[g], pos) for pos, lid in enumerate(leaf_ids) for g in (lid, *chains[lid])]
    by_leaf = np.argsort(leaf, kind="stable")
    leaf_start = np.searchsorted(leaf[by_leaf], np.arange(len(leaf_ids) + 1))
    frame = demand.assign(snap_m=d_snap["snap_m"], component=d_snap["component"])
    return _Demand(
        frame=frame,
        snap=d_snap,
        edge=entry.edge,
        offset_m=entry.offset_m,
        leg_s=d_snap["snap_m"].to_numpy(dtype=float) / speed_m_s,
        snapped=entry.snapped,
        weight=weight,
        leaf=leaf,
        by_leaf=by_leaf,
        leaf_start=leaf_start,
        leaf_ids=leaf_ids,
        leaf_weight=leaf_weight,
        unit=leaf_weight / scale,
        member_group=np.asarray([g for g, _ in member], dtype=np.int64),
        member_leaf=np.asarray([p for _, p in member], dtype=np.int64),
        leaf_groups=tuple(
            np.asarray([grid_pos[g] for g in (lid, *chains[lid])], dtype=np.int64)
            for lid in leaf_ids
        ),
        grid_ids=grid_ids,
    )


def _empty_grid(dem: _Demand) -> tuple[FloatArray, FloatArray]:
    return np.zeros(len(dem.leaf_ids)), np.full(len(dem.grid_ids), np.nan)


def _rolled(dem: _Demand, leaf_covered: FloatArray, groups: IndexArray) -> FloatArray:
    """Shares of grids ``groups`` (sorted positions) from the leaves' covered weight.

    The arithmetic of :func:`~lifecircle.coverage.measures.service_coverage.grid_shares` and
    :func:`~lifecircle.geo.hierarchy.roll_up`, in the same order, on the members of
    ``groups`` only (a group's sums depend on its own members alone).
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        leaf_share = np.where(dem.leaf_weight > 0, leaf_covered / dem.leaf_weight, np.nan)
    mask = np.isin(dem.member_group, groups)
    g, rows = dem.member_group[mask], dem.member_leaf[mask]
    v = leaf_share[rows]
    w = pd.Series(dem.unit[rows])
    vs = pd.Series(v)
    w_used = w.where(vs.notna(), 0.0)
    total = w_used.groupby(g).sum()
    num = (w_used * vs.fillna(0.0)).groupby(g).sum()
    value = (num / total.where(total > 0)).reindex(groups)
    return np.clip(value.to_numpy(dtype=float), 0, 1)


def _point_seconds(
    node_seconds: FloatArray,
    node_facility: IndexArray,
    entry: tuple[Any, ...],
    dem: _Demand,
    limit_s: float,
    *,
    rows: IndexArray | None = None,
) -> tuple[FloatArray, IndexArray]:
    """Seconds and facility of demand points (``rows``, default all) as ``seconds_to_points``."""
    a, b, to_a, to_b = entry
    leg = dem.leg_s if rows is None else dem.leg_s[rows]
    snapped = dem.snapped if rows is None else dem.snapped[rows]
    via_a = node_seconds[a] + to_a
    via_b = node_seconds[b] + to_b
    use_b = via_b < via_a
    best = np.where(use_b, via_b, via_a)
    fac = np.where(use_b, node_facility[b], node_facility[a])
    seconds = np.where(snapped, best + leg, np.inf)
    seconds[seconds > limit_s] = np.inf
    return seconds, np.where(np.isfinite(seconds), fac, -1)


def _rebracket(
    graph: SiteGraph,
    entry: tuple[IndexArray, IndexArray, FloatArray, FloatArray],
    dem: _Demand,
    edges: set[int],
) -> tuple[tuple[IndexArray, IndexArray, FloatArray, FloatArray], BoolArray]:
    """Bracket again the demand points on re-split ``edges`` (as ``enter_graph`` does)."""
    moved = np.isin(dem.edge, np.fromiter(edges, dtype=np.int64, count=len(edges)))
    if not moved.any():
        return entry, moved
    a, b, to_a, to_b = (x.copy() for x in entry)
    for e in edges:
        rows = np.flatnonzero((dem.edge == e) & moved)
        if len(rows) == 0:
            continue
        split = graph.splits.get(e, ())
        offs = np.asarray([o for o, _, _ in split], dtype=float)
        nodes = np.asarray([nd for _, nd, _ in split], dtype=np.int64)
        off = dem.offset_m[rows]
        length = graph.length_m[e]
        right = np.searchsorted(offs, off, side="right")
        left = np.searchsorted(offs, off, side="left")
        has_prev, has_next = right > 0, left < len(offs)
        a_off = np.where(has_prev, offs[np.maximum(right - 1, 0)] if len(offs) else 0.0, 0.0)
        b_off = np.where(has_next, offs[np.minimum(left, len(offs) - 1)] if len(offs) else 0.0, length)
        a[rows] = np.where(has_prev, nodes[np.maximum(right - 1, 0)] if len(nodes) else 0, graph.edge_u[e])
        b[rows] = np.where(has_next, nodes[np.minimum(left, len(nodes) - 1)] if len(nodes) else 0, graph.edge_v[e])
        per_m = graph.seconds_per_m[e]
        to_a[rows] = (off - a_off) * per_m
        to_b[rows] = (b_off - off) * per_m
    return (a, b, to_a, to_b), moved


def _facility_summary(
    facs: gpd.GeoDataFrame, demand: pd.DataFrame, services: list[str], walk_minutes: float
) -> gpd.GeoDataFrame:
    """``served_weight``, ``n_grids`` and ``grids`` of each facility, as compute_coverage."""
    out = gpd.GeoDataFrame(
        facs[["service", "id", "name", "type", "geometry", "snap_m", "snapped"]],
        geometry="geometry",
        crs=facs.crs,
    )
    served = np.zeros(len(out))
    n_grids = np.zeros(len(out), dtype=np.int64)
    grid_lists = np.full(len(out), "", dtype=object)
    for s in services:
        ok = demand[f"minutes_{s}"] <= walk_minutes
        sub = demand.loc[ok, [f"facility_{s}", "grid_id", "weight"]]
        weight = sub.groupby(f"facility_{s}")["weight"].sum()
        grids = sub.groupby(f"facility_{s}")["grid_id"].agg(lambda g: sorted(set(g)))
        mine = np.flatnonzero(out["service"].to_numpy() == s)
        ids = out["id"].to_numpy()[mine]
        served[mine] = pd.Series(ids).map(weight).fillna(0.0).to_numpy()
        lists = [grids.get(i, []) for i in ids]
        n_grids[mine] = [len(g) for g in lists]
        grid_lists[mine] = [",".join(g) for g in lists]
    out["served_weight"], out["n_grids"], out["grids"] = served, n_grids, grid_lists
    return out.to_crs(4326)


def _unsnapped(
    demand: gpd.GeoDataFrame, d_snap: pd.DataFrame, facs: gpd.GeoDataFrame
) -> pd.DataFrame:
    far_d = ~d_snap["snapped"].to_numpy(dtype=bool)
    far_f = ~facs["snapped"].to_numpy(dtype=bool)
    return pd.DataFrame(
        {
            "kind": ["demand"] * int(far_d.sum()) + ["facility"] * int(far_f.sum()),
            "service": [None] * int(far_d.sum()) + list(facs["service"][far_f]),
            "id": list(demand.index[far_d].astype(str)) + list(facs["id"][far_f]),
            "grid_id": list(demand["grid_id"][far_d]) + [None] * int(far_f.sum()),
            "snap_m": np.r_[d_snap["snap_m"][far_d], facs["snap_m"][far_f]],
        }
    )
