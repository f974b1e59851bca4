"""End to end on real streets: the Jing'an Temple study built by ``tests/jingan_study.py``.

The study (real OSM street network, Shanghai Library heritage list in BD-09, conservation
areas in GCJ-02; synthetic grids, elderly services in a GBK CSV in GCJ-02 and seats in an
XLSX, all with Chinese headers) is built once per session into a temporary folder and every
command of the command line runs on it once; the tests below read what they wrote. Skipped
when ``../shared/data/jingan`` is absent.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import resource
import shlex
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from jingan_study import (
    JINGAN_DIR,
    ROADS_FILE,
    JinganStudy,
    build_jingan_study,
    screenshot_map,
    study_files,
    study_text,
)

from lifecircle.geo.crs import gcj02_to_wgs84

pytestmark = [
    pytest.mark.realdata,
    pytest.mark.slow,
    pytest.mark.skipif(not JINGAN_DIR.is_dir(), reason=f"real data not present at {JINGAN_DIR}"),
]

SCRIPT = Path(sys.executable).with_name("lifecircle")
UTM = "EPSG:32651"

README = Path(__file__).resolve().parents[1] / "README.md"
WALKTHROUGH_HEADING = "## Real data walkthrough"


def walkthrough_lines() -> list[str]:
    """The command lines of the README's real-data walkthrough (comments removed)."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index(WALKTHROUGH_HEADING) :].split("\n## ", 1)[0]
    block = re.findall(r"```text\n(.*?)```", section, flags=re.S)[0]
    lines = [shlex.split(line, comments=True) for line in block.splitlines()]
    return [shlex.join(words) for words in lines if words]


def walkthrough_check_rows() -> list[list[str]]:
    """The abridged ``check`` table of the walkthrough: cells of each row."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index(WALKTHROUGH_HEADING) :].split("\n## ", 1)[0]
    block = re.findall(r"```text\n(.*?)```", section, flags=re.S)[1]
    return [line.split(" | ") for line in block.splitlines() if line.strip()]


def walkthrough_commands() -> dict[str, list[str]]:
    """The walkthrough's ``lifecircle`` commands by sub-command name, in README order."""
    commands = {}
    for line in walkthrough_lines():
        words = shlex.split(line)
        if words[0] == "lifecircle":
            commands[words[1]] = words[1:]
    return commands


@dataclass(frozen=True)
class Ran:
    """One finished command: exit code, output and the CPU seconds it used."""

    returncode: int
    stdout: str
    stderr: str
    cpu_s: float


