"""The demand lattice, laid out for every grid at once, equals the per-grid loop it replaced.

The demo's outputs depend on the demand points and their order, so the vectorised lattice
must give the same frame, point for point: the reference below is the v0.1 loop.
"""

from __future__ import annotations

import sys

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

import lifecircle.coverage.measures.demand as demand
from lifecircle.coverage.measures.demand import (
    demand_from_layers,
    demand_table,
    max_lattice_points,
    points_frame,
)
from lifecircle.errors import ParameterError

CRS = "EPSG:32651"
X0, Y0 = 350_000.0, 3_455_000.0


def _loop_lattice(leaves: gpd.GeoDataFrame, *, spacing_m: float, kind: str) -> pd.DataFrame:
    """v0.1: one lattice, one ``contains_xy`` and one DataFrame per grid."""
    frames = []
    for _, grid in leaves.iterrows():
        poly = grid.geometry
        if poly is None or poly.is_empty:
            continue
        x0, y0, x1, y1 = poly.bounds
        xs = np.arange(np.ceil(x0 / spacing_m), np.floor(x1 / spacing_m) + 1) * spacing_m
        ys = np.arange(np.ceil(y0 / spacing_m), np.floor(y1 / spacing_m) + 1) * spacing_m
        gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
        inside = shapely.contains_xy(poly, gx, gy)
        gx, gy = gx[inside], gy[inside]
        if len(gx) == 0:
            rp = poly.representative_point()
            gx, gy = np.array([rp.x]), np.array([rp.y])
        if kind == "population":
            pop = float(pd.to_numeric(grid.get("population"), errors="coerce"))
            total = pop if np.isfinite(pop) else 0.0
        else:
            total = float(poly.area)
        frames.append(
            pd.DataFrame(
                {
                    "grid_id": grid["id"],
                    "weight": total / len(gx),
                    "weight_kind": kind,
                    "source": "lattice",
                    "building_id": None,
                    "geometry": shapely.points(gx, gy),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _shape(kind: int, x: float, y: float, size: float) -> shapely.Geometry:
    box = shapely.box(X0 + x, Y0 + y, X0 + x + size, Y0 + y + 0.7 * size)
    if kind == 0:
        return box
    if kind == 1:  # a triangle
        return shapely.Polygon([(X0 + x, Y0 + y), (X0 + x + size, Y0 + y), (X0 + x, Y0 + y + size)])
    if kind == 2:  # a ring (a hole in the middle)
        return box.difference(box.buffer(-size / 4))
    return shapely.MultiPolygon(
        [box, shapely.box(X0 + x + 2 * size, Y0 + y, X0 + x + 3 * size, Y0 + y + 5)]
    )


@settings(max_examples=40)
@given(
    grids=st.lists(
        st.tuples(
            st.integers(0, 3),
            st.floats(0, 2_000),
            st.floats(0, 2_000),
            st.floats(0.5, 400),
            st.one_of(st.none(), st.floats(0, 5_000)),
        ),
        min_size=1,
        max_size=12,
    ),
    spacing_m=st.sampled_from([7.0, 25.0, 33.3, 60.0]),
    by_area=st.booleans(),
)
def test_lattice_equals_per_grid_loop(grids, spacing_m, by_area):
    frame = gpd.GeoDataFrame(
        {
            "id": [f"G{i}" for i in range(len(grids))],
            "name": [f"G{i}" for i in range(len(grids))],
            "level": "microgrid",
            "parent_id": None,
            "kind": "residential",
            "population": [np.nan if by_area else (p if p is not None else 0.0) for *_, p in grids],
        },
        geometry=[_shape(k, x, y, s) for k, x, y, s, _ in grids],
        crs=CRS,
    )
    got = demand_from_layers(frame, crs=CRS, spacing_m=spacing_m)
    want = _loop_lattice(frame, spacing_m=spacing_m, kind="area" if by_area else "population")
    want = gpd.GeoDataFrame(want, geometry="geometry", crs=CRS)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert got.geometry.geom_equals_exact(want.geometry, 0).all()


def test_grid_without_lattice_node_gets_its_representative_point():
    """A 5 m grid between lattice nodes (spacing 25 m) holds one point, its whole weight."""
    tiny = shapely.box(X0 + 1, Y0 + 1, X0 + 6, Y0 + 6)
    frame = gpd.GeoDataFrame(
        {"id": ["T", "B"], "name": ["T", "B"], "level": "microgrid", "parent_id": None,
         "kind": "residential", "population": [7.0, 100.0]},
        geometry=[tiny, shapely.box(X0, Y0 + 100, X0 + 100, Y0 + 200)],
        crs=CRS,
    )  # fmt: skip
    demand = demand_from_layers(frame, crs=CRS, spacing_m=25)
    first = demand.iloc[0]
    assert first["grid_id"] == "T" and first["weight"] == 7.0
    assert first.geometry.equals(tiny.representative_point())
    assert (demand["grid_id"] == "B").sum() == 9  # 3 x 3 nodes: the border is not inside


def _two_grids() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": ["A", "B"], "name": ["A", "B"], "level": "microgrid", "parent_id": None,
         "kind": "residential", "population": [50.0, 80.0]},
        geometry=[shapely.box(X0, Y0, X0 + 400, Y0 + 300),
                  shapely.box(X0 + 400, Y0, X0 + 700, Y0 + 300)],
        crs=CRS,
    )  # fmt: skip


def test_demand_table_holds_the_frames_points_as_coordinates():
    grids = _two_grids()
    table = demand_table(grids, crs=CRS, spacing_m=25)
    frame = demand_from_layers(grids, crs=CRS, spacing_m=25)
    assert list(table.columns) == [*frame.columns[:-1], "x", "y"]
    np.testing.assert_array_equal(
        table[["x", "y"]].to_numpy(), shapely.get_coordinates(frame.geometry)
    )
    pd.testing.assert_frame_equal(points_frame(table, CRS), frame, check_exact=True)


def test_lattice_limit_follows_available_memory(monkeypatch):
    """The guard allows what fits in the memory there is, and names the spacing that fits."""
    grids = _two_grids()  # 700 m x 300 m: about 29 x 13 points at 25 m, 701 x 301 at 1 m
    assert max_lattice_points(available=600 * 1_000) == int(1_000 * demand.MEMORY_SHARE)
    monkeypatch.setattr(demand, "available_memory_bytes", lambda: 600 * 1_000)
    assert len(demand_table(grids, crs=CRS, spacing_m=25)) > 250  # fits in 800 points
    with pytest.raises(ParameterError, match=r"at most 800 fit in this machine's available") as e:
        demand_table(grids, crs=CRS, spacing_m=5)
    suggest = float(str(e.value).split("spacing_m of at least ")[1].split()[0])
    assert len(demand_table(grids, crs=CRS, spacing_m=suggest)) <= 800
    monkeypatch.setattr(demand, "available_memory_bytes", lambda: 600 * 10**6)
    assert len(demand_table(grids, crs=CRS, spacing_m=1)) > 200_000  # 800k allowed
    monkeypatch.setattr(demand, "available_memory_bytes", lambda: None)  # not Linux
    assert max_lattice_points() == demand.FALLBACK_LATTICE_POINTS


def test_available_memory_is_read_on_linux():
    available = demand.available_memory_bytes()
    if sys.platform.startswith("linux"):
        assert available is not None and available > 0
    else:
        assert available is None
