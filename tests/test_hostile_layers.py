"""Hostile layer files: what the readers say about cells, geometries and formats.

Each message must name the file, the row or feature, the column and the fix in the
planner's words: no Python or numpy repr (``np.float64(nan)``, ``array([1])``, ``{'a': 1}``),
no temporary path and no GDAL advice about driver prefixes.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import pytest

import lifecircle as lc
from lifecircle.errors import CoordinateWarning, LayerError
from lifecircle.geo.crs import check_coordinates

_PYTHON = re.compile(r"np\.\w+\(|array\(|dtype=|\{'|<DRIVER>|Traceback")


def _seats_csv(tmp_path: Path, rows: list[str]) -> Path:
    path = tmp_path / "seats.csv"
    path.write_text("id,name,lon,lat,seats\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def _message(reader, path: Path, **kwargs) -> str:
    with pytest.raises(LayerError) as info:
        reader(path, **kwargs)
    message = str(info.value)
    assert not _PYTHON.search(message), message
    assert str(path.parent) not in message, message  # the file's name, not where it lies
    return message


@pytest.mark.parametrize(
    ("cell", "shown"),
    [("nan", "column 'lat' is blank"), ("", "column 'lat' is blank"),
     ("inf", "column 'lat' holds inf"), ("31.0x", "column 'lat' holds '31.0x'")],
)  # fmt: skip
def test_unusable_coordinate_cells_are_shown_as_written(tmp_path, cell, shown) -> None:
    """A NaN, blank or infinite coordinate was shown as ``np.float64(nan)``."""
    path = _seats_csv(tmp_path, ["S1,a,123.0,31.0,2", f"S2,b,123.0,{cell},2"])
    message = _message(lc.read_seats, path)
    assert message.startswith("seats.csv: 1 problem: missing geometry in 1 row: id 'S2' (row 3)")
    assert f"({shown} (expected a number))" in message


def _feature(props: dict, x: float = 123.0, y: float = 31.0) -> dict:
    return {"type": "Feature", "properties": props,
            "geometry": {"type": "Point", "coordinates": [x, y]}}  # fmt: skip


def _geojson(tmp_path: Path, name: str, features: list[dict]) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    return path


@pytest.mark.parametrize(
    ("value", "shown"),
    [({"a": 1}, "{a: 1} at id 'B2' (feature 2)"), ([3, 4], "[3, 4]")],
)
def test_properties_holding_objects_or_arrays_are_written_out(tmp_path, value, shown) -> None:
    """A GeoJSON property holding an object or array was shown as ``{'a': 1}`` or as
    ``array([3, 4], dtype=int32)``."""
    first, second = {"id": "B1", "population": 5}, {"id": "B2", "population": value}
    path = _geojson(tmp_path, "buildings.geojson", [_feature(first), _feature(second)])
    message = _message(lc.read_buildings, path)
    assert "column 'population' has non-numeric values" in message
    assert shown in message


def test_a_far_away_feature_is_named_by_its_id_not_a_zero_based_index(tmp_path) -> None:
    """The warning said ``feature 3`` for the fourth feature (the frame's index)."""
    near = [_feature({"id": f"S{i}", "seats": 2}, 123.0 + i * 1e-4) for i in range(4)]
    far = _feature({"id": "FAR", "seats": 2}, -73.9, 31.0)
    seats = lc.read_seats(_geojson(tmp_path, "seats.geojson", [*near, far]))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_coordinates(seats, source="seats", reference=(122.99, 30.99, 123.01, 31.01))
    texts = [str(w.message) for w in caught if issubclass(w.category, CoordinateWarning)]
    assert any("id 'FAR' at x=-73.9, y=31" in t for t in texts), texts


# ------------------------------------------------------------------- unreadable files
@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("seats.geojson", "[1, 2, 3]", "the content is not a GeoJSON FeatureCollection"),
        ("seats.geojson", '{"type": "Feature", "geometry": {"type": "Point", "coordinates": '
         '[123, 31]}, "properties": {"id": "S1", "seats": "x"', "is it truncated"),
        ("seats.txt2", "id,lon,lat,seats\nS1,123,31,2\n",
         "a file ending in '.txt2' is not a format lifecircle reads (.geojson,"),
    ],
)  # fmt: skip
def test_files_gdal_cannot_read_are_named_without_gdal_advice(tmp_path, name, content, needle):
    """These said ``cannot read the file ('/full/path/seats.txt2' not recognized as being in
    a supported file format.; It might help to specify the correct driver explicitly by
    prefixing the file path with '<DRIVER>:' ...)``."""
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    message = _message(lc.read_seats, path)
    assert message.startswith(f"{name}: 1 problem: ")
    assert needle in message


