"""Public-seat metrics: seat reach, and rest gaps on older people's walks to services.

Default distances follow the UK Department for Transport's *Inclusive Mobility* guide
(2005 edition, §2.4 and §3.4; carried into the 2021 edition): about 30 % of people with a
walking impairment manage no more than **50 m** without stopping, so in commonly used
pedestrian areas seats should be provided at intervals of **no more than 50 m**. Hence

- :data:`DEFAULT_REACH_M` = 50 m: a place "has a seat" when one is within a 50 m walk;
- :data:`DEFAULT_MAX_GAP_M` = 50 m: a walk is restful when no stretch of it longer than
  50 m passes without a seat.

Seat sites can be filtered by quality with :func:`usable_seats` (``min_seats``,
``require_armrest``: armrests help older people sit down and stand up), passed as
``seats=``; a site counts once whatever its number of seats.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from lifecircle.coverage.measures.demand import demand_from_layers
from lifecircle.coverage.network.extent import inside_lengths, network_extent
from lifecircle.coverage.network.walk_network import WalkNetwork
from lifecircle.coverage.options import DEFAULT_MAX_GAP_M, DEFAULT_REACH_M
from lifecircle.coverage.routing.profiles import WalkProfile, resolve_profile
from lifecircle.coverage.routing.route_trees import line_pieces, trace_routes
from lifecircle.coverage.routing.snap import check_snapped, snap_points
from lifecircle.coverage.routing.split_graph import SplitGraph, build_split_graph
from lifecircle.coverage.routing.travel_times import nearest_facility, seconds_to_points
from lifecircle.errors import LayerError

if TYPE_CHECKING:
    from lifecircle.geo.layers import Layers

__all__ = [
    "DEFAULT_MAX_GAP_M",
    "DEFAULT_REACH_M",
    "DEFAULT_SEAT_ROUTE_M",
    "RestGaps",
    "SeatReach",
    "elderly_routes",
    "gaps_along_routes",
    "rest_gaps",
    "seat_reach",
    "usable_seats",
]

logger = logging.getLogger(__name__)

#: A seat this close (straight line) to a walk counts as on it (set back in a pocket square).
DEFAULT_SEAT_ROUTE_M = 15.0
_METRES = WalkProfile("metres", 1.0)


def usable_seats(
    seats: gpd.GeoDataFrame, *, min_seats: int = 1, require_armrest: bool = False
) -> gpd.GeoDataFrame:
    """Keep the seat sites with at least ``min_seats`` seats (and armrests if required)."""
    keep = seats["seats"].fillna(0).to_numpy() >= min_seats if "seats" in seats else True
    if require_armrest:
        if "armrest" not in seats.columns:
            raise LayerError(
                "seats", ["require_armrest=True but the layer has no 'armrest' column"]
            )
        keep = keep & seats["armrest"].fillna(False).to_numpy(dtype=bool)
    return seats[np.asarray(keep, dtype=bool) | np.zeros(len(seats), dtype=bool)]


def _demand(
    layers: Layers, network: WalkNetwork, demand: gpd.GeoDataFrame | None
) -> gpd.GeoDataFrame:
    if demand is not None:
        return demand.to_crs(network.crs)
    return demand_from_layers(
        layers.grids, crs=network.crs, buildings=getattr(layers, "buildings", None)
    )


@dataclass(frozen=True)
class SeatReach:
    """How much of the street network and of the residents has a seat within reach.

    Attributes
    ----------
    reach_m : float
        The walking distance used.
    street_length_m, covered_length_m : float
        Walkable street length (inside the study extent when there is one), and the part of
        it within ``reach_m`` of a seat.
    weight_share : float
        Share of the demand weight (residents) within ``reach_m`` of a seat.
    grids : pandas.DataFrame
        Per leaf grid: ``weight``, ``weight_within``, ``share``.
    distance_m : pandas.Series
        Walking metres from each demand point to its nearest seat (``inf`` beyond reach).
    """

    reach_m: float
    street_length_m: float
    covered_length_m: float
    weight_share: float
    grids: pd.DataFrame
    distance_m: pd.Series

    @property
    def length_share(self) -> float:
        """Share of walkable street length within ``reach_m`` of a seat."""
        return self.covered_length_m / self.street_length_m if self.street_length_m else 0.0


def _street_lengths(
    graph: SplitGraph, metres: np.ndarray, reach_m: float, extent_m: BaseGeometry | None
) -> tuple[float, float]:
    """Street length, and the part of it within ``reach_m`` of a source, segment by segment.

    With an extent, both count only what lies inside it; a segment that crosses the
    extent's edge is measured exactly (its reached pieces intersected with the extent).
    """
    net = graph.network
    length = net.edges["length_m"].to_numpy(dtype=float)
    # split edges are also listed whole, marked inactive: count only their pieces
    on_street = (graph.seg_edge >= 0) & graph.seg_active
    edge = graph.seg_edge[on_street]
    start, end = graph.seg_start_m[on_street], graph.seg_end_m[on_street]
    seg_len = end - start
    from_u = np.nan_to_num(np.maximum(reach_m - metres[graph.seg_u[on_street]], 0.0), posinf=0.0)
    from_v = np.nan_to_num(np.maximum(reach_m - metres[graph.seg_v[on_street]], 0.0), posinf=0.0)
    a = np.minimum(from_u, seg_len)
    b = np.minimum(from_v, seg_len - a)  # the two reached ends never overlap
    if extent_m is None:
        return float(length.sum()), float((a + b).sum())
    inside = inside_lengths(net.edges.geometry.to_numpy(), length, extent_m)
    share = inside / np.maximum(length, 1e-12)
    whole, cut = share[edge] >= 1.0 - 1e-9, (share[edge] > 0) & (share[edge] < 1.0 - 1e-9)
    covered = float((a + b)[whole].sum())
    geoms = net.edges.geometry.to_numpy()[edge]
    scale = shapely.length(geoms) / np.maximum(length[edge], 1e-12)
    for lo, hi in ((start, start + a), (end - b, end)):
        pick = cut & (hi - lo > 0)
        if pick.any():
            coords, offsets = line_pieces(
                geoms[pick], lo[pick] * scale[pick], hi[pick] * scale[pick]
            )
            pieces = shapely.linestrings(
                coords, indices=np.repeat(np.arange(pick.sum()), np.diff(offsets))
            )
            part = shapely.length(shapely.intersection(pieces, extent_m))
            covered += float((part / scale[pick]).sum())
    return float(inside.sum()), covered


def seat_reach(
    layers: Layers,
    network: WalkNetwork,
    *,
    reach_m: float = DEFAULT_REACH_M,
    seats: gpd.GeoDataFrame | None = None,
    demand: gpd.GeoDataFrame | None = None,
    max_snap_m: float = 100.0,
    extent: object = None,
) -> SeatReach:
    """Share of street length and of residents within ``reach_m`` walk of a seat.

    Parameters
    ----------
    layers : lifecircle.geo.Layers
        Needs ``seats`` (unless ``seats`` is given) and ``grids``; ``buildings`` optional.
    network : WalkNetwork
        The walking network; distances are pure metres (penalties ignored).
    reach_m : float, default 50
        Walking distance to a seat (see :data:`DEFAULT_REACH_M`).
    seats : GeoDataFrame, optional
        Seat sites to use instead of ``layers.seats`` (e.g. existing + suggested, or only
        those with armrests: ``usable_seats(layers.seats, require_armrest=True)``). Sites
        without a seat never count.
    demand : GeoDataFrame, optional
        Weighted demand points (``grid_id``, ``weight``); default built from the grids.
    max_snap_m : float
        Seats and homes farther than this from the network do not count.
    extent : optional
        The study area (a Layers object, bbox, boundary file, GeoDataFrame or polygon in
        EPSG:4326, see :func:`~lifecircle.coverage.network.extent.resolve_extent`); by default the
        extent the network was clipped to
        (:func:`~lifecircle.coverage.network.extent.clip_network`), else none.
        With an extent, the street length and its covered part count only
        streets inside it; seats outside it (on the kept streets) still count.

    Returns
    -------
    SeatReach
        Homes beyond ``max_snap_m`` count as having no seat within reach.

    Raises
    ------
    lifecircle.errors.NetworkError
        When no home lies within ``max_snap_m`` of the network (layers and network in
        different places or datums).
    """
    if not reach_m > 0:
        raise ValueError(f"reach_m must be > 0 metres, got {reach_m!r}")
    net = network.without_penalties()
    sites = usable_seats(layers.seats if seats is None else seats)
    points = _demand(layers, net, demand)
    homes = snap_points(net, points, max_snap_m=max_snap_m)
    check_snapped(homes, max_snap_m=max_snap_m)  # raises when no home reaches the network
    graph = build_split_graph(net, snap_points(net, sites, max_snap_m=max_snap_m), profile=_METRES)
    nearest = nearest_facility(graph, limit_s=reach_m)
    metres, _ = seconds_to_points(graph, nearest, homes)
    within = metres <= reach_m
    weight = points["weight"].to_numpy(dtype=float)
    frame = pd.DataFrame(
        {
            "grid_id": points["grid_id"].to_numpy(),
            "weight": weight,
            "weight_within": np.where(within, weight, 0.0),
        }
    )
    grids = frame.groupby("grid_id", sort=True)[["weight", "weight_within"]].sum()
    grids["share"] = grids["weight_within"] / grids["weight"].where(grids["weight"] > 0)
    total = float(weight.sum())
    street_m, covered_m = _street_lengths(
        graph, nearest.seconds, reach_m, network_extent(net, extent)
    )
    return SeatReach(
        reach_m=float(reach_m),
        street_length_m=street_m,
        covered_length_m=covered_m,
        weight_share=float(weight[within].sum() / total) if total else 0.0,
        grids=grids,
        distance_m=pd.Series(metres, index=points.index, name="distance_m"),
    )


def elderly_routes(
    layers: Layers,
    network: WalkNetwork,
    *,
    demand: gpd.GeoDataFrame | None = None,
    profile: str | WalkProfile = "elderly",
    max_snap_m: float = 100.0,
) -> gpd.GeoDataFrame:
    """Each demand point's quickest walk to its nearest elderly service.

    Parameters
    ----------
    layers : lifecircle.geo.Layers
        Needs ``elderly`` and ``grids``; ``buildings`` optional.
    network : WalkNetwork
    demand : GeoDataFrame, optional
        Weighted demand points; default built from the grids.
    profile : str or WalkProfile, default "elderly"
        Walking speed and penalties used to pick the quickest walk.
    max_snap_m : float
        Points farther than this from the network get no route.

    Returns
    -------
    geopandas.GeoDataFrame
        In the network CRS, one row per demand point with a route: ``grid_id``,
        ``weight``, ``facility`` (elderly ``id``), ``route_m`` and the route LineString.
    """
    walk = resolve_profile(profile)
    points = _demand(layers, network, demand)
    elderly = layers.elderly
    graph = build_split_graph(
        network, snap_points(network, elderly, max_snap_m=max_snap_m), profile=walk
    )
    nearest = nearest_facility(graph)
    lines, _, fac = trace_routes(
        graph, nearest, snap_points(network, points, max_snap_m=max_snap_m)
    )
    ok = np.asarray(~shapely.is_missing(lines))
    if (~ok).any():
        logger.info(
            "%d of %d demand points have no walk to an elderly service", (~ok).sum(), len(ok)
        )
    return gpd.GeoDataFrame(
        {
            "grid_id": points["grid_id"].to_numpy()[ok],
            "weight": points["weight"].to_numpy(dtype=float)[ok],
            "facility": elderly["id"].to_numpy()[fac[ok]],
            "route_m": shapely.length(lines[ok]),
        },
        geometry=lines[ok],
        index=points.index[ok],
        crs=network.crs,
    )


def _inside_gaps(frame: pd.DataFrame, lines: np.ndarray, extent_m: BaseGeometry) -> np.ndarray:
    """Length inside ``extent_m`` of each stretch ``(route, start, pos)`` of ``frame``."""
    gap = frame["gap"].to_numpy(dtype=float).copy()
    route = frame["route"].to_numpy()
    shapely.prepare(extent_m)
    pick = ~shapely.covers(extent_m, lines)[route] & (gap > 0)
    if pick.any():
        start, end = frame["start"].to_numpy()[pick], frame["pos"].to_numpy()[pick]
        coords, offsets = line_pieces(lines[route[pick]], start, end)
        piece = np.repeat(np.arange(int(pick.sum())), np.diff(offsets))
        gap[pick] = shapely.length(
            shapely.intersection(shapely.linestrings(coords, indices=piece), extent_m)
        )
    inside: np.ndarray = gap
    return inside


def gaps_along_routes(
    routes: gpd.GeoSeries | gpd.GeoDataFrame,
    seats: gpd.GeoSeries | gpd.GeoDataFrame,
    *,
    seat_route_m: float = DEFAULT_SEAT_ROUTE_M,
    extent: BaseGeometry | None = None,
) -> pd.DataFrame:
    """Longest stretch of each route that passes no seat.

    A seat counts for a route when it lies within ``seat_route_m`` (straight line) of it;
    its position is its projection on the route. The walk's start (home) and end (the
    service) are rest points too.

    Parameters
    ----------
    routes : GeoSeries or GeoDataFrame
        LineStrings in a metric CRS.
    seats : GeoSeries or GeoDataFrame
        Seat points (reprojected to the routes' CRS).
    seat_route_m : float
        How close a seat must be to count.
    extent : shapely geometry, optional
        The study area in the routes' CRS: each seat-less stretch counts by its length
        inside the extent (streets outside it are not the study's to furnish), and
        ``gap_start_m``/``gap_end_m`` still bound the whole stretch.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``routes``: ``longest_gap_m``, ``gap_start_m``, ``gap_end_m`` (along
        the route) and ``n_seats`` (seats passed).
    """
    lines = np.asarray(routes.geometry if hasattr(routes, "geometry") else routes)
    seat_geoms = seats.geometry if hasattr(seats, "geometry") else seats
    pts = np.asarray(seat_geoms.to_crs(routes.crs)) if len(seat_geoms) else np.array([])
    length = shapely.length(lines)
    n = len(lines)
    if len(pts):
        tree = shapely.STRtree(pts)
        r_idx, s_idx = tree.query(lines, predicate="dwithin", distance=seat_route_m)
        pos = shapely.line_locate_point(lines[r_idx], pts[s_idx])
    else:
        r_idx, pos = np.zeros(0, dtype=np.int64), np.zeros(0)
    frame = pd.DataFrame(
        {
            "route": np.concatenate([np.arange(n), np.arange(n), r_idx]),
            "pos": np.concatenate([np.zeros(n), length, pos]),
        }
    ).sort_values(["route", "pos"], kind="stable")
    frame["start"] = frame.groupby("route")["pos"].shift(1)
    frame["gap"] = frame["pos"] - frame["start"]
    frame = frame.dropna(subset=["gap"])
    if extent is not None and len(frame):
        frame = frame.assign(gap=_inside_gaps(frame, lines, extent))
    worst = frame.sort_values(["route", "gap"], kind="stable")
    worst = worst.groupby("route").tail(1).set_index("route").reindex(np.arange(n))
    gap = worst["gap"].to_numpy()
    return pd.DataFrame(
        {
            "longest_gap_m": gap,
            "gap_start_m": worst["start"].to_numpy(),
            "gap_end_m": worst["pos"].to_numpy(),
            "n_seats": np.bincount(r_idx, minlength=n),
        },
        index=routes.index,
    )


@dataclass(frozen=True)
class RestGaps:
    """Rest gaps on the walks from homes to the nearest elderly service.

    Attributes
    ----------
    max_gap_m : float
        The longest acceptable stretch without a seat.
    points : geopandas.GeoDataFrame
        Per demand point (route geometry): ``grid_id``, ``weight``, ``facility``,
        ``route_m``, ``longest_gap_m``, ``gap_start_m``, ``gap_end_m``, ``n_seats``, ``ok``.
    grids : pandas.DataFrame
        Per leaf grid with a routed resident (a grid none of whose residents reaches an
        elderly service has nothing to measure and no row; the frame may be empty):
        ``weight``, ``share_ok`` (weight share whose longest gap is at most ``max_gap_m``),
        ``worst_gap_m`` and ``median_gap_m`` (weighted by residents).
    segments : geopandas.GeoDataFrame
        The stretches responsible: each distinct too-long gap with ``gap_m``,
        ``weight`` (residents whose worst gap it is), ``n_points`` and ``grids``, sorted by
        ``weight * gap_m``.
    """

    max_gap_m: float
    points: gpd.GeoDataFrame
    grids: pd.DataFrame
    segments: gpd.GeoDataFrame

    @property
    def share_ok(self) -> float:
        """Share of the routed demand weight whose longest gap is at most ``max_gap_m``."""
        w = self.points["weight"].to_numpy(dtype=float)
        return float(w[self.points["ok"].to_numpy()].sum() / w.sum()) if w.sum() else 0.0


def _weighted_median(values: pd.Series, weights: pd.Series) -> float:
    order = np.argsort(values.to_numpy(), kind="stable")
    v, w = values.to_numpy()[order], weights.to_numpy()[order]
    return float(v[np.searchsorted(np.cumsum(w), 0.5 * w.sum())]) if w.sum() else float("nan")


def _gap_segments(points: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    bad = points[~points["ok"]]
    coords, offsets = line_pieces(
        bad.geometry.to_numpy(),
        bad["gap_start_m"].to_numpy(dtype=float),
        bad["gap_end_m"].to_numpy(dtype=float),
    )
    piece = np.repeat(np.arange(len(bad)), np.diff(offsets))
    lines = shapely.linestrings(coords, indices=piece) if len(bad) else np.empty(0, object)
    geoms = shapely.normalize(shapely.set_precision(np.asarray(lines, dtype=object), 0.1))
    frame = pd.DataFrame(
        {
            "key": shapely.to_wkb(geoms),
            "geometry": geoms,
            "gap_m": bad["longest_gap_m"].to_numpy(),
            "weight": bad["weight"].to_numpy(),
            "grid_id": bad["grid_id"].astype(str).to_numpy(),
        }
    )
    grouped = frame.groupby("key", sort=False).agg(
        geometry=("geometry", "first"),
        gap_m=("gap_m", "max"),
        weight=("weight", "sum"),
        n_points=("weight", "size"),
        grids=("grid_id", lambda s: ",".join(sorted(set(s)))),
    )
    grouped = grouped.assign(score=grouped["weight"] * grouped["gap_m"])
    grouped = grouped.sort_values("score", ascending=False, kind="stable").drop(columns="score")
    return gpd.GeoDataFrame(grouped.reset_index(drop=True), geometry="geometry", crs=points.crs)


def rest_gaps(
    layers: Layers,
    network: WalkNetwork,
    *,
    max_gap_m: float = DEFAULT_MAX_GAP_M,
    seat_route_m: float = DEFAULT_SEAT_ROUTE_M,
    seats: gpd.GeoDataFrame | None = None,
    routes: gpd.GeoDataFrame | None = None,
    extent: object = None,
    max_snap_m: float = 100.0,
) -> RestGaps:
    """Longest seat-less stretch on each resident's walk to the nearest elderly service.

    Parameters
    ----------
    layers : lifecircle.geo.Layers
        Needs ``seats``, ``elderly`` and ``grids``.
    network : WalkNetwork
    max_gap_m : float, default 50
        Longest acceptable stretch without a seat (see :data:`DEFAULT_MAX_GAP_M`).
    seat_route_m : float, default 15
        A seat this close to a walk counts as on it.
    seats : GeoDataFrame, optional
        Seats to use instead of ``layers.seats`` (scenarios, or only good seats:
        ``usable_seats(layers.seats, min_seats=2)``). Sites without a seat never count.
    routes : GeoDataFrame, optional
        Output of :func:`elderly_routes` (computed when omitted; reuse it for scenarios).
    extent : optional
        The study area (see :func:`seat_reach`); by default the extent the network was
        clipped to. With an extent, each seat-less stretch counts by its length inside the
        extent (streets outside it are another district's to furnish); seats outside it
        still count.
    max_snap_m : float
        Homes and elderly services farther than this from the network get no route (used
        when ``routes`` is computed here; given ``routes`` already chose theirs).

    Returns
    -------
    RestGaps
    """
    if not max_gap_m > 0:
        raise ValueError(f"max_gap_m must be > 0 metres, got {max_gap_m!r}")
    if routes is None:
        routes = elderly_routes(layers, network, max_snap_m=max_snap_m)
    sites = usable_seats(layers.seats if seats is None else seats)
    area = network_extent(network, extent)
    if area is not None and routes.crs is not None and routes.crs != network.crs:
        area = gpd.GeoSeries([area], crs=network.crs).to_crs(routes.crs).iloc[0]
    gaps = gaps_along_routes(routes, sites, seat_route_m=seat_route_m, extent=area)
    points = routes.join(gaps)
    points["ok"] = points["longest_gap_m"].to_numpy() <= max_gap_m
    rows = []
    for grid_id, part in points.groupby("grid_id", sort=True):
        w = part["weight"]
        rows.append(
            {
                "grid_id": grid_id,
                "weight": float(w.sum()),
                "share_ok": float(w[part["ok"]].sum() / w.sum()) if w.sum() else float("nan"),
                "worst_gap_m": float(part["longest_gap_m"].max()),
                "median_gap_m": _weighted_median(part["longest_gap_m"], w),
            }
        )
    columns = ["grid_id", "weight", "share_ok", "worst_gap_m", "median_gap_m"]
    grids = pd.DataFrame(rows, columns=columns).astype({c: float for c in columns[1:]})
    grids = grids.set_index("grid_id")
    return RestGaps(float(max_gap_m), points, grids, _gap_segments(points))
