"""Network isochrones: the streets reachable within a time budget, buffered for access.

They follow the street network — reachable *parts* of edges are cut exactly where the time
runs out — and are never convex hulls, which would claim courtyards and rail yards that
nobody can walk to.

The reachable parts are cut from coordinate arrays in one pass (:func:`cut_lines`), giving
the same pieces as one ``shapely.ops.substring`` per edge did in v0.1. A walking area is
then every point within ``access_m`` of those pieces, built from the faces (blocks) the
pieces enclose (:func:`~lifecircle.coverage.areas.service_area.lines_to_service_area`):
the area is a box minus each face shrunk by ``access_m``, with no union of buffers
(:func:`~lifecircle.coverage.areas.service_area.lines_to_area`, v0.1's buffer-and-union,
is kept as the reference; ``benchmarks/bench_city_scale.py --areas-only`` measures both).
:func:`isochrone_from_seconds` takes the blocks a service reaches whole from the network's
own faces, built once per network (:mod:`~lifecircle.coverage.areas.street_faces`), and
polygonises only the pieces along the frontier of what it reaches. The two
differ only in where GEOS puts the vertices of the arcs: every point of either area lies
within :data:`~lifecircle.coverage.areas.service_area.AREA_TOLERANCE_M` (2 m; at most
1.9 m seen on the synthetic city, 0.5 m between the demo's outlines) of the other, and
their symmetric difference is at most
:data:`~lifecircle.coverage.areas.service_area.AREA_TOLERANCE_SHARE` (0.5%; under 0.001%
seen) of the area — tested on the demo, random synthetic cities and real streets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from scipy.sparse.csgraph import dijkstra

from lifecircle.coverage.areas.service_area import (
    lines_to_area,
    lines_to_service_area,
    pieces_to_service_area,
)
from lifecircle.coverage.areas.street_faces import closed_faces, street_faces
from lifecircle.coverage.routing.split_graph import SplitGraph
from lifecircle.coverage.routing.travel_times import nearest_facility
from lifecircle.typing import BoolArray, FloatArray, GeometryArray, IndexArray

__all__ = [
    "ReachablePieces",
    "access_legs",
    "cut_lines",
    "isochrone_from_seconds",
    "isochrones_for_facilities",
    "isochrones_per_facility",
    "lines_to_area",
    "lines_to_service_area",
    "reachable_lines",
    "reachable_pieces",
]

_CHUNK = 64


def reachable_lines(
    graph: SplitGraph, node_seconds: FloatArray, *, limit_s: float
) -> GeometryArray:
    """Return the street pieces (shapely LineStrings) walkable within ``limit_s``.

    Whole edges come back as the network's own geometries; parts of edges are cut from
    the edge geometry's coordinate arrays all at once (:func:`cut_lines`).

    Parameters
    ----------
    graph : SplitGraph
    node_seconds : numpy.ndarray
        Seconds from the source(s) to every split-graph node (``inf`` when unreached).
    limit_s : float
        The time budget.

    Returns
    -------
    numpy.ndarray of shapely.LineString
        Whole edges first, then wholly reachable pieces of split edges, then the reachable
        ends of partly reachable pieces seen from their ``u`` and from their ``v`` side.
    """
    return reachable_pieces(graph, node_seconds, limit_s=limit_s).lines


@dataclass(frozen=True)
class ReachablePieces:
    """The street pieces walkable within a limit, with the edges they come from.

    Attributes
    ----------
    lines : numpy.ndarray of shapely.LineString
        As :func:`reachable_lines` returns them.
    edge : numpy.ndarray
        The network edge of each piece.
    edge_full : numpy.ndarray
        Per network edge: every piece of it is walkable whole.
    """

    lines: GeometryArray
    edge: IndexArray
    edge_full: BoolArray


def reachable_pieces(
    graph: SplitGraph, node_seconds: FloatArray, *, limit_s: float
) -> ReachablePieces:
    """The pieces of :func:`reachable_lines`, each with its edge, and the wholly reachable edges.

    Parameters
    ----------
    graph : SplitGraph
    node_seconds : numpy.ndarray
        Seconds from the source(s) to every split-graph node (``inf`` when unreached).
    limit_s : float
        The time budget.

    Returns
    -------
    ReachablePieces
    """
    street = (graph.seg_edge >= 0) & graph.seg_active
    a, b = graph.seg_u[street], graph.seg_v[street]
    edge = graph.seg_edge[street]
    start, end = graph.seg_start_m[street], graph.seg_end_m[street]
    per_m = np.maximum(graph.edge_seconds_per_m[edge], 1e-12)
    with np.errstate(invalid="ignore"):
        reach_a = np.clip((limit_s - node_seconds[a]) / per_m, 0.0, None)
        reach_b = np.clip((limit_s - node_seconds[b]) / per_m, 0.0, None)
    reach_a = np.where(np.isfinite(node_seconds[a]), reach_a, 0.0)
    reach_b = np.where(np.isfinite(node_seconds[b]), reach_b, 0.0)
    whole = reach_a + reach_b >= end - start
    geoms = graph.network.edges.geometry.to_numpy()
    length = graph.network.edges["length_m"].to_numpy(dtype=float)
    full_edge = whole & (start <= 0) & (end >= length[edge])
    inner = whole & ~full_edge
    from_a = ~whole & (reach_a > 0)
    from_b = ~whole & (reach_b > 0)
    cut_edge = np.concatenate([edge[inner], edge[from_a], edge[from_b]])
    lo = np.concatenate([start[inner], start[from_a], end[from_b] - reach_b[from_b]])
    hi = np.concatenate([end[inner], start[from_a] + reach_a[from_a], end[from_b]])
    with np.errstate(invalid="ignore", divide="ignore"):
        lo_frac, hi_frac = lo / length[cut_edge], hi / length[cut_edge]
    pieces = cut_lines(geoms[cut_edge], lo_frac, hi_frac)
    kept = _cut_kept(lo_frac, hi_frac)
    n_edges = len(geoms)
    edge_full = (np.bincount(edge, minlength=n_edges) > 0) & (
        np.bincount(edge[~whole], minlength=n_edges) == 0
    )
    return ReachablePieces(
        lines=np.concatenate([geoms[edge[full_edge]], pieces]).astype(object),
        edge=np.concatenate([edge[full_edge], cut_edge[kept]]).astype(np.int64),
        edge_full=edge_full,
    )


def cut_lines(lines: GeometryArray, lo: FloatArray, hi: FloatArray) -> GeometryArray:
    """Cut the part between fractions ``lo`` and ``hi`` of each line's length, vectorised.

    The same pieces as ``shapely.ops.substring(line, lo, hi, normalized=True)`` for
    ``lo < hi``: the point at ``lo``, the line's vertices strictly between, the point at
    ``hi`` (fractions clamped to [0, 1]). Other pieces are left out: where substring gives a
    point (``lo == hi`` after clamping), a reversed line (``lo > hi``) or fails (``nan``).

    Parameters
    ----------
    lines : numpy.ndarray of shapely.LineString
    lo, hi : numpy.ndarray
        Start and end fractions of each line's length.

    Returns
    -------
    numpy.ndarray of shapely.LineString
        One per kept piece, in the order of ``lines``.
    """
    keep = _cut_kept(lo, hi)
    lines = lines[keep]
    if len(lines) == 0:
        return np.empty(0, dtype=object)
    total = shapely.length(lines)
    d_lo = np.clip(lo[keep] * total, 0.0, total)
    d_hi = np.clip(hi[keep] * total, 0.0, total)
    xy, line = shapely.get_coordinates(lines, return_index=True)
    n_vert = np.bincount(line, minlength=len(lines))
    first = np.cumsum(n_vert) - n_vert
    rank = np.arange(len(xy)) - first[line]
    step = np.zeros(len(xy))
    dxy = xy[1:] - xy[:-1]
    step[1:] = np.sqrt(dxy[:, 0] * dxy[:, 0] + dxy[:, 1] * dxy[:, 1])
    step[rank == 0] = 0.0
    along = _running_sum(step, first, n_vert)
    # the vertices strictly between the cuts (never the last one, as substring)
    inside = (along > d_lo[line]) & (along < d_hi[line]) & (rank < n_vert[line] - 1)
    ends = [_point_at(xy, along, step, (line, first, n_vert), d) for d in (d_lo, d_hi)]
    n_out = 2 + np.bincount(line[inside], minlength=len(lines))
    out_first = np.cumsum(n_out) - n_out
    out = np.empty((int(n_out.sum()), 2))
    out[out_first] = ends[0]
    out[out_first + n_out - 1] = ends[1]
    kept = np.flatnonzero(inside)
    kept_line = line[kept]
    kept_first = np.searchsorted(kept_line, np.arange(len(lines)))
    out[out_first[kept_line] + 1 + np.arange(len(kept)) - kept_first[kept_line]] = xy[kept]
    pieces: GeometryArray = shapely.linestrings(
        out, indices=np.repeat(np.arange(len(lines)), n_out)
    )
    return pieces


def _cut_kept(lo: FloatArray, hi: FloatArray) -> BoolArray:
    """The cuts :func:`cut_lines` keeps: finite fractions, ``lo < hi`` once clamped."""
    kept: BoolArray = (
        np.isfinite(lo) & np.isfinite(hi) & (np.clip(lo, 0.0, 1.0) < np.clip(hi, 0.0, 1.0))
    )
    return kept


def _running_sum(step: FloatArray, first: IndexArray, count: IndexArray) -> FloatArray:
    """Distance along each line at each vertex, summed vertex by vertex like a Python loop.

    A flat ``cumsum`` minus each line's start would carry the rounding of every earlier
    line (1e-8 m after a city's 1e8 m); one pass per vertex rank keeps each sum exact to
    its own line.
    """
    along = np.zeros(len(step))
    for r in range(1, int(count.max(initial=0))):
        at = first[count > r] + r
        along[at] = along[at - 1] + step[at]
    return along


def _point_at(
    xy: FloatArray,
    along: FloatArray,
    step: FloatArray,
    lines: tuple[IndexArray, IndexArray, IndexArray],
    dist: FloatArray,
) -> FloatArray:
    """The point at distance ``dist`` along each line, interpolated as GEOS does.

    ``lines`` is each vertex's line, each line's first vertex and vertex count; ``step`` the
    length of the segment ending at each vertex. The segment is the last one starting at or
    before ``dist`` (a cut on a vertex is that vertex, at fraction 0 of the next segment).
    """
    line, first, count = lines
    below = (along <= dist[line]) & (np.arange(len(xy)) - first[line] < count[line] - 1)
    seg = first + np.maximum(np.bincount(line[below], minlength=len(first)) - 1, 0)
    seg = np.minimum(seg, first + np.maximum(count - 2, 0))
    nxt = np.minimum(seg + 1, first + count - 1)
    p0, p1 = xy[seg], xy[nxt]
    seg_len = step[nxt]
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(seg_len > 0, (dist - along[seg]) / seg_len, 0.0)
    point: FloatArray = p0 + frac[:, None] * (p1 - p0)
    return point


def access_legs(graph: SplitGraph, facilities: Sequence[int] | IndexArray) -> GeometryArray:
    """The off-street legs of ``facilities`` (rows of the split graph's facility frame).

    One straight line from each snapped facility to each node it is linked to, so that a
    facility sits inside its own walking area; none for a facility that was not snapped.
    """
    legs = []
    for f in facilities:
        node = graph.access_node[f]
        if node < 0:
            continue
        for m in graph.csr.indices[graph.csr.indptr[node] : graph.csr.indptr[node + 1]]:
            legs.append(shapely.LineString(graph.node_xy[[node, m]]))
    out: GeometryArray = np.asarray(legs, dtype=object)
    return out


def isochrone_from_seconds(
    graph: SplitGraph,
    node_seconds: FloatArray,
    *,
    limit_s: float,
    access_m: float,
    facilities: Sequence[int] | IndexArray = (),
) -> shapely.Geometry:
    """Return every point within ``access_m`` of the reachable street pieces.

    One (multi)polygon, built by
    :func:`~lifecircle.coverage.areas.service_area.lines_to_service_area`.

    The off-street legs of ``facilities`` (rows of the split graph's facility frame) are
    included so that each facility sits inside its own isochrone.
    """
    pieces = reachable_pieces(graph, node_seconds, limit_s=limit_s)
    leg_arr = access_legs(graph, facilities)
    present = ~(shapely.is_missing(pieces.lines) | shapely.is_empty(pieces.lines))
    lines = np.concatenate([pieces.lines[present], leg_arr]).astype(object)
    if len(lines) == 0:
        return shapely.Polygon()
    faces = street_faces(graph.network)
    view = closed_faces(faces, pieces.edge_full, leg_arr)
    frontier = np.concatenate(
        [~view.interior_edge[pieces.edge[present]], np.ones(len(leg_arr), dtype=bool)]
    )
    return pieces_to_service_area(
        lines,
        frontier,
        access_m=access_m,
        whole_faces=faces.faces[view.closed],
        whole_holes=faces.holes(access_m)[view.closed],
    )


def isochrones_for_facilities(
    graph: SplitGraph,
    facilities: Sequence[int] | IndexArray,
    *,
    limit_s: float,
    access_m: float,
    per_facility: bool = True,
) -> tuple[shapely.Geometry, list[shapely.Geometry]]:
    """Isochrones of a set of facilities: their union, and optionally one per facility.

    Parameters
    ----------
    graph : SplitGraph
    facilities : sequence of int
        Facility rows (positions in the frame given to ``build_split_graph``).
    limit_s : float
        Time budget in seconds.
    access_m : float
        Buffer around reachable streets (how far from the street a door may be).
    per_facility : bool, default True
        Also compute one isochrone per facility (:func:`isochrones_per_facility`).

    Returns
    -------
    union : shapely geometry
        From one multi-source solve: the streets within ``limit_s`` of the nearest facility.
    each : list of shapely geometry
        Empty when ``per_facility`` is False; else aligned with ``facilities``.
    """
    facilities = np.asarray(facilities, dtype=np.int64)
    nearest = nearest_facility(graph, facilities=facilities, limit_s=limit_s)
    union = isochrone_from_seconds(
        graph, nearest.seconds, limit_s=limit_s, access_m=access_m, facilities=facilities
    )
    if not per_facility:
        return union, []
    return union, isochrones_per_facility(graph, facilities, limit_s=limit_s, access_m=access_m)


def isochrones_per_facility(
    graph: SplitGraph,
    facilities: Sequence[int] | IndexArray,
    *,
    limit_s: float,
    access_m: float,
) -> list[shapely.Geometry]:
    """One isochrone per facility: a bounded Dijkstra from each (in chunks), then its area.

    Parameters
    ----------
    graph : SplitGraph
    facilities : sequence of int
        Facility rows (positions in the frame given to ``build_split_graph``).
    limit_s, access_m : float
        Time budget (seconds) and buffer around reachable streets (metres).

    Returns
    -------
    list of shapely geometry
        Aligned with ``facilities``; an empty polygon for a facility that was not snapped.
    """
    facilities = np.asarray(facilities, dtype=np.int64)
    each: list[shapely.Geometry] = []
    for lo in range(0, len(facilities), _CHUNK):
        chunk = facilities[lo : lo + _CHUNK]
        access = graph.access_node[chunk]
        valid = access >= 0
        if valid.any():
            dist = dijkstra(graph.csr, directed=True, indices=access[valid], limit=limit_s)
        rows = iter(dist if valid.any() else [])
        for f, ok in zip(chunk, valid, strict=True):
            if not ok:
                each.append(shapely.Polygon())
                continue
            each.append(
                isochrone_from_seconds(
                    graph, next(rows), limit_s=limit_s, access_m=access_m, facilities=[f]
                )
            )
    return each
