"""Incremental seats: every edit's residents' figures equal a full seat_reach, exactly."""

from __future__ import annotations

import functools
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lifecircle.coverage.measures.seats import seat_reach
from lifecircle.coverage.measures.what_if.what_if_seats import SeatState
from lifecircle.study.synthetic_city import synthetic_city_study

SETTINGS = settings(
    max_examples=12, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


@functools.lru_cache(maxsize=1)
def _world():
    """A 400-node synthetic city with its grids, and 25 seat sites (some on nodes, two
    sharing a spot, one far off every street)."""
    layers, net = synthetic_city_study(400, seed=2)
    rng = np.random.default_rng(2)
    x0, y0, x1, y1 = net.edges.total_bounds
    xy = rng.uniform([x0, y0], [x1, y1], size=(25, 2))
    xy[:3] = net.node_xy[rng.choice(net.n_nodes, 3)]
    xy[3] = xy[4]
    xy[5] = (x1 + 5_000.0, y1 + 5_000.0)
    seats = gpd.GeoDataFrame({"seats": np.ones(25, dtype=np.int64)},
                             geometry=shapely.points(xy), crs=net.crs)  # fmt: skip
    return SimpleNamespace(grids=layers.grids, buildings=None, seats=seats), net


def _assert_equal_to_full(state: SeatState, layers, net) -> None:
    full = seat_reach(layers, net, reach_m=state.reach_m, seats=state.seats,
                      max_snap_m=state.max_snap_m)  # fmt: skip
    pd.testing.assert_series_equal(state.distance_m(), full.distance_m, check_exact=True)
    pd.testing.assert_frame_equal(state.grids, full.grids, check_exact=True, check_names=False)
    assert state.weight_share == full.weight_share


@SETTINGS
@given(
    start=st.lists(st.integers(0, 24), min_size=0, max_size=25, unique=True),
    steps=st.lists(
        st.one_of(
            st.tuples(
                st.just("add"),
                st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), min_size=1, max_size=3),
            ),
            st.tuples(st.just("remove"), st.integers(0, 10**6)),
        ),
        min_size=1,
        max_size=5,
    ),
    reach_m=st.sampled_from([50.0, 140.0, 300.0]),
)
def test_seat_edits_equal_a_full_seat_reach(start, steps, reach_m):
    layers, net = _world()
    x0, y0, x1, y1 = net.edges.total_bounds
    here = SimpleNamespace(**{**vars(layers), "seats": layers.seats.iloc[sorted(start)]})
    state = SeatState.from_layers(here, net, reach_m=reach_m)
    _assert_equal_to_full(state, here, net)
    for kind, what in steps:
        if kind == "add":
            xy = [(x0 + fx * (x1 - x0), y0 + fy * (y1 - y0)) for fx, fy in what]
            state = state.add_seats(xy, crs=net.crs)
        elif len(state.seats):
            state = state.remove_seats([state.seats.index[what % len(state.seats)]])
        _assert_equal_to_full(state, layers, net)


def test_states_are_immutable_and_edits_checked():
    layers, net = _world()
    state = SeatState.from_layers(layers, net, reach_m=140.0)
    before = state.distance_m().copy()
    fewer = state.remove_seats(list(state.seats.index[:10]))
    assert fewer.weight_share < state.weight_share
    pd.testing.assert_series_equal(state.distance_m(), before)
    lonlat = state.seats.to_crs(4326).geometry.iloc[:10]
    back = fewer.add_seats(list(zip(lonlat.x, lonlat.y, strict=True)))  # EPSG:4326 default
    assert back.weight_share == pytest.approx(state.weight_share)
    with pytest.raises(KeyError, match="no seat site has key 999"):
        state.remove_seats([999])
    with pytest.raises(ValueError, match="reach_m must be > 0"):
        SeatState.from_layers(layers, net, reach_m=0)
