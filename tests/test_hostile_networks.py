"""Hostile and messy network inputs: each answered exactly, nothing computed on wrong data.

Hand-built graphs with known answers (drawn in the docstrings) are checked against
networkx and against lifecircle's own solver.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pytest
import shapely
from shapely.geometry import LineString

from lifecircle.coverage.network.build import (
    network_from_graph,
    network_from_graphml,
    network_from_lines,
)
from lifecircle.coverage.network.cache import load_network
from lifecircle.coverage.routing.profiles import WalkProfile
from lifecircle.coverage.routing.snap import snap_points
from lifecircle.coverage.routing.split_graph import build_split_graph
from lifecircle.coverage.routing.travel_times import nearest_facility, seconds_to_points
from lifecircle.errors import NetworkError

X0, Y0 = 350_000.0, 3_450_000.0  # UTM 51N, Shanghai
CRS = "EPSG:32651"
UNIT = WalkProfile("unit", 1.0)  # 1 m/s: seconds == metres + penalties


def solve_seconds(net, fac_xy, dem_xy, profile=UNIT) -> np.ndarray:
    """Seconds from the nearest facility to each demand point, with lifecircle's solver."""

    def pts(xy):
        return gpd.GeoSeries(shapely.points(np.asarray(xy, float).reshape(-1, 2)), crs=net.crs)

    fs = snap_points(net, pts(fac_xy), max_snap_m=5.0)
    ds = snap_points(net, pts(dem_xy), max_snap_m=5.0)
    graph = build_split_graph(net, fs, profile=profile)
    seconds, _ = seconds_to_points(graph, nearest_facility(graph), ds)
    return seconds


def networkx_seconds(net, source: int, target: int, profile=UNIT) -> float:
    """Shortest walking time between two nodes with networkx on the same edge times."""
    g = nx.MultiGraph()
    for (u, v), s in zip(
        net.edges[["u", "v"]].to_numpy(), profile.edge_seconds(net.edges), strict=True
    ):
        g.add_edge(int(u), int(v), weight=float(s))
    return float(nx.shortest_path_length(g, source, target, weight="weight"))


def node_at(net, x: float, y: float) -> int:
    return int(np.argmin(np.hypot(*(net.node_xy - (X0 + x, Y0 + y)).T)))


# --------------------------------------------------------------------------- signal nodes
def signal_graph(*, way_tagged: bool) -> nx.MultiDiGraph:
    """
    0 ------ 1 ------ 2      way 100: footway=crossing 0-1-2; node 1 highway=traffic_signals
             |               way 200: residential 1-3
             3               each edge 100 m
    """
    g = nx.MultiDiGraph(crs=CRS)
    for n, (x, y) in enumerate([(0, 0), (100, 0), (200, 0), (100, 100)]):
        g.add_node(n, x=X0 + x, y=Y0 + y)
    g.nodes[1]["highway"] = "traffic_signals"
    crossing = {"highway": "footway", "footway": "crossing", "osmid": 100}
    if way_tagged:
        crossing["crossing"] = "traffic_signals"
    g.add_edge(0, 1, **crossing)
    g.add_edge(1, 2, **crossing)
    g.add_edge(1, 3, highway="residential", osmid=200)
    return g


@pytest.mark.parametrize("way_tagged", [False, True], ids=["node-only", "node-and-way"])
def test_signal_node_is_paid_once_per_crossing(way_tagged):
    graph = signal_graph(way_tagged=way_tagged)
    net = network_from_graph(graph, penalties={"crossing_signals": 20})
    a, b, c = node_at(net, 0, 0), node_at(net, 200, 0), node_at(net, 100, 100)
    # through the signal node, along the crossing or turning onto the road: paid once
    assert networkx_seconds(net, a, b) == pytest.approx(220.0)
    assert networkx_seconds(net, a, c) == pytest.approx(220.0)
    seconds = solve_seconds(net, [(X0, Y0)], [(X0 + 200, Y0), (X0 + 100, Y0 + 100)])
    np.testing.assert_allclose(seconds, [220.0, 220.0])
    assert net.meta["signal_nodes"] == 1
    assert net.edges["penalty_s"].sum() == pytest.approx(30.0)


