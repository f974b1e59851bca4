"""Tests for lifecircle.geo.crs: Chinese datums, CRS parsing, to_wgs84, coordinate checks."""

from __future__ import annotations

import math
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import (
    LineString,
    MultiLineString,
    MultiPoint,
    MultiPolygon,
    Point,
    Polygon,
)

from lifecircle.errors import CoordinateWarning, CRSError
from lifecircle.geo.crs import (
    CHINA_BBOX,
    bd09_to_gcj02,
    bd09_to_wgs84,
    check_coordinates,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    parse_crs,
    to_wgs84,
    utm_crs_for,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

GEOD = pyproj.Geod(ellps="WGS84")
JINGAN = (121.445, 31.226)  # centre of 静安寺街道, WGS-84
JINGAN_BOUNDS = (121.432, 31.214, 121.462, 31.238)


def _china_lattice() -> tuple[np.ndarray, np.ndarray]:
    """Every 0.37 deg over the China box, minus a margin so points stay inside."""
    lon = np.arange(73.0, 135.0, 0.37)
    lat = np.arange(18.0, 53.5, 0.37)
    grid_lon, grid_lat = np.meshgrid(lon, lat)
    return grid_lon.ravel(), grid_lat.ravel()


def _gcj_scalar(lon: float, lat: float) -> tuple[float, float]:
    """Straight transcription of the published GCJ-02 polynomial (the independent oracle)."""
    a, ee, pi = 6378245.0, 0.00669342162296594323, math.pi
    x, y = lon - 105.0, lat - 35.0
    north = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    north += (20.0 * math.sin(6.0 * x * pi) + 20.0 * math.sin(2.0 * x * pi)) * 2.0 / 3.0
    north += (20.0 * math.sin(y * pi) + 40.0 * math.sin(y / 3.0 * pi)) * 2.0 / 3.0
    north += (160.0 * math.sin(y / 12.0 * pi) + 320 * math.sin(y * pi / 30.0)) * 2.0 / 3.0
    east = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    east += (20.0 * math.sin(6.0 * x * pi) + 20.0 * math.sin(2.0 * x * pi)) * 2.0 / 3.0
    east += (20.0 * math.sin(x * pi) + 40.0 * math.sin(x / 3.0 * pi)) * 2.0 / 3.0
    east += (150.0 * math.sin(x / 12.0 * pi) + 300.0 * math.sin(x / 30.0 * pi)) * 2.0 / 3.0
    rad = lat / 180.0 * pi
    magic = 1 - ee * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    dlat = (north * 180.0) / ((a * (1 - ee)) / (magic * sqrt_magic) * pi)
    dlon = (east * 180.0) / (a / sqrt_magic * math.cos(rad) * pi)
    return lon + dlon, lat + dlat


def _bd_scalar(lon: float, lat: float) -> tuple[float, float]:
    """Published GCJ-02 -> BD-09 transform, scalar."""
    x_pi = math.pi * 3000.0 / 180.0
    z = math.sqrt(lon * lon + lat * lat) + 0.00002 * math.sin(lat * x_pi)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * x_pi)
    return z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006


