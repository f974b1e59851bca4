"""Topology of line layers: shared endpoints, T-junctions, near misses, multi-parts."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, MultiLineString, Point

from lifecircle.coverage.build import network_from_lines
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
    with pytest.raises(NetworkError, match=r"features \[1\].*Point"):
        network_from_lines(frame)


def test_layer_without_crs_is_rejected():
    with pytest.raises(NetworkError, match="no CRS"):
        network_from_lines(gpd.GeoDataFrame(geometry=[line((0, 0), (1, 1))]))


def test_missing_file_is_reported(tmp_path):
    with pytest.raises(NetworkError, match="not found"):
        network_from_lines(tmp_path / "nope.gpkg")