# --------------------------------------------------------------------------- per-way penalties
def test_steps_cut_by_a_junction_cost_one_flight():
    """
    0 ==steps== 1 ==steps== 2      one steps feature 0-2 (100 m), cut at 1 by the
                |                  footway 1-3 whose endpoint lies on it (T-junction)
                3
    """
    lines = gpd.GeoDataFrame(
        {"highway": ["steps", "footway"]},
        geometry=[
            LineString([(X0, Y0), (X0 + 100, Y0)]),
            LineString([(X0 + 50, Y0), (X0 + 50, Y0 + 40)]),
        ],
        crs=CRS,
    )
    net = network_from_lines(lines, penalties={"steps": 30.0})
    steps = net.edges[net.edges["highway"] == "steps"]
    assert len(steps) == 2
    np.testing.assert_allclose(steps["penalty_s"], [15.0, 15.0])
    np.testing.assert_allclose(steps["way_share"], [0.5, 0.5])
    a, b = node_at(net, 0, 0), node_at(net, 100, 0)
    assert networkx_seconds(net, a, b) == pytest.approx(130.0)
    # a profile's per-flight penalty is spread the same way
    bare = network_from_lines(lines)
    profile = WalkProfile("p", 1.0, {"steps": 30.0})
    assert networkx_seconds(bare, a, b, profile) == pytest.approx(130.0)
    np.testing.assert_allclose(solve_seconds(bare, [(X0, Y0)], [(X0 + 100, Y0)], profile), [130.0])


# --------------------------------------------------------------------------- components
def test_component_zero_is_the_longest_not_the_most_nodes():
    """A 1,000 m street (2 nodes) outranks a 30 m path of three 10 m segments (4 nodes)."""
    path = [LineString([(X0 + 10 * i, Y0 + 500), (X0 + 10 * i + 10, Y0 + 500)]) for i in range(3)]
    lines = gpd.GeoDataFrame(
        {"highway": ["residential"] + ["footway"] * 3},
        geometry=[LineString([(X0, Y0), (X0 + 1000, Y0)]), *path],
        crs=CRS,
    )
    net = network_from_lines(lines)
    comps = net.components()
    assert comps.loc[0, "length_m"] == pytest.approx(1000.0)
    assert comps.loc[0, "n_nodes"] == 2
    assert net.meta["share_outside_largest"] == pytest.approx(30 / 1030)


# --------------------------------------------------------------------------- dropped ways
def test_line_layer_records_every_reason():
    tags = [
        {"highway": "footway"},
        {"highway": "motorway"},
        {"highway": "cycleway", "foot": "no"},
        {"highway": "service", "access": "private"},
        {"highway": "pedestrian", "area": "yes"},
        {"highway": "cycleway", "foot": "designated"},
    ]
    lines = gpd.GeoDataFrame(
        tags,
        geometry=[LineString([(X0, Y0 + 10 * i), (X0 + 100, Y0 + 10 * i)]) for i in range(6)],
        crs=CRS,
    )
    net = network_from_lines(lines)
    assert sorted(net.edges["highway"]) == ["cycleway", "footway"]
    assert net.meta["dropped_not_walkable"] == 4
    assert net.meta["dropped_not_walkable_m"] == pytest.approx(400.0)
    assert net.meta["dropped_by_reason"] == {
        "access=private": 1,
        "area=yes": 1,
        "foot=no": 1,
        "highway=motorway": 1,
    }


def test_xml_of_only_private_ways_names_the_reason(tmp_path):
    xml = tmp_path / "private.osm"
    xml.write_text(
        '<osm version="0.6">'
        '<node id="1" lat="31.22" lon="121.44" version="1"/>'
        '<node id="2" lat="31.22" lon="121.441" version="1"/>'
        '<way id="9" version="1"><nd ref="1"/><nd ref="2"/>'
        '<tag k="highway" v="service"/><tag k="access" v="private"/></way></osm>',
        encoding="utf-8",
    )
    from lifecircle.coverage.network.build import network_from_xml

    with pytest.raises(
        NetworkError, match=r"private\.osm: no walkable ways; .* \(access=private: 1 way\); see"
    ):
        network_from_xml(xml)


# --------------------------------------------------------------------------- GraphML
def plain_graph() -> nx.MultiDiGraph:
    g = nx.MultiDiGraph(crs="EPSG:4326")
    g.add_node(1, x=121.440, y=31.220)
    g.add_node(2, x=121.441, y=31.220)
    g.add_node(3, x=121.441, y=31.221)
    g.add_edge(1, 2, highway="footway", osmid=5)
    g.add_edge(2, 3, highway="steps", osmid=6)
    return g


def test_plain_networkx_graphml_is_read_like_osmnx(tmp_path):
    plain, saved = tmp_path / "plain.graphml", tmp_path / "osmnx.graphml"
    nx.write_graphml(plain_graph(), plain)  # typed double x/y: osmnx's reader fails on it
    ox.save_graphml(plain_graph(), saved)
    a, b = network_from_graphml(plain), network_from_graphml(saved)
    assert (a.n_nodes, a.n_edges) == (3, 2)
    np.testing.assert_allclose(a.edges["length_m"], b.edges["length_m"])
    assert list(a.edges["highway"]) == list(b.edges["highway"])


