"""The demo map and report on a phone (390x844) and a desktop (1366x900), and printed on A4.

Headless Chromium, every network request blocked. With no basemap there are no tiles, so
"not blank" means: the grid layer is on the canvas, inside the viewport, and fills a good
part of it.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np
import pytest

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium (CI installs it)"),
]
SIZES = {"phone": (390, 844), "desktop": (1366, 900)}


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory):
    """The demo map and report in both languages, with the demo study's targets."""
    import lifecircle as lc

    out = tmp_path_factory.mktemp("demo")
    layers = lc.load_demo_layers()
    network = lc.load_demo_network()
    result = lc.compute_coverage(layers, network)
    run = lc.run_study(lc.load_study(lc.demo_study_path()))
    sites = lc.suggest_seats(layers, network, k=3).sites
    files = {}
    for lang in ("zh", "en"):
        m = lc.coverage_map(layers, result, lang=lang, suggestions=sites)
        files[("map", lang)] = lc.save_map(m, out / f"map-{lang}.html")
        files[("report", lang)] = lc.write_report(
            layers, result, out / f"report-{lang}.html", lang=lang, suggestions=sites,
            network=network, targets=run,
        )  # fmt: skip
    return files


def _open(browser, path: Path, size: tuple[int, int], *, media: str = "screen"):
    phone = size[0] < 700
    page = browser.new_page(
        viewport={"width": size[0], "height": size[1]}, has_touch=phone, is_mobile=phone
    )
    problems: list[str] = []
    page.on(
        "console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.route(
        "**/*",
        lambda r: (
            r.continue_()
            if r.request.url.startswith(("file:", "data:", "about:"))
            else (problems.append(f"blocked {r.request.url}"), r.abort())
        ),
    )
    page.emulate_media(media=media)
    page.goto(path.as_uri())
    return page, problems


#: In the map's frame: the coverage layer's bounds vs the viewport, the share of the map
#: container covered by drawn canvas pixels, and the state of the folding controls.
_MAP_STATE = """() => {
  const name = Object.keys(window).find(k => /^map_[0-9a-f]+$/.test(k));
  const map = window[name];
  let grids = null;
  map.eachLayer(l => { if (!grids && l.getLayers && l.toGeoJSON && l.getLayers().length
      && l.getLayers()[0].feature && l.getLayers()[0].feature.geometry.type.includes("Polygon")
      && l.getLayers()[0].options.fillOpacity > 0.5) { grids = l; } });
  const view = map.getBounds(), b = grids.getBounds();
  const canvas = document.querySelector(".leaflet-overlay-pane canvas");
  const ctx = canvas.getContext("2d");
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  let drawn = 0;
  for (let i = 3; i < data.length; i += 4 * 7) { if (data[i] > 0) { drawn += 1; } }
  const size = map.getSize();
  const rect = canvas.getBoundingClientRect();
  const legend = document.querySelector(".lc-legend details");
  return {
    gridsInside: view.contains(b), zoom: map.getZoom(),
    spanX: map.latLngToContainerPoint(b.getNorthEast()).x
      - map.latLngToContainerPoint(b.getSouthWest()).x,
    sizeX: size.x, sizeY: size.y,
    drawnShare: drawn * 7 / (data.length / 4) * (rect.width * rect.height) / (size.x * size.y),
    layersOpen: !!document.querySelector(".leaflet-control-layers-expanded"),
    legendOpen: legend ? legend.open : null,
    scrollX: document.documentElement.scrollWidth - window.innerWidth,
  };
}"""


def _no_side_scroll(frame) -> int:
    return frame.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_map_is_usable_at_phone_and_desktop_size(browser, demo_files, device, lang, tmp_path):
    page, problems = _open(browser, demo_files[("map", lang)], SIZES[device])
    try:
        page.wait_for_selector(".leaflet-control-layers", state="attached")
        page.wait_for_timeout(300)
        state = page.evaluate(_MAP_STATE)
        assert problems == []
        assert state["scrollX"] <= 0
        assert state["gridsInside"], state
        # fitted to the study: the district spans most of the width, not a dot at 5 km scale
        assert state["spanX"] > 0.5 * state["sizeX"], state
        assert state["drawnShare"] > 0.15, state
        assert state["layersOpen"] is (device == "desktop")
        assert state["legendOpen"] is (device == "desktop")
        title = page.locator(".lc-title").bounding_box()
        layers = page.locator(".leaflet-control-layers").bounding_box()
        legend = page.locator(".lc-legend").bounding_box()
        assert (
            title["x"] + title["width"] <= layers["x"]
            or title["y"] + title["height"] <= layers["y"]
        )
        if device == "phone":  # folded controls leave the map visible
            assert legend["height"] < 60 and layers["height"] < 60
            page.locator(".leaflet-control-layers-toggle").tap()
            assert page.locator(".leaflet-control-layers-expanded").count() == 1
            page.locator(".lc-legend summary").tap()
            assert page.locator(".lc-legend details").evaluate("d => d.open")
            assert page.locator(".lc-legend").bounding_box()["height"] <= 0.6 * SIZES[device][1]
        page.screenshot(path=str(tmp_path / f"map-{device}-{lang}.png"))
        assert problems == []
    finally:
        page.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_report_is_usable_at_phone_and_desktop_size(browser, demo_files, device, lang):
    page, problems = _open(browser, demo_files[("report", lang)], SIZES[device])
    try:
        page.wait_for_selector("#target-table", state="attached")
        frame_el = page.locator("iframe.map-frame")
        frame_el.scroll_into_view_if_needed()
        frame = frame_el.element_handle().content_frame()
        frame.wait_for_selector(".leaflet-control-layers", state="attached")
        page.wait_for_timeout(300)
        assert _no_side_scroll(page) <= 0
        state = frame.evaluate(_MAP_STATE)
        assert state["gridsInside"] and state["spanX"] > 0.5 * state["sizeX"], state
        assert state["drawnShare"] > 0.15, state
        assert state["layersOpen"] is (device == "desktop")
        assert page.locator("#target-table tbody tr").count() == 5
        box = page.locator("#target-table").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= SIZES[device][0]
        assert problems == []
    finally:
        page.close()


def _png_of(page) -> np.ndarray:
    from PIL import Image

    src = page.locator("img.map-print").get_attribute("src")
    data = base64.b64decode(src.split(",", 1)[1])
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGB")).astype(int)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_printed_a4_map_page_shows_the_study_grids(browser, demo_files, lang, tmp_path):
    from lifecircle.maps import style

    page, problems = _open(browser, demo_files[("report", lang)], SIZES["desktop"], media="print")
    try:
        page.wait_for_selector("#target-table", state="attached")
        assert not page.locator("iframe.map-frame").is_visible()
        img = page.locator("img.map-print")
        assert img.is_visible()
        box = img.bounding_box()
        assert box["width"] > 300 and box["height"] > 300
        rgb = _png_of(page)
        blended = [
            [round(0.85 * int(c.colour[i : i + 2], 16) + 0.15 * 255) for i in (1, 3, 5)]
            for c in style.COVERAGE_CLASSES
        ]
        hits = np.zeros(rgb.shape[:2], bool)
        for colour in blended:
            hits |= (np.abs(rgb - colour) <= 12).all(axis=2)
        assert hits.mean() > 0.15  # the grids fill a good part of the printed map
        pdf = page.pdf(format="A4")
        assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") >= 2
        page.screenshot(path=str(tmp_path / f"print-{lang}.png"), full_page=True)
        assert problems == []
    finally:
        page.close()
