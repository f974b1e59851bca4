"""validate_layer / match_columns on hand-built frames."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, Point, Polygon, box

from lifecircle.errors import GeometryWarning, LayerError
from lifecircle.geo.schema import ELDERLY_TYPES, HERITAGE_LEVELS, find_category
from lifecircle.geo.validate import match_columns, normalise_header, validate_layer


def _seats(**columns) -> gpd.GeoDataFrame:
    n = len(next(iter(columns.values())))
    geoms = [Point(121.44 + i * 1e-4, 31.22) for i in range(n)]
    return gpd.GeoDataFrame(columns, geometry=geoms, crs=4326)


def test_normalise_header():
    assert normalise_header(" Seat_Count ") == normalise_header("seat-count") == "seatcount"
    assert normalise_header("\ufeff编号") == "编号"


def test_match_columns_prefers_canonical_then_alias_order():
    mapping, problems = match_columns(["编号", "ID", "名称", "座位数", "x"], "seats")
    assert mapping == {"ID": "id", "名称": "name", "座位数": "seats"}
    assert problems == []


def test_match_columns_explicit_mapping_wins_and_reports_typos():
    mapping, problems = match_columns(
        ["uid", "id", "n"], "seats", columns={"uid": "id", "nn": "seats", "n": "seatz"}
    )
    assert mapping["uid"] == "id" and "id" not in mapping
    assert any("'nn', which is not in the source" in p for p in problems)
    assert any("'seatz', which is not a column of the seats layer" in p for p in problems)


def test_canonical_output_types_and_order():
    frame = _seats(extra=["a", "b"], seats=[2.0, "3"], id=[1, 2], armrest=["有", "无"])
    got = validate_layer(frame, "seats")
    assert list(got.columns) == ["id", "name", "seats", "armrest", "charging", "extra", "geometry"]
    assert got["id"].tolist() == ["1", "2"]
    assert got["seats"].dtype == np.int64 and got["seats"].tolist() == [2, 3]
    assert got["armrest"].dtype == bool and got["armrest"].tolist() == [True, False]
    assert got["charging"].tolist() == [False, False]
    assert got["name"].tolist() == [None, None]


def test_frame_not_modified():
    frame = _seats(id=["a"], seats=["2"])
    copy = frame.copy()
    validate_layer(frame, "seats", crs="gcj02")
    pd.testing.assert_frame_equal(frame, copy)


def test_non_integer_seat_counts_rejected():
    with pytest.raises(LayerError, match=r"'2\.5' at id 'a' \(feature 1\)"):
        validate_layer(_seats(id=["a"], seats=["2.5"]), "seats")


def test_negative_population_rejected_and_blank_population_is_nan():
    grid = gpd.GeoDataFrame(
        {"id": ["S", "T"], "name": ["s", "t"], "level": ["街道", "街道"], "population": [-1, None]},
        geometry=[box(0, 0, 1, 1), box(2, 0, 3, 1)],
        crs=4326,
    )
    with pytest.raises(LayerError, match=r"column 'population' has out-of-range values .*-1"):
        validate_layer(grid, "grids")
    grid["population"] = [5, None]
    got = validate_layer(grid, "grids")
    assert got["population"].tolist()[0] == 5 and np.isnan(got["population"].tolist()[1])


@pytest.mark.parametrize("value", ["日托", "Day-care centre", " DAY CARE ", "day_care"])
def test_category_synonyms(value):
    frame = gpd.GeoDataFrame(
        {"id": ["e"], "name": ["n"], "type": [value]}, geometry=[Point(121.44, 31.22)], crs=4326
    )
    assert validate_layer(frame, "elderly")["type"].tolist() == ["day_care"]


@settings(max_examples=50, deadline=None, derandomize=True)
@given(st.sampled_from(ELDERLY_TYPES + HERITAGE_LEVELS), st.sampled_from(["code", "en", "zh"]))
def test_every_label_maps_back_to_its_code(cat, field):
    vocabulary = ELDERLY_TYPES if cat in ELDERLY_TYPES else HERITAGE_LEVELS
    assert find_category(vocabulary, getattr(cat, field).upper()) == cat


@settings(max_examples=25, deadline=None, derandomize=True)
@given(st.permutations(range(6)))
def test_row_order_does_not_change_rows(order):
    frame = _seats(
        id=[f"s{i}" for i in range(6)],
        seats=[str(i + 1) for i in range(6)],
        armrest=["是", "否", "Y", "N", "1", "0"],
    )
    shuffled = frame.iloc[list(order)].reset_index(drop=True)
    a = validate_layer(frame, "seats").set_index("id").sort_index()
    b = validate_layer(shuffled, "seats").set_index("id").sort_index()
    pd.testing.assert_frame_equal(a, b)


def test_projected_frame_without_crs_is_a_layer_problem():
    frame = gpd.GeoDataFrame({"id": ["a"], "seats": [2]}, geometry=[Point(354000, 3455000)])
    with pytest.raises(LayerError, match=r"<DataFrame>: 1 problem: .*look projected"):
        validate_layer(frame, "seats")


def test_projected_frame_with_crs_is_converted():
    frame = gpd.GeoDataFrame(
        {"id": ["a"], "seats": [2]}, geometry=[Point(121.44, 31.22)], crs=4326
    ).to_crs(3857)
    got = validate_layer(frame, "seats")
    assert got.geometry.x.iloc[0] == pytest.approx(121.44, abs=1e-9)


def test_repair_accepts_small_change_and_warns():
    # a ring that touches itself at one point (valid as two polygons, area unchanged)
    ring = Polygon([(0, 0), (2, 0), (2, 2), (1, 2), (1.5, 1), (0.5, 1), (1, 2), (0, 2)])
    assert not ring.is_valid
    frame = gpd.GeoDataFrame({"id": ["K"], "name": ["k"]}, geometry=[ring], crs=4326)
    with pytest.warns(GeometryWarning, match="area changed by"):
        got = validate_layer(frame, "conservation")
    assert got.geometry.iloc[0].is_valid
    assert got.geometry.iloc[0].area == pytest.approx(ring.area)


def test_repair_rejects_bowtie():
    bowtie = Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    frame = gpd.GeoDataFrame({"id": ["K"], "name": ["k"]}, geometry=[bowtie], crs=4326)
    with pytest.raises(LayerError, match="cannot be repaired safely"):
        validate_layer(frame, "conservation")


def test_multipolygons_and_z_are_accepted():
    shape = MultiPolygon([box(0, 0, 1, 1), box(2, 2, 3, 3)])
    frame = gpd.GeoDataFrame(
        {"id": ["K"], "name": ["k"]},
        geometry=[
            Polygon([(0, 0, 5), (1, 0, 5), (1, 1, 5)]),
        ],
        crs=4326,
    )
    assert not validate_layer(frame, "conservation").geometry.iloc[0].has_z
    frame = gpd.GeoDataFrame({"id": ["K"], "name": ["k"]}, geometry=[shape], crs=4326)
    assert validate_layer(frame, "conservation").geom_type.tolist() == ["MultiPolygon"]


def test_unknown_layer_and_wrong_type():
    with pytest.raises(ValueError, match="unknown layer 'benches'"):
        validate_layer(_seats(id=["a"], seats=[1]), "benches")
    with pytest.raises(TypeError, match="GeoDataFrame"):
        validate_layer(pd.DataFrame({"id": ["a"]}), "seats")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- schema additions
def test_normalise_header_folds_full_width_forms():
    assert normalise_header("ｌｏｎ") == normalise_header("LON") == "lon"
    assert normalise_header("座位数　") == "座位数"  # ideographic space


def test_match_category_takes_the_highest_level_named():
    from lifecircle.geo.schema import GRID_KINDS, match_category

    cell = "上海市不可移动文物名录; 上海市文物保护单位; 红色旅游景点"
    cat, named = match_category(HERITAGE_LEVELS, cell, ranked=True)
    assert cat is not None and cat.code == "municipal" and [c.code for c in named] == ["municipal"]
    cat, named = match_category(HERITAGE_LEVELS, "文物保护点，全国重点文物保护单位", ranked=True)
    assert cat is not None and cat.code == "national"
    assert [c.code for c in named] == ["national", "protection_point"]
    cat, named = match_category(GRID_KINDS, "居民区、商务楼宇")  # unranked: ambiguous
    assert cat is None and [c.code for c in named] == ["residential", "commercial"]
    assert match_category(HERITAGE_LEVELS, "红色旅游景点", ranked=True) == (None, [])
    assert match_category(ELDERLY_TYPES, "长者照护之家") == (ELDERLY_TYPES[1], [ELDERLY_TYPES[1]])


@pytest.mark.parametrize(
    "header", ["type", "类型", 'a"b', "a\\b", "with space", "x.1", "<header>", "ｌｏｎ"]
)
def test_fix_renders_valid_toml_and_python(header):
    import ast
    import tomllib

    from lifecircle.errors import Fix

    fix = Fix((("columns", {header: "level"}), ("crs", "gcj02"), ("x", "经度")))
    parsed = tomllib.loads("t = { " + fix.render("toml") + " }")["t"]  # as in a layer's table
    assert parsed == {"columns": {header: "level"}, "crs": "gcj02", "x": "经度"}
    call = ast.parse(f"f({fix.render('python')})", mode="eval").body
    assert isinstance(call, ast.Call)
    assert {k.arg: ast.literal_eval(k.value) for k in call.keywords} == dict(fix.settings)
    assert fix.render("toml", table="layers.heritage").endswith(" in [layers.heritage]")


def test_problem_is_text_and_restyles():
    from lifecircle.errors import Fix, LayerError, Problem, hint_style

    problem = Problem("map it with ", Fix((("columns", {"类型": "level"}),)), ".")
    assert problem == "map it with columns={'类型': 'level'}."
    toml = problem.restyled("toml", layer="heritage")
    assert toml == 'map it with columns = { "类型" = "level" } in [layers.heritage].'
    with hint_style("toml", "seats"):
        keyed = Problem("unknown CRS 'x'", key="crs")
    assert keyed == "layers.seats.crs: unknown CRS 'x'"
    assert keyed.restyled("python") == "crs: unknown CRS 'x'"
    err = LayerError("a.csv", [problem, "plain"], layer="heritage")
    assert str(err.restyled("toml")) == (
        'a.csv: 2 problems: map it with columns = { "类型" = "level" } in [layers.heritage].; plain'
    )
    with pytest.raises(ValueError, match="hint style"), hint_style("yaml"):  # type: ignore[arg-type]
        pass
