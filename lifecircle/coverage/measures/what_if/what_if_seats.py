"""What if seats were added or removed? The residents' seat figures updated in milliseconds.

:class:`SeatState` is to :func:`~lifecircle.coverage.measures.seats.seat_reach` what
:class:`~lifecircle.coverage.measures.what_if.what_if.CoverageState` is to ``compute_coverage``: it
keeps the editable split graph of the seat sites on the penalty-free network (walking metres),
the metres from the nearest seat of every node and every home, and the per-grid sums, and an
edit re-solves only the nodes within ``reach_m`` of the streets it changes (see
:mod:`lifecircle.coverage.routing.incremental`), then the homes on them, then the grids whose
weight within reach changed.

The residents' figures equal :func:`seat_reach` on the same seat set exactly, float for
float: :meth:`SeatState.distance_m`, :attr:`SeatState.grids` (``weight``,
``weight_within``, ``share`` per grid) and :attr:`SeatState.weight_share`. The street-length
share is a figure of the network, not of the residents: ask :func:`seat_reach` for it.
States are immutable, as :class:`CoverageState`'s are (keep the old one to undo).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from lifecircle.coverage.measures.demand import demand_from_layers
from lifecircle.coverage.measures.seats import DEFAULT_REACH_M, usable_seats
from lifecircle.coverage.measures.what_if.what_if_demand import (
    ChunkedArray,
    DemandPoints,
    demand_structure,
    point_seconds,
    points_near,
    ranges,
    rebracket,
)
from lifecircle.coverage.network.walk_network import WalkNetwork
from lifecircle.coverage.routing.incremental import (
    SiteGraph,
    affected_nodes,
    region_nodes,
    resolve_region,
)
from lifecircle.coverage.routing.profiles import WalkProfile
from lifecircle.coverage.routing.snap import check_snapped, snap_points
from lifecircle.coverage.routing.split_graph import build_split_graph, enter_graph
from lifecircle.coverage.routing.travel_times import nearest_facility
from lifecircle.frozen_mapping import FrozenMapping
from lifecircle.typing import CRSLike, FloatArray, IndexArray

if TYPE_CHECKING:
    from lifecircle.geo.layers import Layers

__all__ = ["SeatState"]

_METRES = WalkProfile("metres", 1.0)  # as seat_reach: seconds are metres


@dataclass(frozen=True, eq=False)
class SeatState:
    """Seat reach of the residents that can take or lose seats and update at once.

    Build it with :meth:`from_layers`; edit it with :meth:`add_seats` and
    :meth:`remove_seats`, each returning a new state. Read :meth:`distance_m`,
    :attr:`grids` and :attr:`weight_share`, equal to the same fields of
    :func:`~lifecircle.coverage.measures.seats.seat_reach` on :attr:`seats`.

    Examples
    --------
    >>> state = SeatState.from_layers(layers, network)  # doctest: +SKIP
    >>> more = state.add_seats([(121.45, 31.23)])  # doctest: +SKIP
    >>> more.weight_share - state.weight_share  # doctest: +SKIP
    """

    network: WalkNetwork  # the penalty-free network
    reach_m: float
    max_snap_m: float
    graph: SiteGraph
    _sites: Mapping[int, tuple[float, float, int]]  # key -> x, y (network CRS), access node
    _demand: DemandPoints
    _entry: tuple[ChunkedArray, ChunkedArray, ChunkedArray, ChunkedArray]
    _node_m: FloatArray
    _node_seat: IndexArray
    _point_m: ChunkedArray
    _grid_keys: pd.Index  # grid ids as seat_reach's groupby sorts them
    _leaf_grid: IndexArray  # position in _grid_keys of each leaf grid (-1: no home)
    _weight: FloatArray  # per grid, as seat_reach's groupby sums it
    _within: FloatArray
    _next_key: int

    @classmethod
    def from_layers(
        cls,
        layers: Layers,
        network: WalkNetwork,
        *,
        reach_m: float = DEFAULT_REACH_M,
        seats: gpd.GeoDataFrame | None = None,
        max_snap_m: float = 100.0,
    ) -> SeatState:
        """Solve seat reach once, keeping what later edits need.

        Parameters
        ----------
        layers, network, reach_m, seats, max_snap_m
            As for :func:`~lifecircle.coverage.measures.seats.seat_reach` (homes from the
            grids and buildings at the default spacing).

        Raises
        ------
        ValueError
            For a ``reach_m`` that is not a positive number.
        lifecircle.errors.NetworkError
            When no home lies within ``max_snap_m`` of the network.
        """
        if not reach_m > 0:
            raise ValueError(f"reach_m must be > 0 metres, got {reach_m!r}")
        net = network.without_penalties()
        sites = usable_seats(layers.seats if seats is None else seats).to_crs(net.crs)
        points = demand_from_layers(
            layers.grids, crs=net.crs, buildings=getattr(layers, "buildings", None)
        )
        homes = snap_points(net, points, max_snap_m=max_snap_m)
        check_snapped(homes, max_snap_m=max_snap_m)
        f_snap = snap_points(net, sites, max_snap_m=max_snap_m)
        split = build_split_graph(net, f_snap, profile=_METRES)
        graph = SiteGraph.from_split_graph(split, offsets_m=f_snap["offset_m"].to_numpy(float))
        entry = enter_graph(split, homes)
        dem = demand_structure(layers.grids, points, homes, entry, speed_m_s=1.0, graph=graph)
        near = nearest_facility(split, limit_s=float(reach_m))
        ent = (entry.a, entry.b, entry.to_a_s, entry.to_b_s)
        metres, _ = point_seconds(near.seconds, near.facility, ent, dem, float(reach_m))
        within = np.where(metres <= reach_m, dem.weight, 0.0)
        frame = pd.DataFrame(
            {"grid_id": points["grid_id"].to_numpy(), "weight": dem.weight, "within": within}
        )
        sums = frame.groupby("grid_id", sort=True)[["weight", "within"]].sum()
        position = {str(g): k for k, g in enumerate(sums.index)}
        leaf_grid = np.asarray([position.get(g, -1) for g in dem.leaf_ids], dtype=np.int64)
        xy = shapely.get_coordinates(sites.geometry.representative_point().to_numpy())
        records = {
            k: (float(x), float(y), int(acc))
            for k, ((x, y), acc) in enumerate(zip(xy, split.access_node, strict=True))
        }
        return cls(
            net, float(reach_m), float(max_snap_m), graph, FrozenMapping(records), dem,
            (ChunkedArray.of(ent[0]), ChunkedArray.of(ent[1]), ChunkedArray.of(ent[2]),
             ChunkedArray.of(ent[3])),
            near.seconds, near.facility, ChunkedArray.of(metres),
            sums.index, leaf_grid, sums["weight"].to_numpy(), sums["within"].to_numpy(),
            len(records),
        )  # fmt: skip

    # ---- figures -----------------------------------------------------------------------

    @functools.cached_property
    def seats(self) -> gpd.GeoDataFrame:
        """The seat sites (one row each, network CRS), indexed by a key that edits keep;
        ``access`` is the site's node (-1 when it lies beyond ``max_snap_m``)."""
        keys = list(self._sites)
        xy = np.asarray([self._sites[k][:2] for k in keys], dtype=float).reshape(-1, 2)
        return gpd.GeoDataFrame(
            {"access": np.asarray([self._sites[k][2] for k in keys], dtype=np.int64)},
            geometry=shapely.points(xy) if keys else [],
            index=pd.Index(keys, dtype=np.int64),
            crs=self.network.crs,
        )

    def distance_m(self) -> pd.Series:
        """Walking metres from each home to its nearest seat (``inf`` beyond reach)."""
        return pd.Series(self._point_m.full(), index=self._demand.frame.index, name="distance_m")

    @property
    def grids(self) -> pd.DataFrame:
        """Per grid with homes: ``weight``, ``weight_within`` and ``share``."""
        out = pd.DataFrame(
            {"weight": self._weight, "weight_within": self._within}, index=self._grid_keys
        )
        out["share"] = out["weight_within"] / out["weight"].where(out["weight"] > 0)
        return out

    @property
    def weight_share(self) -> float:
        """Share of the residents' weight within ``reach_m`` of a seat."""
        weight = self._demand.weight
        total = float(weight.sum())
        return float(weight[self._point_m.full() <= self.reach_m].sum() / total) if total else 0.0

    # ---- edits -------------------------------------------------------------------------

    def add_seats(
        self, points: gpd.GeoSeries | Sequence[tuple[float, float]], *, crs: CRSLike = 4326
    ) -> SeatState:
        """Return the state with seat sites at ``points`` (a GeoSeries, or (x, y) pairs in
        ``crs``); sites beyond ``max_snap_m`` of every street are kept but reach no one."""
        if isinstance(points, gpd.GeoSeries):
            where = points.to_crs(self.network.crs)
        else:
            xy = np.asarray(points, dtype=float).reshape(-1, 2)
            where = gpd.GeoSeries(shapely.points(xy), crs=crs).to_crs(self.network.crs)
        snapped = snap_points(self.network, where, max_snap_m=self.max_snap_m)
        xy = shapely.get_coordinates(where.to_numpy())
        sites, keys = [], []
        records = dict(self._sites)
        key = self._next_key
        for (x, y), ok, edge, off, snap_m in zip(
            xy, snapped["snapped"], snapped["edge"], snapped["offset_m"], snapped["snap_m"],
            strict=True,
        ):  # fmt: skip
            records[key] = (float(x), float(y), -1)
            if ok:
                sites.append((int(edge), float(off), float(snap_m)))
                keys.append(key)
            key += 1
        graph, access, touched = self.graph.edit(add=sites)
        for k, acc in zip(keys, access, strict=True):
            records[k] = (*records[k][:2], acc)
        state = replace(self, graph=graph, _sites=FrozenMapping(records), _next_key=key)
        return state._resolve(touched, {e for e, _, _ in sites})

    def remove_seats(self, keys: Sequence[int]) -> SeatState:
        """Return the state without the seat sites ``keys`` (index labels of :attr:`seats`).

        Raises
        ------
        KeyError
            For a key that is not a seat site of this state.
        """
        records = dict(self._sites)
        missing = [k for k in keys if k not in records]
        if missing:
            raise KeyError(f"no seat site has key {missing[0]!r}; see state.seats.index")
        gone = [records.pop(k)[2] for k in dict.fromkeys(keys)]
        gone = [acc for acc in gone if acc >= 0]
        edges = {self.graph.site_node[acc][0] for acc in gone} - {-1}
        graph, _, touched = self.graph.edit(remove=gone)
        state = replace(self, graph=graph, _sites=FrozenMapping(records))
        return state._resolve(touched, edges)

    def _resolve(self, touched: IndexArray, edges: set[int]) -> SeatState:
        if len(touched) == 0:
            return self
        graph, dem, limit = self.graph, self._demand, self.reach_m
        region, reach = region_nodes(graph.csr, touched, limit_s=limit)
        n = graph.n_nodes
        node_m = np.concatenate([self._node_m, np.full(n - len(self._node_m), np.inf)])
        node_seat = np.concatenate(
            [self._node_seat, np.full(n - len(self._node_seat), -1, dtype=np.int64)]
        )
        sources = {acc: k for k, (_, _, acc) in self._sites.items() if acc >= 0}
        nodes = affected_nodes(region, reach, node_m)
        node_m, node_seat = resolve_region(
            graph.csr, node_m, node_seat, region=nodes, sources=sources, limit_s=limit
        )
        entry = rebracket(graph, self._entry, dem, edges)
        rows = points_near(graph, dem, nodes, edges)
        sub = tuple(x.take(rows) for x in entry)
        metres, _ = point_seconds(node_m, node_seat, sub, dem, limit, rows=rows)
        was = self._point_m.take(rows) <= limit
        leaves = np.unique(dem.leaf[rows[was != (metres <= limit)]])
        point_m = self._point_m.put(rows, metres)
        within = self._within
        if len(leaves):
            lens = dem.leaf_start[leaves + 1] - dem.leaf_start[leaves]
            pts = np.sort(dem.by_leaf[ranges(dem.leaf_start[leaves], lens)])
            value = np.where(point_m.take(pts) <= limit, dem.weight[pts], 0.0)
            sums = pd.Series(value, index=dem.leaf[pts]).groupby(level=0).sum()
            within = within.copy()
            within[self._leaf_grid[sums.index.to_numpy()]] = sums.to_numpy()
        return replace(
            self, _entry=entry, _node_m=node_m, _node_seat=node_seat, _point_m=point_m,
            _within=within,
        )  # fmt: skip
