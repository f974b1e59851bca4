"""Snapping points onto street edges."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from lifecircle.coverage.network.synthetic import network_from_arrays, synthetic_city
from lifecircle.coverage.routing.snap import snap_points
from lifecircle.errors import LayerError


@pytest.fixture
def ell():
    """An L-shaped street and a separate island street::

    2
    |            4 ---- 5     (island, component 1)
    | 100
    |
    0 ------ 1
       100
    """
    return network_from_arrays(
        [(0, 0), (100, 0), (0, 100), (0, 0), (500, 50), (560, 50)],
        [(0, 1), (0, 2), (4, 5)],
    )


def _pts(net, xy, index=None):
    return gpd.GeoSeries(shapely.points(np.asarray(xy, float)), crs=net.crs, index=index)


def test_snaps_onto_edge_not_node(ell):
    snapped = snap_points(ell, _pts(ell, [(40, 7), (-3, 70)]), max_snap_m=50)
    assert snapped["edge"].tolist() == [0, 1]
    np.testing.assert_allclose(snapped["offset_m"], [40, 70])
    np.testing.assert_allclose(snapped["snap_m"], [7, 3])
    np.testing.assert_allclose(snapped[["x", "y"]].to_numpy(), [[40, 0], [0, 70]])
    np.testing.assert_allclose(snapped[["orig_x", "orig_y"]].to_numpy(), [[40, 7], [-3, 70]])
    assert snapped["snapped"].all()


def test_beyond_max_snap_is_reported_not_dropped(ell):
    pts = _pts(ell, [(50, 1), (250, 250)], index=["near", "far"])
    snapped = snap_points(ell, pts, max_snap_m=30)
    assert snapped.index.tolist() == ["near", "far"]
    assert snapped.loc["near", "snapped"]
    assert not snapped.loc["far", "snapped"]
    assert snapped.loc["far", "snap_m"] == pytest.approx(np.hypot(250 - 100, 250 - 0), rel=0.2)
    assert snapped.loc["far", "snap_m"] > 30


def test_component_is_reported(ell):
    snapped = snap_points(ell, _pts(ell, [(530, 55), (10, 1)]), max_snap_m=30)
    assert snapped["component"].tolist() == [1, 0]


def test_reprojects_from_wgs84(ell):
    pts = _pts(ell, [(40, 7)]).to_crs(4326)
    snapped = snap_points(ell, pts, max_snap_m=50)
    assert snapped["offset_m"].iloc[0] == pytest.approx(40, abs=1e-3)


def test_offset_uses_length_m_scale():
    net = network_from_arrays([(0, 0), (100, 0)], [(0, 1)])
    edges = net.edges.copy()
    edges["length_m"] = 150.0  # e.g. a curved way drawn straight
    net2 = type(net)(nodes=net.nodes, edges=edges, crs=net.crs)
    snapped = snap_points(net2, _pts(net2, [(20, 0)]), max_snap_m=5)
    assert snapped["offset_m"].iloc[0] == pytest.approx(30.0)


def test_missing_crs_and_geometry_are_errors(ell):
    with pytest.raises(LayerError, match="no CRS"):
        snap_points(ell, gpd.GeoSeries(shapely.points([(0, 0)])), max_snap_m=5)
    with pytest.raises(LayerError, match="row 1 has no geometry"):
        snap_points(ell, gpd.GeoSeries([shapely.Point(0, 0), None], crs=ell.crs), max_snap_m=5)
    with pytest.raises(ValueError, match="max_snap_m"):
        snap_points(ell, _pts(ell, [(0, 0)]), max_snap_m=-1)


def test_matches_brute_force_distance():
    net = synthetic_city(400, seed=5)
    rng = np.random.default_rng(11)
    x0, y0, x1, y1 = net.edges.total_bounds
    pts = _pts(net, rng.uniform([x0, y0], [x1, y1], size=(200, 2)))
    snapped = snap_points(net, pts, max_snap_m=1e9)
    brute = np.array([net.edges.distance(p).min() for p in pts])
    np.testing.assert_allclose(snapped["snap_m"], brute, atol=1e-9)
    on_edge = shapely.distance(
        net.edges.geometry.to_numpy()[snapped["edge"]],
        shapely.points(snapped[["x", "y"]].to_numpy()),
    )
    assert on_edge.max() < 1e-6


def test_snap_coordinates_equals_snap_points_across_batches(monkeypatch):
    """Coordinates snapped a batch at a time give snap_points' frame, column for column."""
    import lifecircle.coverage.routing.snap as snap

    net = synthetic_city(400, seed=5)
    rng = np.random.default_rng(12)
    x0, y0, x1, y1 = net.edges.total_bounds
    xy = rng.uniform([x0 - 200, y0], [x1, y1], size=(257, 2))
    monkeypatch.setattr(snap, "SNAP_BATCH", 50)  # six batches, the last one short
    got = snap.snap_coordinates(net, xy, max_snap_m=60)
    want = snap_points(net, _pts(net, xy), max_snap_m=60, positions=False)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert not got["snapped"].all()  # some lie beyond max_snap_m, kept and flagged
    assert list(want.columns) == [c for c in snap.SNAP_COLUMNS if c not in ("x", "y")]


def test_snap_coordinates_refuses_missing_coordinates(ell):
    from lifecircle.coverage.routing.snap import snap_coordinates

    with pytest.raises(LayerError, match="row 1 has no geometry"):
        snap_coordinates(ell, np.array([[10.0, 1.0], [np.nan, np.nan]]))
    with pytest.raises(ValueError, match="max_snap_m must be >= 0"):
        snap_coordinates(ell, np.zeros((1, 2)), max_snap_m=-1)
    assert len(snap_coordinates(ell, np.zeros((0, 2)))) == 0