def _graph_without_crs(g):
    del g.graph["crs"]


def _graph_with_bad_crs(g):
    g.graph["crs"] = "EPSG:999999"


def _node_with_text_x(g):
    g.nodes[2]["x"] = "east"


def _node_without_y(g):
    del g.nodes[3]["y"]


def _edge_with_bad_wkt(g):
    g.edges[1, 2, 0]["geometry"] = "LINESTRING (oops)"


def _node_with_infinite_x(g):
    g.nodes[1]["x"] = float("inf")


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (_graph_without_crs, r"bad\.graphml: the GraphML graph has no 'crs' attribute; .*G\.graph"),
        (_graph_with_bad_crs, r"bad\.graphml: the graph's crs 'EPSG:999999' is not a coordinate"),
        (_node_with_text_x, r"bad\.graphml: node 2 has x='east', not a finite number; write"),
        (_node_without_y, r"bad\.graphml: node 3 has no 'y' coordinate; write it with osmnx"),
        (_edge_with_bad_wkt, r"bad\.graphml: edge 1-2 has a geometry that is not WKT text"),
        (_node_with_infinite_x, r"bad\.graphml: node 1 has x=inf, not a finite number"),
    ],
)
def test_broken_plain_graphml_names_the_file_the_element_and_the_fix(tmp_path, damage, message):
    g = plain_graph()
    damage(g)
    path = tmp_path / "bad.graphml"
    nx.write_graphml(g, path)
    with pytest.raises(NetworkError, match=message):
        network_from_graphml(path)


def test_graphml_that_is_not_xml(tmp_path):
    path = tmp_path / "notes.graphml"
    path.write_text("x,y\n1,2\n", encoding="utf-8")
    with pytest.raises(NetworkError, match=r"notes\.graphml: cannot read as GraphML"):
        network_from_graphml(path)


# --------------------------------------------------------------------------- cache identity
def two_layers(tmp_path: Path) -> tuple[Path, Path]:
    short = gpd.GeoDataFrame(
        {"highway": ["footway"]}, geometry=[LineString([(X0, Y0), (X0 + 100, Y0)])], crs=CRS
    )
    long = gpd.GeoDataFrame(
        {"highway": ["footway", "footway"]},
        geometry=[LineString([(X0, Y0), (X0 + 500, Y0)]), LineString([(X0, Y0), (X0, Y0 + 9)])],
        crs=CRS,
    )
    a, b = tmp_path / "a.gpkg", tmp_path / "b.gpkg"
    short.to_file(a)
    long.to_file(b)
    return a, b


def test_cache_file_replaced_by_another_network_is_rebuilt(tmp_path, caplog):
    a, b = two_layers(tmp_path)
    cache = tmp_path / "cache"
    network_from_lines(a, cache_dir=cache)
    network_from_lines(b, cache_dir=cache)
    file_a, file_b = sorted(cache.glob("*.gpkg"), key=lambda p: load_network(p).n_edges)
    shutil.copyfile(file_b, file_a)  # a valid network file, but of the other input
    with caplog.at_level(logging.WARNING, logger="lifecircle.coverage.network.cache"):
        again = network_from_lines(a, cache_dir=cache)
    assert again.meta["cache"] == "miss"
    assert again.n_edges == 1 and again.edges["length_m"].sum() == pytest.approx(100.0)
    assert "was not built for this input" in caplog.text and file_a.name in caplog.text
    assert load_network(file_a).n_edges == 1  # the cache now holds the right network
    assert network_from_lines(a, cache_dir=cache).meta["cache"] == "hit"


def test_cache_folder_that_is_a_file(tmp_path):
    a, _ = two_layers(tmp_path)
    blocker = tmp_path / "cache"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(NetworkError, match=r"cache folder .*cache is a file, not a folder: delete"):
        network_from_lines(a, cache_dir=blocker)
    assert blocker.read_text(encoding="utf-8") == "not a folder"


