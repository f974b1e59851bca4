"""The demand lattice, laid out for every grid at once, equals the per-grid loop it replaced.

The demo's outputs depend on the demand points and their order, so the vectorised lattice
must give the same frame, point for point: the reference below is the v0.1 loop.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from lifecircle.coverage.measures.demand import demand_from_layers

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
