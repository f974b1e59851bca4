"""osmnx graphs, GraphML and OSM XML (tiny hand-built files and the real Jing'an extract)."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import osmnx as ox
import pytest
import shapely
from shapely.geometry import LineString

from lifecircle.coverage.network.build import (
    network_from_graph,
    network_from_graphml,
    network_from_xml,
)
from lifecircle.errors import NetworkError

JINGAN = Path(__file__).resolve().parents[2] / "shared" / "data" / "jingan"
OSM_DIR = Path(__file__).resolve().parent / "data" / "osm"


def tiny_graph() -> nx.MultiDiGraph:
    """
    1 ==== 2 ---- 3        1-2: a two-way street stored as 1->2 and 2->1 (same geometry)
     \\___/                1-2 again: a parallel path with a different (curved) geometry
                          2-3: one-way street without geometry (straight line)
    """
    g = nx.MultiDiGraph(crs="EPSG:4326")
    g.add_node(1, x=121.440, y=31.220)
    g.add_node(2, x=121.441, y=31.220)
    g.add_node(3, x=121.442, y=31.220)
    straight = LineString([(121.440, 31.220), (121.441, 31.220)])
    curve = LineString([(121.440, 31.220), (121.4405, 31.2203), (121.441, 31.220)])
    g.add_edge(1, 2, key=0, highway="residential", name="A路", geometry=straight, oneway=False)
    g.add_edge(2, 1, key=0, highway="residential", name="A路", geometry=straight.reverse())
    g.add_edge(1, 2, key=1, highway="footway", geometry=curve)
    g.add_edge(2, 3, key=0, highway="tertiary", oneway=True)
    return g


def test_directed_duplicates_collapse_parallels_stay():
    net = network_from_graph(tiny_graph())
    assert net.n_nodes == 3
    assert net.n_edges == 3
    assert net.meta["dropped_directed_duplicates"] == 1
    assert sorted(net.edges["highway"]) == ["footway", "residential", "tertiary"]
    assert sorted(net.nodes["osmid"]) == [1, 2, 3]
    curved = net.edges.loc[net.edges["highway"] == "footway", "length_m"].iloc[0]
    straight = net.edges.loc[net.edges["highway"] == "residential", "length_m"].iloc[0]
    assert curved > straight > 90  # ~95 m at 31.2°N
    start = shapely.get_point(net.edges.geometry.to_numpy(), 0)
    u_pts = net.nodes.geometry.to_numpy()[net.edges["u"].to_numpy()]
    assert shapely.distance(start, u_pts).max() < 1e-6


def test_graph_without_crs_is_rejected():
    g = tiny_graph()
    del g.graph["crs"]
    with pytest.raises(NetworkError, match="crs"):
        network_from_graph(g)


def test_graphml_round_trip(tmp_path):
    path = tmp_path / "g.graphml"
    ox.save_graphml(tiny_graph(), path)
    net = network_from_graphml(path)
    assert (net.n_nodes, net.n_edges) == (3, 3)
    assert net.source == str(path)


def test_tiny_xml_filters_and_simplifies():
    """tests/data/osm/tiny.osm: see the file header for the drawing and the expected answer."""
    net = network_from_xml(OSM_DIR / "tiny.osm")
    # Node 2 joins footway ways 11 and 12: simplification keeps way boundaries (each edge
    # belongs to one way, so way penalties are charged once per way), hence 4 edges.
    assert sorted(net.edges["highway"]) == ["footway", "footway", "path", "residential"]
    assert sorted(net.nodes["osmid"]) == [1, 2, 3, 4, 7]
    assert net.n_edges == 4
    assert net.edges["name"].tolist().count("小径") == 2
    assert net.meta["dropped_not_walkable"] == 2
    assert net.meta["dropped_by_reason"] == {"access=private": 1, "highway=motorway": 1}


@pytest.mark.slow
@pytest.mark.realdata
def test_jingan_xml_walkable_subset():
    path = JINGAN / "roads_osm_drivable_2025-08-09.osm"
    if not path.is_file():
        pytest.skip("../shared/data/jingan is absent")
    net = network_from_xml(path)
    assert net.crs.to_epsg() == 32651
    # Ways tagged foot=no (elevated sections) are removed; simplification keeps way
    # boundaries and signal nodes (346 of them), so the graph has about 1,040 nodes.
    assert 950 <= net.n_nodes <= 1100
    assert net.meta["dropped_by_reason"].get("foot=no", 0) >= 30
    assert net.meta["signal_nodes"] >= 300
    assert net.meta["n_components"] == len(net.components()) >= 3
    comps = net.components()
    assert comps["share_of_length"].iloc[0] > 0.95
    assert np.isclose(comps["length_m"].sum(), net.edges["length_m"].sum())


def test_malformed_xml_is_a_network_error(tmp_path):
    bad = tmp_path / "bad.osm"
    bad.write_text("<osm><node id='1'", encoding="utf-8")
    with pytest.raises(NetworkError, match="cannot read as OSM XML"):
        network_from_xml(bad)
