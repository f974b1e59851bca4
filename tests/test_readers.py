"""Layer readers: every reader x every format x CRS, header synonyms, encodings, Layers."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import file_digest
from shapely.geometry import LineString, Point, box

import lifecircle.geo as geo
from lifecircle.errors import CoordinateWarning, CRSError, LayerError
from lifecircle.geo.schema import LAYER_SCHEMAS

READERS = {
    "grids": geo.read_grids,
    "seats": geo.read_seats,
    "elderly": geo.read_elderly,
    "heritage": geo.read_heritage,
    "conservation": geo.read_conservation,
    "buildings": geo.read_buildings,
}
FORMATS = (
    "geojson",
    "json",
    "gpkg",
    "shp",
    "zip",
    "csv",
    "csv_gb18030",
    "xlsx",
    "dataframe",
    "geodataframe",
)
CRS_CASES = ("EPSG:4326", "EPSG:3857", "EPSG:4549", "gcj02", "bd09")
ZH_FORMATS = {"gpkg", "csv", "csv_gb18030", "xlsx", "dataframe"}
#: Formats that store their CRS (EPSG cases need no crs= for them).
CRS_AWARE = {"geojson", "json", "gpkg", "shp", "zip", "geodataframe"}
UTM = "EPSG:32651"


def _source(test_files, layer: str, fmt: str, crs: str, folder: Path):
    frame = test_files.base_layers()[layer]
    if fmt in ZH_FORMATS:
        frame = test_files.to_zh(frame, layer)
    if fmt == "geodataframe":
        return test_files.project(frame, crs)
    if fmt == "dataframe":
        projected = crs in ("EPSG:3857", "EPSG:4549")
        return test_files._table(test_files.project(frame, crs), zh=True, projected=projected)
    return test_files.write_layer(frame, folder / layer, fmt, crs=crs, layer=layer)


def _max_offset_m(got: gpd.GeoSeries, expected: gpd.GeoSeries) -> float:
    a = got.to_crs(UTM).to_numpy()
    b = expected.to_crs(UTM).to_numpy()
    return float(np.max(shapely.hausdorff_distance(a, b)))


def _matrix() -> list[tuple[str, str, str]]:
    """Every reader x format in WGS-84, every format x CRS for seats and polygons (grids),
    every reader x CRS as GeoJSON: all pairs covered without the full 300-case product."""
    cases = {(layer, fmt, "EPSG:4326") for layer in READERS for fmt in FORMATS}
    cases |= {
        (layer, fmt, crs) for layer in ("seats", "grids") for fmt in FORMATS for crs in CRS_CASES
    }
    cases |= {(layer, "geojson", crs) for layer in READERS for crs in CRS_CASES}
    return sorted(cases)


@pytest.mark.slow
@pytest.mark.parametrize(("layer", "fmt", "crs"), _matrix())
def test_reader_format_crs_matrix(test_files, tmp_path, layer, fmt, crs):
    source = _source(test_files, layer, fmt, crs, tmp_path)
    needs_crs = crs in ("gcj02", "bd09") or fmt not in CRS_AWARE
    digest = file_digest(source) if isinstance(source, Path) else None
    got = READERS[layer](source, crs=crs if needs_crs else None)
    expected = test_files.base_layers()[layer]
    schema = LAYER_SCHEMAS[layer]
    assert got.crs.to_epsg() == 4326
    assert list(got.columns[: len(schema.column_names)]) == schema.column_names
    assert got.columns[-1] == "geometry"
    for col in schema.column_names:
        exp = expected[col].tolist()
        val = got[col].tolist()
        if schema.columns[schema.column_names.index(col)].kind == "float":
            np.testing.assert_allclose(val, exp)
        else:
            assert val == [None if pd.isna(v) else v for v in exp], col
    assert _max_offset_m(got.geometry, expected.geometry) < 0.02  # centimetre
    if digest is not None:
        assert file_digest(source) == digest


@pytest.mark.parametrize("layer", list(READERS))
def test_committed_geojson_and_gb18030_csv_agree(good_dir, layer):
    a = READERS[layer](good_dir / f"{layer}.geojson")
    b = READERS[layer](good_dir / f"{layer}_zh.csv")
    names = LAYER_SCHEMAS[layer].column_names
    pd.testing.assert_frame_equal(pd.DataFrame(a[names]), pd.DataFrame(b[names]))
    assert _max_offset_m(a.geometry, b.geometry) < 0.01


def test_multilayer_gpkg_picks_layer_named_after_reader(good_dir):
    grids = geo.read_grids(good_dir / "all_layers.gpkg")
    seats = geo.read_seats(good_dir / "all_layers.gpkg")
    assert grids["level"].tolist()[0] == "subdistrict"
    assert seats["seats"].sum() == 24
    explicit = geo.read_seats(good_dir / "all_layers.gpkg", layer="seats")
    pd.testing.assert_frame_equal(pd.DataFrame(seats), pd.DataFrame(explicit))


def test_multilayer_gpkg_without_matching_layer_asks_for_layer(test_files, tmp_path):
    path = tmp_path / "mixed.gpkg"
    base = test_files.base_layers()
    test_files.write_layer(base["seats"], path, "gpkg", layer="benches")
    test_files.write_layer(base["elderly"], path, "gpkg", layer="other")
    message = r"mixed\.gpkg.*2 layers \(benches, other\); choose one, e\.g\. layer='benches'"
    with pytest.raises(LayerError, match=message):
        geo.read_seats(path)
    assert len(geo.read_seats(path, layer="benches")) == 4


def test_committed_good_files_in_other_crs(good_dir):
    base = geo.read_seats(good_dir / "seats.geojson")
    for path, crs in [
        ("seats_3857.zip", None),
        ("seats_zh_4549.xlsx", "EPSG:4549"),
        ("seats_gcj02.csv", "gcj02"),
    ]:
        got = geo.read_seats(good_dir / path, crs=crs)
        assert got["id"].tolist() == base["id"].tolist()
        assert _max_offset_m(got.geometry, base.geometry) < 0.02


def test_gcj02_read_without_crs_is_hundreds_of_metres_off(good_dir):
    base = geo.read_seats(good_dir / "seats.geojson")
    raw = geo.read_seats(good_dir / "seats_gcj02.csv")
    assert 300 < _max_offset_m(raw.geometry, base.geometry) < 700


def test_columns_mapping_and_xy_for_unusual_headers():
    frame = pd.DataFrame(
        {
            "站点": ["a", "b"],
            "椅子个数": ["3", "5"],
            "E": [121.44, 121.45],
            "N": [31.22, 31.23],
            "remark": ["x", "y"],
        }
    )
    got = geo.read_seats(frame, columns={"站点": "id", "椅子个数": "seats"}, x="E", y="N")
    assert got["id"].tolist() == ["a", "b"]
    assert got["seats"].tolist() == [3, 5]
    assert list(got.columns) == ["id", "name", "seats", "armrest", "charging", "remark", "geometry"]
    assert got.geometry.x.tolist() == [121.44, 121.45]
    assert frame.columns.tolist()[0] == "站点"  # input untouched


@pytest.mark.parametrize(
    ("header", "canonical"),
    [
        (" Seat Count ", "seats"),
        ("SEATS", "seats"),
        ("座椅数", "seats"),
        ("数量", "seats"),
        ("Armrests", "armrest"),
        ("带扶手", "armrest"),
        ("共享充电", "charging"),
    ],
)
def test_header_synonyms_case_and_space_insensitive(header, canonical):
    frame = pd.DataFrame(
        {
            "ID": ["1"],
            header: ["2" if canonical == "seats" else "有"],
            "Longitude": [121.44],
            "LAT": [31.22],
        }
    )
    if canonical != "seats":
        frame["座位数"] = [2]
    got = geo.read_seats(frame)
    assert got["seats"].tolist() == [2]
    if canonical != "seats":
        assert got[canonical].tolist() == [True]


def test_numeric_and_padded_ids_become_strings(tmp_path):
    path = tmp_path / "ids.csv"
    path.write_text(
        "编号,座位数,lng,lat\n007,2,121.44,31.22\n12,3,121.45,31.23\n", encoding="utf-8"
    )
    assert geo.read_seats(path)["id"].tolist() == ["007", "12"]
    frame = gpd.GeoDataFrame(
        {"id": [3.0, 4.0], "seats": [1, 2]},
        geometry=[Point(121.44, 31.22), Point(121.45, 31.23)],
        crs=4326,
    )
    assert geo.read_seats(frame)["id"].tolist() == ["3", "4"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("是", True),
        ("否", False),
        ("有", True),
        ("无", False),
        ("Y", True),
        ("n", False),
        ("TRUE", True),
        ("false", False),
        ("1", True),
        ("0", False),
        ("", False),
    ],
)
def test_bool_vocabulary(tmp_path, value, expected):
    path = tmp_path / "b.csv"
    path.write_text(f"id,seats,armrest,lng,lat\nS1,2,{value},121.44,31.22\n", encoding="utf-8")
    assert geo.read_seats(path)["armrest"].tolist() == [expected]


def test_explicit_encoding_overrides_detection(tmp_path):
    path = tmp_path / "big5.csv"
    path.write_bytes("編號,座位數,lng,lat,名稱\nS1,2,121.44,31.22,長椅\n".encode("big5"))
    got = geo.read_seats(
        path, encoding="big5", columns={"編號": "id", "座位數": "seats", "名稱": "name"}
    )
    assert got["name"].tolist() == ["長椅"]


def test_lines_and_polygons_become_points_inside():
    square = box(121.44, 31.22, 121.441, 31.221)
    lane = LineString([(121.44, 31.22), (121.442, 31.22)])
    frame = gpd.GeoDataFrame({"id": ["a", "b"], "seats": [2, 3]}, geometry=[square, lane], crs=4326)
    got = geo.read_seats(frame)
    assert (got.geom_type == "Point").all()
    assert square.contains(got.geometry.iloc[0])
    assert lane.distance(got.geometry.iloc[1]) < 1e-12


def test_extra_column_clashing_with_canonical_name_is_kept_renamed():
    frame = pd.DataFrame(
        {"uid": ["1"], "id": ["old"], "seats": [2], "lng": [121.44], "lat": [31.22]}
    )
    got = geo.read_seats(frame, columns={"uid": "id"})
    assert got["id"].tolist() == ["1"]
    assert got["id_source"].tolist() == ["old"]


def test_xlsx_sheet_selected_with_layer(test_files, tmp_path):
    path = tmp_path / "book.xlsx"
    table = test_files._table(
        test_files.to_zh(test_files.base_layers()["seats"], "seats"), zh=True, projected=False
    )
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"说明": ["cover sheet"]}).to_excel(writer, sheet_name="封面", index=False)
        table.to_excel(writer, sheet_name="座椅", index=False)
    assert len(geo.read_seats(path, layer="座椅")) == 4
    with pytest.raises(LayerError, match=r"book\.xlsx"):
        geo.read_seats(path)


def test_unknown_crs_argument_raises_crserror(good_dir):
    with pytest.raises(CRSError, match="EPSG:99999"):
        geo.read_seats(good_dir / "seats.geojson", crs="EPSG:99999")


def test_wrong_source_type_raises_typeerror():
    with pytest.raises(TypeError, match="source must be a path"):
        geo.read_seats(42)  # type: ignore[arg-type]


def test_missing_file_is_a_layer_error(tmp_path):
    with pytest.raises(LayerError, match=r"nope\.geojson: 1 problem: file not found"):
        geo.read_seats(tmp_path / "nope.geojson")


# --------------------------------------------------------------------------- Layers
def _paths(good_dir: Path) -> dict[str, Path]:
    return {layer: good_dir / f"{layer}.geojson" for layer in READERS}


def test_load_layers_summary_repr_and_html(good_dir):
    layers = geo.load_layers(**_paths(good_dir), name="测试 test")
    summary = layers.summary()
    assert summary.index.tolist() == list(READERS)
    assert summary.loc["seats", "features"] == 4
    assert summary.loc["seats", "details"].startswith("24 seats; 2 sites with armrests")
    assert "microgrid 2" in summary.loc["grids", "details"]
    assert "historic_building 1" in summary.loc["heritage", "details"]
    minx, miny, maxx, maxy = layers.bounds
    assert (minx, miny) == pytest.approx((121.440, 31.220))
    assert (maxx, maxy) == pytest.approx((121.446, 31.226))
    assert repr(layers) == (
        "Layers('测试 test': grids=5, seats=4, elderly=3, heritage=3, conservation=1, buildings=2)"
    )
    html = layers._repr_html_()
    assert "测试 test" in html and "公共座椅" in html and "SYNTHETIC" not in html


def test_load_layers_optional_layers_and_crs_dict(good_dir):
    paths = _paths(good_dir)
    layers = geo.load_layers(
        grids=paths["grids"],
        seats=good_dir / "seats_gcj02.csv",
        elderly=paths["elderly"],
        heritage=paths["heritage"],
        crs={"seats": "gcj02"},
    )
    assert layers.conservation is None and layers.buildings is None
    assert [name for name, _ in layers.items()] == ["grids", "seats", "elderly", "heritage"]
    base = geo.read_seats(paths["seats"])
    assert _max_offset_m(layers.seats.geometry, base.geometry) < 0.02
    with pytest.raises(ValueError, match="unknown layers"):
        geo.load_layers(**paths, crs={"benches": "gcj02"})


def test_load_layers_warns_when_points_far_from_grids(good_dir):
    paths = _paths(good_dir)
    seats = geo.read_seats(paths["seats"])
    seats["geometry"] = seats.geometry.translate(xoff=0.5)  # ~48 km east
    with pytest.warns(CoordinateWarning, match="far outside"):
        geo.load_layers(**{**paths, "seats": seats})


def test_load_layers_collects_errors_of_every_file(good_dir, bad_dir):
    paths = _paths(good_dir)
    with pytest.raises(LayerError) as info:
        geo.load_layers(
            **{
                **paths,
                "seats": bad_dir / "seats_non_numeric.csv",
                "elderly": bad_dir / "elderly_unknown_type.geojson",
            }
        )
    message = str(info.value)
    assert "seats_non_numeric.csv" in message and "elderly_unknown_type.geojson" in message


def test_load_layers_rejects_buildings_in_unknown_grids(good_dir):
    paths = _paths(good_dir)
    buildings = geo.read_buildings(paths["buildings"])
    buildings.loc[0, "grid_id"] = "ZZ"
    with pytest.raises(LayerError, match=r"grid_id names grids .*'B1' -> 'ZZ'"):
        geo.load_layers(**{**paths, "buildings": buildings})


def test_layers_type_checked():
    with pytest.raises(TypeError, match=r"Layers\.seats must be a GeoDataFrame"):
        geo.Layers(grids=gpd.GeoDataFrame(geometry=[]), seats=None, elderly=None, heritage=None)  # type: ignore[arg-type]


def test_load_demo_layers():
    layers = geo.load_demo_layers()
    assert layers.synthetic
    assert "SYNTHETIC" in layers._repr_html_()
    assert "synthetic" in repr(layers)
    assert len(geo.leaf_grids(layers.grids)) == 37
    assert layers.conservation is not None and layers.buildings is not None


# --------------------------------------------------------------------------- real data
@pytest.mark.realdata
def test_realdata_heritage_readers_land_on_osm_footprints(jingan_dir, osm_offset):
    osm = gpd.read_file(jingan_dir / "heritage_osm_overpass_2025.geojson")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CoordinateWarning)  # the clip spans several districts
        shlib = geo.read_heritage(
            jingan_dir / "heritage_excellent_historic_buildings_shlib.csv",
            crs="bd09",
            x="lon_bd09",
            y="lat_bd09",
            columns={"uri": "id", "nameS": "name"},
        )
        ditushu = gpd.read_file(jingan_dir / "historic_buildings_ditushu_gcj02.geojson")
        ditushu["level"] = "优秀历史建筑"  # the atlas layer lists only historic buildings
        atlas = geo.read_heritage(ditushu, crs="gcj02", columns={"title": "name"})
    assert (shlib["level"] == "historic_building").all() and len(shlib) == 434
    assert "lon_bd09" not in shlib.columns and "lon_wgs84" in shlib.columns
    median_shlib, n_shlib = osm_offset(shlib, "name", osm)
    median_atlas, n_atlas = osm_offset(atlas, "name", osm)
    centroids = osm.set_geometry(osm.to_crs(UTM).centroid.to_crs(4326))
    centre_shlib, _ = osm_offset(shlib, "name", centroids)
    centre_atlas, _ = osm_offset(atlas, "name", centroids)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CoordinateWarning)
        raw = geo.read_heritage(ditushu, columns={"title": "name"})  # GCJ-02 taken as WGS-84
    median_raw, _ = osm_offset(raw, "name", osm)
    print(
        f"shlib BD-09: median {median_shlib:.1f} m to footprint, {centre_shlib:.1f} m to "
        f"centroid, {n_shlib} names; ditushu GCJ-02: {median_atlas:.1f} m / "
        f"{centre_atlas:.1f} m, {n_atlas} names; ditushu read raw: {median_raw:.1f} m"
    )
    assert n_shlib >= 20 and n_atlas >= 10
    assert median_shlib < 60 and median_atlas < 60
    assert centre_shlib < 60 and centre_atlas < 60
    assert median_raw > 300
    # the pre-converted WGS-84 columns of the extract agree with our conversion
    gap = np.hypot(shlib.geometry.x - shlib["lon_wgs84"], shlib.geometry.y - shlib["lat_wgs84"])
    assert gap.max() < 1e-5
