"""The life circle on the map (what each grid misses) and in the report (completeness, equity):
escaping of user strings, the Lorenz PNG, and maps knowing nothing of coverage."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from life_circle_fixtures import make_street

from lifecircle.coverage.measures.life_circle.life_circle import compute_life_circle
from lifecircle.maps.life_circle import (
    completeness_colour,
    life_circle_layer,
    life_circle_section_html,
    lorenz_png,
)

HOSTILE = "<img src=x onerror=alert(1)>&"


@pytest.fixture(scope="module")
def hostile_result():
    layers, network, catalogue = make_street(category_name=HOSTILE, grid_name=HOSTILE)
    return compute_life_circle(layers, network, catalogue=catalogue)


def test_tooltips_name_what_is_missing_and_escape_user_strings(hostile_result):
    for lang in ("zh", "en"):
        layer = life_circle_layer(hostile_result, lang=lang)
        tips = [f["properties"]["_tip"] for f in layer.data["features"]]
        assert len(tips) == 2  # the two leaf grids
        joined = "".join(tips)
        assert "<img" not in joined and "onerror=alert(1)>" not in joined
        assert "&lt;img src=x onerror=alert(1)&gt;&amp;" in joined
        grid2 = next(t for t in tips if "50%" in t)
        missing = "缺少" if lang == "zh" else "missing"
        assert f"{missing}: &lt;img" in grid2
        grid1 = next(t for t in tips if "100%" in t)
        assert ("缺少: 无" if lang == "zh" else "missing: nothing") in grid1
    rendered = layer.data_json
    assert "<img" not in rendered


def test_completeness_colours():
    assert completeness_colour(1.0) == "#1a9850"
    assert completeness_colour(0.5) == "#fee08b"
    assert completeness_colour(0.0) == "#d73027"
    assert completeness_colour(None) == "#bdbdbd"


def test_report_sections_escape_and_say_what_they_measure(hostile_result):
    page = life_circle_section_html(hostile_result, lang="zh", lorenz=False)
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;&amp;" in page
    assert "生活圈完整度" in page and "公平性" in page
    assert "基尼系数: 0.17" in page  # 1/6, see test_life_circle
    assert "网格图层无老年人口列" in page
    english = life_circle_section_html(hostile_result, lang="en", lorenz=False)
    assert "Life-circle completeness" in english and "Equity" in english
    assert "TEST-1" in english
    assert "<img" not in english.replace('<img class="lc-lorenz"', "")


@pytest.mark.slow  # draws PNGs
def test_lorenz_png_is_a_deterministic_png_embedded_in_the_section(hostile_result):
    png = lorenz_png(hostile_result, lang="en")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert png == lorenz_png(hostile_result, lang="en")
    page = life_circle_section_html(hostile_result, lang="en")
    assert '<img class="lc-lorenz" alt="Lorenz curve" src="data:image/png;base64,' in page


def test_maps_import_nothing_from_coverage():
    folder = Path(__file__).resolve().parents[1] / "lifecircle" / "maps"
    for path in sorted(folder.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            assert not any(n.startswith("lifecircle.coverage") for n in names), path.name


@pytest.mark.slow  # a whole report page
def test_report_and_map_carry_the_life_circle(hostile_result):
    from lifecircle.coverage import compute_coverage
    from lifecircle.maps import coverage_map
    from lifecircle.maps.report import report_html

    layers, network, _ = make_street(category_name=HOSTILE, grid_name=HOSTILE)
    kindergartens = layers.facilities[layers.facilities["category"] == "kindergarten"]
    coverage = compute_coverage(
        layers, network, services={"kindergarten": kindergartens}, isochrones=False
    )
    m = coverage_map(
        layers, coverage, life_circle=hostile_result, lang="en", service="kindergarten"
    )
    page = m.get_root().render()
    assert "Life-circle completeness (TEST-1)" in page  # layer and legend
    assert "complete (100%)" in page
    assert "<img src=x onerror" not in page
    html = report_html(layers, coverage, life_circle=hostile_result, lang="zh", static_map=False)
    assert html.count('<section class="lc-life-circle">') == 1
    assert "公平性" in html and "data:image/png;base64," in html
    assert "<img src=x onerror" not in html
    plain = report_html(layers, coverage, lang="zh", static_map=False)
    assert "lc-life-circle" not in plain and "生活圈完整度（" not in plain
