"""Real Jing'an data: BD-09 / GCJ-02 heritage points land on their OSM footprints once converted.

Skipped when ``../shared/data/jingan`` (next to the repo root) is absent. Names that appear
exactly once in both a heritage list and the OSM heritage features are matched, and the
distance from each converted point to its footprint is measured in UTM metres.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from lifecircle.errors import CoordinateWarning
from lifecircle.geo.crs import bd09_to_wgs84, check_coordinates, to_wgs84, utm_crs_for

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "jingan"
OSM_FILE = DATA / "heritage_osm_overpass_2025.geojson"
BD09_CSV = DATA / "heritage_excellent_historic_buildings_shlib.csv"
GCJ02_FILE = DATA / "historic_buildings_ditushu_gcj02.geojson"

pytestmark = [
    pytest.mark.realdata,
    pytest.mark.skipif(not DATA.is_dir(), reason=f"real data not present at {DATA}"),
]


def _unique_names(names: pd.Series) -> pd.Series:
    """Stripped names that occur exactly once (NaN elsewhere)."""
    clean = names.astype("string").str.strip()
    counts = clean.value_counts()
    return clean.where(clean.map(counts).eq(1))


def match_distances_m(
    points: gpd.GeoDataFrame, name_col: str, footprints: gpd.GeoDataFrame
) -> np.ndarray:
    """Metres from each point to the OSM feature with the same (unique) name.

    Only names that appear exactly once in ``points[name_col]`` and once in
    ``footprints["name"]`` are used. Both frames must be in EPSG:4326.
    """
    left = points.assign(_key=_unique_names(points[name_col])).dropna(subset=["_key"])
    right = footprints.assign(_key=_unique_names(footprints["name"])).dropna(subset=["_key"])
    pairs = left[["_key", "geometry"]].merge(
        right[["_key", "geometry"]], on="_key", suffixes=("_pt", "_fp")
    )
    utm = utm_crs_for(footprints)
    pts = gpd.GeoSeries(pairs["geometry_pt"], crs=4326).to_crs(utm)
    fps = gpd.GeoSeries(pairs["geometry_fp"], crs=4326).to_crs(utm)
    return pts.distance(fps, align=False).to_numpy()


@pytest.fixture(scope="module")
def osm() -> gpd.GeoDataFrame:
    return gpd.read_file(OSM_FILE)


@pytest.fixture(scope="module")
def bd09_raw() -> gpd.GeoDataFrame:
    """The Shanghai Library list with its original BD-09 columns as (wrong) WGS-84 points."""
    table = pd.read_csv(BD09_CSV)
    points = gpd.points_from_xy(table["lon_bd09"], table["lat_bd09"])
    return gpd.GeoDataFrame(table, geometry=points, crs=4326)


@pytest.fixture(scope="module")
def gcj02_raw() -> gpd.GeoDataFrame:
    return gpd.read_file(GCJ02_FILE)  # GeoJSON says EPSG:4326; the numbers are GCJ-02


def test_bd09_conversion_matches_precomputed_wgs84_columns(bd09_raw):
    lon, lat = bd09_to_wgs84(bd09_raw["lon_bd09"].to_numpy(), bd09_raw["lat_bd09"].to_numpy())
    # the extract's own conversion (rounded to 1e-7, closed-form BD inverse) agrees to ~10 cm
    assert np.abs(lon - bd09_raw["lon_wgs84"].to_numpy()).max() < 2e-6
    assert np.abs(lat - bd09_raw["lat_wgs84"].to_numpy()).max() < 2e-6


def test_bd09_heritage_lands_on_osm_footprints(bd09_raw, osm):
    raw_m = match_distances_m(bd09_raw, "nameS", osm)
    converted_m = match_distances_m(to_wgs84(bd09_raw, "bd09"), "nameS", osm)
    assert len(converted_m) >= 30
    print(
        f"BD-09 list: {len(converted_m)} matches, median {np.median(converted_m):.1f} m "
        f"converted vs {np.median(raw_m):.1f} m raw"
    )
    assert np.median(converted_m) < 60
    assert np.median(raw_m) > 300


def test_gcj02_heritage_lands_on_osm_footprints(gcj02_raw, osm):
    raw_m = match_distances_m(gcj02_raw, "title", osm)
    converted_m = match_distances_m(to_wgs84(gcj02_raw, "gcj02"), "title", osm)
    assert len(converted_m) >= 10
    print(
        f"GCJ-02 atlas: {len(converted_m)} matches, median {np.median(converted_m):.1f} m "
        f"converted vs {np.median(raw_m):.1f} m raw"
    )
    assert np.median(converted_m) < 60
    assert np.median(raw_m) > 300


@pytest.mark.parametrize(
    ("layer", "name", "code"), [("bd09_raw", "BD-09", "bd09"), ("gcj02_raw", "GCJ-02", "gcj02")]
)
def test_check_coordinates_flags_raw_layers_and_passes_converted(request, osm, layer, name, code):
    raw = request.getfixturevalue(layer)
    with pytest.warns(CoordinateWarning, match=f"looks like {name} read as WGS-84"):
        messages = check_coordinates(raw, source=layer, reference=osm)
    assert any(f"crs='{code}'" in m for m in messages)
    assert check_coordinates(to_wgs84(raw, code), source=layer, reference=osm) == []