def test_geojson_with_a_gbk_collection_name_is_decoded(tmp_path) -> None:
    """GDAL reads GeoJSON as UTF-8 only: a GBK file whose collection name (not only its
    properties) is Chinese failed with ``'utf-8' codec can't decode byte 0xca``."""
    doc = {"type": "FeatureCollection", "name": "示范座椅 — 静安", "features": [
        _feature({"id": "S1", "name": "长椅一号", "seats": 2}),
        _feature({"id": "S2", "name": "长椅二号", "seats": 3}, 123.001),
    ]}  # fmt: skip
    path = tmp_path / "seats.geojson"
    path.write_bytes(json.dumps(doc, ensure_ascii=False).encode("gbk"))
    assert lc.read_seats(path)["name"].tolist() == ["长椅一号", "长椅二号"]


def test_geojson_encoding_that_does_not_exist_is_named(tmp_path) -> None:
    path = _geojson(tmp_path, "seats.geojson", [_feature({"id": "S1", "seats": 2})])
    assert "unknown encoding 'klingon'" in _message(lc.read_seats, path, encoding="klingon")


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("Seats of 2025\n\nid,name,lon,lat,seats\nS1,a,123,31,2\nS2,b,123,31,2,9\n",
         "row 5 has 6 cells but the header has 5: a cell holding the separator"),
        ('Seats of 2025\n\nid,name,lon,lat,seats\nS1,a,123,31,2\nS2,"b,123,31,2\nS3,c,1,2,3\n',
         'a quote (") opened in row 5 is never closed'),
    ],
)  # fmt: skip
def test_broken_csv_rows_are_named_as_a_spreadsheet_numbers_them(tmp_path, text, needle):
    """pandas' ``Error tokenizing data. C error: Expected 5 fields in line 5, saw 6``
    became the row and the fix (the title rows above the header count)."""
    path = tmp_path / "seats.csv"
    path.write_text(text, encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the title row is skipped with a warning
        message = _message(lc.read_seats, path)
    assert needle in message
    assert "tokenizing" not in message


def test_a_polygon_ring_that_is_not_closed_names_the_feature(tmp_path) -> None:
    """GDAL accepts an unclosed GeoJSON ring with a warning about its configuration
    options; building the shape then raised GEOSException (exit 3, "unexpected internal
    error")."""
    ring = [[123.0, 31.0], [123.001, 31.0], [123.001, 31.001], [123.0, 31.001]]  # not closed
    closed = [*ring, ring[0]]
    features = [
        {"type": "Feature", "properties": {"id": f"G{i}", "level": "microgrid"},
         "geometry": {"type": "Polygon", "coordinates": [r]}}
        for i, r in enumerate([closed, ring], start=1)
    ]  # fmt: skip
    path = _geojson(tmp_path, "grids.geojson", features)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # GDAL's note about OGR_GEOMETRY_... is not shown
        message = _message(lc.read_grids, path)
    assert message == (
        "grids.geojson: 1 problem: feature 2 holds a polygon ring that is not closed (its last "
        "point must repeat its first); redraw or repair it in GIS and export again"
    )


# ---------------------------------------------------------- coordinate systems
@pytest.mark.parametrize("prj", ["garbage here", ""])
def test_a_shapefile_prj_that_is_no_crs_is_refused(tmp_path, prj) -> None:
    """A damaged or empty .prj left the layer without a CRS, read silently as WGS-84
    (only a *missing* .prj was warned about)."""
    import geopandas as gpd
    from shapely.geometry import Point

    frame = gpd.GeoDataFrame({"id": ["S1"], "seats": [2]}, geometry=[Point(123, 31)], crs=4326)
    frame.to_file(tmp_path / "seats.shp")
    (tmp_path / "seats.prj").write_text(prj, encoding="utf-8")
    message = _message(lc.read_seats, tmp_path / "seats.shp")
    assert "the Shapefile's seats.prj does not hold a coordinate system" in message
    assert "crs='EPSG:4549'" in message  # the Python fix (the study file says crs = "...")
    assert lc.read_seats(tmp_path / "seats.shp", crs=4326)["id"].tolist() == ["S1"]


@pytest.mark.parametrize("where", ["before", "after"])
def test_a_geojson_crs_member_naming_nothing_is_refused(tmp_path, where) -> None:
    """GDAL falls back to WGS-84 silently when it cannot read the ``crs`` member."""
    crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::garbage"}}
    features = [_feature({"id": "S1", "seats": 2})]
    doc = {"crs": crs, "type": "FeatureCollection", "features": features}
    if where == "after":
        doc = {"type": "FeatureCollection", "features": features, "crs": crs}
    path = tmp_path / "seats.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    message = _message(lc.read_seats, path)
    assert '"crs" member ("urn:ogc:def:crs:EPSG::garbage") names no known coordinate' in message
    crs["properties"]["name"] = "urn:ogc:def:crs:EPSG::4490"  # CGCS2000: read as it says
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert lc.read_seats(path)["id"].tolist() == ["S1"]


# ------------------------------------------------------------- GeoPackage and zip
def _two_layer_gpkg(tmp_path: Path) -> Path:
    import geopandas as gpd
    from shapely.geometry import Point

    path = tmp_path / "all.gpkg"
    for name in ("benches", "stations"):
        frame = gpd.GeoDataFrame({"id": ["S1"], "seats": [2]}, geometry=[Point(123, 31)], crs=4326)
        frame.to_file(path, layer=name)
    return path


def test_a_layer_that_is_not_in_the_geopackage_lists_those_that_are(tmp_path) -> None:
    """Was ``cannot read the file (Layer 'nope' could not be opened)``."""
    path = _two_layer_gpkg(tmp_path)
    message = _message(lc.read_seats, path, layer="nope")
    assert "the file has no layer 'nope'; it holds 'benches', 'stations': choose one" in message
    assert "layer='benches'" in message
    assert "choose one, e.g. layer='benches'" in _message(lc.read_seats, path)


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("x.gpkg", b"SQLite format 3\x00" + bytes(100), "not a GeoPackage (an SQLite database)"),
        ("x.zip", b"PK\x03\x04garbage", "the zip file is damaged or holds no Shapefile"),
    ],
)
def test_damaged_geopackage_and_zip_are_named_without_gdal_internals(tmp_path, name, content,
                                                                      needle) -> None:  # fmt: skip
    """Were ``sqlite3_prepare_v2(SELECT COUNT(*) FROM sqlite_master ...) failed`` and
    ``'/vsizip/x.zip' does not exist in the file system``, with a GDAL warning naming the
    full path."""
    path = tmp_path / name
    path.write_bytes(content)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert needle in _message(lc.read_seats, path)


def test_a_damaged_network_cache_is_one_plain_warning(tmp_path, caplog) -> None:
    """Was ``network cache /full/path/x.gpkg is unusable (/full/path/x.gpkg: cannot read a
    saved walking network (sqlite3_prepare_v2(SELECT COUNT(*) FROM sqlite_master ...``."""
    import logging

    import geopandas as gpd
    from shapely.geometry import LineString

    lines = gpd.GeoDataFrame(
        geometry=[LineString([(123.0, 31.0), (123.001, 31.0)])], crs=4326
    ).assign(highway="footway")
    source = tmp_path / "paths.geojson"
    lines.to_file(source)
    cache = tmp_path / "cache"
    lc.network_from_lines(source, cache_dir=cache)
    (path,) = cache.glob("*.gpkg")
    path.write_bytes(path.read_bytes()[:1000])
    with caplog.at_level(logging.WARNING, logger="lifecircle.coverage.network.cache"):
        assert lc.network_from_lines(source, cache_dir=cache).meta["cache"] == "miss"
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warned == [f"the cached walking network {path.name} is damaged or truncated; "
                      "rebuilding it"]  # fmt: skip
