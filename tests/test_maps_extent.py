"""Maps open on the study grids, draw context layers only near them, and explain every colour."""

from __future__ import annotations

import dataclasses
import html
import io
import json
import re
import warnings

import geopandas as gpd
import numpy as np
import pytest
from PIL import Image
from shapely.geometry import Point, box
from test_maps_fixtures import ORIGIN, UTM, _pt, _sq, make_layers, make_result

from lifecircle.maps import style
from lifecircle.maps.coverage_map import _from_osm, coverage_map
from lifecircle.maps.extent import CONTEXT_MARGIN_M, clip_to_extent, study_extent
from lifecircle.maps.save import map_html
from lifecircle.maps.static import map_png


def _overlays(page: str) -> list[dict]:
    decoder = json.JSONDecoder()
    return [decoder.raw_decode(page, m.end())[0] for m in re.finditer(r"L\.geoJSON\(", page)]


def _fit_bounds(page: str) -> list[list[float]]:
    return json.loads(re.search(r"L\.latLngBounds\((\[\[.*?\]\])\)", page).group(1))


def _far_context(layers):
    """The fixture's layers plus a city-wide heritage list and a huge conservation area."""
    heritage = gpd.GeoDataFrame(
        {
            "id": ["far1", "far2"],
            "name": ["远处古建", "边上古建"],
            "level": ["national", "district"],
            "category": [None, None],
        },
        geometry=[_pt(20_000, 15_000), _pt(1000 + CONTEXT_MARGIN_M / 2, 500)],
        crs=UTM,
    ).to_crs(4326)
    conservation = gpd.GeoDataFrame(
        {"id": ["huge"], "name": ["大风貌区"]}, geometry=[_sq(-5000, -5000, 800, 800)], crs=UTM
    ).to_crs(4326)
    return dataclasses.replace(
        layers,
        heritage=gpd.GeoDataFrame(
            gpd.pd.concat([layers.heritage, heritage], ignore_index=True), crs=4326
        ),
        conservation=conservation,
    )


def test_clip_keeps_only_features_near_the_extent():
    extent = gpd.GeoSeries([_sq(0, 0, 1000, 1000)], crs=UTM)
    frame = gpd.GeoDataFrame(
        {"id": ["in", "edge", "far", "big"]},
        geometry=[_pt(500, 500), _pt(1000 + CONTEXT_MARGIN_M - 20, 500), _pt(5000, 5000),
                  _sq(-3000, -3000, 3000, 3000)],
        crs=UTM,
    )  # fmt: skip
    kept = clip_to_extent(frame, extent)
    assert list(kept["id"]) == ["in", "edge", "big"]
    big = kept.loc[kept["id"] == "big"].geometry.iloc[0]
    x0, _, x1, _ = (v - ORIGIN[i % 2] for i, v in enumerate(big.bounds))
    assert x1 <= 1000 + CONTEXT_MARGIN_M + 1 and x0 >= -CONTEXT_MARGIN_M - 1
    assert clip_to_extent(frame.iloc[[2]], extent) is None
    assert clip_to_extent(frame, None) is frame
    assert clip_to_extent(None, extent) is None


def test_extent_is_the_grids_unless_a_boundary_is_given(map_layers):
    grids_only = study_extent(map_layers, map_layers.grids)
    assert grids_only.to_crs(UTM).area.iloc[0] == pytest.approx(1_000_000, rel=1e-3)
    boundary = gpd.GeoDataFrame(geometry=[_sq(0, 0, 300, 300)], crs=UTM).to_crs(4326)
    with_boundary = study_extent(
        type("L", (), {"boundary": boundary})(), map_layers.grids
    )  # a layers object carrying a boundary
    assert with_boundary.to_crs(UTM).area.iloc[0] == pytest.approx(90_000, rel=1e-3)
    assert study_extent(None, None) is None


def test_map_opens_on_the_grids_and_leaves_far_context_out(map_layers):
    layers = _far_context(map_layers)
    page = map_html(coverage_map(layers, make_result(layers)))
    (south, west), (north, east) = _fit_bounds(page)
    w, s, e, n = map_layers.grids.total_bounds
    assert (south, west, north, east) == pytest.approx((s, w, n, e), abs=1e-9)
    names = json.dumps(_overlays(page), ensure_ascii=False)
    assert "\\u8fdc\\u5904" not in names and "远处古建" not in names  # 20 km away: left out
    assert "边上古建" in names or "\\u8fb9\\u4e0a" in names  # within the margin: kept
    huge = next(o for o in _overlays(page) if "大风貌区" in json.dumps(o, ensure_ascii=False))
    xs = [x for ring in huge["features"][0]["geometry"]["coordinates"] for x, _ in ring]
    assert min(xs) > w - 0.01  # cut to the margin, not 5 km west