def test_full_disk_names_the_cache_file_and_the_fix(tmp_path, monkeypatch):
    a, _ = two_layers(tmp_path)
    cache = tmp_path / "cache"

    def no_space(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(gpd.GeoDataFrame, "to_file", no_space)
    full = r"network_from_lines-.*\.gpkg \(the disk is full\): free some disk space"
    with pytest.raises(NetworkError, match=full):
        network_from_lines(a, cache_dir=cache)
    assert list(cache.iterdir()) == []  # nothing half-written


def test_old_format_cache_file_is_not_trusted(tmp_path, caplog):
    """A cache file without a stored key (older lifecircle) is rebuilt, not used."""
    a, _ = two_layers(tmp_path)
    cache = tmp_path / "cache"
    network_from_lines(a, cache_dir=cache)
    (path,) = cache.glob("*.gpkg")
    from lifecircle.coverage.network.cache import save_network

    save_network(load_network(path), path)  # same network, no stored key
    with caplog.at_level(logging.WARNING, logger="lifecircle.coverage.network.cache"):
        assert network_from_lines(a, cache_dir=cache).meta["cache"] == "miss"
    assert "rebuilding" in caplog.text


# --------------------------------------------------------------------------- unreachable
@pytest.mark.slow
def test_unreachable_points_have_a_missing_facility_as_documented():
    """``facility_<s>`` is missing (NaN, as result.py documents) exactly when unreachable."""
    import pandas as pd

    import lifecircle as lc

    layers, net = lc.load_demo_layers(), lc.load_demo_network()
    result = lc.compute_coverage(layers, net, profile="elderly", walk_minutes=3)
    demand = result.demand
    service = next(c.removeprefix("facility_") for c in demand if c.startswith("facility_"))
    unreachable = ~np.isfinite(demand[f"minutes_{service}"].to_numpy(dtype=float))
    assert 0 < unreachable.sum() < len(demand)
    missing = pd.isna(demand[f"facility_{service}"]).to_numpy()
    np.testing.assert_array_equal(missing, unreachable)
    assert "NaN" in (lc.CoverageResult.__doc__ or "")


# --------------------------------------------------------------------------- bad line layers
def _layer(geoms, crs=CRS, **tags):
    return gpd.GeoDataFrame({"highway": ["footway"] * len(geoms), **tags}, geometry=geoms, crs=crs)


_OK = LineString([(X0, Y0), (X0 + 10, Y0)])


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (_layer([]), r"1 problem: the layer has no features; give a layer"),
        (
            _layer([None, shapely.Point(X0, Y0), LineString([(X0, Y0), (np.inf, Y0)]), _OK]),
            r"3 problems: feature 1 has no geometry; feature 2 is not a line \(Point\); "
            r"expected LineString/MultiLineString; feature 3 has NaN or infinite coordinates",
        ),
        (
            _layer([_OK, _OK], crs="EPSG:4326"),
            r"1 problem: features 1, 2 lie outside longitude -180\.\.180 / latitude "
            r"-90\.\.90 although the layer's CRS is WGS 84: are the coordinates in metres\? "
            r"set the layer's real CRS",
        ),
        (
            _layer([LineString([(X0, Y0), (X0, Y0)])]),
            r"every walkable line has zero length \(its points coincide\); check the coordinates",
        ),
        (
            _layer([_OK, _OK], foot=["no", None], access=[None, "private"]),
            r"no walkable lines; the walkability table removed them all "
            r"\(foot=no: 1, access=private: 1\); see the README's walkability rules",
        ),
    ],
    ids=["empty", "mixed-problems", "metres-as-degrees", "zero-length", "nothing-walkable"],
)
def test_bad_line_layers_name_the_feature_and_the_fix(frame, message):
    with pytest.raises(NetworkError, match=r"^<GeoDataFrame>: " + message):
        network_from_lines(frame)


def test_bbox_outside_the_data_says_where_the_data_is():
    with pytest.raises(
        NetworkError,
        match=r"no ways inside bbox \(0, 0, 1, 1\); the data covers longitude 121\.4260\.\.",
    ):
        network_from_lines(_layer([_OK]), bbox=(0, 0, 1, 1))


@pytest.mark.parametrize(
    ("penalties", "message"),
    [
        ({"stairs": 30}, r"key 'stairs' is not a walkable highway value or 'crossing_signals' "
                         r"\(did you mean 'steps'\?\)"),
        ({"steps": -1, "crosing_signals": 5},
         r"'steps' must be seconds >= 0, got -1; key 'crosing_signals' .*"
         r"did you mean 'crossing_signals'"),
        ({"steps": float("nan")}, r"'steps' must be seconds >= 0, got nan"),
        ({"steps": True}, r"'steps' must be seconds >= 0, got True"),
        ([("steps", 3)], r"penalties must map a highway value to seconds, e\.g\. \{'steps': 30\}"),
    ],
    ids=["synonym", "negative-and-typo", "nan", "bool", "not-a-mapping"],
)  # fmt: skip
def test_bad_penalties_are_refused_before_any_work(tmp_path, penalties, message):
    missing = tmp_path / "never-read.gpkg"  # penalties are checked before the file is opened
    with pytest.raises(NetworkError, match=message):
        network_from_lines(missing, penalties=penalties)