def run_cli(args: list[str], cwd: Path) -> Ran:
    """Run ``lifecircle ARGS`` in ``cwd`` as a CI job would (no progress bars)."""
    env = {**os.environ, "CI": "true", "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run([str(SCRIPT), *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600, check=False)  # fmt: skip
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Ran(proc.returncode, proc.stdout, proc.stderr, cpu)


@pytest.fixture(scope="session")
def jingan(tmp_path_factory: pytest.TempPathFactory) -> JinganStudy:
    """The real-streets study, built by the README's first walkthrough line."""
    build, cd = (shlex.split(line) for line in walkthrough_lines()[:2])
    assert build[:2] == ["python", "tests/jingan_study.py"] and cd == ["cd", build[2]]
    root = tmp_path_factory.mktemp("jingan")
    folder = root / build[2]
    script = README.parent / build[1]
    proc = subprocess.run([sys.executable, str(script), str(folder), *build[3:]],
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return study_files(folder)


@pytest.fixture(scope="session")
def runs(jingan: JinganStudy) -> dict[str, Ran]:
    """Every walkthrough command, run once in README order on the study."""
    (jingan.folder / "out").mkdir(exist_ok=True)
    done = {}
    for name, args in walkthrough_commands().items():
        started = time.perf_counter()
        done[name] = run_cli(args, jingan.folder)
        print(f"{name}: {done[name].cpu_s:.1f} s CPU, {time.perf_counter() - started:.1f} s")
    return done


def test_walkthrough_runs_every_command_of_the_study() -> None:
    """validate, network, check with every output file, map, report and suggest."""
    commands = walkthrough_commands()
    assert list(commands) == ["validate", "network", "check", "map", "report", "suggest"]
    check = commands["check"]
    for flag in ("--junit", "--json", "--markdown", "--xlsx"):
        assert flag in check
    assert commands["suggest"][-1].endswith(".xlsx")
    assert all(c[1] == "study.toml" for c in commands.values())


# --- the fixture itself ---------------------------------------------------------------------


def test_build_is_deterministic_and_writes_only_synthetic_layers(tmp_path: Path) -> None:
    a = build_jingan_study(tmp_path / "a")
    b = build_jingan_study(tmp_path / "b")
    names = sorted(p.name for p in a.folder.iterdir())
    assert names == sorted(["grids.geojson", "study.toml", "为老服务设施.csv", "座椅点位.xlsx"])
    for name in names:
        if name.endswith(".xlsx"):  # the zip container stamps the time of writing
            pd.testing.assert_frame_equal(pd.read_excel(a.seats), pd.read_excel(b.seats))
        else:
            assert (a.folder / name).read_bytes() == (b.folder / name).read_bytes(), name
    other = build_jingan_study(tmp_path / "c", seed=7)
    assert other.grids.read_bytes() != a.grids.read_bytes()


def test_grids_are_nine_residential_areas_of_micro_grids(jingan: JinganStudy) -> None:
    grids = gpd.read_file(jingan.grids)
    areas = grids[grids["level"] == "area"]
    assert (areas["kind"] == "residential").sum() == 9
    assert (areas["kind"] == "commercial").sum() >= 1
    micro = grids[grids["level"] == "microgrid"]
    per_area = micro.groupby("parent_id").size()
    assert set(per_area.index) == set(areas.loc[areas["kind"] == "residential", "id"])
    assert per_area.between(2, 4).all()
    sub = grids[grids["level"] == "subdistrict"]
    assert len(sub) == 1 and set(areas["parent_id"]) == set(sub["id"])
    assert 1.4 < sub.to_crs(UTM).area.iloc[0] / 1e6 < 2.2  # km², the real one is ~1.6
    assert 25_000 <= sub["population"].iloc[0] <= 30_000
    assert sub["population"].iloc[0] == areas["population"].sum()


def test_elderly_csv_is_gcj02_with_chinese_headers_and_sits_on_real_streets(
    jingan: JinganStudy,
) -> None:
    raw = jingan.elderly.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # GBK, as exported by Excel on Chinese Windows
    table = pd.read_csv(jingan.elderly, encoding="gbk")
    assert list(table.columns) == ["编号", "名称", "类型", "经度", "纬度"]
    assert table["类型"].value_counts().to_dict() == {
        "乐龄生活站点": 7, "助浴点": 7, "日间照料中心": 2, "综合为老服务中心": 1, "长者照护之家": 1,
    }  # fmt: skip
    streets = gpd.read_file(jingan.data_dir / ROADS_FILE).to_crs(UTM)

    def metres_to_street(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        pts = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=4326).to_crs(UTM)
        return np.array([streets.distance(p).min() for p in pts])

    on_street = metres_to_street(*gcj02_to_wgs84(table["经度"], table["纬度"]))
    assert on_street.max() < 25  # placed 8-20 m off a real street
    read_raw = metres_to_street(table["经度"].to_numpy(), table["纬度"].to_numpy())
    assert np.median(read_raw) > 2 * np.median(on_street)  # the datum shift is real


def test_seats_xlsx_has_chinese_headers_and_about_600_seats(jingan: JinganStudy) -> None:
    seats = pd.read_excel(jingan.seats)
    assert list(seats.columns) == ["编号", "名称", "经度", "纬度", "座位数", "扶手"]
    assert 90 <= len(seats) <= 110 and 500 <= seats["座位数"].sum() <= 700
    assert set(seats["扶手"]) == {"是", "否"}
    assert seats["编号"].is_unique


# --- the command line on the study ------------------------------------------------------------


@pytest.mark.parametrize("command", list(walkthrough_commands()))
def test_command_runs_without_traceback(runs: dict[str, Ran], command: str) -> None:
    ran = runs[command]
    expected = (0, 1) if command == "check" else (0,)
    assert ran.returncode in expected, ran.stdout[-2000:] + ran.stderr[-3000:]
    assert "Traceback" not in ran.stderr + ran.stdout
    for line in ran.stderr.splitlines():
        assert line.startswith("warning: "), ran.stderr  # one line per warning, never an error


def test_commands_stay_fast_enough_for_ci(runs: dict[str, Ran]) -> None:
    total = sum(r.cpu_s for r in runs.values())
    assert total < 120, {k: round(r.cpu_s, 1) for k, r in runs.items()}


def test_check_files_agree_with_the_printed_table(
    runs: dict[str, Ran], jingan: JinganStudy
) -> None:
    out = jingan.folder / "out"
    summary = json.loads((out / "check.json").read_text(encoding="utf-8"))
    assert [t["id"] for t in summary["targets"]] == ["T1", "T2", "T3", "T4", "T5"]
    assert (runs["check"].returncode == 0) is summary["passed"]
    markdown = (out / "check.md").read_text(encoding="utf-8")
    junit = (out / "check-junit.xml").read_text(encoding="utf-8")
    for target in summary["targets"]:
        shown = f"{100 * target['achieved']:.1f}%"
        assert shown in runs["check"].stdout and shown in markdown
        assert target["id"] in junit
    # every residential micro-grid is measured; the empty business zone is skipped, not failed
    t3 = summary["targets"][2]
    assert t3["grids_evaluated"] == 27


def test_readme_shows_check_rows_as_printed(runs: dict[str, Ran]) -> None:
    printed = [" ".join(line.split()) for line in runs["check"].stdout.splitlines()]
    rows = walkthrough_check_rows()
    assert len(rows) >= 2
    for cells in rows:
        (line,) = [p for p in printed if p.startswith(" ".join(cells[0].split()))]
        for cell in cells[1:]:
            assert " ".join(cell.split()) in line, (cell, line)


@pytest.mark.browser
def test_screenshot_helper_draws_the_real_map(
    runs: dict[str, Ran], jingan: JinganStudy, tmp_path: Path
) -> None:
    """The helper that made the README's picture still works on today's map."""
    from PIL import Image, ImageStat

    if not Path("/usr/bin/chromium").exists():
        pytest.skip("needs /usr/bin/chromium (CI installs it)")
    png = screenshot_map(jingan.folder / "out" / "map.html", tmp_path / "map.png")
    with Image.open(png) as im:
        assert im.size == (1366, 900)
        assert sum(ImageStat.Stat(im.convert("L")).var) > 500
    readme_png = README.parent / "docs" / "jingan-map.png"
    with Image.open(readme_png) as im:
        assert im.size == (1366, 900)


def _map_bounds(browser, path: Path, viewport: tuple[int, int]):
    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:",
               "about:")) else r.abort())  # fmt: skip
    page.goto(path.as_uri())
    page.wait_for_selector(".leaflet-container")
    page.wait_for_timeout(500)
    bounds = page.evaluate(
        """() => { const k = Object.keys(window).find(n => n.startsWith('map_') &&
                   window[n] && window[n].getBounds);
                   const b = window[k].getBounds();
                   return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth(),
                           document.documentElement.scrollWidth]; }"""
    )
    page.close()
    return bounds, problems


