"""Walks on a shortest-path tree, traced for many points at once with numpy.

A multi-source Dijkstra (:func:`lifecircle.coverage.routing.travel_times.nearest_facility`) leaves a
*predecessor tree*: every reached node points one step closer to its nearest facility.
Every point's quickest walk is therefore its off-street leg, a partial edge to its entry
node, then the tree path from that node to the root (the facility's access node)::

    home ─ leg ─ snap ─ partial edge ─ entry ── tree link ── ... ── access node (facility)

:func:`trace_routes` draws all those walks in one pass: each tree link's coordinates are
cut once (:func:`line_pieces`), the tree paths are enumerated by pointer jumping
(:func:`tree_paths`), and the per-walk coordinate runs are gathered with index arithmetic
and turned into LineStrings by :func:`shapely.linestrings`. It draws the same lines as
the reference implementation kept with the tests, ``tests/reference_routes.py`` (up
to floating-point rounding), which traces one walk at a time in Python.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from lifecircle.coverage.routing.split_graph import SplitGraph, enter_graph
from lifecircle.coverage.routing.travel_times import NearestFacility, seconds_to_points
from lifecircle.typing import FloatArray, GeometryArray, IndexArray

__all__ = ["line_pieces", "segments_between", "trace_routes", "tree_paths"]

logger = logging.getLogger(__name__)


def tree_paths(
    predecessors: NDArray[np.integer], start: IndexArray
) -> tuple[IndexArray, IndexArray]:
    """Enumerate the tree path from each start node up to its root.

    Parameters
    ----------
    predecessors : numpy.ndarray
        Predecessor of every node (negative at roots and unreached nodes), as returned
        by :func:`scipy.sparse.csgraph.dijkstra`.
    start : numpy.ndarray
        Start node of each path (negative: no path).

    Returns
    -------
    owner, node : numpy.ndarray
        Flat pairs ordered by (owner, step): path ``i`` is ``node[owner == i]``, from
        ``start[i]`` to its root inclusive.

    Raises
    ------
    ValueError
        When the predecessors contain a cycle (not a tree).
    """
    start = np.asarray(start, dtype=np.int64)
    active = np.flatnonzero(start >= 0)
    cur = start[active]
    owners, nodes = [], []
    for _ in range(len(predecessors) + 1):
        if not len(active):
            break
        owners.append(active)
        nodes.append(cur)
        nxt = predecessors[cur]
        up = nxt >= 0
        active, cur = active[up], nxt[up].astype(np.int64)
    else:
        raise ValueError("the predecessor array has a cycle; it is not a shortest-path tree")
    owner = np.concatenate(owners) if owners else np.empty(0, dtype=np.int64)
    node = np.concatenate(nodes) if nodes else np.empty(0, dtype=np.int64)
    order = np.argsort(owner, kind="stable")  # steps were appended in order
    return owner[order], node[order]


def segments_between(graph: SplitGraph, a: IndexArray, b: IndexArray) -> IndexArray:
    """Segment index of the (fastest) link between nodes ``a[i]`` and ``b[i]``, else -1.

    Vectorised counterpart of :meth:`SplitGraph.segment_between`.
    """
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    csr = graph.csr
    n = np.int64(csr.shape[0])
    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(csr.indptr))
    keys = rows * n + csr.indices.astype(np.int64)
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    wanted = a * n + b
    pos = np.minimum(np.searchsorted(keys, wanted), max(len(keys) - 1, 0))
    found = (len(keys) > 0) & (keys[pos] == wanted) if len(keys) else np.zeros(len(a), bool)
    out = np.full(len(a), -1, dtype=np.int64)
    out[found] = graph.entry_segment[order[pos[found]]]
    return out


def _ranges(starts: IndexArray, counts: IndexArray) -> IndexArray:
    """Concatenate ``arange(s, s + c)`` for every (start, count)."""
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    first = np.cumsum(counts) - counts
    return np.repeat(np.asarray(starts, dtype=np.int64) - first, counts) + np.arange(total)


def line_pieces(
    lines: GeometryArray, start_m: FloatArray, end_m: FloatArray
) -> tuple[FloatArray, IndexArray]:
    """Coordinates of each line between two distances along it, walked start to end.

    The vectorised counterpart of :func:`shapely.ops.substring` (non-normalised,
    distances within ``[0, length]``): the interpolated start point, the vertices strictly
    between, the interpolated end point, reversed when ``start_m > end_m``; a single
    point when ``start_m == end_m``.

    Returns
    -------
    coords : numpy.ndarray
        ``(k, 2)`` coordinates of every piece, one piece after the other.
    offsets : numpy.ndarray
        ``len(lines) + 1`` offsets: piece ``i`` is ``coords[offsets[i]:offsets[i + 1]]``.
    """
    lines = np.asarray(lines, dtype=object)
    start_m = np.asarray(start_m, dtype=float)
    end_m = np.asarray(end_m, dtype=float)
    n = len(lines)
    if n == 0:  # e.g. no point reached any facility
        return np.empty((0, 2)), np.zeros(1, dtype=np.int64)
    lo, hi = np.minimum(start_m, end_m), np.maximum(start_m, end_m)
    p_lo = shapely.get_coordinates(shapely.line_interpolate_point(lines, lo))
    p_hi = shapely.get_coordinates(shapely.line_interpolate_point(lines, hi))
    xy, line_of = shapely.get_coordinates(lines, return_index=True)
    same = np.r_[False, line_of[1:] == line_of[:-1]]  # vertex continues the previous one
    step = np.zeros(len(xy))
    step[same] = np.sqrt(((xy[1:] - xy[:-1]) ** 2).sum(axis=1))[same[1:]]
    total = np.cumsum(step)
    first = np.searchsorted(line_of, np.arange(n))
    cum = total - total[first[line_of]]  # distance of each vertex along its line
    is_last = np.r_[line_of[1:] != line_of[:-1], True]
    lo_c = np.maximum(lo, 0.0)
    inner = ~is_last & (cum > lo_c[line_of]) & (cum < hi[line_of])
    point = start_m == end_m
    inner &= ~point[line_of]
    # rows: (line, rank) with rank 0 = start point, 1..: vertices, big = end point
    rank_v = np.arange(len(xy), dtype=np.int64)[inner] - first[line_of[inner]] + 1
    line_all = np.concatenate([np.arange(n), line_of[inner], np.flatnonzero(~point)])
    rank = np.concatenate([np.zeros(n, np.int64), rank_v, np.full(int((~point).sum()), 2**40)])
    rev = start_m > end_m
    rank = np.where(rev[line_all], -rank, rank)
    coords = np.vstack([p_lo.reshape(-1, 2), xy[inner], p_hi.reshape(-1, 2)[~point]])
    order = np.lexsort((rank, line_all))
    counts = np.bincount(line_all, minlength=n)
    return coords[order], np.r_[0, np.cumsum(counts)]


def _edge_pieces(
    graph: SplitGraph, edge: IndexArray, from_m: FloatArray, to_m: FloatArray
) -> tuple[FloatArray, IndexArray]:
    """Pieces of original edges between two ``length_m`` offsets, in walking order."""
    edges = graph.network.edges
    geoms = edges.geometry.to_numpy()[edge]
    length = edges["length_m"].to_numpy(dtype=float)[edge]
    scale = shapely.length(geoms) / np.where(length > 0, length, 1.0)
    return line_pieces(geoms, from_m * scale, to_m * scale)


def _link_coords(graph: SplitGraph, pred: NDArray[np.integer]) -> tuple[FloatArray, IndexArray]:
    """Coordinates of every node's tree link, walked from the node to its predecessor."""
    n = len(pred)
    node = np.flatnonzero(pred >= 0)
    parent = pred[node].astype(np.int64)
    seg = segments_between(graph, node, parent)
    if (seg < 0).any():
        raise ValueError("predecessor tree uses a link that is not in the graph")
    edge = graph.seg_edge[seg]
    forward = graph.seg_u[seg] == node
    s, t = graph.seg_start_m[seg], graph.seg_end_m[seg]
    street = edge >= 0
    coords_s, offs_s = _edge_pieces(
        graph,
        edge[street],
        np.where(forward, s, t)[street],
        np.where(forward, t, s)[street],
    )
    count = np.zeros(n, dtype=np.int64)
    count[node[street]] = np.diff(offs_s)
    count[node[~street]] = 2
    offsets = np.r_[0, np.cumsum(count)]
    coords = np.empty((int(offsets[-1]), 2))
    coords[_ranges(offsets[node[street]], count[node[street]])] = coords_s
    legs = node[~street]
    coords[offsets[legs]] = graph.node_xy[legs]
    coords[offsets[legs] + 1] = graph.node_xy[pred[legs]]
    return coords, offsets


