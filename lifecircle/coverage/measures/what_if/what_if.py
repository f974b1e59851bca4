"""What if a facility were added, moved or removed? Every figure updated in milliseconds.

:class:`CoverageState` holds what a coverage solve needs to be *updated* rather than redone:
the editable split graph (:class:`~lifecircle.coverage.routing.incremental.SiteGraph`), per
service the walking seconds and nearest facility of every node and every demand point, and
per grid the covered weight and shares at every level. An edit edits the graph in place of
recompiling it, then, per service, re-solves only the nodes within the search limit of the
edited street that are nearer to it than to their current facility (see
:mod:`lifecircle.coverage.routing.incremental` for why that is exact), then the demand points
entering through them, then the leaf grids whose covered weight changed and their ancestors.
Demand-point arrays are kept in chunks, so a new state copies only the chunks it changes.

The figures equal :func:`~lifecircle.coverage.compute_coverage` on the same facility set,
bit for bit: ``minutes``, ``share`` and ``covered`` of every demand point and grid. The
nearest facility of a point may differ only where two facilities are exactly equally near.
Isochrones are left out (``result().isochrones`` is empty, as with ``isochrones=False``).

Why immutable states. Each edit returns a *new* state and leaves the old one intact: undo is
keeping the previous state, scenarios are states side by side (a notebook's map can compare
"before" and "after"), and nothing half-edited is ever visible. The cost is a copy of the
per-node arrays and of the touched demand chunks per edit (about a millisecond at 100,000
nodes); the demand and grid structures are shared between states.
"""

from __future__ import annotations

import functools
import logging
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from numpy.typing import NDArray

from lifecircle.coverage.measures.coverage_result import CoverageResult
from lifecircle.coverage.measures.demand import demand_from_layers
from lifecircle.coverage.measures.service_coverage import (
    SEARCH_FACTOR,
    ServiceSpec,
    default_services,
    grid_shares,
)
from lifecircle.coverage.measures.what_if.what_if_demand import (
    ChunkedArray,
    DemandPoints,
    demand_structure,
    empty_grid,
    point_seconds,
    points_near,
    ranges,
    rebracket,
)
from lifecircle.coverage.measures.what_if.what_if_tables import (
    facility_summary,
    facility_table,
    unsnapped,
)
from lifecircle.coverage.network.extent import beyond_reach
from lifecircle.coverage.network.walk_network import WalkNetwork
from lifecircle.coverage.options import CoverageOptions
from lifecircle.coverage.routing.incremental import (
    SiteGraph,
    affected_nodes,
    region_nodes,
    resolve_region,
)
from lifecircle.coverage.routing.snap import check_snapped, snap_points
from lifecircle.coverage.routing.split_graph import build_split_graph, enter_graph
from lifecircle.coverage.routing.travel_times import nearest_facility
from lifecircle.errors import CoordinateWarning
from lifecircle.frozen_mapping import FrozenMapping
from lifecircle.options import with_overrides
from lifecircle.typing import CRSLike, FloatArray, IndexArray

if TYPE_CHECKING:
    from lifecircle.geo.layers import Layers

__all__ = ["CoverageState"]

logger = logging.getLogger(__name__)

_FACILITY_COLUMNS = ["service", "id", "name", "type", "geometry", "snap_m", "snapped", "access"]


@dataclass(frozen=True, eq=False)
class _Service:
    """Per-service arrays of one state."""

    node_seconds: FloatArray
    node_facility: IndexArray  # facility key, -1 unreached
    point_seconds: ChunkedArray
    point_facility: ChunkedArray
    leaf_covered: FloatArray
    grid_share: FloatArray  # every grid, in grids order