def _blue_extent(png: bytes) -> tuple[float, float]:
    """Width and height share of the image spanned by the largest blue-ish (well covered) patch.

    Grid outlines are closed over, so neighbouring grids make one patch; legend swatches and
    markers are small patches of their own.
    """
    from PIL import Image
    from scipy import ndimage

    with Image.open(io.BytesIO(png)) as im:
        rgb = np.asarray(im.convert("RGB")).astype(int)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    mask = ndimage.binary_closing((b > r + 40) & (b >= g), iterations=4)
    labels, n = ndimage.label(mask)
    if n == 0:
        return 0.0, 0.0
    largest = 1 + int(np.argmax(ndimage.sum(mask, labels, range(1, n + 1))))
    ys, xs = np.nonzero(labels == largest)
    return (xs.max() - xs.min()) / rgb.shape[1], (ys.max() - ys.min()) / rgb.shape[0]


@pytest.mark.parametrize("command", ["validate", "check"])
def test_datum_warning_when_the_gcj02_layer_has_no_crs(
    runs: dict[str, Ran], jingan: JinganStudy, command: str
) -> None:
    """The elderly CSV is GCJ-02: without its crs every point moves ~480 m, visibly."""
    study = jingan.folder / "study-no-datum.toml"
    study.write_text(study_text(jingan, elderly_crs=None), encoding="utf-8")
    ran = run_cli([command, study.name], jingan.folder)
    assert ran.returncode in ((0,) if command == "validate" else (0, 1)), ran.stderr
    warnings = [line for line in ran.stderr.splitlines() if line.startswith("warning: ")]
    datum = [w for w in warnings if 'crs = "gcj02" under [layers.' in w]
    assert len(datum) == 1, ran.stderr
    assert "elderly" in datum[0] and "为老服务设施.csv" in datum[0]
    offsets = [float(m) for m in re.findall(r"(\d+(?:\.\d+)?) ?m\b", datum[0])]
    assert any(300 <= m <= 700 for m in offsets), datum  # GCJ-02 shifts Shanghai ~450-500 m
    if command == "check":
        return
    plain = run_cli(["validate", "study.toml"], jingan.folder)
    assert 'crs = "gcj02"' not in plain.stderr  # no warning when the datum is given