@pytest.mark.slow
def test_static_png_is_framed_on_the_grids(map_layers):
    """A far heritage site must not shrink the grids to a dot on the printed page."""

    def coloured_share(png: bytes) -> float:
        with Image.open(io.BytesIO(png)) as im:
            rgb = np.asarray(im.convert("RGB")).astype(int)
        blend = [
            [round(0.85 * int(c.colour[i : i + 2], 16) + 0.15 * 255) for i in (1, 3, 5)]
            for c in style.COVERAGE_CLASSES
        ]
        hits = np.zeros(rgb.shape[:2], bool)
        for colour in blend:
            hits |= (np.abs(rgb - colour) <= 12).all(axis=2)
        return float(hits.mean())

    plain = coloured_share(map_png(map_layers, make_result(map_layers), lang="en", dpi=60))
    layers = _far_context(map_layers)
    far = coloured_share(map_png(layers, make_result(layers), lang="en", dpi=60))
    assert plain > 0.08 and far > 0.7 * plain


def _leaf_demo():
    """The fixture with a leaf area (no micro-grids), like a commercial zone."""
    layers = make_layers()
    grids = layers.grids.copy()
    extra = gpd.GeoDataFrame(
        {"id": ["C1"], "name": ["商务区"], "level": ["area"], "parent_id": ["S"],
         "kind": ["commercial"], "population": [80.0]},
        geometry=[_sq(1000, 0, 1300, 500)],
        crs=UTM,
    ).to_crs(4326)  # fmt: skip
    grids = gpd.GeoDataFrame(gpd.pd.concat([grids, extra], ignore_index=True), crs=4326)
    grids.loc[grids["id"] == "S", "geometry"] = (
        gpd.GeoSeries([_sq(0, 0, 1300, 1000)], crs=UTM).to_crs(4326).iloc[0]
    )
    layers = dataclasses.replace(layers, grids=grids)
    result = make_result(layers)
    result.grids["is_leaf"] = ~result.grids["id"].isin(["S", "A_w", "A_e"])
    result.grids.loc[result.grids["id"] == "C1", "share_elderly"] = 0.55
    return layers, result


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_leaf_grid_is_coloured_and_every_colour_is_in_the_legend(lang):
    layers, result = _leaf_demo()
    page = map_html(coverage_map(layers, result, lang=lang))
    coverage = _overlays(page)[0]
    leaves = result.grids[result.grids["is_leaf"]]
    assert len(coverage["features"]) == len(leaves) == 5
    fills = {f["properties"]["_style"]["fillColor"] for f in coverage["features"]}
    legend = re.search(r'"lc-legend".*?innerHTML = (".*?");\n', page, re.S).group(1)
    legend = json.loads(legend)
    for colour in fills:
        assert f"background:{colour}" in legend, colour
    assert style.COVERAGE_CLASSES[1].colour in fills  # the commercial zone, 55 %


@pytest.mark.slow
def test_static_png_colours_leaf_areas():
    layers, result = _leaf_demo()
    png = map_png(layers, result, lang="en", dpi=60)
    orange = [round(0.85 * int("fdae61"[i : i + 2], 16) + 0.15 * 255) for i in (0, 2, 4)]
    with Image.open(io.BytesIO(png)) as im:
        rgb = np.asarray(im.convert("RGB")).astype(int)
    assert (np.abs(rgb - orange) <= 12).all(axis=2).sum() > 200


@pytest.mark.slow
@pytest.mark.parametrize("title", ["<script>x</script>", "{{ 7*7 }} & 'q'", "静安寺 15 分钟"])
def test_map_file_has_an_escaped_title(map_layers, map_result, title):
    page = map_html(coverage_map(map_layers, map_result, title=title))
    found = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    assert html.unescape(found) == title
    assert "<script>x" not in found and "{{" not in found
    default = map_html(coverage_map(map_layers, map_result, lang="en"))
    assert "<title>15-minute life circle: walking access to elderly services</title>" in default


def _attribution(page: str) -> str | None:
    found = re.search(r"addAttribution\((\".*?\")\)", page)
    return json.loads(found.group(1)) if found else None


