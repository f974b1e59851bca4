"""Saved maps and reports in headless Chromium with every network request blocked."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from test_maps_fixtures import make_layers, make_result, make_suggestions

from lifecircle.maps.coverage_map import coverage_map
from lifecircle.maps.report import write_report
from lifecircle.maps.save import save_map

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium (CI installs it)"),
]


def _open(browser, path: Path, selector: str = ".leaflet-control-layers"):
    """Open ``path`` offline; return (page, problems, blocked requests, dialogs)."""
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    problems: list[str] = []
    blocked: list[str] = []
    dialogs: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    def route(r):
        if r.request.url.startswith(("file:", "data:", "about:")):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(path.as_uri())
    page.wait_for_selector(selector, state="attached")
    page.wait_for_timeout(300)
    return page, problems, blocked, dialogs


def _variance(png: bytes) -> float:
    from PIL import Image, ImageStat

    with Image.open(io.BytesIO(png)) as im:
        return sum(ImageStat.Stat(im.convert("L")).var)


def test_map_renders_offline_and_every_layer_toggles(browser, tmp_path):
    layers = make_layers()
    path = save_map(
        coverage_map(layers, make_result(layers), suggestions=make_suggestions()),
        tmp_path / "map.html",
    )
    page, problems, blocked, _ = _open(browser, path)
    try:
        assert problems == [] and blocked == []
        boxes = page.locator(".leaflet-control-layers-overlays input[type=checkbox]")
        assert boxes.count() == 10
        for i in range(boxes.count()):
            before = (
                page.locator(".leaflet-interactive, .lc-icon").count()
                + page.locator("canvas").count()
            )
            was = boxes.nth(i).is_checked()
            boxes.nth(i).click()
            assert boxes.nth(i).is_checked() is (not was)
            boxes.nth(i).click()
            assert boxes.nth(i).is_checked() is was
            assert (
                page.locator(".leaflet-interactive, .lc-icon").count()
                + page.locator("canvas").count()
                == before
            )
        assert problems == []
        assert page.locator(".lc-legend").inner_text().startswith("图例")
        assert (
            "公里" in page.locator(".leaflet-control-scale").inner_text()
            or " m" in page.locator(".leaflet-control-scale").inner_text()
        )
        assert _variance(page.screenshot()) > 100
    finally:
        page.close()


def test_layer_toggle_changes_the_drawing(browser, tmp_path):
    layers = make_layers()
    path = save_map(coverage_map(layers, make_result(layers)), tmp_path / "m.html")
    page, problems, _, _ = _open(browser, path)
    try:
        icons = page.locator(".lc-icon")
        assert icons.count() == 7  # the elderly services
        page.get_by_label("为老服务设施", exact=True).uncheck()
        assert icons.count() == 0
        page.get_by_label("为老服务设施", exact=True).check()
        assert icons.count() == 7
        assert problems == []
    finally:
        page.close()


def test_injected_names_do_not_execute(browser, tmp_path):
    layers = make_layers(evil=True)
    result = make_result(layers)
    map_path = save_map(
        coverage_map(layers, result, suggestions=make_suggestions(evil=True), lang="en"),
        tmp_path / "evil_map.html",
    )
    report_path = write_report(
        layers,
        result,
        tmp_path / "evil_report.html",
        suggestions=make_suggestions(evil=True),
        static_map=False,
    )
    for path, selector in ((map_path, ".leaflet-control-layers"), (report_path, "#grid-table")):
        page, problems, blocked, dialogs = _open(browser, path, selector)
        try:
            page.mouse.move(600, 400)
            page.wait_for_timeout(200)
            frames = [page, *[f for f in page.frames if f != page.main_frame]]
            for frame in frames:
                assert frame.evaluate("typeof window.__pwned") == "undefined"
            assert dialogs == [] and problems == [] and blocked == []
        finally:
            page.close()


def test_report_renders_sorts_and_embeds_the_map(browser, tmp_path):
    layers = make_layers()
    path = write_report(
        layers,
        make_result(layers),
        tmp_path / "report.html",
        lang="en",
        suggestions=make_suggestions(),
        static_map=False,
    )
    page, problems, blocked, _ = _open(browser, path, "#grid-table")
    try:
        frame = page.frame_locator("iframe.map-frame")
        frame.locator(".leaflet-control-layers").wait_for(state="attached")
        assert frame.locator(".leaflet-control-layers").count() == 1
        header = page.locator("#grid-table thead th").nth(4)  # elderly share
        header.click()
        first = page.locator("#grid-table tbody tr").first.locator("td").nth(4).inner_text()
        assert first == "30%"
        header.click()
        first = page.locator("#grid-table tbody tr").first.locator("td").nth(4).inner_text()
        assert first == "100%"
        assert problems == [] and blocked == []
        assert _variance(page.screenshot()) > 100
        pdf = page.pdf(format="A4")
        assert pdf.startswith(b"%PDF")
    finally:
        page.close()
