"""Rendered-HTML tests of the coverage map and its offline saving."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from test_maps_fixtures import make_layers, make_suggestions

from lifecircle.geo.crs import wgs84_to_gcj02
from lifecircle.maps import save as save_mod
from lifecircle.maps.assets import leaflet_css, leaflet_js
from lifecircle.maps.coverage_map import coverage_map
from lifecircle.maps.save import external_urls, map_html, save_map
from lifecircle.maps.style import coverage_class_index, seat_radius_px, svg_symbol


def _overlay_data(page: str) -> list[dict]:
    """Every FeatureCollection embedded in the page, in order."""
    decoder = json.JSONDecoder()
    starts = [m.end() for m in re.finditer(r"L\.geoJSON\(", page)]
    return [decoder.raw_decode(page, i)[0] for i in starts]


def _layer_names(page: str) -> list[str]:
    block = re.search(r"overlays :  \{(.*?)\},\s*\};", page, re.S).group(1)
    return [json.loads(k) for k in re.findall(r"(\"(?:[^\"\\]|\\.)*\") :", block)]


@pytest.mark.parametrize(
    ("shares", "expected"),
    [
        ([0.0, 0.4999, 0.5, 0.7999, 0.8, 0.9499, 0.95, 1.0], [0, 0, 1, 1, 2, 2, 3, 3]),
        ([np.nan, 0.94999999999, 0.3], [-1, 3, 0]),
    ],
)
def test_coverage_classes_follow_documented_boundaries(shares, expected):
    assert coverage_class_index(shares).tolist() == expected


def test_seat_radius_grows_with_count_and_is_bounded():
    radii = seat_radius_px([1, 4, 16, 10_000, np.nan])
    assert list(radii[:3]) == sorted(radii[:3]) and radii[0] < radii[2]
    assert radii.min() >= 3 and radii.max() <= 12


def test_svg_symbol_rejects_unknown_shape():
    assert svg_symbol("star", "#000").startswith("<svg")
    with pytest.raises(ValueError, match="unknown symbol shape"):
        svg_symbol("blob", "#000")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_layer_is_in_the_layer_control(map_layers, map_result, lang):
    page = map_html(coverage_map(map_layers, map_result, lang=lang, suggestions=make_suggestions()))
    names = _layer_names(page)
    expected = {
        "zh": [
            "网格覆盖率：为老服务设施",
            "街道与居民区边界",
            "历史文化风貌区",
            "历史文化遗产",
            "15分钟步行范围：为老服务设施",
            "15分钟步行范围：照护设施",
            "15分钟步行范围：助浴点",
            "公共座椅",
            "为老服务设施",
            "建议新增座椅",
        ],
        "en": [
            "Grid coverage: elderly services",
            "Subdistrict and area boundaries",
            "Historic conservation areas",
            "Heritage",
            "15-min walk area: elderly services",
            "15-min walk area: care facilities",
            "15-min walk area: assisted bathing",
            "Public seats",
            "Elderly services",
            "Suggested new seats",
        ],
    }[lang]
    assert names == expected
    # feature counts: 4 micro-grids, 3 outlines, 1 area, 3 heritage, 3 isochrones, seats...
    counts = [len(fc["features"]) for fc in _overlay_data(page)]
    assert counts == [4, 3, 1, 3, 1, 1, 1, 6, 7, 3]


def test_grid_colours_follow_shares(map_layers, map_result):
    page = map_html(coverage_map(map_layers, map_result, service="elderly"))
    grids = _overlay_data(page)[0]["features"]
    fills = [f["properties"]["_style"]["fillColor"] for f in grids]
    # nw 0.30, ne 0.60, sw 0.90, se 1.00 (order of the fixture)
    assert fills == ["#d7191c", "#fdae61", "#abd9e9", "#2c7bb6"]
    bathing = _overlay_data(map_html(coverage_map(map_layers, map_result, service="bathing")))[0]
    assert bathing["features"][3]["properties"]["_style"]["fillColor"] == "#d9d9d9"  # NaN


def test_labels_legend_and_metadata_in_both_languages(map_layers, map_result):
    zh = map_html(coverage_map(map_layers, map_result, lang="zh"))
    en = map_html(coverage_map(map_layers, map_result, lang="en"))
    for needle in [
        "图例",
        "低于50%",
        "95%及以上",
        "1.00 米/秒",
        "合成演示数据",
        "乐龄生活馆",
        "上海市文物保护单位",
        "可达比例",
    ]:
        assert needle in zh or json.dumps(needle)[1:-1] in zh, needle
    for needle in [
        "Legend",
        "below 50%",
        "95% or more",
        "1.00 m/s (about 3.6 km/h)",
        "Synthetic demo data",
        "Elderly life centre",
        "Share within reach",
    ]:
        assert needle in en, needle
    assert "图例" not in en and "Legend" not in zh
    assert "charset=UTF-8" in zh and "Noto Sans CJK SC" in zh
    assert "L.control.scale" in zh


def test_map_without_result_draws_plain_grids(map_layers):
    page = map_html(coverage_map(map_layers, lang="en"))
    assert _layer_names(page)[0] == "Grids"
    assert "Grid coverage" not in page


def test_unknown_service_and_bad_options_raise(map_layers, map_result):
    with pytest.raises(ValueError, match="'library' is not in the coverage result"):
        coverage_map(map_layers, map_result, service="library")
    with pytest.raises(ValueError, match="lang must be"):
        coverage_map(map_layers, map_result, lang="fr")
    with pytest.raises(ValueError, match="basemap must be"):
        coverage_map(map_layers, map_result, basemap="google")
    with pytest.raises(ValueError, match="tianditu_key"):
        coverage_map(map_layers, map_result, basemap="tianditu")
    with pytest.raises(ValueError, match="rank"):
        coverage_map(map_layers, map_result, suggestions=make_suggestions().drop(columns="rank"))


def test_self_contained_map_loads_nothing_from_the_internet(map_layers, map_result, tmp_path):
    path = save_map(
        coverage_map(map_layers, map_result, suggestions=make_suggestions()), tmp_path / "map.html"
    )
    page = path.read_text(encoding="utf-8")
    assert external_urls(page) == []
    assert not re.search(
        r"(src|href)\s*=\s*[\"']?(https?:)?//", page.replace('href="https://leafletjs.com"', "")
    )
    for cdn in ("cdn.jsdelivr", "cdnjs", "code.jquery", "bootstrapcdn", "unpkg"):
        assert cdn not in page
    assert "L.map(" in page and "window.L=" in page.replace(" ", "")  # Leaflet inlined
    assert "sourceMappingURL" not in page
    assert path.stat().st_size < 1_000_000
    own = page.replace(leaflet_js(), "").replace(leaflet_css(), "")
    assert set(re.findall(r"https?://[^\"'\s\\]+", own)) == {"http://www.w3.org/2000/svg"}


def test_plain_folium_map_is_made_offline(tmp_path):
    import folium

    m = folium.Map(location=[31.22, 121.45], tiles=None)
    folium.CircleMarker([31.22, 121.45], radius=5).add_to(m)
    page = save_map(m, tmp_path / "plain.html").read_text(encoding="utf-8")
    assert external_urls(page) == []


def test_self_contained_refuses_maps_with_cdn_plugins(tmp_path):
    import folium
    from folium.plugins import MarkerCluster

    m = folium.Map(location=[31.22, 121.45], tiles=None)
    MarkerCluster().add_to(m)
    with pytest.raises(ValueError, match="internet"):
        save_map(m, tmp_path / "cluster.html")
    assert list(tmp_path.iterdir()) == []
    save_map(m, tmp_path / "online.html", self_contained=False)
    assert external_urls((tmp_path / "online.html").read_text(encoding="utf-8"))


@pytest.mark.parametrize("basemap", ["osm", "tianditu", "amap"])
def test_online_basemap_is_the_only_remote_url(map_layers, map_result, basemap):
    page = map_html(coverage_map(map_layers, map_result, basemap=basemap, tianditu_key="KEY"))
    assert external_urls(page) == []
    page = page.replace(leaflet_js(), "").replace(leaflet_css(), "")
    urls = set(re.findall(r"https?://[^\"'\s\\]+", page)) - {"http://www.w3.org/2000/svg"}
    hosts = {re.match(r"https://([^/]+)/", u).group(1) for u in urls}
    expected = {
        "osm": {"tile.openstreetmap.org", "www.openstreetmap.org"},
        "tianditu": {"t{s}.tianditu.gov.cn"},
        "amap": {"webrd0{s}.is.autonavi.com"},
    }[basemap]
    assert hosts == expected


def test_amap_shifts_every_geometry_to_gcj02(map_layers, map_result):
    plain = _overlay_data(map_html(coverage_map(map_layers, map_result, network=None)))
    shifted = _overlay_data(map_html(coverage_map(map_layers, map_result, basemap="gaode")))
    assert len(plain) == len(shifted)
    for fc_plain, fc_shift in zip(plain, shifted, strict=True):
        for a, b in zip(fc_plain["features"], fc_shift["features"], strict=True):
            xy = np.array(_first_coordinate(a["geometry"]))
            got = np.array(_first_coordinate(b["geometry"]))
            lon, lat = wgs84_to_gcj02(xy[0], xy[1])
            assert got == pytest.approx([float(lon), float(lat)], abs=2e-6)
            assert np.hypot(*(got - xy)) > 1e-3  # ~ hundreds of metres in Shanghai


def _first_coordinate(geometry: dict) -> list[float]:
    coords = geometry["coordinates"]
    while isinstance(coords[0], list):
        coords = coords[0]
    return coords


def test_network_layer_is_light_and_off_by_default(map_layers, map_result):
    import geopandas as gpd
    from shapely.geometry import LineString, Point

    from lifecircle.coverage.network.walk_network import WalkNetwork

    nodes = gpd.GeoDataFrame(
        geometry=[Point(352_000, 3_455_000), Point(352_500, 3_455_000), Point(352_500, 3_455_500)],
        crs=32651,
    )
    edges = gpd.GeoDataFrame(
        {
            "u": [0, 1],
            "v": [1, 2],
            "length_m": [500.0, 500.0],
            "penalty_s": [0.0, 0.0],
            "highway": ["footway", "footway"],
            "name": [None, None],
        },
        geometry=[
            LineString([nodes.geometry[0], nodes.geometry[1]]),
            LineString([nodes.geometry[1], nodes.geometry[2]]),
        ],
        crs=32651,
    )
    net = WalkNetwork(nodes, edges, edges.crs, source="hand-made")
    m = coverage_map(map_layers, map_result, network=net, lang="en")
    page = map_html(m)
    assert "Walking network" in _layer_names(page)
    layer = next(
        c for c in m._children.values() if getattr(c, "layer_name", "") == "Walking network"
    )
    assert layer.show is False and layer.n_features == 2
    assert f"{layer.get_name()}.addTo" not in page


@pytest.mark.slow
def test_many_seats_use_the_canvas_renderer(map_result):
    many = make_layers(n_seats=10_000, seed=3)
    page = map_html(coverage_map(many, map_result))
    assert '"preferCanvas": true' in page
    seats = next(fc for fc in _overlay_data(page) if len(fc["features"]) == 10_000)
    assert all("_icon" not in f["properties"] for f in seats["features"][:50])
    assert len(page) < 6_000_000


def test_write_is_atomic_when_interrupted(map_layers, map_result, tmp_path, monkeypatch):
    target = tmp_path / "map.html"
    target.write_text("old version", encoding="utf-8")
    m = coverage_map(map_layers, map_result)

    def exploding_replace(src, dst):
        raise OSError("disk unplugged")

    monkeypatch.setattr(save_mod.os, "replace", exploding_replace)
    with pytest.raises(OSError, match="disk unplugged"):
        save_map(m, target)
    assert target.read_text(encoding="utf-8") == "old version"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.html"]


def test_write_atomic_cleans_up_when_writer_fails_midway(tmp_path):
    def half_then_fail(fh):
        fh.write(b"<html>half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        save_mod.write_atomic(tmp_path / "x.html", half_then_fail)
    assert list(tmp_path.iterdir()) == []


def test_map_has_jupyter_repr(map_layers, map_result):
    html = coverage_map(map_layers, map_result)._repr_html_()
    assert html.startswith("<div") and "iframe" in html


def test_demo_layers_render_when_available():
    from lifecircle.geo import load_demo_layers

    demo = load_demo_layers()
    page = map_html(coverage_map(demo, lang="en"))
    assert external_urls(page) == []
    assert len(_overlay_data(page)[0]["features"]) >= 1
    assert Path  # keep import used
