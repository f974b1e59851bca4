"""Odd and hostile inputs for the map and the report: they render, escaped, readable."""

from __future__ import annotations

import dataclasses
import html
import json
import math
import re

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Polygon
from test_maps_fixtures import UTM, make_layers, make_result, make_suggestions

from lifecircle.maps.assets import leaflet_js
from lifecircle.maps.coverage_map import coverage_map
from lifecircle.maps.headline import TargetHeadline, WorstGrid
from lifecircle.maps.report import report_html
from lifecircle.maps.save import map_html


def _text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def _targets(page: str) -> str:
    return _text(page.split('id="target-table"')[1].split("</table>")[0])


def test_result_without_weights_still_reports(map_layers):
    result = make_result(map_layers)
    result = dataclasses.replace(result, grids=result.grids.drop(columns="weight"))
    page = report_html(map_layers, result, lang="en", static_map=False)
    assert "0 of 0 residents" in _text(page) and "Traceback" not in page


def test_suggestions_without_a_crs_are_read_as_lon_lat(map_layers, map_result):
    sugg = make_suggestions()
    naive = sugg.set_crs(None, allow_override=True)
    page = report_html(map_layers, map_result, suggestions=naive, lang="en", static_map=False)
    table = page.split('id="suggestion-table"')[1].split("</table>")[0]
    lon, lat = sugg.geometry.iloc[0].x, sugg.geometry.iloc[0].y
    assert f"{lon:.5f}, {lat:.5f}" in table


@pytest.mark.slow
def test_invalid_empty_and_missing_grid_geometries(map_layers):
    grids = map_layers.grids.copy()
    w, s, e, n = grids.total_bounds
    bowtie = Polygon([(w, s), (e, n), (e, s), (w, n), (w, s)])  # self-intersecting
    grids.loc[grids["id"] == "g_nw", "geometry"] = bowtie
    grids.loc[grids["id"] == "g_ne", "geometry"] = None
    grids.loc[grids["id"] == "g_sw", "geometry"] = Polygon()
    layers = dataclasses.replace(map_layers, grids=grids)
    result = make_result(layers)
    page = map_html(coverage_map(layers, result))
    bounds = re.search(r"L\.latLngBounds\((\[\[.*?\]\])\)", page).group(1)
    assert "NaN" not in bounds and "null" not in bounds
    report = report_html(layers, result, static_map=True)
    assert 'id="grid-table"' in report


def test_no_grid_geometry_at_all_gives_a_map_without_fit(map_layers):
    grids = map_layers.grids.copy()
    grids["geometry"] = None
    layers = dataclasses.replace(map_layers, grids=gpd.GeoDataFrame(grids, crs=4326))
    page = map_html(coverage_map(layers))
    assert "L.latLngBounds(" not in page  # nothing to fit: the map still opens


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_unbreakable_names_do_not_widen_the_page(map_layers, lang):
    """Long names without spaces wrap (checked for CSS here; in Chromium by the phone tests)."""
    long = "网" * 300 + "x" * 300
    layers = dataclasses.replace(map_layers, name=long)
    page = report_html(layers, make_result(layers), lang=lang, title=long, static_map=False)
    assert "overflow-wrap: break-word" in page
    assert page.count(long) >= 2  # title and area, never truncated


def test_target_with_no_measurable_grid(map_layers, map_result):
    row = TargetHeadline(
        id="T1", name_zh="无人网格", name_en="empty scope", metric="coverage",
        level="microgrid", kind="commercial", grid_ids=(), required=0.9, achieved=math.nan,
        met=False, grids_met=0, grids_evaluated=0, grids_skipped=4, worst=(), grids_failed=0,
    )  # fmt: skip
    page = _targets(report_html(map_layers, map_result, lang="en", targets=[row], static_map=False))
    assert "missed" in page and "0 of 0 grids meet it" in page
    assert "4 grids with nothing to measure left out" in page and "nan" not in page.lower()


def test_many_failed_grids_are_summarised(map_layers, map_result):
    worst = tuple(WorstGrid(f"g{i}", f"网格{i}", i / 100) for i in range(3))
    row = TargetHeadline(
        id="T2", name_zh="目标", name_en="target", metric="rest_gap", level="all", kind=None,
        grid_ids=(), required=0.5, achieved=0.0, met=False, grids_met=1, grids_evaluated=41,
        grids_skipped=0, worst=worst, grids_failed=40,
    )  # fmt: skip
    zh = _targets(report_html(map_layers, map_result, lang="zh", targets=(row,), static_map=False))
    assert "网格0 (g0) 0.0%；网格1 (g1) 1.0%；网格2 (g2) 2.0%；另有 37 个" in zh
    assert "1/41 个网格达标" in zh


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    ["{{ 7*7 }}", "{% raw %}", "<!-- x -->", "${alert(1)}", "`x`", "\u202eevil", "a\nb\tc", ""],
)
def test_odd_grid_names_are_escaped_everywhere(map_layers, name):
    grids = map_layers.grids.copy()
    grids.loc[grids["id"] == "g_nw", "name"] = name
    layers = dataclasses.replace(map_layers, grids=grids)
    result = make_result(layers)
    page = report_html(layers, result, lang="en", static_map=False)
    table = page.split('id="grid-table"')[1].split("</table>")[0]
    cells = [html.unescape(c) for c in re.findall(r"<tr><td>(.*?)</td>", table, re.S)]
    assert name in cells  # shown as written: not evaluated, not dropped
    assert "<!-- x -->" not in page
    rendered = map_html(coverage_map(layers, result))
    for opener in ("{{", "{%", "<!--"):
        if opener in name:
            assert opener not in rendered.replace(leaflet_js(), "")


def test_far_away_suggestions_and_seats_do_not_move_the_view(map_layers, map_result):
    sugg = make_suggestions().to_crs(UTM)
    sugg.geometry = sugg.geometry.translate(50_000, 0)
    page = map_html(coverage_map(map_layers, map_result, suggestions=sugg.to_crs(4326)))
    found = re.search(r"L\.latLngBounds\((\[\[.*?\]\])\)", page).group(1)
    (south, west), (north, east) = np.array(json.loads(found))
    w, s, e, n = map_layers.grids.total_bounds
    assert (south, west, north, east) == pytest.approx((s, w, n, e), abs=1e-9)


@pytest.mark.slow
def test_report_for_a_map_without_heritage_or_conservation(map_result):
    full = make_layers()
    layers = dataclasses.replace(
        full, heritage=full.heritage.iloc[0:0], conservation=full.conservation.iloc[0:0]
    )
    page = report_html(layers, make_result(layers), lang="zh", static_map=True)
    assert "历史文化风貌区" not in page.split('id="map"')[0]
    assert "data:image/png;base64," in page