# --------------------------------------------------------------------------- datum formulas
def test_forward_gcj_matches_scalar_transcription():
    rng = np.random.default_rng(1)
    lon = rng.uniform(74, 134, 200)
    lat = rng.uniform(19, 53, 200)
    got_lon, got_lat = wgs84_to_gcj02(lon, lat)
    want = np.array([_gcj_scalar(a, b) for a, b in zip(lon, lat, strict=True)])
    np.testing.assert_allclose(got_lon, want[:, 0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(got_lat, want[:, 1], rtol=0, atol=1e-12)


def test_forward_bd_matches_scalar_transcription():
    rng = np.random.default_rng(2)
    lon = rng.uniform(74, 134, 50)
    lat = rng.uniform(19, 53, 50)
    got_lon, got_lat = gcj02_to_bd09(lon, lat)
    want = np.array([_bd_scalar(a, b) for a, b in zip(lon, lat, strict=True)])
    np.testing.assert_allclose(got_lon, want[:, 0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(got_lat, want[:, 1], rtol=0, atol=1e-12)


def test_shanghai_gcj_shift_magnitude():
    lon, lat = JINGAN
    glon, glat = wgs84_to_gcj02(lon, lat)
    assert 0.0040 < glon - lon < 0.0050
    assert -0.0025 < glat - lat < -0.0015
    _, _, dist_m = GEOD.inv(lon, lat, glon, glat)
    assert 400 < dist_m < 550


def test_shanghai_bd_shift_magnitude():
    lon, lat = JINGAN
    blon, blat = wgs84_to_bd09(lon, lat)
    glon, glat = wgs84_to_gcj02(lon, lat)
    # BD-09 adds roughly +0.0065 / +0.006 on top of GCJ-02
    assert 0.0060 < blon - glon < 0.0070
    assert 0.0055 < blat - glat < 0.0070
    _, _, dist_m = GEOD.inv(lon, lat, blon, blat)
    assert 900 < dist_m < 1300


def test_gcj_round_trip_over_china_lattice():
    lon, lat = _china_lattice()
    back_lon, back_lat = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert np.abs(back_lon - lon).max() < 1e-8
    assert np.abs(back_lat - lat).max() < 1e-8
    # and the other way: forward(inverse(g)) == g
    fwd_lon, fwd_lat = wgs84_to_gcj02(*gcj02_to_wgs84(lon, lat))
    assert np.abs(fwd_lon - lon).max() < 1e-8
    assert np.abs(fwd_lat - lat).max() < 1e-8


def test_inverse_is_better_than_one_step_approximation():
    lon, lat = _china_lattice()
    glon, glat = wgs84_to_gcj02(lon, lat)
    naive_lon = 2 * glon - wgs84_to_gcj02(glon, glat)[0]
    exact_lon, _ = gcj02_to_wgs84(glon, glat)
    assert np.abs(naive_lon - lon).max() > 1e-6  # the naive inverse is metres off...
    assert np.abs(exact_lon - lon).max() < 1e-8  # ...the iterative one is not


def test_bd_round_trips_over_china_lattice():
    lon, lat = _china_lattice()
    back_lon, back_lat = bd09_to_gcj02(*gcj02_to_bd09(lon, lat))
    assert np.abs(back_lon - lon).max() < 2e-8
    assert np.abs(back_lat - lat).max() < 2e-8
    back_lon, back_lat = bd09_to_wgs84(*wgs84_to_bd09(lon, lat))
    assert np.abs(back_lon - lon).max() < 2e-8
    assert np.abs(back_lat - lat).max() < 2e-8


@settings(max_examples=100, deadline=None, derandomize=True)
@given(
    lon=st.floats(CHINA_BBOX[0] + 0.1, CHINA_BBOX[2] - 0.1),
    lat=st.floats(CHINA_BBOX[1] + 0.1, CHINA_BBOX[3] - 0.1),
)
def test_round_trip_property(lon, lat):
    for forward, inverse in ((wgs84_to_gcj02, gcj02_to_wgs84), (wgs84_to_bd09, bd09_to_wgs84)):
        back_lon, back_lat = inverse(*forward(lon, lat))
        assert abs(float(back_lon) - lon) < 2e-8
        assert abs(float(back_lat) - lat) < 2e-8


@pytest.mark.parametrize(
    ("lon", "lat"),
    [(-0.1276, 51.5072), (-74.006, 40.7128), (151.2093, -33.8688), (24.9384, 60.1699)],
)
def test_outside_china_is_unchanged_by_gcj(lon, lat):
    assert wgs84_to_gcj02(lon, lat) == (lon, lat)
    assert gcj02_to_wgs84(lon, lat) == (lon, lat)


def test_bd_applies_everywhere_and_round_trips():
    lon, lat = 24.9384, 60.1699  # Helsinki: GCJ no-op, BD still shifts
    blon, blat = wgs84_to_bd09(lon, lat)
    assert abs(blon - lon) > 1e-3
    back = bd09_to_wgs84(blon, blat)
    assert abs(back[0] - lon) < 1e-8 and abs(back[1] - lat) < 1e-8


def test_nan_and_shapes_are_preserved():
    lon = np.array([[121.4, np.nan], [0.0, 121.5]])
    lat = np.array([[31.2, 31.2], [0.0, np.nan]])
    for func in (wgs84_to_gcj02, gcj02_to_wgs84, bd09_to_wgs84, wgs84_to_bd09):
        out_lon, out_lat = func(lon, lat)
        assert out_lon.shape == lon.shape and out_lat.shape == lat.shape
        assert np.isnan(out_lon[0, 1]) and np.isnan(out_lat[1, 1])
        assert np.isfinite(out_lon[0, 0])
    # broadcasting a scalar latitude, lists in
    out_lon, out_lat = gcj02_to_wgs84([121.4, 121.5], 31.2)
    assert out_lon.shape == (2,) and out_lat.shape == (2,)


def test_inputs_are_not_modified():
    lon = np.array([121.4, 121.5])
    lat = np.array([31.2, 31.3])
    keep = lon.copy(), lat.copy()
    for func in (wgs84_to_gcj02, gcj02_to_wgs84, bd09_to_gcj02, bd09_to_wgs84):
        func(lon, lat)
    np.testing.assert_array_equal(lon, keep[0])
    np.testing.assert_array_equal(lat, keep[1])


# --------------------------------------------------------------------------- parse_crs
@pytest.mark.parametrize("value", ["gcj02", "GCJ-02", "gcj-02", "火星坐标", " GCJ_02 "])
def test_parse_crs_gcj_aliases(value):
    assert parse_crs(value) == "gcj02"


@pytest.mark.parametrize("value", ["bd09", "BD-09", "百度", "baidu", "bd09ll"])
def test_parse_crs_bd_aliases(value):
    assert parse_crs(value) == "bd09"


@pytest.mark.parametrize(
    ("value", "epsg"),
    [
        (4326, 4326),
        ("EPSG:4326", 4326),
        ("wgs84", 4326),
        (4490, 4490),
        ("EPSG:4549", 4549),
        ("cgcs2000", 4490),
        (pyproj.CRS.from_epsg(32651), 32651),
        (pyproj.CRS.from_epsg(4549).to_wkt(), 4549),
    ],
)
def test_parse_crs_pyproj_inputs(value, epsg):
    parsed = parse_crs(value)
    assert isinstance(parsed, pyproj.CRS)
    assert parsed.to_epsg() == epsg


def test_parse_crs_none_means_unspecified():
    assert parse_crs(None) is None


@pytest.mark.parametrize("value", ["mars-coords", "EPSG:999999", "", 3.5, True, object()])
def test_parse_crs_unknown_raises_naming_value(value):
    with pytest.raises(CRSError, match="unknown CRS") as info:
        parse_crs(value)
    assert repr(value) in str(info.value)


# --------------------------------------------------------------------------- to_wgs84
def _all_geometry_types(lon0: float, lat0: float) -> list:
    d = 0.001
    shell = [(lon0, lat0), (lon0 + 4 * d, lat0), (lon0 + 4 * d, lat0 + 4 * d), (lon0, lat0 + 4 * d)]
    hole = [(lon0 + d, lat0 + d), (lon0 + 2 * d, lat0 + d), (lon0 + 2 * d, lat0 + 2 * d)]
    poly = Polygon(shell, [hole])
    return [
        Point(lon0, lat0),
        LineString([(lon0, lat0), (lon0 + d, lat0 + d), (lon0 + 2 * d, lat0)]),
        poly,
        MultiPoint([(lon0, lat0), (lon0 + d, lat0)]),
        MultiLineString([[(lon0, lat0), (lon0 + d, lat0)], [(lon0, lat0 + d), (lon0, lat0)]]),
        MultiPolygon(
            [poly, Polygon([(lon0 + 9 * d, lat0), (lon0 + 9 * d, lat0 + d), (lon0 + 8 * d, lat0)])]
        ),
    ]


@pytest.mark.parametrize(("crs", "inverse"), [("gcj02", gcj02_to_wgs84), ("bd09", bd09_to_wgs84)])
def test_to_wgs84_converts_every_vertex_of_every_type(crs, inverse):
    geoms = _all_geometry_types(*JINGAN)
    gdf = gpd.GeoDataFrame({"name": list("abcdef")}, geometry=geoms, crs=4326)
    before = gdf.copy()
    out = to_wgs84(gdf, crs)
    assert out is not gdf
    assert out.crs.to_epsg() == 4326
    pd.testing.assert_frame_equal(gdf, before)  # input untouched
    assert list(out["name"]) == list("abcdef")
    for old, new in zip(gdf.geometry, out.geometry, strict=True):
        assert new.geom_type == old.geom_type
        old_xy = shapely.get_coordinates(old)
        new_xy = shapely.get_coordinates(new)
        want_lon, want_lat = inverse(old_xy[:, 0], old_xy[:, 1])
        np.testing.assert_allclose(new_xy[:, 0], want_lon, atol=1e-12)
        np.testing.assert_allclose(new_xy[:, 1], want_lat, atol=1e-12)
    assert len(out.geometry.iloc[2].interiors) == 1  # hole kept


def test_to_wgs84_keeps_z():
    gdf = gpd.GeoDataFrame(geometry=[Point(121.44, 31.22, 12.5)], crs=4326)
    out = to_wgs84(gdf, "gcj02")
    assert out.geometry.iloc[0].has_z
    assert out.geometry.iloc[0].z == 12.5


def test_to_wgs84_explicit_crs_overrides_file_crs():
    # GeoJSON files always claim EPSG:4326, even when they hold GCJ-02
    gdf = gpd.GeoDataFrame(geometry=[Point(*JINGAN)], crs=4326)
    out = to_wgs84(gdf, "GCJ-02")
    assert out.geometry.iloc[0].x == pytest.approx(float(gcj02_to_wgs84(*JINGAN)[0]), abs=1e-12)
    assert out.geometry.iloc[0].x < JINGAN[0] - 0.004


def test_to_wgs84_cgcs2000_gauss_kruger_zone_lands_back():
    lon, lat = JINGAN
    to_gk = pyproj.Transformer.from_crs(4490, 4549, always_xy=True)
    x, y = to_gk.transform(lon, lat)
    assert 300_000 < x < 700_000 and 3_400_000 < y < 3_600_000  # metres, zone CM 120E
    gdf = gpd.GeoDataFrame(geometry=[Point(x, y)], crs="EPSG:4549")
    for out in (to_wgs84(gdf), to_wgs84(gdf.set_crs(None, allow_override=True), crs=4549)):
        assert out.crs.to_epsg() == 4326
        assert out.geometry.iloc[0].x == pytest.approx(lon, abs=1e-8)
        assert out.geometry.iloc[0].y == pytest.approx(lat, abs=1e-8)


def test_to_wgs84_cgcs2000_geographic_is_relabelled_not_moved():
    gdf = gpd.GeoDataFrame(geometry=[Point(*JINGAN)], crs=4490)
    out = to_wgs84(gdf)
    assert out.crs.to_epsg() == 4326
    assert (out.geometry.iloc[0].x, out.geometry.iloc[0].y) == JINGAN


def test_to_wgs84_projected_utm_input():
    to_utm = pyproj.Transformer.from_crs(4326, 32651, always_xy=True)
    gdf = gpd.GeoDataFrame(geometry=[Point(*to_utm.transform(*JINGAN))], crs=32651)
    out = to_wgs84(gdf)
    assert out.geometry.iloc[0].x == pytest.approx(JINGAN[0], abs=1e-9)
    assert out.geometry.iloc[0].y == pytest.approx(JINGAN[1], abs=1e-9)


def test_to_wgs84_no_crs_degrees_assumed_wgs84():
    gdf = gpd.GeoDataFrame(geometry=[Point(*JINGAN)])
    out = to_wgs84(gdf)
    assert out.crs.to_epsg() == 4326
    assert (out.geometry.iloc[0].x, out.geometry.iloc[0].y) == JINGAN


def test_to_wgs84_no_crs_projected_raises_with_sample():
    gdf = gpd.GeoDataFrame(geometry=[Point(121.4, 31.2), Point(512345.6, 3456789.1)])
    with pytest.raises(CRSError) as info:
        to_wgs84(gdf, source="seats.csv")
    message = str(info.value)
    assert "seats.csv" in message
    assert "projected" in message
    assert "512345.6" in message
    assert "crs=" in message


def test_to_wgs84_gcj_on_metres_raises():
    gdf = gpd.GeoDataFrame(geometry=[Point(512345.6, 3456789.1)])
    with pytest.raises(CRSError, match="not degrees"):
        to_wgs84(gdf, "gcj02", source="grid.shp")


def test_to_wgs84_rejects_plain_dataframe():
    with pytest.raises(TypeError, match="GeoDataFrame"):
        to_wgs84(pd.DataFrame({"x": [1]}))


def test_to_wgs84_empty_frame():
    gdf = gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=4326))
    assert to_wgs84(gdf, "bd09").empty
    assert to_wgs84(gdf, "bd09").crs.to_epsg() == 4326


# --------------------------------------------------------------------------- utm_crs_for
@pytest.mark.parametrize(
    ("bounds", "epsg"),
    [
        (JINGAN_BOUNDS, 32651),
        ((24.9, 60.1, 25.0, 60.2), 32635),  # Helsinki
        ((151.1, -33.9, 151.3, -33.8), 32756),  # Sydney, southern hemisphere
    ],
)
def test_utm_crs_for_bounds(bounds, epsg):
    crs = utm_crs_for(bounds)
    assert crs.to_epsg() == epsg
    assert crs.is_projected


def test_utm_crs_for_frame_in_any_crs():
    gdf = gpd.GeoDataFrame(geometry=[Point(*JINGAN)], crs=4326).to_crs(4549)
    assert utm_crs_for(gdf).to_epsg() == 32651


@pytest.mark.parametrize("bounds", [(np.nan, np.nan, np.nan, np.nan), (0, 0, 500_000, 10)])
def test_utm_crs_for_bad_bounds(bounds):
    with pytest.raises(CRSError, match="UTM"):
        utm_crs_for(bounds)


def test_utm_crs_for_empty_frame():
    with pytest.raises(CRSError):
        utm_crs_for(gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=4326)))


