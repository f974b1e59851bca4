"""The report's headline says what ``lifecircle check`` says, in a planner's words."""

from __future__ import annotations

import dataclasses
import html
import json
import math
import re
from types import SimpleNamespace

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString
from test_maps_fixtures import EVIL, make_result, make_suggestions

from lifecircle.maps.headline import TargetHeadline, WorstGrid
from lifecircle.maps.report import report_html
from lifecircle.maps.report_method import file_name
from lifecircle.study import demo_study_path, headline_rows, load_study, report_to_json, run_study

#: Each test runs the demo study or the CLI end to end.
pytestmark = pytest.mark.slow


def _strict(study):
    """The demo study with targets the demo misses (two of five fail, several grids)."""
    minimums = {"T1": 0.99, "T2": 0.9, "T3": 0.999, "T4": 0.4, "T5": 0.45}
    targets = tuple(dataclasses.replace(t, minimum=minimums[t.id]) for t in study.targets)
    return dataclasses.replace(study, targets=targets)


@pytest.fixture(scope="module")
def demo_runs():
    study = load_study(demo_study_path())
    return {"demo": run_study(study), "strict": run_study(_strict(study))}


@pytest.fixture(scope="module")
def demo_coverage(demo_runs):
    from lifecircle.study.run import compute_study_coverage

    run = demo_runs["demo"]
    return compute_study_coverage(run.study, run.layers, run.network, isochrones=False)


def _text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


def _target_table(page: str) -> list[dict[str, str]]:
    """The headline rows of a rendered report, cell by cell (tags stripped)."""
    body = page.split('id="target-table"')[1].split("</table>")[0].split("<tbody>")[1]
    rows = []
    for tr in re.findall(
        r"<tr class=\"(met|missed)\" data-target=\"([^\"]+)\">(.*?)</tr>", body, re.S
    ):
        cells = re.findall(r'<td class="([^"]*)"[^>]*>(.*?)</td>', tr[2], re.S)
        row = {"status": tr[0], "id": tr[1]}
        for css, content in cells:
            row[css.split()[-1]] = _text(content)
        row["achieved"] = _text(re.search(r'<span class="achieved">(.*?)</span>', tr[2]).group(1))
        rows.append(row)
    return rows


def _pct(value):
    return "–" if value is None else f"{value * 100:.1f}%"


