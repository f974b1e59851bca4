"""Network isochrones follow streets and cut edges where time runs out."""

from __future__ import annotations

from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pytest
import shapely

from lifecircle.coverage import CoverageResult, compute_coverage
from lifecircle.coverage.areas.isochrones import isochrones_for_facilities, reachable_lines
from lifecircle.coverage.network.synthetic import network_from_arrays, synthetic_city
from lifecircle.coverage.routing.profiles import WalkProfile
from lifecircle.coverage.routing.snap import snap_points
from lifecircle.coverage.routing.split_graph import build_split_graph
from lifecircle.coverage.routing.travel_times import nearest_facility

UNIT = WalkProfile("unit", 1.0)


def _graph(net, fac_xy):
    pts = gpd.GeoSeries(shapely.points(np.asarray(fac_xy, float)), crs=net.crs)
    return build_split_graph(net, snap_points(net, pts, max_snap_m=50), profile=UNIT)


@pytest.fixture
def ell():
    """An L-shaped street; the hull corner (300, 300) is far by street::

    2 (0,300)
    |
    |
    0 ---------- 1 (300,0)
    """
    return network_from_arrays([(0, 0), (300, 0), (0, 300)], [(0, 1), (0, 2)])


def test_partial_edge_cut_exactly(ell):
    graph = _graph(ell, [(100, 0)])
    nearest = nearest_facility(graph, limit_s=150)
    lines = shapely.union_all(reachable_lines(graph, nearest.seconds, limit_s=150))
    # 150 m both ways along edge 0-1 from x=100 -> [0, 250]; then 50 m up edge 0-2
    assert lines.length == pytest.approx(250 + 50)
    assert lines.distance(shapely.Point(250, 0)) < 1e-6
    assert lines.distance(shapely.Point(251, 0)) == pytest.approx(1)
    assert lines.distance(shapely.Point(0, 50)) < 1e-6
    assert lines.distance(shapely.Point(0, 51)) == pytest.approx(1)


def test_follows_streets_not_hull(ell):
    graph = _graph(ell, [(0, 0)])
    union, each = isochrones_for_facilities(graph, [0], limit_s=400, access_m=20)
    assert union.contains(shapely.Point(290, 10)) and union.contains(shapely.Point(10, 290))
    assert not union.contains(shapely.Point(150, 150))  # inside the convex hull
    assert each[0].equals_exact(union, 1e-6) or each[0].symmetric_difference(union).area < 1e-3


def test_gap_in_the_middle_of_an_edge():
    """Two facilities at both ends of a 300 m edge with 100 s each: middle 100 m missing."""
    net = network_from_arrays([(0, 0), (300, 0)], [(0, 1)])
    graph = _graph(net, [(0, 0), (300, 0)])
    nearest = nearest_facility(graph, limit_s=100)
    lines = shapely.union_all(reachable_lines(graph, nearest.seconds, limit_s=100))
    assert lines.length == pytest.approx(200)
    assert not lines.covers(shapely.Point(150, 0))


def test_union_equals_union_of_facility_isochrones():
    net = synthetic_city(500, seed=4)
    rng = np.random.default_rng(4)
    x0, y0, x1, y1 = net.edges.total_bounds
    graph = _graph(net, rng.uniform([x0, y0], [x1, y1], size=(6, 2)))
    rows = np.flatnonzero(graph.access_node >= 0)
    union, each = isochrones_for_facilities(graph, rows, limit_s=300, access_m=25)
    combined = shapely.union_all(each)
    assert union.symmetric_difference(combined).area < 1e-3 * union.area
    assert all(g.area > 0 for g in each)


def test_grows_with_time():
    net = synthetic_city(500, seed=8)
    graph = _graph(net, [tuple(net.node_xy[250])])
    small, _ = isochrones_for_facilities(graph, [0], limit_s=200, access_m=25, per_facility=False)
    large, _ = isochrones_for_facilities(graph, [0], limit_s=400, access_m=25, per_facility=False)
    assert large.area > small.area
    assert small.difference(large).area < 1e-6 * small.area


