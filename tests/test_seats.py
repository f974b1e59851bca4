"""Seat reach, rest gaps, candidates and suggest_seats."""

from __future__ import annotations

from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pytest
import shapely
import shapely.ops
from hypothesis import given, settings
from hypothesis import strategies as st

from lifecircle.coverage.measures.seats import (
    elderly_routes,
    gaps_along_routes,
    seat_reach,
    usable_seats,
)
from lifecircle.coverage.network.synthetic import network_from_arrays
from lifecircle.coverage.placement.candidates import (
    candidates_along_streets,
    exclude_candidates,
    thin_candidates,
)
from lifecircle.coverage.routing.route_trees import line_pieces, tree_paths
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
    armrests = usable_seats(seats, require_armrest=True)
    assert seat_reach(layers, net, reach_m=20, demand=homes, seats=armrests).weight_share == 0


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
    from lifecircle.coverage.measures.seat_suggestions import suggest_seats
    from lifecircle.coverage.network.build import load_demo_network
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
    # every suggestion names the grids it helps: residents newly near a seat, or residents
    # whose too-long rest gap it breaks (sites may gain through gaps alone)
    grid_ids = set(layers.grids["id"])
    for row in sites.itertuples():
        named = [g for g in row.grids.split(",") if g]
        assert named, f"rank {row.rank} names no grid"
        assert set(named) <= grid_ids
        if row.gain_gap_residents > 0:
            assert row.routes_helped >= 1


# --- fast (tree) route tracing and gaps vs the straightforward per-route computation ---


def reference_rest_gaps(layers, net, *, max_gap_m=50.0, seat_route_m=15.0):
    """Per-route computation: trace each walk one at a time, locate seats on each line."""
    from reference_routes import routes_to_nearest

    from lifecircle.coverage.routing.profiles import resolve_profile
    from lifecircle.coverage.routing.snap import snap_points
    from lifecircle.coverage.routing.split_graph import build_split_graph
    from lifecircle.coverage.routing.travel_times import nearest_facility

    graph = build_split_graph(
        net, snap_points(net, layers.elderly, max_snap_m=100), profile=resolve_profile("elderly")
    )
    routes = routes_to_nearest(
        graph, nearest_facility(graph), snap_points(net, layers.demand, max_snap_m=100)
    )
    routes = routes[routes.geometry.notna()]
    gaps = gaps_along_routes(routes, layers.seats, seat_route_m=seat_route_m)
    bad = gaps[~(gaps["longest_gap_m"] <= max_gap_m)]
    pieces = [
        shapely.ops.substring(routes.geometry.loc[i], row.gap_start_m, row.gap_end_m)
        for i, row in bad.iterrows()
    ]
    return routes, gaps, pieces


def assert_rest_gaps_match(layers, net, *, max_gap_m=50.0):
    from lifecircle.coverage.measures.seats import rest_gaps

    routes, gaps, pieces = reference_rest_gaps(layers, net, max_gap_m=max_gap_m)
    fast = rest_gaps(
        layers, net, routes=elderly_routes(layers, net, demand=layers.demand), max_gap_m=max_gap_m
    )
    pts = fast.points
    assert pts.index.equals(routes.index)
    assert shapely.equals_exact(pts.geometry.to_numpy(), routes.geometry.to_numpy(), 1e-6).all()
    for col in ["longest_gap_m", "gap_start_m", "gap_end_m"]:
        np.testing.assert_allclose(pts[col], gaps[col], atol=1e-6)
    np.testing.assert_array_equal(pts["n_seats"], gaps["n_seats"])
    keys = {shapely.normalize(shapely.set_precision(p, 0.1)).wkb for p in pieces}
    assert set(shapely.to_wkb(fast.segments.geometry.to_numpy())) == keys
    return fast


def grid_layers(net, *, homes, seats, elderly):
    homes = np.asarray(homes, float)
    demand = points(
        homes, grid_id=[f"g{i % 2}" for i in range(len(homes))], weight=[1.0] * len(homes)
    )
    return SimpleNamespace(
        demand=demand,
        seats=points(np.reshape(seats, (-1, 2)), seats=[1] * len(seats)),
        elderly=points(elderly, id=[f"e{i}" for i in range(len(elderly))]),
        grids=None,
    )


