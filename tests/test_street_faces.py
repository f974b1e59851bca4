"""The network's faces are built once and reused by every walking area on that network.

Checked here: the tile-by-tile noding gives what GEOS's noder gives (random line soups);
the faces and how streets touch them on a hand-built block grid with a dead end, a bridge
and the city's edge; that a service keeps the blocks it reaches whole and leaves their
inner streets out of the frontier; and that the areas built this way agree with the
buffer-and-union of every piece, on random cities where many blocks are kept whole.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from lifecircle.coverage.areas import street_faces as sf
from lifecircle.coverage.areas.isochrones import (
    access_legs,
    isochrone_from_seconds,
    reachable_pieces,
)
from lifecircle.coverage.areas.noding import node_lines
from lifecircle.coverage.areas.service_area import (
    AREA_TOLERANCE_SHARE,
    area_tolerance_m,
    lines_to_area,
    measure_area_difference,
    union_groups,
)
from lifecircle.coverage.network.build import network_from_lines
from lifecircle.coverage.network.synthetic import synthetic_city
from lifecircle.coverage.routing.profiles import PROFILES
from lifecircle.coverage.routing.snap import snap_points
from lifecircle.coverage.routing.split_graph import build_split_graph
from lifecircle.coverage.routing.travel_times import nearest_facility

X0, Y0 = 350_000.0, 3_456_000.0  # UTM 51N, central Shanghai


@settings(max_examples=40, deadline=None)
@given(
    segs=st.lists(
        st.tuples(*[st.integers(0, 12)] * 4).map(
            lambda t: [(t[0] * 10.0, t[1] * 10.0), (t[2] * 10.0, t[3] * 10.0)]
        ),
        min_size=1,
        max_size=60,
    )
)
def test_node_lines_equals_the_geos_noder(segs):
    """Same linework as ``shapely.node``, meeting only at ends, each piece on its line."""
    lines = np.array([shapely.LineString(s) for s in segs], dtype=object)
    segments, segment_of, line_of = node_lines(lines)
    positive = lines[shapely.length(lines) > 0]
    if len(positive) == 0:
        assert len(segments) == 0
        return
    reference = shapely.node(shapely.multilinestrings(positive))
    ours = shapely.multilinestrings(segments)
    assert shapely.is_simple(ours)
    assert shapely.length(shapely.symmetric_difference(ours, reference)) < 1e-9
    assert shapely.length(ours) == pytest.approx(shapely.length(reference))
    # every segment is paired with a line it lies on, and with every such line
    assert set(segment_of) == set(range(len(segments)))
    on = shapely.dwithin(
        lines[line_of],
        shapely.line_interpolate_point(segments[segment_of], 0.5, normalized=True),
        1e-6,
    )
    assert on.all()
    mids = shapely.line_interpolate_point(segments, 0.5, normalized=True)
    for k, mid in enumerate(mids):
        holders = set(np.flatnonzero(shapely.dwithin(lines, mid, 1e-6)))
        assert holders == set(line_of[segment_of == k])


def _grid_with_extras():
    """A 3 x 2 block grid of 100 m blocks, a dead end, a bridge over a block::

    +----+----+----+
    |    |  | |    |      a 40 m dead end into the middle top block
    +----+----+----+
    | ---|----|--  |      a bridge (no junction) from x = 20 to 280 m at y = 50 m
    +----+----+----+
    """
    lines = []
    for j in range(3):
        for i in range(3):
            lines.append([(X0 + 100 * i, Y0 + 100 * j), (X0 + 100 * (i + 1), Y0 + 100 * j)])
    for i in range(4):
        for j in range(2):
            lines.append([(X0 + 100 * i, Y0 + 100 * j), (X0 + 100 * i, Y0 + 100 * (j + 1))])
    lines.append([(X0 + 150, Y0 + 200), (X0 + 150, Y0 + 160)])
    lines.append([(X0 + 20, Y0 + 50), (X0 + 280, Y0 + 50)])
    frame = gpd.GeoDataFrame(
        {"highway": ["footway"] * len(lines)},
        geometry=[shapely.LineString(c) for c in lines],
        crs="EPSG:32651",
    )
    return network_from_lines(frame)


def test_faces_of_a_block_grid():
    net = _grid_with_extras()
    faces = sf.street_faces(net)
    assert sf.street_faces(net) is faces  # built once per network
    # the bridge cuts the middle bottom block in two and pokes into its neighbours
    assert len(faces.faces) == 7
    assert sorted(np.round(shapely.area(faces.faces))) == [5000.0] * 2 + [10000.0] * 5
    # loose: the dead end, inside the middle top block, and the bridge's two ends
    assert len(faces.loose) == 3
    spur = np.flatnonzero(shapely.dwithin(faces.loose, shapely.Point(X0 + 150, Y0 + 180), 1e-6))
    assert len(spur) == 1
    top_middle = faces.loose_face[spur[0]]
    assert faces.faces[top_middle].contains(shapely.Point(X0 + 150, Y0 + 150))
    ends = np.delete(faces.loose_face, spur)
    for x, y in [(X0 + 50, Y0 + 25), (X0 + 250, Y0 + 25)]:
        assert sum(faces.faces[f].contains(shapely.Point(x, y)) for f in ends) == 1
    segments, segment_of, _ = node_lines(net.edges.geometry.to_numpy())
    mids = shapely.line_interpolate_point(segments[np.unique(segment_of)], 0.5, normalized=True)
    # the streets on the city's edge touch the region around it; inner ones do not
    left = np.flatnonzero(shapely.dwithin(mids, shapely.Point(X0, Y0 + 150), 1e-6))
    inner = np.flatnonzero(shapely.dwithin(mids, shapely.Point(X0 + 100, Y0 + 150), 1e-6))
    assert faces.segment_around[left].all() and not faces.segment_around[inner].any()
    holes = faces.holes(30.0)
    assert faces.holes(30.0) is holes
    # the middle top block's hole loses the spur's reach: nothing left below y = 190 - 30
    hole = holes[top_middle]
    assert hole.is_empty or shapely.bounds(hole)[1] >= Y0 + 130 - 1e-6
    assert not hole.contains(shapely.Point(X0 + 150, Y0 + 150))


def _graph(net, xy):
    pts = gpd.GeoSeries(shapely.points(np.asarray(xy, float)), crs=net.crs)
    graph = build_split_graph(net, snap_points(net, pts, max_snap_m=500), profile=PROFILES["adult"])
    rows = np.flatnonzero(graph.access_node >= 0)
    return graph, rows


def _all_pieces_area(graph, seconds, rows, limit_s, access_m):
    pieces = reachable_pieces(graph, seconds, limit_s=limit_s)
    lines = list(pieces.lines)
    lines += list(access_legs(graph, rows))
    return lines_to_area(np.array(lines, dtype=object), access_m=access_m)


def test_a_service_keeps_reached_blocks_whole():
    net = _grid_with_extras()
    graph, rows = _graph(net, [(X0 + 50, Y0 + 100)])
    everything = nearest_facility(graph, facilities=rows, limit_s=3600).seconds
    pieces = reachable_pieces(graph, everything, limit_s=3600)
    mids = shapely.line_interpolate_point(net.edges.geometry.to_numpy(), 0.5, normalized=True)

    def edges_at(*xy):
        return [int(np.flatnonzero(shapely.dwithin(mids, shapely.Point(p), 1e-6))[0]) for p in xy]

    bridge = edges_at((X0 + 150, Y0 + 50))
    # the bridge is a street of its own (no junction), never reached
    assert np.flatnonzero(~pieces.edge_full).tolist() == bridge
    faces = sf.street_faces(net)
    view = sf.closed_faces(faces, pieces.edge_full, np.empty(0, dtype=object))
    top = shapely.centroid(faces.faces)
    is_top = shapely.get_y(top) > Y0 + 100
    # the blocks the bridge enters are not whole; the three top blocks are
    assert (view.closed == is_top).all()
    # only the streets between two whole blocks, and the dead end in one, leave the frontier
    inner = edges_at((X0 + 100, Y0 + 150), (X0 + 200, Y0 + 150), (X0 + 150, Y0 + 180))
    assert sorted(np.flatnonzero(view.interior_edge).tolist()) == sorted(inner)
    # a leg entering a block opens it
    leg = np.array([shapely.LineString([(X0 + 250, Y0 + 150), (X0 + 250, Y0 + 200)])])
    view = sf.closed_faces(faces, pieces.edge_full, leg)
    assert view.closed.sum() == 2
    assert sorted(np.flatnonzero(view.interior_edge).tolist()) == sorted(inner[::2])
    for limit_s in (100.0, 250.0, 3600.0):
        seconds = nearest_facility(graph, facilities=rows, limit_s=limit_s).seconds
        new = isochrone_from_seconds(graph, seconds, limit_s=limit_s, access_m=30, facilities=rows)
        old = _all_pieces_area(graph, seconds, rows, limit_s, 30.0)
        gap, share = measure_area_difference(new, old)
        assert new.is_valid and gap <= area_tolerance_m(30.0) and share <= AREA_TOLERANCE_SHARE


@settings(max_examples=12, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n_fac=st.integers(1, 8),
    limit_s=st.floats(200.0, 1200.0),
    access_m=st.floats(5.0, 60.0),
)
def test_cities_with_whole_blocks_agree(seed, n_fac, limit_s, access_m):
    """Most blocks kept whole, the frontier polygonised alone: the same area as v0.1's."""
    net = synthetic_city(1500, seed=seed)
    rng = np.random.default_rng(seed)
    xy = net.node_xy[rng.choice(len(net.node_xy), size=n_fac, replace=False)]
    graph, rows = _graph(net, xy + rng.normal(scale=20, size=xy.shape))
    seconds = nearest_facility(graph, facilities=rows, limit_s=limit_s).seconds
    new = isochrone_from_seconds(
        graph, seconds, limit_s=limit_s, access_m=access_m, facilities=rows
    )
    old = _all_pieces_area(graph, seconds, rows, limit_s, access_m)
    assert new.is_valid
    gap, share = measure_area_difference(new, old)
    assert gap <= area_tolerance_m(access_m) and share <= AREA_TOLERANCE_SHARE


