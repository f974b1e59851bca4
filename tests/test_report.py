"""The committee report and the static PNG."""

from __future__ import annotations

import re
import warnings

import pytest
from PIL import Image
from test_maps_fixtures import make_suggestions

from lifecircle.maps import static as static_mod
from lifecircle.maps.report import report_html, write_report
from lifecircle.maps.save import external_urls
from lifecircle.maps.static import FontWarning, save_map_png


@pytest.fixture(scope="module")
def report_en(map_layers, map_result):
    return report_html(
        map_layers,
        map_result,
        lang="en",
        suggestions=make_suggestions(),
        date="2025-06-01",
        data_date="2025-05",
        static_map=False,
    )


def test_headline_counts_grids_meeting_the_target(report_en):
    # elderly: leaf shares 0.3/0.6/0.9/1.0 -> 1 of 4 at >= 95 %; care 0.97 everywhere -> 4/4;
    # bathing 0.1 and one NaN (no data) -> 0 of 3
    cards = re.findall(r'<span class="big (ok|bad)">(\d+) / (\d+)</span>', report_en)
    assert cards == [("bad", "1", "4"), ("ok", "4", "4"), ("bad", "0", "3")]
    # residents: (0.3 + 0.6 + 0.9 + 1.0) * 1000 = 2,800 of 4,000 = 70 %
    assert "2,800 of 4,000 residents</b> (70%)" in report_en
    assert "Worst grids: 西北网格 30%; 东北网格 60%; 西南网格 90%" in report_en


def test_report_has_every_section_and_parameter(report_en):
    for needle in [
        'id="headline"',
        'id="map"',
        'id="grids"',
        'id="suggestions"',
        'id="method"',
        'id="sources"',
        "15 minutes",
        "1.00 m/s (about 3.6 km/h)",
        "150 m",
        "at least 95% of each grid",
        "Synthetic demo data",
        "2025-06-01",
        "Data date: 2025-05",
        '<html lang="en">',
        '<meta charset="utf-8">',
    ]:
        assert needle in report_en, needle
    assert "@page { size: A4" in report_en and "@media print" in report_en


def test_grid_table_is_sortable_and_complete(report_en, map_result):
    table = report_en.split('id="grid-table"')[1].split("</table>")[0]
    assert table.count("<tr>") == len(map_result.grids) + 1
    assert 'class="sortable"' in report_en and 'addEventListener("click"' in report_en
    assert 'data-sort="0.300000"' in table and 'data-sort="-1"' in table


def test_suggestions_sorted_by_rank_with_gains(report_en):
    section = report_en.split('id="suggestions"')[1].split("</table>")[0]
    assert "gain_weight" in section and "gain_share" in section
    ranks = re.findall(r'<tr><td class="num" data-sort="(\d+)">', section)
    assert ranks == ["1", "2", "3"]


def test_osm_attribution_appears_with_an_osm_network(map_layers, map_result):
    class FakeNetwork:
        source = "/data/jingan.osm.pbf"
        edges = map_result.grids.iloc[:0]

        def __repr__(self):
            return "WalkNetwork(fake)"

    page = report_html(map_layers, map_result, network=None, static_map=False)
    assert "OpenStreetMap" not in page.split('id="sources"')[1]
    page = report_html(map_layers, map_result, lang="en", network=FakeNetwork(), static_map=False)
    assert "© OpenStreetMap contributors" in page.split('id="sources"')[1]


@pytest.mark.slow
def test_written_report_is_offline_and_small(map_layers, map_result, tmp_path):
    path = write_report(
        map_layers, map_result, tmp_path / "report.html", lang="zh", suggestions=make_suggestions()
    )
    page = path.read_text(encoding="utf-8")
    assert external_urls(page) == []
    assert 'srcdoc="&lt;!DOCTYPE html&gt;' in page
    assert 'src="data:image/png;base64,' in page
    assert "主要结论" in page and "各网格步行可达比例" in page
    assert path.stat().st_size < 5_000_000
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_report_rejects_result_without_services(map_layers, map_result):
    from dataclasses import replace

    empty = replace(map_result, params={**map_result.params, "services": {}})
    with pytest.raises(ValueError, match="no services"):
        report_html(map_layers, empty)


@pytest.mark.slow
def test_static_png_is_drawn(map_layers, map_result, tmp_path):
    path = save_map_png(
        map_layers,
        map_result,
        tmp_path / "map.png",
        lang="zh",
        suggestions=make_suggestions(),
        dpi=60,
    )
    with Image.open(path) as im:
        assert im.format == "PNG" and im.size[0] > 300
        colours = im.convert("RGB").getcolors(maxcolors=1_000_000)
    assert len(colours) > 50  # not blank


@pytest.mark.slow
def test_static_png_falls_back_to_english_without_cjk_font(
    map_layers, map_result, tmp_path, monkeypatch
):
    monkeypatch.setattr(static_mod, "find_cjk_font", lambda: None)
    texts = []
    original = static_mod.text

    def spy(key, lang="zh", **fields):
        texts.append(lang)
        return original(key, lang, **fields)

    monkeypatch.setattr(static_mod, "text", spy)
    with pytest.warns(FontWarning, match="no CJK font"):
        save_map_png(map_layers, map_result, tmp_path / "map.png", lang="zh", dpi=40)
    assert texts and set(texts) == {"en"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        save_map_png(map_layers, map_result, tmp_path / "map_en.png", lang="en", dpi=40)
