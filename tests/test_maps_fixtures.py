"""Hand-made layers and a coverage result shaped like lifecircle's, for the map tests.

The district is a 1 km square near Jing'an Temple split into two areas (west/east)
and four micro-grids (quadrants)::

    +---------+---------+
    |  g_nw   |  g_ne   |     shares of "elderly": nw 0.30, ne 0.60,
    | (A_w)   | (A_e)   |                          sw 0.90, se 1.00
    +---------+---------+     shares of "care":    all 0.97
    |  g_sw   |  g_se   |
    +---------+---------+
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point, box

from lifecircle.coverage.measures.coverage_result import CoverageResult
from lifecircle.geo.layers import Layers

UTM = 32651  # UTM 51N, metric, covers Shanghai
ORIGIN = (352_000.0, 3_455_000.0)  # ~ (121.447 E, 31.217 N)
EVIL = [
    "<script>window.__pwned=1</script>",
    '"><img src=x onerror="window.__pwned=1">',
    "</div></script><script>alert(1)</script>",
]


def _sq(x0: float, y0: float, x1: float, y1: float):
    return box(ORIGIN[0] + x0, ORIGIN[1] + y0, ORIGIN[0] + x1, ORIGIN[1] + y1)


def _pt(x: float, y: float) -> Point:
    return Point(ORIGIN[0] + x, ORIGIN[1] + y)


def make_layers(*, evil: bool = False, n_seats: int = 6, seed: int = 0) -> Layers:
    """Planning layers; with ``evil=True`` every name is a script-injection attempt."""

    def name(plain: str, i: int) -> str:
        return EVIL[i % len(EVIL)] if evil else plain

    grids = gpd.GeoDataFrame(
        {
            "id": ["S", "A_w", "A_e", "g_nw", "g_ne", "g_sw", "g_se"],
            "name": [
                name(n, i)
                for i, n in enumerate(
                    ["静安寺街道", "西区", "东区", "西北网格", "东北网格", "西南网格", "东南网格"]
                )
            ],
            "level": ["subdistrict", "area", "area"] + ["microgrid"] * 4,
            "parent_id": [None, "S", "S", "A_w", "A_e", "A_w", "A_e"],
            "kind": ["residential"] * 7,
            "population": [4000.0, 2000.0, 2000.0, 1000.0, 1000.0, 1000.0, 1000.0],
        },
        geometry=[
            _sq(0, 0, 1000, 1000),
            _sq(0, 0, 500, 1000),
            _sq(500, 0, 1000, 1000),
            _sq(0, 500, 500, 1000),
            _sq(500, 500, 1000, 1000),
            _sq(0, 0, 500, 500),
            _sq(500, 0, 1000, 500),
        ],
        crs=UTM,
    ).to_crs(4326)
    rng = np.random.default_rng(seed)
    xy = rng.uniform(20, 980, size=(n_seats, 2))
    seats = gpd.GeoDataFrame(
        {
            "id": [f"s{i}" for i in range(n_seats)],
            "name": [name(f"座椅{i}", i) for i in range(n_seats)],
            "seats": rng.integers(1, 12, n_seats),
            "armrest": rng.random(n_seats) < 0.5,
            "charging": rng.random(n_seats) < 0.2,
        },
        geometry=[_pt(x, y) for x, y in xy],
        crs=UTM,
    ).to_crs(4326)
    types = ["life_centre", "care_home", "day_care", "life_station", "bathing", "canteen", "other"]
    elderly = gpd.GeoDataFrame(
        {
            "id": [f"e{i}" for i in range(len(types))],
            "name": [name(f"为老设施{i}", i) for i in range(len(types))],
            "type": types,
            "capacity": [50.0, 30.0, np.nan, 10.0, 4.0, 80.0, np.nan],
        },
        geometry=[_pt(100 + 120 * i, 300 + 60 * i) for i in range(len(types))],
        crs=UTM,
    ).to_crs(4326)
    heritage = gpd.GeoDataFrame(
        {
            "id": ["h1", "h2", "h3"],
            "name": [name("静安寺", 0), name("百乐门", 1), name("某优秀历史建筑", 2)],
            "level": ["municipal", "district", "historic_building"],
            "category": [None, None, "II"],
        },
        geometry=[_sq(600, 600, 680, 660), _sq(200, 700, 260, 760), _pt(820, 200)],
        crs=UTM,
    ).to_crs(4326)
    conservation = gpd.GeoDataFrame(
        {"id": ["c1"], "name": [name("南京西路历史文化风貌区", 1)]},
        geometry=[_sq(550, 550, 950, 950)],
        crs=UTM,
    ).to_crs(4326)
    return Layers(
        grids=grids,
        seats=seats,
        elderly=elderly,
        heritage=heritage,
        conservation=conservation,
        buildings=None,
        name=name("测试街区 Test district", 2),
        synthetic=True,
    )


def make_result(layers: Layers, *, target_share: float = 0.95) -> CoverageResult:
    """A real :class:`CoverageResult` with hand-set shares (see the module docstring)."""
    grids = layers.grids[["id", "name", "level", "parent_id", "kind", "geometry"]].copy()
    grids["weight"] = layers.grids["population"].to_numpy()
    grids["is_leaf"] = grids["level"] == "microgrid"
    elderly = {"S": 0.7, "A_w": 0.6, "A_e": 0.8, "g_nw": 0.3, "g_ne": 0.6, "g_sw": 0.9, "g_se": 1.0}
    grids["share_elderly"] = grids["id"].map(elderly)
    grids["share_care"] = 0.97
    grids["share_bathing"] = np.where(grids["id"] == "g_se", np.nan, 0.1)
    for s in ("elderly", "care", "bathing"):
        grids[f"covered_{s}"] = grids[f"share_{s}"] >= target_share
    isochrones = gpd.GeoDataFrame(
        {
            "service": ["elderly", "care", "bathing", "elderly"],
            "facility_id": [None, None, None, "e0"],
            "minutes": [15.0, 15.0, 15.0, 15.0],
        },
        geometry=[
            _sq(300, 0, 1000, 700),
            _sq(0, 0, 1000, 1000),
            _sq(0, 0, 200, 200),
            _sq(300, 0, 1000, 700),
        ],
        crs=UTM,
    ).to_crs(4326)
    facilities = gpd.GeoDataFrame(
        {
            "service": ["elderly"],
            "id": ["e0"],
            "name": [layers.elderly["name"].iloc[0]],
            "type": ["life_centre"],
            "snap_m": [5.0],
            "served_weight": [1500.0],
            "n_grids": [2],
            "grids": ["g_sw,g_se"],
        },
        geometry=[layers.elderly.geometry.iloc[0]],
        crs=4326,
    )
    demand = gpd.GeoDataFrame(
        {
            "grid_id": ["g_nw", "g_ne", "g_sw", "g_se"],
            "weight": [1000.0] * 4,
            "snap_m": [3.0] * 4,
            "component": [0] * 4,
            "minutes_elderly": [20.0, 14.0, 9.0, 4.0],
            "facility_elderly": ["e0"] * 4,
            "minutes_care": [5.0] * 4,
            "facility_care": ["e1"] * 4,
            "minutes_bathing": [30.0] * 4,
            "facility_bathing": [None] * 4,
        },
        geometry=[_pt(250, 750), _pt(750, 750), _pt(250, 250), _pt(750, 250)],
        crs=UTM,
    ).to_crs(4326)
    unsnapped = pd.DataFrame(columns=["kind", "service", "id", "grid_id", "snap_m"])
    params = {
        "profile": "elderly",
        "speed_m_s": 1.0,
        "walk_minutes": 15.0,
        "max_snap_m": 150.0,
        "access_m": 50.0,
        "spacing_m": 50.0,
        "target_share": target_share,
        "services": {"elderly": ["life_centre"], "care": ["care_home"], "bathing": ["bathing"]},
    }
    return CoverageResult(
        demand=demand,
        grids=grids,
        facilities=facilities,
        isochrones=isochrones,
        unsnapped=unsnapped,
        params=params,
    )


def make_suggestions(*, evil: bool = False) -> gpd.GeoDataFrame:
    """Three suggested seats with gain columns."""
    return gpd.GeoDataFrame(
        {
            "rank": [2, 1, 3],
            "gain_weight": [120.0, 300.0, 45.5],
            "gain_share": [0.03, 0.075, 0.011],
            "note": [EVIL[0] if evil else "near school", "", ""],
        },
        geometry=[_pt(250, 750), _pt(700, 800), _pt(150, 150)],
        crs=UTM,
    ).to_crs(4326)