def test_gaps_on_a_branching_tree_match_the_per_route_reference():
    """A facility mid-street, walks that share the tree, one home on an island.

        5 ───────── 6              7 ── 8   (island: no walk, no route)
        |           |
       100         100
        |           |
        0 ──── 1 ─── F ─── 2 ──── 3 ──── 4        F: facility at x = 150, 4 m off
        0     100    150    200    300    400

    Seats: beside x = 60 (3 m off), beside (200, 50) (on 2-6 above 2; 10 m off), and one
    25 m off the street (too far to count). Homes along every street and the island.
    """
    net = network_from_arrays(
        [(0, 0), (100, 0), (200, 0), (300, 0), (400, 0), (0, 100), (200, 100), (900, 0), (990, 0)],
        [(0, 1), (1, 2), (2, 3), (3, 4), (0, 5), (5, 6), (6, 2), (7, 8)],
        crs=CRS,
    )
    layers = grid_layers(
        net,
        homes=[
            (10, 5),
            (90, -2),
            (140, 3),
            (170, 2),
            (260, -4),
            (390, 1),
            (3, 40),
            (100, 96),
            (195, 70),
            (950, 2),
            (150, 0),
        ],
        seats=[(60, 3), (210, 50), (330, 25)],
        elderly=[(150, 4)],
    )
    fast = assert_rest_gaps_match(layers, net)
    assert len(fast.points) == len(layers.demand) - 1  # the island home has no walk
    home = fast.points.loc[5]  # (390, 1): walks 390 -> 150 with no seat on the way
    assert home["longest_gap_m"] == pytest.approx(1 + 240 + 4)
    assert home["n_seats"] == 0
    home = fast.points.loc[0]  # (10, 5): leg 5, seat at 60 -> 50 m, then 90 m + 4 m leg
    assert home["longest_gap_m"] == pytest.approx(94.0)
    assert home["n_seats"] == 1


def test_gaps_with_two_facilities_on_one_street_and_no_seats():
    """Two facilities split one street; homes between them walk to the nearer one.

    0 ───── A ─────────── B ───── 1        A at x = 50, B at x = 250 (on-street)
    0       50            250     300
    """
    net = network_from_arrays([(0, 0), (300, 0)], [(0, 1)], crs=CRS)
    layers = grid_layers(
        net,
        homes=[(10, 2), (120, -3), (180, 3), (299, 0), (50, 0)],
        seats=[],
        elderly=[(50, 0), (250, 0)],
    )
    fast = assert_rest_gaps_match(layers, net)
    np.testing.assert_allclose(
        fast.points["longest_gap_m"], [2 + 40, 3 + 70, 3 + 70, 49, 0], atol=1e-6
    )
    assert fast.points["facility"].tolist() == ["e0", "e0", "e1", "e1", "e0"]


@pytest.mark.slow
def test_demo_rest_gaps_match_the_per_route_reference():
    from lifecircle.coverage.measures.seats import _demand
    from lifecircle.coverage.network.build import load_demo_network
    from lifecircle.geo import load_demo_layers

    layers, net = load_demo_layers(), load_demo_network()
    ns = SimpleNamespace(
        demand=_demand(layers, net, None),
        seats=layers.seats,
        elderly=layers.elderly,
        grids=layers.grids,
    )
    fast = assert_rest_gaps_match(ns, net)
    assert len(fast.segments) > 0 and (~fast.points["ok"]).any()


def random_polyline(rng, n):
    steps = rng.normal(0, 20, size=(n, 2))
    return shapely.LineString(np.cumsum(np.vstack([[0, 0], steps]), axis=0))


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), a=st.floats(0, 1), b=st.floats(0, 1))
def test_line_pieces_match_shapely_substring(seed, a, b):
    rng = np.random.default_rng(seed)
    lines = np.array([random_polyline(rng, int(rng.integers(1, 7))) for _ in range(3)])
    length = shapely.length(lines)
    start, end = a * length, b * length
    end[1] = start[1]  # one degenerate piece (a point)
    coords, offsets = line_pieces(lines, start, end)
    for i, line in enumerate(lines):
        ref = shapely.get_coordinates(shapely.ops.substring(line, start[i], end[i]))
        np.testing.assert_allclose(coords[offsets[i] : offsets[i + 1]], ref, atol=1e-7)


def test_tree_paths_follow_the_predecessors():
    """Tree 3 -> 1 -> 0 (root) and 2 -> 0; node 4 is its own root; start -1 means no path."""
    pred = np.array([-9999, 0, 0, 1, -9999])
    owner, node = tree_paths(pred, np.array([3, 2, -1, 0, 4]))
    paths = {i: node[owner == i].tolist() for i in range(5)}
    assert paths == {0: [3, 1, 0], 1: [2, 0], 2: [], 3: [0], 4: [4]}
    with pytest.raises(ValueError, match="cycle"):
        tree_paths(np.array([1, 0]), np.array([0]))
