"""A tiny hand-checkable life-circle study shared by the life-circle tests."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
from shapely.geometry import LineString, Point, box

from lifecircle.coverage.network.build import network_from_lines
from lifecircle.coverage.presets import ServiceCatalogue, ServiceCategory
from lifecircle.coverage.routing.profiles import WalkProfile
from lifecircle.geo import Layers

CRS = "EPSG:32651"
X0, Y0 = 350_000.0, 3_430_000.0
METRES = WalkProfile("metres", 1.0)


def _frame(columns: dict, geoms: list) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(columns, geometry=geoms, crs=CRS).to_crs(4326)


def _category(code: str, max_walk_m: float, name: str | None = None) -> ServiceCategory:
    return ServiceCategory(
        code, name or code, name or code, 5, max_walk_m, None, "test", "read", "test clause", "read"
    )


def make_street(category_name: str = "kindergarten", grid_name: str = "grid 2"):
    """One 600 m street, three 200 m edges, two 300 m grids under one subdistrict::

        A(0) ------ B(200) ------ C(400) ------ D(600)      x in metres, y = 0
          b1(50) K(100)   b2(250) |  b3(450)  M(500)
        |<------- grid G1 ------->|<------- grid G2 ------->|

    b1, b2, b3 are buildings of 60, 40 and 100 residents on the street; K is a
    kindergarten (limit 300 m, capacity 50), M a market (limit 500 m).
    """
    lines = gpd.GeoDataFrame(
        {"highway": ["residential"] * 3},
        geometry=[LineString([(X0 + a, Y0), (X0 + a + 200, Y0)]) for a in (0, 200, 400)],
        crs=CRS,
    )
    network = network_from_lines(lines)
    grids = _frame(
        {
            "id": ["S", "G1", "G2"],
            "name": ["sub", "grid 1", grid_name],
            "level": ["subdistrict", "microgrid", "microgrid"],
            "parent_id": [None, "S", "S"],
            "kind": [None, "residential", "residential"],
            "population": [200.0, 100.0, 100.0],
            "older": [50.0, 10.0, 40.0],
        },
        [
            box(X0, Y0 - 50, X0 + 600, Y0 + 50),
            box(X0, Y0 - 50, X0 + 300, Y0 + 50),
            box(X0 + 300, Y0 - 50, X0 + 600, Y0 + 50),
        ],
    )
    buildings = _frame(
        {
            "id": ["b1", "b2", "b3"],
            "name": ["", "", ""],
            "population": [60.0, 40.0, 100.0],
            "grid_id": ["G1", "G1", "G2"],
        },
        [Point(X0 + 50, Y0), Point(X0 + 250, Y0), Point(X0 + 450, Y0)],
    )
    facilities = _frame(
        {
            "id": ["K", "M"],
            "name": ["kindergarten", "market"],
            "category": ["kindergarten", "market"],
            "capacity": [50.0, np.nan],
        },
        [Point(X0 + 100, Y0), Point(X0 + 500, Y0)],
    )
    empty = _frame({"id": [], "name": [], "type": []}, [])
    layers = Layers(grids, empty, empty, empty, buildings=buildings, facilities=facilities)
    catalogue = ServiceCatalogue(
        "test",
        "测试",
        "test",
        "TEST-1",
        (_category("kindergarten", 300.0, category_name), _category("market", 500.0)),
    )
    return layers, network, catalogue