@pytest.mark.parametrize("which", ["demo", "strict"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_headline_rows_equal_the_check_rows(demo_runs, demo_coverage, which, lang):
    run = demo_runs[which]
    page = report_html(run.layers, demo_coverage, lang=lang, targets=run, static_map=False)
    shown = _target_table(page)
    checked = json.loads(report_to_json(run.report, lang=lang))["targets"]
    assert [r["id"] for r in shown] == [t["id"] for t in checked]
    for row, target in zip(shown, checked, strict=True):
        assert row["tname"] == f"{target['id']} {target['name']}"
        assert row["required"] == f"≥ {_pct(target['minimum'])}"
        assert row["achieved"] == _pct(target["achieved"])
        assert (row["status"] == "met") is target["passed"]
        failed = [g for g in target["grids"] if g["status"] == "fail"]
        ids = re.findall(r"\(([^()]+)\) \d+\.\d%", row["worst"])
        assert ids == [g["id"] for g in failed[:3]]
        for g in failed[:3]:
            assert _pct(g["value"]) in row["worst"]
    if which == "strict":
        assert any(r["status"] == "missed" for r in shown)
        verdict = "2 of 5 targets missed." if lang == "en" else "5 项目标中有 2 项未达标。"
        assert verdict in page


def test_report_accepts_the_run_its_report_or_rows(demo_runs, demo_coverage):
    run = demo_runs["strict"]
    pages = [
        report_html(run.layers, demo_coverage, lang="en", targets=t, static_map=False, date="x")
        for t in (run, run.report, list(headline_rows(run)), headline_rows(run.report))
    ]
    assert len({_strip_ids(p) for p in pages}) == 1


def _strip_ids(page: str) -> str:
    return re.sub(r"_[0-9a-f]{32}", "", page)


def test_without_targets_the_default_is_stated(map_layers, map_result):
    page = html.unescape(report_html(map_layers, map_result, lang="en", static_map=False))
    assert "No study targets were given" in page
    assert "at least 95% of each grid's residents within a 15-minute walk" in page
    assert 'id="target-table"' not in page
    zh = report_html(map_layers, map_result, lang="zh", static_map=False, target_share=0.8)
    assert "未提供研究目标" in zh and "至少 80% 的居民" in zh


@pytest.mark.parametrize("bad", [0.0, 1.5, -0.1, math.nan])
def test_default_share_must_be_a_share(map_layers, map_result, bad):
    with pytest.raises(ValueError, match="target_share"):
        report_html(map_layers, map_result, static_map=False, target_share=bad)


@pytest.mark.parametrize("bad", ["T1", 42, {"T1": 0.9}, [object()], ["row"]])
def test_targets_of_the_wrong_kind_are_refused(map_layers, map_result, bad):
    with pytest.raises(TypeError, match="targets must"):
        report_html(map_layers, map_result, static_map=False, targets=bad)


def _row(**changes):
    base = dict(
        id="T1", name_zh="目标", name_en="target", metric="coverage", level="microgrid",
        kind=None, grid_ids=(), required=0.8, achieved=0.5, met=False, grids_met=3,
        grids_evaluated=4, grids_skipped=1, worst=(WorstGrid("g1", "网格一", 0.5),),
        grids_failed=1,
    )  # fmt: skip
    base.update(changes)
    return TargetHeadline(**base)


@pytest.mark.parametrize(
    "changes",
    [
        {"required": 1.2},
        {"grids_met": 4},
        {"met": True},
        {"grids_failed": 0, "grids_met": 4},
        {"achieved": 3.0},
        {"grids_skipped": -1},
    ],
)
def test_headline_rows_check_their_invariants(changes):
    assert _row().met is False
    with pytest.raises(ValueError, match="target T1"):
        _row(**changes)


def test_hostile_target_and_grid_names_are_escaped(map_layers, map_result):
    rows = [
        _row(id=f"T{i}", name_zh=evil, name_en=evil, worst=(WorstGrid(evil, evil, 0.5),))
        for i, evil in enumerate(EVIL, 1)
    ] + [_row(id="T9", name_en="{{ 7*7 }} ${x} `y`", grid_ids=("<b>g</b>",), level=None)]
    page = report_html(map_layers, map_result, lang="en", targets=rows, static_map=False)
    table = page.split('id="target-table"')[1].split("</table>")[0]
    for evil in EVIL:
        assert evil not in page and evil in _text(table)
    assert "<b>g</b>" not in page and "listed grids: &lt;b&gt;g&lt;/b&gt;" in page
    assert "{{ 7*7 }}" in _text(table) and "49" not in _text(table)


def test_scope_and_skipped_grids_in_plain_words(map_layers, map_result):
    rows = [
        _row(level="area", kind="residential"),
        _row(id="T2", level="leaf"),
        _row(id="T3", level=None),
    ]
    en = _target_table(
        report_html(map_layers, map_result, lang="en", targets=rows, static_map=False)
    )
    assert [r["scope"] for r in en] == [
        "Residential area / commercial zone (Residential only)",
        "smallest grids",
        "all grids",
    ]
    assert "3 of 4 grids meet it; 1 grids with nothing to measure left out" in str(en)
    zh = _target_table(
        report_html(map_layers, map_result, lang="zh", targets=rows, static_map=False)
    )
    assert zh[0]["scope"] == "居民区 / 商务区（仅居民类）" and zh[0]["result"] == "未达标"
    assert "网格一 (g1) 50.0%" in zh[0]["worst"]


# --------------------------------------------------------------------------- planner language


def _fake_network(source: str, **meta):
    edges = gpd.GeoDataFrame(
        {"length_m": [1200.0, 800.0]},
        geometry=[LineString([(0, 0), (1, 1)]), LineString([(1, 1), (2, 2)])],
        crs=32651,
    )
    nodes = pd.DataFrame({"x": [0, 1, 2]})
    return SimpleNamespace(edges=edges, nodes=nodes, source=source, meta=meta)


def test_method_section_has_no_repr_and_no_path(demo_runs, demo_coverage):
    run = demo_runs["demo"]
    for lang in ("zh", "en"):
        page = report_html(
            run.layers, demo_coverage, lang=lang, network=run.network, static_map=False
        )
        method = page.split('id="method"')[1].split("</section>")[0]
        assert "WalkNetwork(" not in page and "crs=EPSG" not in method
        assert str(demo_study_path().parent) not in page and "/work/" not in method
        assert "network.geojson" in method  # the file name, not its path
        assert "elderly" not in method if lang == "zh" else "elderly pace" in method
    assert "老年人步速" in report_html(run.layers, demo_coverage, lang="zh", static_map=False)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_extent_facts_in_plain_words(map_layers, map_result, lang):
    net = _fake_network(
        "/home/planner/data/shanghai-latest.osm.pbf",
        extent_source="grids", extent_area_km2=1.64, extent_buffer_m=500,
        length_inside_extent_m=1500.0, length_total_m=2000.0, length_input_m=91234.0,
    )  # fmt: skip
    page = report_html(map_layers, map_result, lang=lang, network=net, static_map=False)
    method = _text(page.split('id="method"')[1].split("</section>")[0])
    assert "/home/planner" not in page and "shanghai-latest.osm.pbf" in method
    if lang == "en":
        expected = [
            "3 junctions, 2 street segments, 2.0 km",
            "1.5 km inside the study extent",
            "91.2 km of ways in the source data",
            "the grids, plus a 500 m margin, 1.64 km²",
            "© OpenStreetMap contributors",
        ]
    else:
        expected = [
            "3 个路口、2 条路段，共 2.0 公里",
            "研究范围内 1.5 公里",
            "网格范围，外扩 500 米，面积 1.64 平方公里",
            "© OpenStreetMap 贡献者",
        ]
    for words in expected:
        assert words in _text(page), words


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        ("/tmp/x/walk.gpkg", "walk.gpkg"),
        ("C:\\Users\\li\\路网.shp", "路网.shp"),
        ("<graph>", "—"),
        ("静安寺街道, 上海", "静安寺街道, 上海"),
        ("", "—"),
    ],
)
def test_file_name_never_shows_a_path(source, shown):
    assert file_name(source) == shown