def _entry(
    graph: SplitGraph, nearest: NearestFacility, points: pd.DataFrame
) -> tuple[IndexArray, FloatArray, IndexArray, FloatArray]:
    """Edge, clipped offset, entry node and the offset of the entry node on that edge."""
    entry = enter_graph(graph, points)
    use_b = entry.via_b(nearest.seconds)
    node = np.where(use_b, entry.b, entry.a)
    return entry.edge, entry.offset_m, node, np.where(use_b, entry.b_offset_m, entry.a_offset_m)


def trace_routes(
    graph: SplitGraph, nearest: NearestFacility, points: pd.DataFrame
) -> tuple[GeometryArray, FloatArray, IndexArray]:
    """Draw each point's quickest walk to its nearest facility, all at once.

    Parameters
    ----------
    graph : SplitGraph
    nearest : NearestFacility
        From :func:`lifecircle.coverage.routing.travel_times.nearest_facility` on ``graph``.
    points : pandas.DataFrame
        Snapped points (output of :func:`~lifecircle.coverage.routing.snap.snap_points`); may
        carry ``orig_x``/``orig_y`` (the off-street position) to draw the leg.

    Returns
    -------
    lines : numpy.ndarray
        LineString from each point (its off-street position) to its facility (``None``
        when unreachable), as the tests' reference implementation draws it.
    seconds : numpy.ndarray
        Walking seconds (``inf`` when unreachable).
    facility : numpy.ndarray
        Facility row (``-1`` when unreachable).
    """
    seconds, facility = seconds_to_points(graph, nearest, points)
    reached = np.flatnonzero(np.isfinite(seconds))
    if len(reached) == 0:  # e.g. every point or facility lies beyond max_snap_m
        return np.full(len(seconds), None, dtype=object), seconds, facility
    edge, off, entry, entry_off = _entry(graph, nearest, points)
    edge, off, entry, entry_off = edge[reached], off[reached], entry[reached], entry_off[reached]
    link_xy, link_off = _link_coords(graph, nearest.predecessors)
    owner, node = tree_paths(nearest.predecessors, entry)
    start_cols = ["orig_x", "orig_y"] if "orig_x" in points.columns else ["x", "y"]
    part_xy, part_off = _edge_pieces(graph, edge, off, entry_off)
    run = np.maximum(link_off[node + 1] - link_off[node] - 1, 0)  # a link minus its first
    k = len(reached)
    xy = np.vstack(
        [
            points[start_cols].to_numpy(dtype=float)[reached],
            points[["x", "y"]].to_numpy(dtype=float)[reached],
            part_xy,
            link_xy[_ranges(link_off[node] + 1, run)],
        ]
    )
    route = np.concatenate(
        [
            np.arange(k),
            np.arange(k),
            np.repeat(np.arange(k), np.diff(part_off)),
            np.repeat(owner, run),
        ]
    )
    order = np.argsort(route, kind="stable")  # leg, partial edge, tree links, per route
    xy, route = xy[order], route[order]
    keep = np.r_[True, (route[1:] != route[:-1]) | (xy[1:] != xy[:-1]).any(axis=1)]
    xy, route = xy[keep], route[keep]
    single = np.flatnonzero(np.bincount(route, minlength=k) == 1)  # a walk of zero length
    if len(single):
        at = np.searchsorted(route, single)
        xy, route = np.insert(xy, at, xy[at], axis=0), np.insert(route, at, single)
    lines = np.full(len(seconds), None, dtype=object)
    if k:
        lines[reached] = shapely.linestrings(xy, indices=route)
    return lines, seconds, facility