@pytest.mark.slow
def test_osm_attribution_only_for_osm_data(map_layers, map_result):
    assert _attribution(map_html(coverage_map(map_layers, map_result, lang="en"))) is None
    seats = map_layers.seats.assign(osm_id=[f"node/{i}" for i in range(len(map_layers.seats))])
    from_osm = dataclasses.replace(map_layers, seats=seats)
    page = map_html(coverage_map(from_osm, map_result, lang="zh"))
    assert _attribution(page) == "© OpenStreetMap 贡献者"
    page = map_html(coverage_map(map_layers, map_result, lang="en", osm_data=True))
    assert _attribution(page) == "© OpenStreetMap contributors"
    assert _attribution(map_html(coverage_map(from_osm, map_result, osm_data=False))) is None
    pbf = type("N", (), {"source": "/data/shanghai.osm.pbf"})()
    lines = type("N", (), {"source": "/data/footpaths.gpkg"})()
    assert _from_osm(map_layers, pbf) and not _from_osm(map_layers, lines)


def test_phone_layout_hooks_are_present(map_layers, map_result):
    page = map_html(coverage_map(map_layers, map_result))
    assert "collapsed: (window.innerWidth || 1000) < 700" in page
    assert "<details open><summary" in page.replace("\\u003c", "<").replace("\\u003e", ">")
    assert "@media (max-width: 699px)" in page
    assert not re.search(r"map_[0-9a-f]+\.fitBounds\(", page)  # no fixed-padding folium fit


def test_point_only_grids_still_fit(map_layers, map_result):
    """A degenerate extent (one point) gives finite bounds, never NaN."""
    grids = gpd.GeoDataFrame(
        {"id": ["g"], "name": ["g"], "level": ["microgrid"], "parent_id": [None],
         "kind": ["residential"], "population": [1.0]},
        geometry=[Point(121.45, 31.22).buffer(1e-9)], crs=4326,
    )  # fmt: skip
    layers = dataclasses.replace(map_layers, grids=grids)
    page = map_html(coverage_map(layers))
    bounds = np.array(_fit_bounds(page))
    assert np.isfinite(bounds).all()
    assert box(*study_extent(layers, grids).total_bounds).area < 1e-12


def test_a_given_boundary_is_the_extent(map_layers, map_result):
    area = gpd.GeoSeries([_sq(0, 0, 400, 300)], crs=UTM).to_crs(4326)
    for extent in (area, area.iloc[0], gpd.GeoDataFrame(geometry=area)):
        page = map_html(coverage_map(map_layers, map_result, extent=extent))
        (south, west), (north, east) = _fit_bounds(page)
        w, s, e, n = area.total_bounds
        assert (south, west, north, east) == pytest.approx((s, w, n, e), abs=1e-9)


@pytest.mark.slow
def test_cli_map_opens_on_the_study_boundary(tmp_path):
    from typer.testing import CliRunner

    from lifecircle.cli import app
    from lifecircle.data import demo_path
    from lifecircle.errors import LifecircleWarning
    from lifecircle.study import demo_study_path

    folder = demo_path("grids.geojson").parent.as_posix()
    text = demo_study_path().read_text(encoding="utf-8").replace('"demo/', f'"{folder}/')
    grids = gpd.read_file(demo_path("grids.geojson"))
    w, s, e, n = grids.total_bounds
    pad = 0.004  # a boundary larger than the grids (one that cuts them off warns)
    area = box(w - pad, s - pad, e + pad, n + pad)
    gpd.GeoDataFrame(geometry=[area], crs=4326).to_file(tmp_path / "area.geojson")
    text = text.replace("synthetic = true", 'synthetic = true\nboundary = "area.geojson"', 1)
    (tmp_path / "study.toml").write_text(text, encoding="utf-8")
    out = tmp_path / "map.html"
    # the corner leaves three quarters of the grids outside the boundary: a LifecircleWarning
    with warnings.catch_warnings():  # (shown once per process, so not asserted on)
        warnings.simplefilter("ignore", LifecircleWarning)
        result = CliRunner().invoke(app, ["map", str(tmp_path / "study.toml"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    (south, west), (north, east) = _fit_bounds(out.read_text(encoding="utf-8"))
    expected = (s - pad, w - pad, n + pad, e + pad)
    assert (south, west, north, east) == pytest.approx(expected, abs=1e-6)
