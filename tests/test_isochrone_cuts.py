"""Vectorised edge cuts equal the ``shapely.ops.substring`` loop they replace.

``reachable_lines`` used to cut each partly reachable edge with one ``substring`` call; it
now cuts them all from coordinate arrays (``cut_lines``). The reference below is that loop,
kept here to compare against on random networks, facilities and budgets.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
import shapely.ops
from hypothesis import given, settings
from hypothesis import strategies as st

from lifecircle.coverage.areas.isochrones import cut_lines, reachable_lines
from lifecircle.coverage.network.synthetic import network_from_arrays, synthetic_city
from lifecircle.coverage.routing.profiles import PROFILES
from lifecircle.coverage.routing.snap import snap_points
from lifecircle.coverage.routing.split_graph import SplitGraph, build_split_graph
from lifecircle.coverage.routing.travel_times import nearest_facility

TOL_M = 1e-9


def _substring_pieces(graph: SplitGraph, seconds: np.ndarray, limit_s: float) -> list:
    """The v0.1 ``reachable_lines``: one ``shapely.ops.substring`` per partial piece."""
    street = (graph.seg_edge >= 0) & graph.seg_active
    a, b = graph.seg_u[street], graph.seg_v[street]
    edge = graph.seg_edge[street]
    start, end = graph.seg_start_m[street], graph.seg_end_m[street]
    per_m = np.maximum(graph.edge_seconds_per_m[edge], 1e-12)
    with np.errstate(invalid="ignore"):
        reach_a = np.clip((limit_s - seconds[a]) / per_m, 0.0, None)
        reach_b = np.clip((limit_s - seconds[b]) / per_m, 0.0, None)
    reach_a = np.where(np.isfinite(seconds[a]), reach_a, 0.0)
    reach_b = np.where(np.isfinite(seconds[b]), reach_b, 0.0)
    whole = reach_a + reach_b >= end - start
    geoms = graph.network.edges.geometry.to_numpy()
    length = graph.network.edges["length_m"].to_numpy(dtype=float)
    full_edge = whole & (start <= 0) & (end >= length[edge])
    pieces = list(geoms[edge[full_edge]])
    intervals = [(edge[k], start[k], end[k]) for k in np.flatnonzero(whole & ~full_edge)]
    intervals += [
        (edge[k], start[k], start[k] + reach_a[k]) for k in np.flatnonzero(~whole & (reach_a > 0))
    ]
    intervals += [
        (edge[k], end[k] - reach_b[k], end[k]) for k in np.flatnonzero(~whole & (reach_b > 0))
    ]
    for e, lo, hi in intervals:
        pieces.append(
            shapely.ops.substring(geoms[e], lo / length[e], hi / length[e], normalized=True)
        )
    return pieces


def _assert_same_pieces(new: np.ndarray, old: list) -> None:
    assert len(new) == len(old)
    for got, want in zip(new, old, strict=True):
        assert got.geom_type == want.geom_type == "LineString"
        assert shapely.hausdorff_distance(got, want) <= TOL_M
        assert abs(got.length - want.length) <= TOL_M


def _bent_network(seed: int) -> object:
    """A synthetic city whose edges are bent into 2-5 segments (vertices off the chord)."""
    net = synthetic_city(300, seed=seed)
    rng = np.random.default_rng(seed)
    lines = []
    for line in net.edges.geometry:
        (x0, y0), (x1, y1) = line.coords
        k = int(rng.integers(0, 4))
        t = np.sort(rng.uniform(0.05, 0.95, size=k))
        wiggle = rng.normal(scale=8.0, size=(k, 2))
        mid = np.column_stack([x0 + t * (x1 - x0), y0 + t * (y1 - y0)]) + wiggle
        lines.append(shapely.LineString([(x0, y0), *mid, (x1, y1)]))
    edges = net.edges.set_geometry(gpd.GeoSeries(lines, crs=net.crs))
    # length_m stays the chord (as OSM lengths differ from drawn ones): cuts are fractions
    return type(net)(nodes=net.nodes, edges=edges, crs=net.crs)


@settings(max_examples=15)
@given(
    seed=st.integers(0, 10_000),
    n_fac=st.integers(1, 6),
    limit_s=st.floats(20.0, 600.0),
    bent=st.booleans(),
)
def test_reachable_lines_equal_substring_loop(seed, n_fac, limit_s, bent):
    net = _bent_network(seed) if bent else synthetic_city(300, seed=seed)
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = net.edges.total_bounds
    pts = gpd.GeoSeries(
        shapely.points(rng.uniform([x0, y0], [x1, y1], size=(n_fac, 2))), crs=net.crs
    )
    graph = build_split_graph(
        net, snap_points(net, pts, max_snap_m=200), profile=PROFILES["elderly"]
    )
    seconds = nearest_facility(graph, limit_s=limit_s).seconds
    new = reachable_lines(graph, seconds, limit_s=limit_s)
    _assert_same_pieces(new, _substring_pieces(graph, seconds, limit_s))


@settings(max_examples=40)
@given(
    data=st.lists(
        st.tuples(
            st.lists(st.tuples(st.floats(-500, 500), st.floats(-500, 500)), min_size=2, max_size=7),
            st.floats(0.0, 1.0),
            st.floats(0.0, 1.0),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_cut_lines_equal_substring(data):
    lines = np.array([shapely.LineString(xy) for xy, _, _ in data], dtype=object)
    lo = np.array([min(a, b) for _, a, b in data])
    hi = np.array([max(a, b) for _, a, b in data])
    want = [
        shapely.ops.substring(g, a, b, normalized=True)
        for g, a, b in zip(lines, lo, hi, strict=True)
    ]
    want = [g for g in want if g.geom_type == "LineString"]
    _assert_same_pieces(cut_lines(lines, lo, hi), want)


def test_cut_on_vertices_and_ends():
    """A 0-100-200-300 m polyline: cuts at vertices keep them once, ends are clamped."""
    line = shapely.LineString([(0, 0), (100, 0), (100, 100), (200, 100)])
    got = cut_lines(
        np.array([line] * 4, dtype=object),
        np.array([1 / 3, 0.0, -0.5, 0.5]),
        np.array([2 / 3, 1.0, 0.5, 0.5]),
    )
    assert len(got) == 3  # the last is a point for substring: left out
    np.testing.assert_allclose(shapely.get_coordinates(got[0]), [[100, 0], [100, 100]])
    assert got[1].equals_exact(line, 0)
    np.testing.assert_allclose(shapely.get_coordinates(got[2]), [[0, 0], [100, 0], [100, 50]])


def test_cut_lines_leaves_out_points_and_nan():
    line = shapely.LineString([(0, 0), (10, 0)])
    got = cut_lines(
        np.array([line] * 3, dtype=object), np.array([0.5, np.nan, 0.7]), np.array([0.5, 1, 0.2])
    )
    assert len(got) == 0


def test_zero_length_edge_whole():
    """A zero-length edge is always whole: it comes back as the network's own geometry."""
    net = network_from_arrays([(0, 0), (0, 0), (100, 0)], [(0, 1), (1, 2)])
    graph = build_split_graph(
        net,
        snap_points(net, gpd.GeoSeries([shapely.Point(100, 0)], crs=net.crs), max_snap_m=5),
        profile=PROFILES["adult"],
    )
    seconds = nearest_facility(graph, limit_s=1000).seconds
    lines = reachable_lines(graph, seconds, limit_s=1000)
    assert sum(g.length for g in lines) == pytest.approx(100)


