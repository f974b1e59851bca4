"""Hostile columns, values and coordinates: every case has one exact expected outcome.

Error cases must name the file, the feature or row (by id when there is one), the column
and the fix. Accepted cases check the mapped values, generated ids and warnings. The
real Shanghai Library lists (``../shared/data/jingan``) must load; skipped when absent.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
from conftest import file_digest
from shapely.geometry import Polygon, box, mapping

import lifecircle.geo as geo
from lifecircle.errors import ColumnWarning, CoordinateWarning, LayerError, Problem, hint_style

GRID = box(121.440, 31.220, 121.446, 31.226)


def _features(layer_rows: list[tuple[dict[str, Any], Any]]) -> str:
    feats = [
        {"type": "Feature", "properties": props, "geometry": geom} for props, geom in layer_rows
    ]
    return json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False)


def _pt(x: float, y: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [x, y]}


@dataclass
class Case:
    """One hostile file: its name, text, reader keywords and expected message fragments."""

    name: str
    text: str
    fragments: list[str]
    kwargs: dict[str, Any] = field(default_factory=dict)


ERRORS = [
    Case(
        "seats_overflow.geojson",
        _features(
            [
                ({"id": "S1", "seats": 2}, _pt(1e308, -1e308)),
                ({"id": "S2", "seats": 2}, _pt(121.44, 31.22)),
            ]
        ),
        [
            "1 problem: coordinates outside the valid range of EPSG:4326 (WGS 84)",
            "in 1 feature: id 'S1' (feature 1) (1e+308, -1e+308)",
            "expected lon -180..180, lat -90..90",
        ],
    ),
    Case(
        "seats_latitude_95.csv",
        "编号,座位数,经度,纬度\nS1,2,121.44,31.22\nS2,2,121.44,95\nS3,2,121.45,31.23\n",
        [
            "outside the valid range of lon/lat degrees",
            "id 'S2' (row 3) (121.44, 95)",
            "lat -90..90",
        ],
    ),
    Case(
        "seats_gcj02_lon_200.csv",
        "id,seats,lng,lat\nA,2,121.44,31.22\nB,2,200,31.22\n",
        ["outside the valid range of GCJ-02 lon/lat degrees", "id 'B' (row 3) (200, 31.22)"],
        {"crs": "gcj02"},
    ),
    Case(
        "seats_utm_typo.csv",
        "id,seats,x,y\nA,2,354000,3455000\nB,2,9e15,3455000\n",
        [
            "outside the valid range of EPSG:32651 (WGS 84 / UTM zone 51N)",
            "id 'B' (row 3) (9e+15, 3.455e+06)",
            "is the layer's CRS right, or are these cells typos?",
        ],
        {"crs": "EPSG:32651"},
    ),
    Case(
        "seats_two_seat_columns.csv",
        "id,座位数,座位数,lon,lat\nA,2,2,121.44,31.22\nB,2,3,121.45,31.22\n",
        [
            "the file has 2 columns named '座位数' and their values differ",
            "(first at id 'B' (row 3))",
            "choose it with columns={'座位数': 'seats'}",
        ],
    ),
    Case(
        "seats_name_and_名称.csv",
        "id,名称,name,seats,lon,lat\nA,甲,A,2,121.44,31.22\n",
        [
            "columns 'name' and '名称' would all be read as name",
            "first at id 'A' (row 2)",
            "columns={'name': 'name'}",
        ],
    ),
    Case(
        "seats_fullwidth_rivals.csv",
        "ｉｄ,id,seats,lon,lat\nA,X,2,121.44,31.22\n",
        ["columns 'ｉｄ' and 'id' would all be read as id", "row 2", "columns={'ｉｄ': 'id'}"],
    ),
    Case(
        "grids_world.geojson",
        _features([({"id": "W", "name": "w", "level": "街道"}, mapping(box(-180, -90, 180, 90)))]),
        [
            "a geometry covering (nearly) the whole world in 1 feature",
            "id 'W' (feature 1) (lon -180..180)",
        ],
    ),
    Case(
        "grids_antimeridian.geojson",
        _features(
            [
                (
                    {"id": "P", "name": "p", "level": "街道"},
                    mapping(Polygon([(179, 0), (-179, 0), (-179, 1), (179, 1)])),
                )
            ]
        ),
        [
            "crosses the antimeridian at 180°",
            "id 'P' (feature 1) (lon -179..179)",
            "split it there",
        ],
    ),
    Case(
        "heritage_type_is_not_level.csv",
        "id,name,type,lon,lat\nH1,a,红色旅游景点,121.44,31.22\nH2,b,纪念地,121.45,31.22\n",
        [
            "column 'level' has unknown values in 2 rows: '红色旅游景点' at id 'H1' (row 2)",
            "column 'type' was read as level (a synonym)",
            "but 2 of its 2 values name no level",
            "map it explicitly with columns={'<header>': 'level'}",
        ],
    ),
    Case(
        "seats_duplicate_serials.csv",
        "序号,名称,经度,纬度,座位数\n1,甲,121.44,31.22,3\n1,乙,121.45,31.22,2\n",
        [
            "column 'id' has duplicate values in 1 id: '1' (row 2, row 3)",
            "(read from column '序号')",
            "give each row its own id, or map a column whose values are unique with "
            "columns={'<header>': 'id'}",
        ],
    ),
    Case(
        "grids_mixed_kind.geojson",
        _features(
            [
                (
                    {"id": "A", "name": "a", "level": "居民区", "kind": "居民区; 商务区"},
                    mapping(GRID),
                ),
            ]
        ),
        [
            "column 'kind' has cells naming several values in 1 feature",
            "'居民区; 商务区' at id 'A' (feature 1)",
            "one value per row",
        ],
    ),
    Case(
        "elderly_two_types.csv",
        "id,name,type,lon,lat\nE1,a,日间照料中心、助浴点,121.44,31.22\n",
        [
            "column 'type' has cells naming several values",
            "'日间照料中心、助浴点' at id 'E1' (row 2)",
        ],
    ),
    Case(
        "seats_missing_seats_column.csv",
        "ｉｄ,名称,ｌｏｎ,ｌａｔ\nA,甲,121.44,31.22\n",
        [
            "missing required column 'seats'",
            "columns: 'ｉｄ', '名称'",
            "columns={'<header>': 'seats'}",
        ],
    ),
    Case(
        "seats_custom_proj.csv",
        "id,seats,x,y\nA,2,0,0\nB,2,1e7,1e9\n",
        [
            "outside the valid range of the layer's CRS (+proj=tmerc +lon_0=121",
            "id 'B' (row 3) (1e+07, 1e+09)",
            "x -21,000,000..21,000,000",
        ],
        {"crs": "+proj=tmerc +lon_0=121 +ellps=WGS84"},
    ),
    Case(
        "seats_one_typo_lon.csv",
        "id,seats,lon,lat\nA,2,121.44,31.22\nB,2,1214.4,31.22\nC,2,121.45,31.23\n",
        [
            "outside the valid range of lon/lat degrees (the layer has no CRS) in 1 row",
            "id 'B' (row 3) (1214.4, 31.22)",
        ],
    ),
    Case(
        "seats_double_mapping.csv",
        "编号,名称,别名,座位数,lon,lat\nA,甲,乙,2,121.44,31.22\n",
        ["columns= maps '名称' and '别名' all to 'name'; map one header to 'name'"],
        {"columns": {"名称": "name", "别名": "name"}},
    ),
]


def _reader(name: str) -> Callable[..., gpd.GeoDataFrame]:
    return getattr(geo, f"read_{name.split('_')[0]}")


def test_there_are_enough_hostile_cases():
    assert len(ERRORS) + len(ACCEPTED) >= 18


@pytest.mark.parametrize("case", ERRORS, ids=[c.name for c in ERRORS])
def test_hostile_file_is_reported(tmp_path, case):
    path = tmp_path / case.name
    path.write_text(case.text, encoding="utf-8")
    before = file_digest(path)
    with pytest.raises(LayerError) as info:
        _reader(case.name)(path, **case.kwargs)
    message = str(info.value)
    assert message.startswith(f"{case.name}: ") and info.value.source == case.name
    for fragment in case.fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert file_digest(path) == before


def _accept_relic_levels(frame: gpd.GeoDataFrame) -> None:
    assert frame["level"].tolist() == ["municipal", "protection_point", "national", "district"]
    assert "type" not in frame.columns  # the source column became `level`


def _accept_generated_ids(frame: gpd.GeoDataFrame) -> None:
    assert frame["id"].tolist() == ["座椅点位-2", "座椅点位-3"]
    assert frame["seats"].tolist() == [3, 2] and frame["armrest"].tolist() == [True, False]


def _accept_fullwidth(frame: gpd.GeoDataFrame) -> None:
    assert frame["id"].tolist() == ["A"] and frame["seats"].tolist() == [2]
    assert frame.geometry.iloc[0].x == pytest.approx(121.44)


def _accept_kinds(frame: gpd.GeoDataFrame) -> None:
    assert frame["kind"].tolist() == ["residential", "commercial", "commercial", "residential"]


def _accept_fullwidth_bool(frame: gpd.GeoDataFrame) -> None:
    assert frame["armrest"].tolist() == [True, False]
    assert frame["charging"].tolist() == [False, True]


def _accept_released_category(frame: gpd.GeoDataFrame) -> None:
    assert frame["level"].tolist() == ["municipal", "district"]
    assert frame["category"].tolist() == [None, None]
    assert frame["类别"].tolist() == ["古建筑", "近现代重要史迹及代表性建筑"]


def _accept_equal_twins(frame: gpd.GeoDataFrame) -> None:
    assert frame["seats"].tolist() == [2, 3]


def _accept_explicit_choice(frame: gpd.GeoDataFrame) -> None:
    assert frame["name"].tolist() == ["甲"] and frame["name_source"].tolist() == ["A"]


def _accept_uri_list(frame: gpd.GeoDataFrame) -> None:
    assert frame["id"].tolist() == ["heritage_suggested_uri-2", "heritage_suggested_uri-3"]
    assert frame["uri"].tolist() == ["http://x/1", "http://x/2"]
    assert frame["level"].tolist() == ["protection_point", "municipal"]


def _accept_grid_level_words(frame: gpd.GeoDataFrame) -> None:
    assert frame["level"].tolist() == ["subdistrict", "area"]


@dataclass
class Accepted:
    """A file that loads: its checker and the warning it must give (None: no warning)."""

    name: str
    text: str
    check: Callable[[gpd.GeoDataFrame], None]
    warning: str | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)


ACCEPTED = [
    Accepted(
        "heritage_relic_list.csv",
        "编号,名称,type,lon,lat\n"
        "R1,刘长胜故居,上海市不可移动文物名录; 上海市文物保护单位; 红色旅游景点,121.44,31.22\n"
        "R2,某宅,上海市不可移动文物名录; 文物保护点,121.441,31.221\n"
        "R3,某寺,全国重点文物保护单位；上海市文物保护单位,121.442,31.222\n"
        "R4,某馆,红色旅游景点、区级文物保护单位,121.443,31.223\n",
        _accept_relic_levels,
    ),
    Accepted(
        "座椅点位.csv",
        "名称,经度,纬度,座位数,扶手\n甲,121.44,31.22,3,是\n乙,121.441,31.221,2,否\n",
        _accept_generated_ids,
        "座椅点位.csv: no id column (accepted headers: id, 编号",
        {"crs": "gcj02"},
    ),
    Accepted(
        "seats_fullwidth.csv",
        "ｉｄ,ＳＥＡＴＳ,ｌｏｎ,ｌａｔ\nA,2,121.44,31.22\n",
        _accept_fullwidth,
    ),
    Accepted(
        "grids_kind_words.geojson",
        _features(
            [
                ({"id": "A", "name": "a", "level": "area", "kind": "居民区"}, mapping(GRID)),
                (
                    {"id": "B", "name": "b", "level": "area", "kind": "商务区"},
                    mapping(box(121.45, 31.22, 121.455, 31.225)),
                ),
                (
                    {"id": "C", "name": "c", "level": "area", "kind": "商务楼宇"},
                    mapping(box(121.46, 31.22, 121.465, 31.225)),
                ),
                (
                    {"id": "D", "name": "d", "level": "area", "kind": "居住区"},
                    mapping(box(121.47, 31.22, 121.475, 31.225)),
                ),
            ]
        ),
        _accept_kinds,
    ),
    Accepted(
        "seats_fullwidth_bool.csv",
        "id,seats,扶手,充电,lon,lat\nA,2,Ｙ,ｎｏ,121.44,31.22\nB,2,ＮＯ,ＹＥＳ,121.45,31.22\n",
        _accept_fullwidth_bool,
    ),
    Accepted(
        "heritage_relic_classes.csv",
        "编号,名称,级别,类别,lon,lat\nH1,a,市级,古建筑,121.44,31.22\n"
        "H2,b,区级,近现代重要史迹及代表性建筑,121.45,31.22\n",
        _accept_released_category,
        "column '类别' was not read as category (optional): its values are not category values "
        "('古建筑', '近现代重要史迹及代表性建筑'); it is kept as an extra column. If it does hold "
        "category, map it explicitly with columns={'类别': 'category'}",
    ),
    Accepted(
        "seats_equal_twins.csv",
        "id,座位数,座位数,lon,lat\nA,2,2,121.44,31.22\nB,3,3,121.45,31.22\n",
        _accept_equal_twins,
    ),
    Accepted(
        "seats_explicit_choice.csv",
        "id,名称,name,seats,lon,lat\nA,甲,A,2,121.44,31.22\n",
        _accept_explicit_choice,
        kwargs={"columns": {"名称": "name"}},
    ),
    Accepted(
        "heritage_suggested_uri.csv",
        "uri,name,level,lon,lat\nhttp://x/1,a,文物保护点,121.44,31.22\nhttp://x/2,b,市级,121.45,31.22\n",
        _accept_uri_list,
        "map a column with columns={'uri': 'id'} ('uri' has a different value on every row)",
    ),
    Accepted(
        "grids_level_words.geojson",
        _features(
            [
                (
                    {"id": "S", "name": "s", "level": "街道"},
                    mapping(box(121.43, 31.21, 121.47, 31.24)),
                ),
                (
                    {"id": "A", "name": "a", "level": "居民区; 商务区", "parent_id": "S"},
                    mapping(GRID),
                ),
            ]
        ),
        _accept_grid_level_words,
    ),
]


@pytest.mark.parametrize("case", ACCEPTED, ids=[c.name for c in ACCEPTED])
def test_hostile_file_is_accepted(tmp_path, case):
    path = tmp_path / case.name
    path.write_text(case.text, encoding="utf-8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = _reader(case.name if "_" in case.name else "seats")(path, **case.kwargs)
    ours = [str(w.message) for w in caught if issubclass(w.category, ColumnWarning)]
    if case.warning is None:
        assert ours == []
    else:
        assert len(ours) == 1 and case.warning in ours[0], ours
    case.check(frame)


# --------------------------------------------------------------------------- several layers
def _demo_paths() -> dict[str, Path]:
    folder = Path(geo.__file__).resolve().parents[1] / "data" / "demo"
    layers = ("grids", "seats", "elderly", "heritage")
    return {layer: folder / f"{layer}.geojson" for layer in layers}


def test_every_layer_is_reported_in_one_run_with_toml_fixes(tmp_path):
    seats = tmp_path / "seats.csv"
    seats.write_text("id,名称,lon,lat\nA,甲,123.0,31.0\n", encoding="utf-8")
    heritage = tmp_path / "relics.csv"
    heritage.write_text("id,name,type,lon,lat\nH1,a,红色旅游景点,123.0,31.0\n", encoding="utf-8")
    elderly = tmp_path / "elderly.csv"
    elderly.write_text("id,name,type,lon,lat\nE1,a,care_home,123.0,31.0\n", encoding="utf-8")
    paths = _demo_paths()
    with pytest.raises(LayerError) as info, hint_style("toml"):
        geo.load_layers(
            grids=paths["grids"],
            seats=seats,
            elderly=geo.LayerInput(elderly, crs="EPSG:99999999"),
            heritage=heritage,
        )
    err = info.value
    assert [s.source for s in err.sections] == ["seats.csv", "elderly.csv", "relics.csv"]
    assert [s.layer for s in err.sections] == ["seats", "elderly", "heritage"]
    message = str(err)
    assert message.startswith("layers: 3 files have problems:\n  seats.csv: 1 problem: ")
    assert 'columns = { "<header>" = "seats" } in [layers.seats]' in message
    assert "elderly.csv: 1 problem: layers.elderly.crs: unknown CRS 'EPSG:99999999'" in message
    assert 'explicitly with columns = { "<header>" = "level" } in [layers.heritage]' in message
    assert "columns={" not in message
    python = err.restyled("python")
    assert "columns={'<header>': 'seats'}" in str(python)
    assert "elderly.csv: 1 problem: crs: unknown CRS" in str(python)


def test_one_bad_layer_keeps_its_own_error_and_python_hints(tmp_path):
    seats = tmp_path / "seats.csv"
    seats.write_text("id,名称,lon,lat\nA,甲,123.0,31.0\n", encoding="utf-8")
    with pytest.raises(LayerError) as info:
        geo.load_layers(**{**_demo_paths(), "seats": seats})
    assert info.value.source == "seats.csv" and info.value.layer == "seats"
    assert info.value.sections == []
    problem = info.value.problems[0]
    assert isinstance(problem, Problem) and "columns={'<header>': 'seats'}" in problem
    assert 'columns = { "<header>" = "seats" } in [layers.seats]' in problem.restyled(
        "toml", layer="seats"
    )


def test_generated_id_warning_uses_the_study_hint_style(tmp_path):
    seats = tmp_path / "benches.csv"
    seats.write_text("名称,经度,纬度,座位数\n甲,123.0,31.0,3\n", encoding="utf-8")
    hint = r'columns = \{ "<header>" = "id" \} in \[layers.seats\]'
    with pytest.warns(ColumnWarning, match=hint), hint_style("toml"):
        layers = geo.load_layers(**{**_demo_paths(), "seats": seats})
    assert layers.seats["id"].tolist() == ["benches-2"]


# --------------------------------------------------------------------------- real data
@pytest.mark.realdata
@pytest.mark.parametrize(
    ("name", "levels"),
    [
        (
            "heritage_immovable_relics_shlib.csv",
            {"protection_point": 474, "municipal": 61, "district": 39, "national": 5},
        ),
        ("heritage_excellent_historic_buildings_shlib.csv", {"historic_building": 434}),
    ],
)
def test_real_shanghai_library_lists_load(jingan_dir, name, levels):
    path = jingan_dir / name
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CoordinateWarning)  # the clip spans several districts
        with pytest.warns(ColumnWarning, match="no id column"):
            bd09 = geo.read_heritage(path, crs="bd09", x="lon_bd09", y="lat_bd09")
        with pytest.warns(ColumnWarning, match="no id column"):
            wgs84 = geo.read_heritage(path, x="lon_wgs84", y="lat_wgs84")
    assert bd09["level"].value_counts().to_dict() == levels
    assert bd09["id"].is_unique and bd09["id"].iloc[0] == f"{path.stem}-2"
    assert bd09["name"].str.len().gt(0).all()  # nameS (简体) is read as the name
    gap = (bd09.geometry.x - wgs84.geometry.x).abs().max() + (
        bd09.geometry.y - wgs84.geometry.y
    ).abs().max()
    assert gap < 1e-5  # our BD-09 conversion agrees with the extract's WGS-84 columns


def test_cli_validate_reports_every_layer_with_toml_fixes(tmp_path):
    """The README's `lifecircle validate` example: three bad layers, one error, exit code 2."""
    from typer.testing import CliRunner

    from lifecircle.cli import app

    demo = Path(geo.__file__).resolve().parents[1] / "data" / "demo"
    (tmp_path / "seats.csv").write_text("id,名称,经度,纬度\nS1,长椅,123.0,31.0\n", encoding="utf-8")
    (tmp_path / "relics.csv").write_text(
        "id,name,type,lon,lat\nH1,某宅,红色旅游景点,123.0,31.0\n", encoding="utf-8"
    )
    study = tmp_path / "study.toml"
    study.write_text(
        f"""[study]
name = "t"
[layers]
grids = "{(demo / "grids.geojson").as_posix()}"
seats = "seats.csv"
elderly = {{ path = "{(demo / "elderly.geojson").as_posix()}", crs = "EPSG:99999999" }}
heritage = "relics.csv"
[network]
source = "{(demo / "network.geojson").as_posix()}"
kind = "lines"
[[targets]]
name = "x"
metric = "coverage"
service = "elderly"
level = "subdistrict"
minimum = 0.9
""",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["validate", str(study)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert lines[0] == "error: layers: 3 files have problems:"
    assert len(lines) == 4 and "Traceback" not in result.output
    assert lines[1].startswith("  seats.csv: 1 problem: missing required column 'seats'")
    assert lines[1].endswith('columns = { "<header>" = "seats" } in [layers.seats]')
    assert lines[2].startswith(
        "  elderly.geojson: 1 problem: layers.elderly.crs: unknown CRS 'EPSG:99999999'"
    )
    assert "  relics.csv: 2 problems: column 'level' has unknown values in 1 row" in lines[3]
    assert lines[3].endswith(
        "but 1 of its 1 values names no level; map it explicitly with "
        'columns = { "<header>" = "level" } in [layers.heritage] naming the column that holds level'
    )
