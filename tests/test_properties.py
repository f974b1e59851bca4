"""Property tests: coverage invariants over random facility sets and budgets."""

from __future__ import annotations

import functools
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lifecircle.coverage import compute_coverage
from lifecircle.coverage.network.synthetic import synthetic_city

SETTINGS = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
TYPES = ("life_centre", "care_home", "day_care", "life_station", "bathing", "canteen")


@functools.lru_cache(maxsize=1)
def _world():
    """A 400-node synthetic city, 2x2 micro-grids under 2 areas, 60 buildings."""
    net = synthetic_city(400, seed=21)
    x0, y0, x1, y1 = net.edges.total_bounds
    mx, my = (x0 + x1) / 2, (y0 + y1) / 2
    grids = gpd.GeoDataFrame(
        {
            "id": ["S", "A", "B", "A1", "A2", "B1", "B2"],
            "name": ["S", "A", "B", "A1", "A2", "B1", "B2"],
            "level": ["subdistrict", "area", "area"] + ["microgrid"] * 4,
            "parent_id": [None, "S", "S", "A", "A", "B", "B"],
            "kind": "residential",
            "population": np.nan,
        },
        geometry=[
            shapely.box(x0, y0, x1, y1),
            shapely.box(x0, y0, mx, y1),
            shapely.box(mx, y0, x1, y1),
            shapely.box(x0, y0, mx, my),
            shapely.box(x0, my, mx, y1),
            shapely.box(mx, y0, x1, my),
            shapely.box(mx, my, x1, y1),
        ],
        crs=net.crs,
    )
    rng = np.random.default_rng(21)
    buildings = gpd.GeoDataFrame(
        {"id": [f"b{i}" for i in range(60)], "population": rng.integers(0, 200, 60) * 1.0},
        geometry=shapely.points(rng.uniform([x0, y0], [x1, y1], size=(60, 2))),
        crs=net.crs,
    )
    sites = gpd.GeoDataFrame(
        {
            "id": [f"e{i}" for i in range(20)],
            "name": [f"E{i}" for i in range(20)],
            "type": rng.choice(TYPES, 20),
        },
        geometry=shapely.points(rng.uniform([x0, y0], [x1, y1], size=(20, 2))),
        crs=net.crs,
    )
    return net, grids, buildings, sites


def _shares(chosen, minutes, *, shuffle_seed=None):
    net, grids, buildings, sites = _world()
    elderly = sites.iloc[sorted(chosen)]
    if shuffle_seed is not None:
        rng = np.random.default_rng(shuffle_seed)
        elderly = elderly.iloc[rng.permutation(len(elderly))]
        grids = grids.iloc[rng.permutation(len(grids))]
        buildings = buildings.iloc[rng.permutation(len(buildings))]
    layers = SimpleNamespace(grids=grids, elderly=elderly, buildings=buildings)
    result = compute_coverage(
        layers, net, services={"any": TYPES}, walk_minutes=minutes, isochrones=False
    )
    return result.grid_table().set_index("id").sort_index()["share_any"]


facility_sets = st.sets(st.integers(0, 19), min_size=1, max_size=8)
budgets = st.floats(1.0, 20.0)


@SETTINGS
@given(facility_sets, budgets)
def test_shares_within_unit_interval(chosen, minutes):
    shares = _shares(chosen, minutes)
    assert ((shares >= 0) & (shares <= 1)).all()


@SETTINGS
@given(facility_sets, budgets, st.floats(0.5, 10.0))
def test_never_decreases_with_more_minutes(chosen, minutes, extra):
    before = _shares(chosen, minutes)
    after = _shares(chosen, minutes + extra)
    assert (after >= before - 1e-12).all()


@SETTINGS
@given(facility_sets, budgets, st.integers(0, 19))
def test_never_decreases_when_a_facility_is_added(chosen, minutes, extra):
    before = _shares(chosen, minutes)
    after = _shares(chosen | {extra}, minutes)
    assert (after >= before - 1e-12).all()


@SETTINGS
@given(facility_sets, budgets, st.integers(0, 2**16))
def test_unchanged_when_rows_are_shuffled(chosen, minutes, seed):
    pd.testing.assert_series_equal(
        _shares(chosen, minutes), _shares(chosen, minutes, shuffle_seed=seed), atol=1e-12
    )