def test_demo_service_areas_match_v01():
    """The demo's elderly-service area from today's code vs from the substring loop."""
    from lifecircle.coverage.areas.isochrones import isochrone_from_seconds
    from lifecircle.coverage.areas.service_area import (
        AREA_TOLERANCE_M,
        measure_area_difference,
    )
    from lifecircle.coverage.measures.service_coverage import default_services
    from lifecircle.coverage.network.build import load_demo_network
    from lifecircle.geo.layers import load_demo_layers

    net, layers = load_demo_network(), load_demo_layers()
    fac = layers.elderly[layers.elderly["type"].isin(default_services()["elderly"])]
    graph = build_split_graph(
        net, snap_points(net, fac.to_crs(net.crs), max_snap_m=100), profile=PROFILES["elderly"]
    )
    rows = np.flatnonzero(graph.access_node >= 0)
    limit_s = 15 * 60.0
    seconds = nearest_facility(graph, facilities=rows, limit_s=limit_s).seconds
    new = isochrone_from_seconds(graph, seconds, limit_s=limit_s, access_m=30, facilities=rows)
    # v0.1: the substring pieces, each facility's off-street legs, merge, buffer, union
    pieces = _substring_pieces(graph, seconds, limit_s)
    for f in rows:
        node = graph.access_node[f]
        for m in graph.csr.indices[graph.csr.indptr[node] : graph.csr.indptr[node + 1]]:
            pieces.append(shapely.LineString(graph.node_xy[[node, m]]))
    merged = shapely.get_parts(shapely.line_merge(shapely.multilinestrings(pieces)))
    old = shapely.union_all(shapely.buffer(merged, 30, quad_segs=4))
    # the area is built through faces now (service_area.py): the same circles, their arc
    # vertices placed differently; on the demo the outlines stay within 0.5 m
    assert new.is_valid
    assert shapely.hausdorff_distance(new, old) <= 0.5
    gap, share = measure_area_difference(new, old)
    assert gap <= AREA_TOLERANCE_M and share <= 1e-5
