"""Reference route geometry, for tests only: each point's shortest walk, one at a time.

Each point's shortest walk to its nearest facility is drawn as a line. The times come from
:mod:`lifecircle.coverage.routing.travel_times` (the split graph and a multi-source
Dijkstra with predecessors); this module walks the predecessor chain back from a point's
entry node and stitches the street pieces it passes into a LineString.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.ops

from lifecircle.coverage.routing.split_graph import SplitGraph, enter_graph
from lifecircle.coverage.routing.travel_times import (
    NearestFacility,
    seconds_to_points,
)

__all__ = ["path_nodes", "routes_to_nearest"]


def path_nodes(nearest: NearestFacility, node: int) -> np.ndarray:
    """Return split-graph nodes from ``node`` back to its nearest facility's access node.

    Empty when ``node`` is unreachable.
    """
    if not np.isfinite(nearest.seconds[node]):
        return np.empty(0, dtype=np.int64)
    out = [int(node)]
    pred = nearest.predecessors
    while pred[out[-1]] >= 0:
        out.append(int(pred[out[-1]]))
    return np.asarray(out, dtype=np.int64)


def routes_to_nearest(
    graph: SplitGraph, nearest: NearestFacility, points: pd.DataFrame
) -> gpd.GeoDataFrame:
    """Trace each point's shortest walk to its nearest facility.

    Parameters
    ----------
    graph : SplitGraph
    nearest : NearestFacility
    points : pandas.DataFrame
        Snapped points (output of :func:`~lifecircle.coverage.routing.snap.snap_points`); may carry
        ``orig_x``/``orig_y`` (the off-street position) to draw the leg.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed like ``points``: ``facility`` (row, -1 if unreachable), ``seconds``,
        ``edges`` (tuple of original edge indices walked, in order from the point),
        ``nodes`` (tuple of split-graph nodes from the point's entry node to the
        facility's access node) and a LineString from the point to the facility, in the
        network CRS (``None`` when unreachable).
    """
    entry = enter_graph(graph, points)
    a, b, to_a, to_b = entry.a, entry.b, entry.to_a_s, entry.to_b_s
    seconds, fac = seconds_to_points(graph, nearest, points)
    use_b = nearest.seconds[b] + to_b < nearest.seconds[a] + to_a
    entry = np.where(use_b, b, a)
    start_xy = _point_xy(points)
    snapped_xy = points[["x", "y"]].to_numpy(dtype=float)
    geoms: list[shapely.LineString | None] = []
    edge_seqs: list[tuple[int, ...]] = []
    node_seqs: list[tuple[int, ...]] = []
    edge_arr = points["edge"].to_numpy()
    for k in range(len(points)):
        if not np.isfinite(seconds[k]):
            geoms.append(None)
            edge_seqs.append(())
            node_seqs.append(())
            continue
        nodes = path_nodes(nearest, int(entry[k]))
        coords = [start_xy[k], snapped_xy[k]]
        first_seg = _partial_coords(graph, int(edge_arr[k]), points, k, int(entry[k]))
        coords.extend(first_seg)
        segs = (
            graph.segment_between(nodes[:-1], nodes[1:])
            if len(nodes) > 1
            else np.empty(0, dtype=np.int64)
        )
        edges: list[int] = [int(edge_arr[k])]
        for i, s in enumerate(segs):
            coords.extend(_segment_coords(graph, int(s), int(nodes[i]))[1:])
            e = int(graph.seg_edge[s])
            if e >= 0 and e != edges[-1]:
                edges.append(e)
        geoms.append(shapely.LineString(_dedupe(coords)))
        edge_seqs.append(tuple(edges))
        node_seqs.append(tuple(int(x) for x in nodes))
    return gpd.GeoDataFrame(
        {"facility": fac, "seconds": seconds, "edges": edge_seqs, "nodes": node_seqs},
        geometry=gpd.GeoSeries(geoms, index=points.index, crs=graph.network.crs),
        index=points.index,
    )


def _point_xy(points: pd.DataFrame) -> np.ndarray:
    cols = ["orig_x", "orig_y"] if "orig_x" in points.columns else ["x", "y"]
    return points[cols].to_numpy(dtype=float)


def _dedupe(coords: list) -> list:
    out = [tuple(coords[0])]
    for c in coords[1:]:
        c = tuple(c)
        if c != out[-1]:
            out.append(c)
    if len(out) == 1:
        out.append(out[0])
    return out


def _edge_piece(graph: SplitGraph, edge: int, start_m: float, end_m: float) -> np.ndarray:
    """Coordinates of the original edge between two offsets, in walking order."""
    line = graph.network.edges.geometry.iloc[edge]
    length = float(graph.network.edges["length_m"].iloc[edge])
    lo, hi = sorted((start_m, end_m))
    piece = shapely.ops.substring(line, lo / length, hi / length, normalized=True)
    coords = np.asarray(piece.coords) if not piece.is_empty else np.empty((0, 2))
    if coords.ndim != 2 or len(coords) == 0:
        coords = np.asarray([piece.coords[0]]) if not piece.is_empty else np.empty((0, 2))
    return coords[::-1] if start_m > end_m else coords


def _segment_coords(graph: SplitGraph, seg: int, from_node: int) -> np.ndarray:
    """Coordinates of segment ``seg`` walked starting at ``from_node``."""
    e = int(graph.seg_edge[seg])
    forward = graph.seg_u[seg] == from_node
    if e < 0:
        xy = graph.node_xy[[graph.seg_u[seg], graph.seg_v[seg]]]
        return xy if forward else xy[::-1]
    s, t = graph.seg_start_m[seg], graph.seg_end_m[seg]
    return _edge_piece(graph, e, s, t) if forward else _edge_piece(graph, e, t, s)


def _partial_coords(
    graph: SplitGraph, edge: int, points: pd.DataFrame, k: int, entry: int
) -> np.ndarray:
    """Coordinates from the point's snap position along its edge to its entry node."""
    off = float(points["offset_m"].iloc[k])
    seg_nodes = graph.network.edges
    if entry < graph.n_base:
        target = (
            0.0
            if entry == int(seg_nodes["u"].iloc[edge])
            else float(seg_nodes["length_m"].iloc[edge])
        )
        if entry == int(seg_nodes["u"].iloc[edge]) == int(seg_nodes["v"].iloc[edge]):
            target = 0.0
    else:
        target = float(graph.vn_offset_m[entry - graph.n_base])
    return _edge_piece(graph, edge, off, target)