@dataclass(frozen=True)
class _Facility:
    """One (service, facility) row: where it is and its source node (``access`` -1: unsnapped)."""

    service: str
    id: str
    name: object
    type: object
    x: float
    y: float
    snap_m: float
    snapped: bool
    access: int


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
    graph: SiteGraph
    _records: Mapping[int, _Facility]
    _demand: DemandPoints
    _entry: tuple[ChunkedArray, ChunkedArray, ChunkedArray, ChunkedArray]
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
        facs = facility_table(layers, specs, crs=network.crs)
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
        columns = zip(
            facs["service"].astype(str), facs["id"].astype(str), facs["name"], facs["type"],
            facs.geometry.x, facs.geometry.y, f_snap["snap_m"], f_snap["snapped"],
            split.access_node, strict=True,
        )  # fmt: skip
        records = {
            k: _Facility(s, i, nm, t, float(x), float(y), float(sm), bool(ok), int(acc))
            for k, (s, i, nm, t, x, y, sm, ok, acc) in enumerate(columns)
        }
        entry = enter_graph(split, d_snap)
        shared = demand_structure(
            layers.grids, demand, d_snap, entry, speed_m_s=split.profile.speed_m_s, graph=graph
        )
        limit_s = SEARCH_FACTOR * opts.walk_minutes * 60.0
        per: dict[str, _Service] = {}
        ent = (entry.a, entry.b, entry.to_a_s, entry.to_b_s)
        for name in specs:
            rows = np.flatnonzero(facs["service"].to_numpy() == name)
            near = nearest_facility(split, facilities=rows, limit_s=limit_s)
            secs, fac = point_seconds(near.seconds, near.facility, ent, shared, limit_s)
            per[name] = _Service(
                near.seconds, near.facility, ChunkedArray.of(secs), ChunkedArray.of(fac),
                *empty_grid(shared),
            )  # fmt: skip
        grids = layers.grids
        state = cls(
            network, opts, FrozenMapping(specs), grids, graph, FrozenMapping(records),
            shared, (ChunkedArray.of(ent[0]), ChunkedArray.of(ent[1]), ChunkedArray.of(ent[2]),
            ChunkedArray.of(ent[3])), FrozenMapping(per), len(facs),
        )  # fmt: skip
        return state._with_grids(np.arange(len(shared.leaf_ids)), dict(per))

    # ---- figures -----------------------------------------------------------------------

    @functools.cached_property
    def facilities(self) -> gpd.GeoDataFrame:
        """The facilities, one row per (service, facility): ``service, id, name, type,
        snap_m, snapped`` and ``access`` (source node, -1 when unsnapped), network CRS,
        indexed by a key that a move keeps."""
        keys = list(self._records)
        rows = list(self._records.values())
        frame = pd.DataFrame(
            {c: [getattr(r, c) for r in rows] for c in ("service", "id", "name", "type")},
            index=pd.Index(keys, dtype=np.int64),
        )
        frame["snap_m"] = np.asarray([r.snap_m for r in rows], dtype=float)
        frame["snapped"] = np.asarray([r.snapped for r in rows], dtype=bool)
        frame["access"] = np.asarray([r.access for r in rows], dtype=np.int64)
        geometry = shapely.points([r.x for r in rows], [r.y for r in rows]) if rows else []
        return gpd.GeoDataFrame(frame, geometry=geometry, crs=self.network.crs)

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
        minutes: FloatArray = self._service(service).point_seconds.full() / 60.0
        return minutes

    def result(self) -> CoverageResult:
        """Return the full :class:`CoverageResult` of this facility set (no isochrones)."""
        demand = self._demand.frame.copy()
        keys = self._facility_ids()
        for name, svc in self._services.items():
            demand[f"minutes_{name}"] = svc.point_seconds.full() / 60.0
            demand[f"facility_{name}"] = keys[svc.point_facility.full()]
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
            facilities=facility_summary(facs, demand, services, opts.walk_minutes),
            isochrones=gpd.GeoDataFrame(
                {"service": [], "facility_id": [], "minutes": []}, geometry=[], crs=4326
            ),
            unsnapped=unsnapped(demand, self._demand.snap, facs),
            params=params,
        )

    # ---- edits -------------------------------------------------------------------------

    def add_facility(
        self,
        service_or_type: str,
        point: shapely.Point | tuple[float, float],
        *,
        id: str,
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
        fid = str(id)
        if any(r.id == fid for r in self._records.values()):
            raise ValueError(f"a facility with id {fid!r} exists; give a new id")
        services, ftype = self._services_of(service_or_type)
        x, y = _xy_in(point, crs, self.network.crs)
        key = self._next_key
        rows = {
            key + k: _Facility(s, fid, fid if name is None else name, ftype, x, y, 0.0, False, -1)
            for k, s in enumerate(services)
        }
        return self._edit(add=rows, remove=[], next_key=key + len(rows))

    def remove_facility(self, id: str) -> CoverageState:
        """Return the state without facility ``id`` (in every service listing it).

        Raises
        ------
        KeyError
            When no facility has that id.
        """
        return self._edit(add={}, remove=self._keys_of(str(id)), next_key=self._next_key)

    def move_facility(
        self,
        id: str,
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
        x, y = _xy_in(point, crs, self.network.crs)
        moved = {k: replace(self._records[k], x=x, y=y) for k in keys}
        return self._edit(add=moved, remove=keys, next_key=self._next_key)

    # ---- internals ---------------------------------------------------------------------

    def _keys_of(self, fid: str) -> list[int]:
        keys = [k for k, r in self._records.items() if r.id == fid]
        if not keys:
            raise KeyError(f"no facility has id {fid!r}")
        return keys

    def _services_of(self, what: str) -> tuple[list[str], str]:
        if what in self.specs:
            return [what], what
        services = [
            s for s, spec in self.specs.items() if isinstance(spec, tuple | list) and what in spec
        ]
        if not services:
            raise ValueError(
                f"{what!r} is neither a service ({', '.join(self.specs)}) nor an elderly "
                "type code listed by one"
            )
        return services, what

    def _edit(
        self, *, add: Mapping[int, _Facility], remove: list[int], next_key: int
    ) -> CoverageState:
        records = dict(self._records)
        gone = [records.pop(key).access for key in remove]
        edges_changed = {self.graph.site_node[acc][0] for acc in gone if acc >= 0}
        sites: list[tuple[int, float, float]] = []
        if add:
            where = gpd.GeoSeries(
                shapely.points([r.x for r in add.values()], [r.y for r in add.values()]),
                crs=self.network.crs,
            )
            snapped = snap_points(self.network, where, max_snap_m=self.options.max_snap_m)
            columns = zip(
                snapped["snapped"].tolist(), snapped["edge"].tolist(),
                snapped["offset_m"].tolist(), snapped["snap_m"].tolist(), strict=True,
            )  # fmt: skip
            placed = []
            for (key, rec), (ok, edge, offset_m, snap_m) in zip(add.items(), columns, strict=True):
                records[key] = replace(rec, snap_m=float(snap_m), snapped=bool(ok), access=-1)
                if ok:
                    sites.append((int(edge), float(offset_m), float(snap_m)))
                    placed.append(key)
                    edges_changed.add(int(edge))
        graph, access, touched = self.graph.edit(remove=[a for a in gone if a >= 0], add=sites)
        if sites:
            for key, acc in zip(placed, access, strict=True):
                records[key] = replace(records[key], access=acc)
        state = replace(self, graph=graph, _records=FrozenMapping(records), _next_key=next_key)
        if len(touched) == 0:
            return state
        return state._resolve(touched, edges_changed - {-1})

    def _resolve(self, touched: IndexArray, edges_changed: set[int]) -> CoverageState:
        graph, dem = self.graph, self._demand
        limit_s = SEARCH_FACTOR * self.options.walk_minutes * 60.0
        region, reach_s = region_nodes(graph.csr, touched, limit_s=limit_s)
        entry = rebracket(graph, self._entry, dem, edges_changed)
        n = graph.n_nodes
        sources: dict[str, dict[int, int]] = {s: {} for s in self._services}
        for key, rec in self._records.items():
            if rec.access >= 0:
                sources[rec.service][rec.access] = key
        solved: dict[str, tuple[FloatArray, IndexArray, IndexArray]] = {}
        for name, svc in self._services.items():
            secs = _grown(svc.node_seconds, n, np.inf)
            fac = _grown(svc.node_facility, n, -1)
            nodes = affected_nodes(region, reach_s, secs)
            secs, fac = resolve_region(
                graph.csr, secs, fac, region=nodes, sources=sources[name], limit_s=limit_s
            )
            solved[name] = (secs, fac, nodes)
        changed = np.concatenate([nodes for _, _, nodes in solved.values()])
        points = points_near(graph, dem, changed, edges_changed)
        sub = tuple(x.take(points) for x in entry)
        per: dict[str, _Service] = {}
        leaves = []
        walk_minutes = self.options.walk_minutes
        for name, svc in self._services.items():
            secs, fac, _ = solved[name]
            p_secs, p_fac = point_seconds(secs, fac, sub, dem, limit_s, rows=points)
            was_ok = svc.point_seconds.take(points) / 60.0 <= walk_minutes
            now_ok = p_secs / 60.0 <= walk_minutes
            leaves.append(dem.leaf[points[was_ok != now_ok]])
            per[name] = replace(
                svc, node_seconds=secs, node_facility=fac,
                point_seconds=svc.point_seconds.put(points, p_secs),
                point_facility=svc.point_facility.put(points, p_fac),
            )  # fmt: skip
        return replace(self, _entry=entry)._with_grids(np.unique(np.concatenate(leaves)), per)

    def _with_grids(self, leaves: IndexArray, per: dict[str, _Service]) -> CoverageState:
        """Recompute the covered weight of ``leaves`` and roll it up, as ``grid_shares``
        does (the same pandas sums, over the same rows in the same order, group by group)."""
        dem, walk_minutes = self._demand, self.options.walk_minutes
        if len(leaves) == 0:
            return replace(self, _services=FrozenMapping(per))
        lens = dem.leaf_start[leaves + 1] - dem.leaf_start[leaves]
        rows = np.sort(dem.by_leaf[ranges(dem.leaf_start[leaves], lens)])
        covered = (
            pd.DataFrame(
                {
                    name: np.where(
                        svc.point_seconds.take(rows) / 60.0 <= walk_minutes, dem.weight[rows], 0.0
                    )
                    for name, svc in per.items()
                },
                index=dem.leaf[rows],
            )
            .groupby(level=0)
            .sum()
        )
        at = covered.index.to_numpy()
        groups = np.unique(np.concatenate([dem.leaf_groups[k] for k in leaves]))
        mask = np.isin(dem.member_group, groups)
        g, members = dem.member_group[mask], dem.member_leaf[mask]
        shares = {}
        out: dict[str, _Service] = {}
        for name, svc in per.items():
            leaf_covered = svc.leaf_covered.copy()
            leaf_covered[at] = covered[name].to_numpy()
            with np.errstate(invalid="ignore", divide="ignore"):
                leaf_share = np.where(dem.leaf_weight > 0, leaf_covered / dem.leaf_weight, np.nan)
            v = leaf_share[members]
            shares[name] = dem.unit_used[mask] * np.where(np.isnan(v), 0.0, v)
            out[name] = replace(svc, leaf_covered=leaf_covered)
        num = pd.DataFrame(shares, index=g).groupby(level=0).sum()
        total = dem.group_total[groups]
        for name, svc in out.items():
            with np.errstate(invalid="ignore", divide="ignore"):
                value = num[name].to_numpy() / np.where(total > 0, total, np.nan)
            share = svc.grid_share.copy()
            share[groups] = np.clip(value, 0, 1)
            out[name] = replace(svc, grid_share=share)
        return replace(self, _services=FrozenMapping(out))

    def _facility_ids(self) -> NDArray[np.object_]:
        keys = np.full(self._next_key + 1, None, dtype=object)
        for k, r in self._records.items():
            keys[k] = r.id
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


def _xy_in(point: object, crs: CRSLike, to_crs: pyproj.CRS) -> tuple[float, float]:
    """The point's coordinates in ``to_crs`` (the network's)."""
    if isinstance(point, shapely.Point):
        x, y = point.x, point.y
    elif isinstance(point, tuple | list) and len(point) == 2:
        x, y = float(point[0]), float(point[1])
    else:
        raise TypeError(f"point must be a shapely Point or (x, y), got {type(point).__name__}")
    tx, ty = _transformer(pyproj.CRS.from_user_input(crs), to_crs).transform(x, y)
    return float(tx), float(ty)


@functools.lru_cache(maxsize=16)
def _transformer(src: pyproj.CRS, dst: pyproj.CRS) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(src, dst, always_xy=True)