def _two_facility_result(**kwargs):
    """A 1 km street with facilities E1 at 100 m and E2 at 900 m (5 m off it)::

        E1                    E2
    0 --+---------------------+-- 1000
    """
    crs = "EPSG:32651"
    net = network_from_arrays([(0, 0), (1000, 0)], [(0, 1)], crs=crs)
    grids = gpd.GeoDataFrame(
        {"id": ["G"], "name": ["G"], "level": ["microgrid"], "parent_id": [None],
         "kind": ["residential"], "population": [10.0]},
        geometry=[shapely.box(0, -20, 1000, 20)],
        crs=crs,
    )  # fmt: skip
    elderly = gpd.GeoDataFrame(
        {"id": ["E1", "E2"], "name": ["a", "b"], "type": ["canteen", "day_care"]},
        geometry=[shapely.Point(100, 5), shapely.Point(900, 5)],
        crs=crs,
    )
    layers = SimpleNamespace(grids=grids, elderly=elderly, buildings=None)
    return compute_coverage(layers, net, profile=UNIT, walk_minutes=1, access_m=10, **kwargs)


def test_coverage_result_isochrones_frame():
    result = _two_facility_result()
    crs = "EPSG:32651"
    iso = result.isochrones
    assert iso.crs.to_epsg() == 4326
    assert list(iso["service"]) == ["elderly", "care", "bathing"]  # one area per service
    assert iso["facility_id"].isna().all()
    union = iso[iso["service"] == "elderly"]
    metric = union.to_crs(crs).geometry.iloc[0]
    # 60 s at 1 m/s minus the 5 m leg: 55 m either side of each facility, buffered 10 m
    assert metric.contains(shapely.Point(150, 0)) and not metric.contains(shapely.Point(170, 0))
    assert metric.contains(shapely.Point(500, 0)) is False
    assert iso.loc[iso["service"] == "bathing", "geometry"].iloc[0].is_empty


def test_facility_isochrones_on_demand(monkeypatch):
    """compute_coverage computes no per-facility isochrone; the first call does, once."""
    from lifecircle.coverage.measures import coverage_result

    calls = []
    real = coverage_result.isochrones_per_facility

    def counting(graph, facilities, **kwargs):
        calls.append(list(facilities))
        return real(graph, facilities, **kwargs)

    monkeypatch.setattr(coverage_result, "isochrones_per_facility", counting)
    result = _two_facility_result()
    assert calls == []
    each = result.facility_isochrones("elderly")
    assert len(calls) == 1
    assert list(each["facility_id"]) == ["E1", "E2"]
    assert list(each["service"]) == ["elderly", "elderly"]
    assert (each["minutes"] == 1).all() and each.crs.to_epsg() == 4326
    again = result.facility_isochrones("elderly")
    assert len(calls) == 1  # kept
    assert again.geometry.geom_equals_exact(each.geometry, 0).all()
    metric = each.to_crs("EPSG:32651").geometry
    assert metric.iloc[0].contains(shapely.Point(150, 0))
    assert not metric.iloc[0].contains(shapely.Point(850, 0))
    assert metric.iloc[1].contains(shapely.Point(850, 0))
    union = result.isochrones.to_crs("EPSG:32651").geometry.iloc[0]
    assert union.symmetric_difference(shapely.union_all(metric)).area < 1e-3 * union.area
    every = result.facility_isochrones()
    assert list(every["service"]) == ["elderly", "elderly", "care"]  # E2 is day care
    assert len(calls) == 3  # care and bathing (no facility) computed now
    # a copy: changing it changes nothing kept
    each.loc[0, "facility_id"] = "X"
    assert result.facility_isochrones("elderly")["facility_id"].iloc[0] == "E1"


def test_facility_isochrones_without_service_areas():
    result = _two_facility_result(isochrones=False)
    assert len(result.isochrones) == 0
    assert len(result.facility_isochrones("care")) == 1


def test_facility_isochrones_refused():
    result = _two_facility_result(isochrones=False)
    with pytest.raises(ValueError, match="'shops' is not in the coverage result"):
        result.facility_isochrones("shops")
    by_hand = CoverageResult(
        demand=result.demand,
        grids=result.grids,
        facilities=result.facilities,
        isochrones=result.isochrones,
        unsnapped=result.unsnapped,
        params=result.params,
    )
    with pytest.raises(ValueError, match="keeps no walking graph"):
        by_hand.facility_isochrones("care")