def test_residents_are_whole_numbers_and_suggestions_localised(map_layers):
    result = make_result(map_layers)
    result.grids["weight"] = result.grids["weight"] + 0.37
    sugg = make_suggestions()
    sugg["gain_residents"] = [12.6, 3.2, 0.4][: len(sugg)]
    sugg["street"] = ["示范路 Demo Road", None, "<i>x</i>"][: len(sugg)]
    sugg["nearest_seat_m"] = [44.85, 51.3, None][: len(sugg)]
    for lang, head in (("zh", "新增可达居民"), ("en", "Residents newly within reach")):
        page = report_html(map_layers, result, lang=lang, suggestions=sugg, static_map=False)
        table = page.split('id="suggestion-table"')[1].split("</table>")[0]
        assert (
            head in table and ">13<" in table and ">12.6<" not in table and "<i>x</i>" not in table
        )
        assert ">45<" in table  # metres to the nearest seat, rounded
        grid_table = page.split('id="grid-table"')[1].split("</table>")[0]
        assert "1,000<" in grid_table and "1,000.37" not in page
        assert re.search(r"\d\.\d\d人|\d\.\d\d residents", page) is None


def test_readme_maps_snippet_runs(tmp_path, monkeypatch):
    """The README's "Maps and committee reports" snippet, as written."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Maps and committee reports")[1]
    snippet = section.split("```python\n")[1].split("```")[0]
    assert "targets=run" in snippet
    monkeypatch.chdir(tmp_path)
    exec(compile(snippet, "README.md:maps", "exec"), {"__name__": "__readme__"})
    out = tmp_path / "lifecircle-output"
    assert {p.name for p in out.iterdir()} == {"demo_elderly.html", "report.html", "map.png"}
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.count('data-target="T') == 5 and "全部 5 项目标达标。" in page


def _study_text(*, targets: bool) -> str:
    """The demo study with absolute layer paths; coverage targets only, or none."""
    from lifecircle.data import demo_path

    folder = demo_path("grids.geojson").parent.as_posix()
    text = demo_study_path().read_text(encoding="utf-8").replace('"demo/', f'"{folder}/')
    head, *blocks = text.split("[[targets]]")
    tail = blocks[-1][blocks[-1].index("[outputs]") :]
    kept = (
        [b.split("[outputs]")[0] for b in blocks if 'metric = "coverage"' in b] if targets else []
    )
    return "[[targets]]".join([head, *kept]) + tail


@pytest.mark.parametrize("targets", [True, False])
def test_cli_report_shows_the_study_targets(tmp_path, targets):
    from typer.testing import CliRunner

    from lifecircle.cli import app

    study = tmp_path / "study.toml"
    study.write_text(_study_text(targets=targets), encoding="utf-8")
    page = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["report", str(study), "-o", str(page), "--lang", "en"])
    assert result.exit_code == 0, result.output
    text = html.unescape(page.read_text(encoding="utf-8"))
    if targets:
        check = CliRunner().invoke(app, ["check", str(study), "--lang", "en"])
        assert [r["id"] for r in _target_table(page.read_text(encoding="utf-8"))] == [
            "T1", "T2", "T3"
        ]  # fmt: skip
        for line in check.output.splitlines()[2:5]:  # T1..T3 rows of the check table
            name, required = line.split("  ")[0], re.search(r"≥ \d+\.\d%", line).group(0)
            assert name in text and required in text
        assert "No study targets were given" not in text
    else:
        assert 'id="target-table"' not in text
        assert (
            "No study targets were given: this report uses the default target of at least 90%"
            in text
        )