def test_whole_blocks_are_used_on_a_city():
    """The path under test is taken: a 15-minute walk keeps hundreds of blocks whole."""
    net = synthetic_city(3000, seed=3)
    graph, rows = _graph(net, net.node_xy[[100, 1500, 2900]])
    seconds = nearest_facility(graph, facilities=rows, limit_s=900).seconds
    pieces = reachable_pieces(graph, seconds, limit_s=900)
    view = sf.closed_faces(sf.street_faces(net), pieces.edge_full, np.empty(0, dtype=object))
    frontier = ~view.interior_edge[pieces.edge]
    assert view.closed.sum() > 200
    assert frontier.sum() < 0.6 * len(frontier)


@settings(max_examples=30, deadline=None)
@given(
    groups=st.lists(
        st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), min_size=1, max_size=40),
        min_size=1,
        max_size=12,
    )
)
def test_union_groups_equals_a_union_per_group(groups):
    """Groups of every size band (1, 2, 3-4 ... 33+) in any order: each group's union."""
    polys, group = [], []
    for k, centres in enumerate(groups):
        for x, y in centres:
            polys.append(shapely.Point(x * 10.0, y * 10.0).buffer(12.0, quad_segs=4))
            group.append(k)
    polys_arr, group_arr = np.array(polys, dtype=object), np.array(group)
    shuffle = np.random.default_rng(len(polys)).permutation(len(polys))
    out = union_groups(polys_arr[shuffle], group_arr[shuffle])
    assert len(out) == len(groups)
    for k in range(len(groups)):
        expected = shapely.union_all(polys_arr[group_arr == k])
        assert shapely.symmetric_difference(out[k], expected).area < 1e-6