def test_relic_list_with_multi_valued_types_loads(tmp_path) -> None:
    built = build_jingan_study(tmp_path / "relics", heritage="relics")
    ran = run_cli(["validate", "study.toml"], built.folder)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "municipal" in ran.stdout and "protection_point" in ran.stdout


def test_network_is_clipped_to_the_grids_plus_a_walking_buffer(jingan: JinganStudy) -> None:
    from lifecircle.errors import LifecircleWarning
    from lifecircle.study import load_study, run_study

    with warnings.catch_warnings():  # a few homes lie > 150 m from a street centreline
        warnings.simplefilter("ignore", LifecircleWarning)
        run = run_study(load_study(jingan.study))
    meta = run.network.meta
    assert meta["extent_source"] in ("grids", "网格")
    assert meta["extent_area_km2"] == pytest.approx(1.74, abs=0.05)
    # the longest walk a target asks for at the fastest profile (15 min at 1.3 m/s) plus the
    # study's snapping distance (150 m): the walk may start that far off the street
    assert meta["extent_buffer_m"] == pytest.approx(15 * 60 * 1.3 + 150, rel=0.01)
    inside, total, given = (
        meta["length_inside_extent_m"], meta["length_total_m"], meta["length_input_m"]
    )  # fmt: skip
    assert 0 < inside < total < given
    assert 200_000 < given < 225_000  # the whole OSM file (212 km)
    assert 10_000 < inside < 60_000
    print(f"network inside extent {inside / 1000:.1f} km, clipped {total / 1000:.1f} km, "
          f"file {given / 1000:.1f} km")  # fmt: skip


class _Rows(HTMLParser):
    """Every table row of an HTML page as a list of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self.rows:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def test_report_headline_rows_equal_the_check_rows(
    runs: dict[str, Ran], jingan: JinganStudy
) -> None:
    """One headline row per target with check's required, achieved and verdict."""
    summary = json.loads((jingan.folder / "out" / "check.json").read_text(encoding="utf-8"))
    parser = _Rows()
    parser.feed((jingan.folder / "out" / "report.html").read_text(encoding="utf-8"))
    for target in summary["targets"]:
        rows = [r for r in parser.rows if r and re.match(rf"^{target['id']}\b", r[0])]
        assert len(rows) == 1, (target["id"], rows)
        text = " | ".join(rows[0])
        assert (
            f"{100 * target['minimum']:.1f}%" in text or f"{100 * target['minimum']:.0f}%" in text
        )
        assert f"{100 * target['achieved']:.1f}%" in text, (text, target["achieved"])
        verdict = "达标" if target["passed"] else "未达标"
        assert verdict in rows[0], text
        for grid in (g for g in target["grids"] if g["status"] == "fail"):
            if target["grids_failed"] <= 3:
                assert grid["id"] in text


