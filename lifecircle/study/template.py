"""The commented study template written by ``lifecircle init``."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

from lifecircle.errors import ConfigError
from lifecircle.study.outputs import write_text_atomic

__all__ = ["STUDY_TEMPLATE", "write_study_template"]

#: Demo layer files copied by ``lifecircle init --demo-data`` (into ``data/``).
DEMO_FILES = (
    "grids.geojson",
    "seats.geojson",
    "elderly.geojson",
    "heritage.geojson",
    "conservation.geojson",
    "buildings.geojson",
    "network.geojson",
)

STUDY_TEMPLATE = """\
# lifecircle study — 15-minute community life circle (15分钟社区生活圈) checks.
# Check it with:   lifecircle validate __STUDY__      (config and layers only)
#                  lifecircle check __STUDY__         (exit 0 = all targets met, 1 = missed)
# Relative paths are relative to this file's folder.

[study]
name = "My subdistrict"            # shown in reports
# description = "2025 review of seats and elderly services"
# synthetic = false                # true labels outputs "synthetic demo"
# boundary = "data/boundary.geojson"   # the study area (polygons); default: the grids' union

[layers]
# Every layer: a file path, or a table { path = "...", crs = "...", layer = "...",
#   x = "经度", y = "纬度", columns = { "点位" = "name" }, encoding = "gb18030" }.
# crs: "EPSG:4326" (WGS-84, default for GeoJSON), "gcj02" (Amap/Tencent), "bd09" (Baidu),
#   "EPSG:4549" (CGCS2000 Gauss-Krüger)... A crs here applies to every layer without one.
# crs = "gcj02"
grids = "data/grids.geojson"       # party-building grids: subdistrict / area / micro-grid
seats = "data/seats.geojson"       # public seating sites (座位数 = seats)
elderly = "data/elderly.geojson"   # elderly services (乐龄生活馆, 长者照护之家, 助浴点...)
heritage = "data/heritage.geojson" # cultural relics and historic buildings
conservation = "data/conservation.geojson"   # optional: historic conservation areas
buildings = "data/buildings.geojson"         # optional: residential buildings with population
# facilities = "data/facilities.geojson"     # optional: schools, clinics, markets... (类别 column)
# seats = { path = "data/seats.xlsx", crs = "gcj02", x = "经度", y = "纬度" }

[network]
# The walking network: an OSM file (.pbf, .osm), a GraphML file, a footpath layer
# (GeoJSON/GeoPackage/Shapefile lines), place = "静安寺街道, 上海" (downloads; needs
# network access), or source = "demo" (the embedded synthetic demo district).
source = "data/network.geojson"
# kind = "lines"                   # pbf | xml | graphml | lines | place | demo (from suffix)
# penalties = { steps = 10.0, crossing_signals = 20.0 }   # extra seconds per edge
# The network is clipped to the study area (the grids, or [study] boundary) plus a walking
# buffer (the longest walk of the targets at their fastest pace + snapping distance), so
# residents near the edge still reach services just outside it; street figures count only
# streets inside the area. Or give the network its own extent:
# bbox = [121.432, 31.214, 121.462, 31.238]   # [west, south, east, north], WGS-84
# boundary = { path = "data/boundary.gpkg", crs = "gcj02" }
# clip = false                     # use the whole network file (not recommended)

[analysis]
profile = "elderly"                # default walking profile of targets (adult / elderly / yours)
walk_minutes = 15                  # default time budget of coverage targets
# max_snap_m = 150                 # points farther from a street are reported, not used
# spacing_m = 25                   # demand lattice spacing when there are no buildings

# [profiles.slow]                  # your own walking profile
# base = "elderly"                 # start from a built-in profile
# speed_m_s = 0.8

# [services]                       # service name -> elderly facility types
# elderly = ["life_centre", "care_home", "day_care", "life_station", "canteen", "other"]
# bathing = ["bathing"]
# The whole 15-minute life circle against a planning standard (needs [layers] facilities):
# preset = "gb50180_2018"          # or "shanghai_2016"; then metric = "completeness" targets
# met_share = 0.9                  # a grid meets a category when this share of residents reach it

# Targets: every grid in scope must reach `minimum` (a share between 0 and 1).
# scope: level = "subdistrict" | "area" | "microgrid" | "leaf" | "all" (optionally
# kind = "residential"), or grids = ["A01-1", "A01-2"].

[[targets]]
name = "Every micro-grid: 90% of residents within 15 min of an elderly service"
metric = "coverage"                # share of residents reaching `service`
service = "elderly"
profile = "elderly"
walk_minutes = 15
level = "microgrid"
minimum = 0.9

[[targets]]
name = "Subdistrict: 95% of walkable street within a 100 m walk of a seat"
metric = "seat_reach"
measure = "street"                 # street (whole network, level = "subdistrict") | residents
reach_m = 100
level = "subdistrict"
minimum = 0.95

[[targets]]
name = "No elderly route has a rest gap over 300 m"
metric = "rest_gap"                # share of residents whose longest seat-less stretch <= max_gap_m
max_gap_m = 300                    # on the walk to their nearest elderly service
level = "subdistrict"
minimum = 1.0

[outputs]
dir = "lifecircle-output"          # maps and reports go here
lang = "zh"                        # zh | en
# basemap = "osm"                  # none (default) | osm | tianditu | amap
# tianditu_key = "..."             # for basemap = "tianditu"; better: the environment
                                   # variable LIFECIRCLE_TIANDITU_KEY (keeps it out of git)

[cache]
dir = ".lifecircle-cache"          # walking networks are cached here (keyed by file content)
"""


def write_study_template(
    path: str | Path = "study.toml", *, force: bool = False, demo_data: bool = False
) -> Path:
    """Write the commented study template to ``path``.

    Parameters
    ----------
    path : str or Path
        Where to write (default ``study.toml``).
    force : bool
        Overwrite an existing file (and existing demo data files).
    demo_data : bool
        Also copy the synthetic demo district's layers into ``data/`` next to the file,
        so that the template runs as it is.

    Returns
    -------
    Path

    Raises
    ------
    ConfigError
        When ``path`` (or a demo data file) exists and ``force`` is false.
    """
    path = Path(path)
    targets = [path]
    data_dir = path.parent / "data"
    if demo_data:
        targets += [data_dir / name for name in DEMO_FILES]
    existing = [str(p) for p in targets if p.exists()]
    if existing and not force:
        raise ConfigError(f"{', '.join(existing)}: already exists; use --force to overwrite")
    if demo_data:
        data_dir.mkdir(parents=True, exist_ok=True)
        demo = resources.files("lifecircle.data").joinpath("demo")
        for name in DEMO_FILES:
            with resources.as_file(demo.joinpath(name)) as source:
                shutil.copyfile(source, data_dir / name)
    write_text_atomic(path, STUDY_TEMPLATE.replace("__STUDY__", path.name))
    return path
