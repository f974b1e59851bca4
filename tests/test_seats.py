"""Seat reach, rest gaps, candidates and suggest_seats."""

from __future__ import annotations

from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pytest
import shapely

from lifecircle.coverage.placement.candidates import (
    candidates_along_streets,
    exclude_candidates,
    thin_candidates,
)
from lifecircle.coverage.seats import gaps_along_routes, seat_reach
from lifecircle.coverage.synthetic import network_from_arrays
from lifecircle.errors import InfeasibleError

CRS = "EPSG:32651"


def points(xy, **columns):
    return gpd.GeoDataFrame(columns, geometry=shapely.points(np.asarray(xy, float)), crs=CRS)


def line_network():
    """0 ---100--- 1 ---100--- 2   (a straight 200 m street)."""
    return network_from_arrays([(0, 0), (100, 0), (200, 0)], [(0, 1), (1, 2)], crs=CRS)


def test_seat_reach_on_a_straight_street():
    net = line_network()
    seats = points([(50, 0)], seats=[4])
    homes = points(
        [(10, 0), (140, 0), (190, 0)], grid_id=["g1", "g1", "g2"], weight=[2.0, 3.0, 5.0]
    )
    layers = SimpleNamespace(seats=seats)
    reach = seat_reach(layers, net, reach_m=50, demand=homes)
    # the seat at 50 m reaches 0..100 m of the 200 m street
    assert reach.covered_length_m == pytest.approx(100.0)
    assert reach.length_share == pytest.approx(0.5)
    # home at 10 m is 40 m away (within), 140 m is 90 m away, 190 m is 140 m away
    assert reach.weight_share == pytest.approx(2 / 10)
    assert reach.grids.loc["g1", "share"] == pytest.approx(2 / 5)
    assert reach.distance_m.iloc[0] == pytest.approx(40.0)
    more = seat_reach(
        layers, net, reach_m=50, demand=homes, seats=points([(50, 0), (170, 0)], seats=[1, 1])
    )
    assert more.weight_share >= reach.weight_share
    assert more.covered_length_m == pytest.approx(180.0)


def test_armrest_filter():
    net = line_network()
    seats = points([(50, 0), (150, 0)], seats=[2, 2], armrest=[False, True])
    homes = points([(40, 0)], grid_id=["g"], weight=[1.0])
    layers = SimpleNamespace(seats=seats)
    assert seat_reach(layers, net, reach_m=20, demand=homes).weight_share == 1.0
    assert seat_reach(layers, net, reach_m=20, demand=homes, require_armrest=True).weight_share == 0


def test_longest_gap_along_a_route():
    """Route 0 -> 300 m; a seat 5 m beside x=100 counts, one 30 m beside x=250 does not."""
    route = gpd.GeoSeries([shapely.LineString([(0, 0), (300, 0)])], crs=CRS, index=["r"])
    seats = points([(100, 5), (250, 30)])
    gaps = gaps_along_routes(route, seats, seat_route_m=15)
    row = gaps.loc["r"]
    assert row["longest_gap_m"] == pytest.approx(200.0)
    assert (row["gap_start_m"], row["gap_end_m"]) == pytest.approx((100.0, 300.0))
    assert row["n_seats"] == 1
    none = gaps_along_routes(route, points(np.zeros((0, 2))), seat_route_m=15)
    assert none.loc["r", "longest_gap_m"] == pytest.approx(300.0)


def test_candidates_skip_steps_and_private_ways():
    net = network_from_arrays(
        [(0, 0), (100, 0), (100, 50), (0, 50)],
        [(0, 1), (1, 2), (2, 3)],
        crs=CRS,
        highway=["footway", "steps", "footway"],
    )
    net.edges["access"] = [None, None, "private"]
    cands = candidates_along_streets(net, spacing_m=20)
    assert cands["edge"].tolist() == [0] * 5
    assert np.allclose(cands["offset_m"], [10, 30, 50, 70, 90])


def test_exclusions_and_thinning():
    net = line_network()
    cands = candidates_along_streets(net, spacing_m=10)
    heritage = gpd.GeoDataFrame(geometry=[shapely.box(0, -5, 30, 5)], crs=CRS)
    seats = points([(200, 0)])
    kept = exclude_candidates(
        cands, heritage=heritage, heritage_buffer_m=2, existing_seats=seats, min_spacing_m=25
    )
    x = shapely.get_x(kept.geometry.to_numpy())
    assert x.min() > 32 and x.max() < 175
    thin = thin_candidates(kept, min_spacing_m=25)
    tx = np.sort(shapely.get_x(thin.geometry.to_numpy()))
    assert np.all(np.diff(tx) > 25)
    with pytest.raises(InfeasibleError, match="no candidate seat sites left"):
        exclude_candidates(
            cands, heritage=gpd.GeoDataFrame(geometry=[shapely.box(-1, -1, 201, 1)], crs=CRS)
        )


@pytest.fixture(scope="module")
def demo_suggestions():
    from lifecircle.coverage.build import load_demo_network
    from lifecircle.coverage.placement.suggest import suggest_seats
    from lifecircle.geo import load_demo_layers

    layers, net = load_demo_layers(), load_demo_network()
    return layers, net, suggest_seats(layers, net, k=5, time_limit_s=5)


@pytest.mark.slow
def test_suggest_seats_on_the_demo(demo_suggestions):
    layers, net, result = demo_suggestions
    sites = result.sites
    assert sites["rank"].tolist() == [1, 2, 3, 4, 5]
    assert sites["gain_total"].sum() == pytest.approx(result.placement.covered_weight)
    assert (np.diff(sites["gain_total"].to_numpy()) <= 1e-9).all()
    xy = sites.to_crs(net.crs).geometry
    seats = layers.seats.to_crs(net.crs).geometry
    assert min(seats.distance(p).min() for p in xy) >= 40 - 1e-6
    assert min(xy.distance(p).drop(i).min() for i, p in xy.items()) >= 40 - 1e-6
    heritage = layers.heritage.to_crs(net.crs).geometry
    assert min(heritage.distance(p).min() for p in xy) >= 5 - 1e-6
    comp = result.comparison
    assert (comp["reach_after"] >= comp["reach_before"] - 1e-12).all()
    assert (comp["worst_gap_after_m"] <= comp["worst_gap_before_m"] + 1e-9).all()
    assert sites["street"].notna().all()