def test_outputs_carry_no_local_paths_or_reprs(runs: dict[str, Ran], jingan: JinganStudy) -> None:
    for name in ("report.html", "map.html", "check.md"):
        text = (jingan.folder / "out" / name).read_text(encoding="utf-8")
        assert str(JINGAN_DIR) not in text, name
        assert "WalkNetwork(" not in text, name
    report = (jingan.folder / "out" / "report.html").read_text(encoding="utf-8")
    assert "OpenStreetMap" in report


@pytest.mark.browser
@pytest.mark.parametrize("viewport", [(1366, 900), (390, 844)])
def test_map_opens_on_the_study_grids(
    runs: dict[str, Ran], jingan: JinganStudy, browser, viewport: tuple[int, int]
) -> None:
    """Not on all of central Shanghai (the conservation file's extent)."""
    grids = gpd.read_file(jingan.grids).total_bounds
    (west, south, east, north, scroll_width), problems = _map_bounds(
        browser, jingan.folder / "out" / "map.html", viewport
    )
    assert problems == []
    assert scroll_width <= viewport[0]
    tol = 0.0005  # ~50 m: the grids may touch the edge of the view
    assert west <= grids[0] + tol and south <= grids[1] + tol
    assert east >= grids[2] - tol and north >= grids[3] - tol
    # the grids fill a fair part of the view: it spans at most ~4x their size
    assert (east - west) * (north - south) < 16 * (grids[2] - grids[0]) * (grids[3] - grids[1])


def test_printed_a4_map_shows_the_study_grids(runs: dict[str, Ran], jingan: JinganStudy) -> None:
    """The report's static map (the printed page) is drawn at the scale of the grids.

    Nearly every grid is well covered (blue classes), so the blue pixels span the grids; drawn
    at the extent of every layer (the conservation areas reach across central Shanghai) they
    make a small blob in the middle.
    """
    html = (jingan.folder / "out" / "report.html").read_text(encoding="utf-8")
    pngs = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", html)
    assert pngs, "the report has no static map for printing"
    width, height = _blue_extent(base64.b64decode(max(pngs, key=len)))
    assert width > 0.35 and height > 0.25, (width, height)


def test_check_xlsx_has_every_target_and_grid(runs: dict[str, Ran], jingan: JinganStudy) -> None:
    import openpyxl

    summary = json.loads((jingan.folder / "out" / "check.json").read_text(encoding="utf-8"))
    book = openpyxl.load_workbook(jingan.folder / "out" / "check.xlsx")
    targets, grids = book.worksheets[0], book.worksheets[1]
    assert [row[0].value for row in targets.iter_rows(min_row=2)] == [
        t["id"] for t in summary["targets"]
    ]
    assert grids.max_row == 1 + sum(len(t["grids"]) for t in summary["targets"])
    header = " ".join(str(c.value) for c in targets[1])
    assert re.search(r"[\u4e00-\u9fff]", header)  # the study's language: 中文 headers


def test_suggested_seats_xlsx_lie_on_real_streets(
    runs: dict[str, Ran], jingan: JinganStudy
) -> None:
    import openpyxl

    sheet = openpyxl.load_workbook(jingan.folder / "out" / "new-seats.xlsx").active
    rows = list(sheet.iter_rows(values_only=True))
    header, data = rows[0], rows[1:]
    assert len(data) == 5
    assert header[0] == "排序" and header[1] == "最近街道"
    streets = set(gpd.read_file(jingan.data_dir / ROADS_FILE)["name"].dropna())
    assert all(row[1] in streets for row in data), [row[1] for row in data]
    x0, y0, x1, y1 = gpd.read_file(jingan.grids).total_bounds
    for row in data:
        lon, lat = row[2], row[3]
        assert x0 - 0.01 < lon < x1 + 0.01 and y0 - 0.01 < lat < y1 + 0.01
        assert round(lon, 6) == lon  # coordinates rounded sensibly