# --------------------------------------------------------------------------- check_coordinates
def _points(xy: list[tuple[float, float]], crs: int | None = 4326) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=[Point(x, y) for x, y in xy], crs=crs)


def test_check_coordinates_clean_layer_is_silent():
    gdf = _points([(121.44, 31.22), (121.45, 31.23)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check_coordinates(gdf, source="seats.csv", reference=JINGAN_BOUNDS) == []


def test_check_coordinates_swapped_china_axes():
    gdf = _points([(31.22, 121.44), (31.23, 121.45), (121.44, 31.22)], crs=None)
    with pytest.warns(CoordinateWarning, match="swapped") as record:
        messages = check_coordinates(gdf, source="seats.csv")
    assert len(messages) == 1
    assert "seats.csv" in messages[0] and "2 of 3" in messages[0] and "China" in messages[0]
    assert record[0].filename == __file__  # stacklevel points at the caller


def test_check_coordinates_swapped_generic():
    gdf = _points([(40.0, -100.0)], crs=None)
    with pytest.warns(CoordinateWarning, match="swapped"):
        messages = check_coordinates(gdf, source="x.csv")
    assert "China" not in messages[0]


def test_check_coordinates_far_away_says_how_far():
    beijing = (116.397, 39.909)
    gdf = _points([(121.44, 31.22), beijing])
    with pytest.warns(CoordinateWarning, match="far outside"):
        messages = check_coordinates(gdf, source="elderly.xlsx", reference=JINGAN_BOUNDS)
    assert len(messages) == 1
    km = float(messages[0].split("up to ")[1].split(" km")[0])
    _, _, corner_m = GEOD.inv(JINGAN_BOUNDS[0], JINGAN_BOUNDS[3], *beijing)
    assert km == pytest.approx(corner_m / 1000, rel=0.03)
    assert "elderly.xlsx" in messages[0] and "1 of 2" in messages[0]


def test_check_coordinates_far_away_reference_frame_in_other_crs():
    ref = gpd.GeoDataFrame(geometry=[shapely.box(*JINGAN_BOUNDS)], crs=4326).to_crs(32651)
    gdf = _points([(121.60, 31.22)])  # ~14 km east of the box
    with pytest.warns(CoordinateWarning, match="far outside"):
        check_coordinates(gdf, source="s", reference=ref)
    assert check_coordinates(gdf, source="s", reference=ref, max_outside_km=20) == []


def test_check_coordinates_projected_without_crs():
    gdf = _points([(512345.6, 3456789.1)], crs=None)
    with pytest.warns(CoordinateWarning, match="not lon/lat degrees"):
        check_coordinates(gdf, source="grid.shp")


def _sparse_footprints(n: int = 40, seed: int = 7) -> gpd.GeoDataFrame:
    """``n`` 30 m square 'buildings' scattered over a 6 km box around Jing'an (WGS-84)."""
    rng = np.random.default_rng(seed)
    utm = pyproj.CRS.from_epsg(32651)
    cx, cy = pyproj.Transformer.from_crs(4326, utm, always_xy=True).transform(*JINGAN)
    xs = cx + rng.uniform(-3000, 3000, n)
    ys = cy + rng.uniform(-3000, 3000, n)
    boxes = [shapely.box(x - 15, y - 15, x + 15, y + 15) for x, y in zip(xs, ys, strict=True)]
    return gpd.GeoDataFrame(geometry=boxes, crs=utm).to_crs(4326)


def _centres(footprints: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    centres = footprints.to_crs(32651).centroid.to_crs(4326)
    return centres.x.to_numpy(), centres.y.to_numpy()


@pytest.mark.parametrize(
    ("forward", "name", "code"),
    [(wgs84_to_gcj02, "GCJ-02", "gcj02"), (wgs84_to_bd09, "BD-09", "bd09")],
)
def test_check_coordinates_detects_datum_offset(forward, name, code):
    reference = _sparse_footprints()
    lon, lat = _centres(reference)
    shifted = gpd.GeoDataFrame(geometry=gpd.points_from_xy(*forward(lon, lat)), crs=4326)
    with pytest.warns(CoordinateWarning, match=f"looks like {name} read as WGS-84"):
        messages = check_coordinates(shifted, source="heritage.csv", reference=reference)
    assert len(messages) == 1
    assert f"crs='{code}'" in messages[0]
    raw_m = float(messages[0].split("median offset ")[1].split(" m")[0])
    assert raw_m > 300
    # after undoing the shift the layer is clean
    fixed = to_wgs84(shifted, code)
    assert check_coordinates(fixed, source="heritage.csv", reference=reference) == []


def test_check_coordinates_offset_needs_points_in_china():
    reference = _sparse_footprints()
    lon, lat = _centres(reference)
    glon, glat = wgs84_to_gcj02(lon, lat)
    # the same offset pattern moved to Helsinki, where GCJ-02 is a no-op: nothing to undo
    dx, dy = 24.94 - JINGAN[0], 60.17 - JINGAN[1]
    moved_ref = gpd.GeoDataFrame(geometry=reference.translate(dx, dy), crs=4326)
    moved = gpd.GeoDataFrame(geometry=gpd.points_from_xy(glon + dx, glat + dy), crs=4326)
    assert check_coordinates(moved, source="h", reference=moved_ref) == []


def test_check_coordinates_rejects_plain_dataframe():
    with pytest.raises(TypeError):
        check_coordinates(pd.DataFrame({"x": [1]}), source="x")
