"""Build a real-streets study of Jing'an Temple (静安寺街道) into a folder, for tests.

The real parts are read where they lie, in ``../shared/data/jingan`` (never copied into the
repository; see its PROVENANCE.md):

* the walking network: the OSM street network ``roads_osm_drivable_2025-08-09.osm`` (XML,
  street centrelines only, © OpenStreetMap contributors);
* heritage: a Shanghai Library list in **BD-09** (``lon_bd09``/``lat_bd09``): the excellent
  historic buildings (优秀历史建筑) or the immovable cultural relics (不可移动文物);
* conservation areas: the atlas' historic conservation areas in **GCJ-02**, which cover all
  of central Shanghai (so the study extent matters).

The rest is **synthetic** and written by :func:`build_jingan_study` at test time, seeded, so
every build is byte-identical:

* grids: a subdistrict of about 1.8 km² (the real one is about 1.6 km²; these boundaries are
  invented) split into nine residential areas (居民区) of 2–4 micro-grids each and three
  commercial areas (商务区), about 27,000 residents in all (GeoJSON, WGS-84);
* elderly services: one life centre, one care home, two day-care centres, seven life
  stations and seven bathing sites a few metres off real streets, named after the street,
  as a GBK CSV with Chinese headers (编号, 名称, 类型, 经度, 纬度) in **GCJ-02**;
* seats: about 100 sites and 600 seats along real streets inside the subdistrict, as an XLSX
  with Chinese headers (编号, 名称, 经度, 纬度, 座位数, 扶手) in WGS-84;
* ``study.toml`` with the right ``crs`` per layer and targets like the demo study's.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point, box
from shapely.ops import nearest_points

from lifecircle.geo.crs import wgs84_to_gcj02

#: The real Jing'an extracts, next to the repository (never copied into it).
JINGAN_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "jingan"
NETWORK_FILE = "roads_osm_drivable_2025-08-09.osm"
ROADS_FILE = "roads_osm_drivable_2025-08-09.geojson"
CONSERVATION_FILE = "conservation_areas_ditushu_gcj02.geojson"
HERITAGE_FILES = {
    "buildings": "heritage_excellent_historic_buildings_shlib.csv",
    "relics": "heritage_immovable_relics_shlib.csv",
}
# Column mapping per list: the buildings' record URIs are unique ids; two relics share one
# (a relic listed twice), so the relic list has no id column and gets generated ids.
HERITAGE_COLUMNS = {
    "buildings": '{ uri = "id", nameS = "name" }',
    "relics": '{ nameS = "name" }',
}

#: Synthetic subdistrict rectangle (WGS-84): between Yan'an Rd and Nanjing West Rd.
SUBDISTRICT_BOUNDS = (121.4385, 31.2205, 121.4535, 31.2315)
SEED = 20251123
UTM = "EPSG:32651"

# Block layout (columns west -> east, rows south -> north); "C" marks a commercial area.
_LAYOUT = (
    ("R", "R", "R", "R"),
    ("R", "R", "C", "R"),
    ("R", "C", "C", "R"),
)
_AREA_NUMERALS = "一二三四五六七八九"
_ELDERLY = (  # (count, Chinese type name as written in real lists, name suffix)
    (1, "综合为老服务中心", "综合为老服务中心"),
    (1, "长者照护之家", "长者照护之家"),
    (2, "日间照料中心", "日间照料中心"),
    (7, "乐龄生活站点", "乐龄生活站点"),
    (7, "助浴点", "助浴点"),
)


@dataclass(frozen=True)
class JinganStudy:
    """The files of a built study (all inside ``folder`` except the real extracts)."""

    folder: Path
    study: Path
    grids: Path
    elderly: Path
    seats: Path
    data_dir: Path

    @property
    def network(self) -> Path:
        """The real OSM XML street network."""
        return self.data_dir / NETWORK_FILE


def _cuts(rng: np.random.Generator, lo: float, hi: float, n: int, jitter: float) -> list[float]:
    """``n + 1`` increasing cut positions from ``lo`` to ``hi`` with jittered interior cuts."""
    step = (hi - lo) / n
    inner = [lo + step * (i + rng.uniform(-jitter, jitter)) for i in range(1, n)]
    return [lo, *inner, hi]


def _split_block(rng: np.random.Generator, cell: tuple[float, ...], parts: int) -> list:
    """Split a rectangle into ``parts`` (2–4) non-overlapping rectangles."""
    x0, y0, x1, y1 = cell
    if parts == 4:
        xm, ym = _cuts(rng, x0, x1, 2, 0.15)[1], _cuts(rng, y0, y1, 2, 0.15)[1]
        return [box(x0, y0, xm, ym), box(xm, y0, x1, ym), box(x0, ym, xm, y1), box(xm, ym, x1, y1)]
    if (x1 - x0) >= (y1 - y0) * 0.9:
        xs = _cuts(rng, x0, x1, parts, 0.12)
        return [box(xs[i], y0, xs[i + 1], y1) for i in range(parts)]
    ys = _cuts(rng, y0, y1, parts, 0.12)
    return [box(x0, ys[i], x1, ys[i + 1]) for i in range(parts)]


def make_grids(rng: np.random.Generator) -> gpd.GeoDataFrame:
    """The synthetic grid hierarchy: subdistrict -> 9 residential + 3 commercial areas."""
    x0, y0, x1, y1 = SUBDISTRICT_BOUNDS
    xs = _cuts(rng, x0, x1, len(_LAYOUT[0]), 0.1)
    ys = _cuts(rng, y0, y1, len(_LAYOUT), 0.1)
    rows: list[dict] = []
    micro: list[dict] = []
    n_res = n_com = 0
    for r, line in enumerate(_LAYOUT):
        for c, mark in enumerate(line):
            cell = (xs[c], ys[r], xs[c + 1], ys[r + 1])
            if mark == "C":
                n_com += 1
                rows.append(_area(f"C{n_com}", f"商务区{_AREA_NUMERALS[n_com - 1]}",
                                  f"Business zone {n_com}", "commercial",
                                  int(rng.integers(0, 400)), box(*cell)))  # fmt: skip
                continue
            n_res += 1
            area_id = f"R{n_res:02d}"
            parts = int(rng.integers(2, 5))
            pops = rng.integers(550, 1500, size=parts)
            for k, (geom, pop) in enumerate(zip(_split_block(rng, cell, parts), pops, strict=True)):
                micro.append({
                    "id": f"{area_id}-{k + 1}", "level": "microgrid", "parent_id": area_id,
                    "name": f"{_AREA_NUMERALS[n_res - 1]}居民区第{k + 1}网格 "
                            f"Residential area {n_res} micro-grid {k + 1}",
                    "kind": "residential", "population": int(pop), "geometry": geom,
                })  # fmt: skip
            rows.append(_area(area_id, f"{_AREA_NUMERALS[n_res - 1]}居民区",
                              f"Residential area {n_res}", "residential",
                              int(pops.sum()), box(*cell)))  # fmt: skip
    total = sum(r["population"] for r in rows)
    sub = {"id": "JAS", "level": "subdistrict", "parent_id": None, "kind": None,
           "name": "静安寺街道（网格为合成） Jing'an Temple (synthetic grids)",
           "population": total, "geometry": box(*SUBDISTRICT_BOUNDS)}  # fmt: skip
    return gpd.GeoDataFrame([sub, *rows, *micro], crs="EPSG:4326")


def _area(id_: str, zh: str, en: str, kind: str, pop: int, geom) -> dict:
    return {"id": id_, "level": "area", "parent_id": "JAS", "name": f"{zh} {en}",
            "kind": kind, "population": pop, "geometry": geom}  # fmt: skip


def load_streets(data_dir: Path) -> gpd.GeoDataFrame:
    """Named real streets meeting the subdistrict, in UTM metres."""
    roads = gpd.read_file(data_dir / ROADS_FILE)
    roads = roads[roads["name"].notna() & roads.intersects(box(*SUBDISTRICT_BOUNDS))]
    return roads[["name", "highway", "geometry"]].to_crs(UTM).reset_index(drop=True)


def _point_near_street(
    rng: np.random.Generator, streets: gpd.GeoDataFrame, target: Point, offset_m: float
) -> tuple[Point, str]:
    """The point ``offset_m`` off the street nearest to ``target`` (UTM), and its name.

    Main roads count 60 m farther away: services sit on side streets more often than on them.
    """
    main = streets["highway"].isin(["primary", "secondary"]).to_numpy()
    i = int((streets.distance(target).to_numpy() + 60.0 * main).argmin())
    on_street = nearest_points(streets.geometry.iloc[i], target)[0]
    angle = rng.uniform(0, 2 * np.pi)
    moved = Point(on_street.x + offset_m * np.cos(angle), on_street.y + offset_m * np.sin(angle))
    return moved, str(streets["name"].iloc[i])


def _utm_box(bounds: tuple[float, ...]) -> tuple[float, ...]:
    return tuple(gpd.GeoSeries([box(*bounds)], crs="EPSG:4326").to_crs(UTM).total_bounds)


def make_elderly(
    rng: np.random.Generator, streets: gpd.GeoDataFrame, grids: gpd.GeoDataFrame
) -> pd.DataFrame:
    """18 elderly services near real streets in the residential areas, named after the street.

    Coordinates are WGS-84 (``lon``/``lat`` columns).
    """
    areas = grids[(grids["level"] == "area") & (grids["kind"] == "residential")]
    centres = areas.to_crs(UTM).geometry.centroid.to_numpy()
    rows = []
    for count, type_zh, suffix in _ELDERLY:
        # one site per residential area at most (a life centre serves the whole subdistrict)
        for k in rng.permutation(len(centres))[:count]:
            jitter = rng.uniform(-80, 80, size=2)
            target = Point(centres[k].x + jitter[0], centres[k].y + jitter[1])
            point, street = _point_near_street(rng, streets, target, rng.uniform(8, 20))
            rows.append({"street": street, "type": type_zh, "suffix": suffix, "geometry": point})
    frame = gpd.GeoDataFrame(rows, crs=UTM).to_crs("EPSG:4326")
    seen: dict[str, int] = {}
    names = []
    for street, suffix in zip(frame["street"], frame["suffix"], strict=True):
        key = f"{street}{suffix}"
        seen[key] = seen.get(key, 0) + 1
        names.append(key if seen[key] == 1 else f"{key}（{seen[key]}）")
    return pd.DataFrame({
        "编号": [f"E{i + 1:02d}" for i in range(len(frame))], "名称": names,
        "类型": frame["type"], "lon": frame.geometry.x, "lat": frame.geometry.y,
    })  # fmt: skip


def make_seats(
    rng: np.random.Generator, streets: gpd.GeoDataFrame, n_sites: int = 100
) -> pd.DataFrame:
    """``n_sites`` seat sites a few metres off real streets inside the subdistrict."""
    inside = streets.clip(box(*_utm_box(SUBDISTRICT_BOUNDS))).explode(index_parts=False)
    inside = inside[inside.geom_type == "LineString"].reset_index(drop=True)
    lengths = inside.length.to_numpy()
    picks = rng.choice(len(inside), size=n_sites, p=lengths / lengths.sum())
    rows = []
    for k, i in enumerate(picks):
        line = inside.geometry.iloc[i]
        at = line.interpolate(rng.uniform(0.05, 0.95), normalized=True)
        side = rng.choice([-3.0, 3.0])
        rows.append({
            "编号": f"S{k + 1:03d}", "名称": f"{inside['name'].iloc[i]}座椅{k + 1}",
            "geometry": Point(at.x + side, at.y + side),
            "座位数": int(rng.choice([2, 4, 6, 8, 10], p=[0.1, 0.2, 0.3, 0.25, 0.15])),
            "扶手": "是" if rng.random() < 0.4 else "否",
        })  # fmt: skip
    frame = gpd.GeoDataFrame(rows, crs=UTM).to_crs("EPSG:4326")
    return pd.DataFrame({
        "编号": frame["编号"], "名称": frame["名称"], "经度": frame.geometry.x.round(7),
        "纬度": frame.geometry.y.round(7), "座位数": frame["座位数"], "扶手": frame["扶手"],
    })  # fmt: skip


def _toml_path(path: Path) -> str:
    return json.dumps(path.as_posix(), ensure_ascii=False)


def study_text(
    built: JinganStudy,
    *,
    heritage: str = "buildings",
    elderly_crs: str | None = "gcj02",
    cache_dir: Path | None = None,
) -> str:
    """The study TOML for ``built`` (``elderly_crs=None``: the GCJ-02 layer's datum left out)."""
    data = built.data_dir
    crs_line = f', crs = "{elderly_crs}"' if elderly_crs else ""
    cache = f"\n[cache]\ndir = {_toml_path(cache_dir)}\n" if cache_dir else ""
    return f"""# Jing'an Temple (静安寺街道) on real OSM streets. Grids, residents, elderly services
# and seats are SYNTHETIC test data; network, heritage and conservation areas are real.
[study]
name = "静安寺街道 Jing'an Temple (real streets, synthetic grids)"
description = "Real OSM streets and heritage lists; synthetic grids, residents, services, seats."

[layers]
grids = "{built.grids.name}"
seats = "{built.seats.name}"
elderly = {{ path = "{built.elderly.name}"{crs_line} }}

[layers.heritage]  # Shanghai Library list, Baidu coordinates
path = {_toml_path(data / HERITAGE_FILES[heritage])}
crs = "bd09"
x = "lon_bd09"
y = "lat_bd09"
columns = {HERITAGE_COLUMNS[heritage]}

[layers.conservation]  # atlas conservation areas (all of central Shanghai), Gaode datum
path = {_toml_path(data / CONSERVATION_FILE)}
crs = "gcj02"

[network]
source = {_toml_path(data / NETWORK_FILE)}
kind = "xml"

[analysis]
profile = "elderly"
walk_minutes = 15
# The OSM extract holds street centrelines only (no lanes or compound paths): homes deep
# inside a block lie more than the default 100 m from the nearest street.
max_snap_m = 150

[[targets]]
name = "Subdistrict: 90% of residents within 15 min of an elderly service (elderly pace)"
metric = "coverage"
service = "elderly"
profile = "elderly"
level = "subdistrict"
minimum = 0.9

[[targets]]
name = "Every residential area: 70% of residents within 15 min of an elderly service"
metric = "coverage"
service = "elderly"
profile = "elderly"
level = "area"
kind = "residential"
minimum = 0.7

[[targets]]
name = "Every micro-grid: 80% of residents within 15 min of an elderly service (adult pace)"
metric = "coverage"
service = "elderly"
profile = "adult"
level = "microgrid"
minimum = 0.8

[[targets]]
name = "Subdistrict: 85% of walkable street within a 100 m walk of a seat"
metric = "seat_reach"
measure = "street"
reach_m = 100
level = "subdistrict"
minimum = 0.85

[[targets]]
name = "Subdistrict: 90% of residents walk to elderly services with no seat-less stretch over 300 m"
metric = "rest_gap"
max_gap_m = 300
level = "subdistrict"
minimum = 0.9

[outputs]
dir = "lifecircle-output"
lang = "zh"
{cache}"""


def study_files(folder: Path, *, data_dir: Path = JINGAN_DIR) -> JinganStudy:
    """The paths of a study built (or to be built) in ``folder``."""
    return JinganStudy(
        folder=folder,
        study=folder / "study.toml",
        grids=folder / "grids.geojson",
        elderly=folder / "为老服务设施.csv",
        seats=folder / "座椅点位.xlsx",
        data_dir=data_dir,
    )


def build_jingan_study(
    folder: Path,
    *,
    data_dir: Path = JINGAN_DIR,
    heritage: str = "buildings",
    cache_dir: Path | None = None,
    seed: int = SEED,
) -> JinganStudy:
    """Write the synthetic layers and ``study.toml`` into ``folder``; return their paths.

    Parameters
    ----------
    folder : Path
        Created if missing. Holds ``grids.geojson``, ``为老服务设施.csv`` (GBK, GCJ-02),
        ``座椅点位.xlsx`` and ``study.toml``; the real extracts stay in ``data_dir``.
    data_dir : Path
        The real Jing'an extracts (``../shared/data/jingan``).
    heritage : {"buildings", "relics"}
        Which Shanghai Library list (both BD-09) is the heritage layer.
    cache_dir : Path, optional
        The study's network cache folder (share one between builds to build once);
        default ``.lifecircle-cache`` next to the study.
    seed : int
        Seed of every random choice (same seed, byte-identical files).
    """
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    built = study_files(folder, data_dir=data_dir)
    grids = make_grids(rng)
    built.grids.write_text(grids.to_json(drop_id=True, ensure_ascii=False), encoding="utf-8")
    streets = load_streets(data_dir)
    elderly = make_elderly(rng, streets, grids)
    lon, lat = wgs84_to_gcj02(elderly.pop("lon").to_numpy(), elderly.pop("lat").to_numpy())
    elderly["经度"], elderly["纬度"] = np.round(lon, 7), np.round(lat, 7)
    elderly.to_csv(built.elderly, index=False, encoding="gbk")
    make_seats(rng, streets).to_excel(built.seats, index=False, sheet_name="座椅")
    built.study.write_text(
        study_text(built, heritage=heritage, cache_dir=cache_dir), encoding="utf-8"
    )
    return built


def screenshot_map(
    html: Path, png: Path, *, width: int = 1366, height: int = 900, show_network: bool = True
) -> Path:
    """Screenshot a saved map in headless Chromium (offline) with the street layer shown.

    Needs Playwright and ``/usr/bin/chromium``; every request other than the file is blocked.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": width, "height": height})
        local = ("file:", "data:", "about:")
        page.route(
            "**/*", lambda r: r.continue_() if r.request.url.startswith(local) else r.abort()
        )
        page.goto(html.resolve().as_uri())
        page.wait_for_selector(".leaflet-control-layers", state="attached")
        if show_network:
            boxes = page.locator(".leaflet-control-layers-overlays label")
            for i in range(boxes.count()):
                if boxes.nth(i).inner_text().strip() in ("步行网络", "Walking network"):
                    # by script: on a phone the layer list is folded away
                    boxes.nth(i).locator("input").evaluate("e => e.checked || e.click()")
        page.wait_for_timeout(800)
        page.screenshot(path=str(png))
        browser.close()
    return png


def main(argv: list[str] | None = None) -> int:
    """``python tests/jingan_study.py FOLDER``: build the study into FOLDER.

    ``--screenshot MAP.html OUT.png`` screenshots a saved map instead (the README's picture).
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("folder", type=Path, nargs="?", help="where to write the study")
    parser.add_argument("--data", type=Path, default=JINGAN_DIR, help="the real extracts")
    parser.add_argument("--heritage", choices=sorted(HERITAGE_FILES), default="buildings")
    parser.add_argument("--screenshot", type=Path, nargs=2, metavar=("MAP", "PNG"))
    parser.add_argument("--size", type=int, nargs=2, default=(1366, 900), metavar=("W", "H"))
    args = parser.parse_args(argv)
    if args.screenshot:
        html, png = args.screenshot
        print(f"wrote {screenshot_map(html, png, width=args.size[0], height=args.size[1])}")
        return 0
    if args.folder is None:
        parser.error("give the folder to build the study in")
    if not args.data.is_dir():
        print(f"error: real Jing'an data not found in {args.data}", file=sys.stderr)
        return 2
    built = build_jingan_study(args.folder, data_dir=args.data, heritage=args.heritage)
    print(f"wrote {built.study}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
