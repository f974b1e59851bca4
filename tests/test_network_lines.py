"""Topology of line layers: shared endpoints, T-junctions, near misses, multi-parts."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, MultiLineString, Point

from lifecircle.coverage.network.build import network_from_lines
from lifecircle.errors import NetworkError

X0, Y0 = 350_000.0, 3_450_000.0  # UTM 51N, central Shanghai


def line(*pts: tuple[float, float]) -> LineString:
    return LineString([(X0 + x, Y0 + y) for x, y in pts])


def layer(geoms, **columns) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(columns, geometry=list(geoms), crs="EPSG:32651")


def to_nx(network) -> nx.MultiGraph:
    g = nx.MultiGraph()
    g.add_nodes_from(range(network.n_nodes))
    for u, v, length in network.edges[["u", "v", "length_m"]].itertuples(index=False):
        g.add_edge(u, v, length=length)
    return g


def test_shared_endpoints_make_a_junction():
    """A(0,0)--B(100,0)--C(100,100): two lines meeting at B -> 3 nodes, 2 edges."""
    net = network_from_lines(layer([line((0, 0), (100, 0)), line((100, 0), (100, 100))]))
    assert (net.n_nodes, net.n_edges) == (3, 2)
    assert net.crs.to_epsg() == 32651
    np.testing.assert_allclose(sorted(net.edges["length_m"]), [100.0, 100.0])
    assert len(net.components()) == 1


def test_t_junction_splits_the_through_line():
    """
    A(0,0) ------ T(50,0) ------ B(100,0)
                    |
                  C(50,80)
    The stem ends on the interior of A-B, which must be split at T.
    """
    net = network_from_lines(layer([line((0, 0), (100, 0)), line((50, 80), (50, 0))]))
    assert (net.n_nodes, net.n_edges) == (4, 3)
    g = to_nx(net)
    degrees = sorted(d for _, d in g.degree())
    assert degrees == [1, 1, 1, 3]
    a = int(np.argmin(net.node_xy[:, 0]))
    c = int(np.argmax(net.node_xy[:, 1]))
    assert nx.shortest_path_length(g, a, c, weight="length") == pytest.approx(130.0)


def test_near_miss_endpoints_within_tolerance_are_joined():
    net = network_from_lines(layer([line((0, 0), (100, 0)), line((100.3, 0.2), (200, 0))]))
    assert (net.n_nodes, net.n_edges) == (3, 2)
    assert len(net.components()) == 1


def test_near_miss_beyond_tolerance_stays_apart_and_is_reported():
    lines = layer([line((0, 0), (100, 0)), line((101, 0), (200, 0))])
    net = network_from_lines(lines, snap_m=0.5)
    comps = net.components()
    assert len(comps) == 2
    assert net.meta["n_components"] == 2
    assert net.meta["length_outside_largest_m"] == pytest.approx(99.0)
    joined = network_from_lines(lines, snap_m=2.0)
    assert len(joined.components()) == 1


def test_crossing_without_endpoint_is_not_a_junction():
    """An overpass: two lines cross at (50,0) with no shared vertex -> no connection."""
    net = network_from_lines(layer([line((0, 0), (100, 0)), line((50, -50), (50, 50))]))
    assert (net.n_nodes, net.n_edges) == (4, 2)
    assert len(net.components()) == 2


def test_multilinestrings_are_split_into_parts():
    multi = MultiLineString([[(X0, Y0), (X0 + 100, Y0)], [(X0 + 300, Y0), (X0 + 400, Y0)]])
    net = network_from_lines(layer([multi], name=["two parts"]))
    assert net.n_edges == 2
    assert list(net.edges["name"]) == ["two parts", "two parts"]


def test_edges_run_from_u_to_v_and_nodes_match():
    rng = np.random.default_rng(7)
    pts = rng.uniform(0, 500, size=(12, 2))
    geoms = [line(tuple(pts[i]), tuple(pts[i + 1])) for i in range(11)]
    net = network_from_lines(layer(geoms))
    start = shapely.get_point(net.edges.geometry.to_numpy(), 0)
    end = shapely.get_point(net.edges.geometry.to_numpy(), -1)
    u_pts = net.nodes.geometry.to_numpy()[net.edges["u"].to_numpy()]
    v_pts = net.nodes.geometry.to_numpy()[net.edges["v"].to_numpy()]
    np.testing.assert_allclose(shapely.distance(start, u_pts), 0.0, atol=1e-6)
    np.testing.assert_allclose(shapely.distance(end, v_pts), 0.0, atol=1e-6)
    np.testing.assert_allclose(net.edges["length_m"], net.edges.geometry.length)


def test_reads_geojson_file_in_wgs84_and_picks_utm(tmp_path):
    frame = layer([line((0, 0), (100, 0)), line((100, 0), (100, 100))]).to_crs(4326)
    path = tmp_path / "paths.geojson"
    frame.to_file(path, driver="GeoJSON")
    net = network_from_lines(path)
    assert net.crs.to_epsg() == 32651
    assert net.edges["length_m"].sum() == pytest.approx(200.0, rel=1e-3)
    assert net.source == str(path)


def test_non_line_features_are_rejected_with_their_rows():
    frame = layer([line((0, 0), (1, 1)), Point(X0, Y0)])
    with pytest.raises(NetworkError, match=r"feature 2 is not a line \(Point\)"):
        network_from_lines(frame)


def test_layer_without_crs_is_rejected():
    with pytest.raises(NetworkError, match="no CRS"):
        network_from_lines(gpd.GeoDataFrame(geometry=[line((0, 0), (1, 1))]))


def test_missing_file_is_reported(tmp_path):
    with pytest.raises(NetworkError, match="not found"):
        network_from_lines(tmp_path / "nope.gpkg")


def test_demo_network_loads_and_applies_rules():
    from lifecircle.coverage.network.build import load_demo_network

    demo = Path(__file__).resolve().parents[1] / "lifecircle" / "data" / "demo" / "network.geojson"
    net = load_demo_network()
    raw = gpd.read_file(demo)
    assert net.crs.is_projected
    assert not net.edges["highway"].isin(["trunk", "motorway"]).any()
    forbidden = raw["highway"].isin(["trunk", "motorway"])
    if "foot" in raw:
        forbidden |= raw["foot"].eq("no")
    assert net.meta["dropped_not_walkable"] >= int(forbidden.sum())
    assert net.meta["n_components"] == len(net.components())


@settings(max_examples=10, deadline=None)
@given(
    cells=st.integers(min_value=1, max_value=4),
    seed=st.integers(min_value=0, max_value=2**16),
)
def test_grid_topology_is_independent_of_row_order(cells, seed):
    """A (cells x cells) street grid drawn as unit segments, rows shuffled.

    A grid of k x k cells has (k+1)^2 junctions and 2k(k+1) segments of 100 m.
    """
    k = cells
    segs = []
    for i in range(k + 1):
        for j in range(k):
            segs.append(line((100 * j, 100 * i), (100 * (j + 1), 100 * i)))
            segs.append(line((100 * i, 100 * j), (100 * i, 100 * (j + 1))))
    order = np.random.default_rng(seed).permutation(len(segs))
    net = network_from_lines(layer([segs[i] for i in order]))
    assert net.n_nodes == (k + 1) ** 2
    assert net.n_edges == 2 * k * (k + 1)
    assert len(net.components()) == 1
    assert net.edges["length_m"].sum() == pytest.approx(100.0 * 2 * k * (k + 1))
    g = to_nx(net)
    corner_a = int(np.argmin(net.node_xy.sum(axis=1)))
    corner_b = int(np.argmax(net.node_xy.sum(axis=1)))
    assert nx.shortest_path_length(g, corner_a, corner_b, weight="length") == pytest.approx(200 * k)


@pytest.mark.parametrize(
    ("lon", "lat", "epsg"),
    [(121.45, 31.22, 32651), (24.94, 60.17, 32635), (-58.4, -34.6, 32721), (179.9, 0.0, 32660)],
)
def test_utm_zone_of_the_extent(lon, lat, epsg):
    from lifecircle.coverage.network.build import utm_crs

    frame = gpd.GeoDataFrame(geometry=[Point(lon, lat)], crs="EPSG:4326")
    assert utm_crs(frame).to_epsg() == epsg
    assert utm_crs(frame.to_crs(3857)).to_epsg() == epsg
