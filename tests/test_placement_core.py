"""Covering model and solvers: brute force, bounds, reductions, infeasibility messages."""

from __future__ import annotations

import dataclasses
import itertools

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

from lifecircle.coverage.placement import CoverageModel, PlacementResult
from lifecircle.coverage.placement.greedy import greedy_cover
from lifecircle.coverage.placement.lagrange import lagrangian_max_covering
from lifecircle.coverage.placement.reduce import dominated_candidates, merge_identical_rows
from lifecircle.errors import InfeasibleError


def random_instance(seed: int, n_demand: int = 18, n_cand: int = 7, density: float = 0.3):
    rng = np.random.default_rng(seed)
    cover = rng.random((n_demand, n_cand)) < density
    weights = rng.integers(1, 20, n_demand).astype(float)
    return cover, weights


def brute_max_covering(cover, weights, k, *, required=(), forbidden=()):
    """Best covered weight over every k-subset containing ``required``, avoiding ``forbidden``."""
    free = [j for j in range(cover.shape[1]) if j not in required and j not in forbidden]
    best = 0.0
    for extra in itertools.combinations(free, k - len(required)):
        cols = list(required) + list(extra)
        best = max(best, float(weights[cover[:, cols].any(axis=1)].sum()))
    return best


def brute_set_cover(cover, weights, target):
    for size in range(1, cover.shape[1] + 1):
        for cols in itertools.combinations(range(cover.shape[1]), size):
            if weights[cover[:, list(cols)].any(axis=1)].sum() >= target - 1e-9:
                return size
    return None


def test_known_answer_from_distances():
    """Three homes, two candidate seats, 300 m radius.

    home0 --100-- A ; home1 --250-- A, --80-- B ; home2 --400-- B (too far)
    One site: A covers homes 0 and 1 (weight 2), B only home 1.
    """
    costs = np.array([[100.0, np.inf], [250.0, 80.0], [np.inf, 400.0]])
    model = CoverageModel.from_costs(costs, max_cost=300, candidate_ids=["A", "B"])
    result = model.solve(1, method="milp")
    assert result.selected == ("A",)
    assert result.covered_weight == 2
    assert result.covered_share == pytest.approx(2 / 3)
    assert result.is_optimal and result.gap == 0
    assert model.solve(target_share=2 / 3).n_sites == 1
    with pytest.raises(InfeasibleError, match=r"at most 66\.67%"):
        model.solve(target_share=1.0)


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("method", ["milp", "auto"])
def test_exact_solvers_match_brute_force(seed, method):
    cover, weights = random_instance(seed)
    model = CoverageModel.from_costs(cover, weights=weights)
    for k in (1, 2, 3):
        result = model.solve(k, method=method)
        assert result.covered_weight == pytest.approx(brute_max_covering(cover, weights, k))
        assert result.is_optimal
        assert model.covered_weight(result.selected) == pytest.approx(result.covered_weight)


@pytest.mark.parametrize("seed", range(8))
def test_heuristic_never_beats_optimum_and_bounds_it(seed):
    cover, weights = random_instance(seed + 100, n_demand=25, n_cand=9, density=0.25)
    model = CoverageModel.from_costs(cover, weights=weights)
    for k in (2, 3, 4):
        optimum = brute_max_covering(cover, weights, k)
        heuristic = model.solve(k, method="greedy")
        assert heuristic.covered_weight <= optimum + 1e-9
        assert heuristic.bound >= optimum - 1e-9
        assert heuristic.gap >= 0


@pytest.mark.parametrize("seed", range(8))
def test_set_cover_matches_brute_force(seed):
    cover, weights = random_instance(seed + 200)
    model = CoverageModel.from_costs(cover, weights=weights)
    best_share = weights[cover.any(axis=1)].sum() / weights.sum()
    for share in (0.3, 0.6, best_share):
        result = model.solve(target_share=share, method="milp")
        expected = brute_set_cover(cover, weights, share * weights.sum())
        assert result.n_sites == expected
        assert result.covered_share >= share - 1e-9
        heuristic = model.solve(target_share=share, method="greedy")
        assert heuristic.n_sites >= expected
        assert heuristic.bound <= expected


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    k=st.integers(1, 4),
    density=st.floats(0.05, 0.6),
)
def test_greedy_keeps_its_one_minus_one_over_e_guarantee(seed, k, density):
    cover, weights = random_instance(seed, n_demand=14, n_cand=7, density=density)
    by_cand = sparse.csr_array(cover.T)
    _, gains = greedy_cover(by_cand, weights, k=k)
    optimum = brute_max_covering(cover, weights, k)
    assert sum(gains) >= (1 - 1 / np.e) * optimum - 1e-9
    assert sum(gains) <= optimum + 1e-9


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), k=st.integers(1, 4))
def test_lagrangian_bound_is_valid(seed, k):
    cover, weights = random_instance(seed, n_demand=16, n_cand=8, density=0.3)
    cov = sparse.csr_array(cover)
    out = lagrangian_max_covering(cov, weights, k, incumbent=list(range(k)), time_budget_s=1.0)
    optimum = brute_max_covering(cover, weights, k)
    assert out.bound >= optimum - 1e-6
    assert out.value <= optimum + 1e-9
    assert weights[cover[:, out.selected].any(axis=1)].sum() == pytest.approx(out.value)


@pytest.mark.parametrize("seed", range(10))
def test_reductions_preserve_the_optimum(seed):
    cover, weights = random_instance(seed + 300, n_demand=20, n_cand=8, density=0.35)
    cover[:, 5] = cover[:, 2] & (np.arange(20) % 2 == 0)  # 5 is dominated by 2
    required, forbidden = [0], [3]
    model = CoverageModel.from_costs(cover, weights=weights)
    reduced = model.reduce(required=required, forbidden=forbidden)
    assert 5 not in reduced.candidate_index
    assert 0 not in reduced.candidate_index and 3 not in reduced.candidate_index
    red_cover = reduced.coverage.toarray()
    for k in (2, 3):
        full = brute_max_covering(cover, weights, k, required=required, forbidden=forbidden)
        kk = min(k - 1, red_cover.shape[1])
        small = reduced.base_weight + brute_max_covering(red_cover, reduced.weights, kk)
        assert small == pytest.approx(full)
        result = model.solve(k, required=required, forbidden=forbidden, method="milp")
        assert result.covered_weight == pytest.approx(full)
        assert result.selected[0] == 0 and 3 not in result.selected


def test_row_order_does_not_change_the_optimum():
    cover, weights = random_instance(7, n_demand=30, n_cand=9)
    perm = np.random.default_rng(1).permutation(30)
    a = CoverageModel.from_costs(cover, weights=weights).solve(3, method="milp")
    b = CoverageModel.from_costs(cover[perm], weights=weights[perm]).solve(3, method="milp")
    assert a.covered_weight == pytest.approx(b.covered_weight)


def test_dominated_candidates_and_row_merging():
    cover = np.array([[1, 1, 0, 1], [1, 0, 0, 1], [0, 0, 1, 0], [1, 1, 0, 1]], dtype=bool)
    dom = dominated_candidates(sparse.csr_array(cover))
    # 1 is a subset of 0; 3 equals 0 (lower index kept); 2 is alone
    assert dom.tolist() == [False, True, False, True]
    merged, w = merge_identical_rows(sparse.csr_array(cover), np.array([1.0, 2.0, 3.0, 4.0]))
    assert merged.shape[0] == 3
    assert sorted(w.tolist()) == [2.0, 3.0, 5.0]


def test_sparse_costs_keep_explicit_zeros_and_missing_means_unreachable():
    costs = sparse.coo_array(([0.0, 250.0, 301.0], ([0, 1, 2], [0, 0, 1])), shape=(3, 2))
    model = CoverageModel.from_costs(costs, max_cost=300)
    assert model.coverage.toarray().tolist() == [[True, False], [True, False], [False, False]]


def test_dataframe_labels_and_weights():
    costs = pd.DataFrame([[10.0, np.nan], [np.nan, 20.0]], index=["h1", "h2"], columns=["s1", "s2"])
    model = CoverageModel.from_costs(costs, max_cost=50, weights=[1, 5])
    result = model.solve(1)
    assert result.selected == ("s2",)
    frame = result.to_frame()
    assert frame["candidate"].tolist() == ["s2"] and frame["marginal_gain"].tolist() == [5.0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.objective = 0  # type: ignore[misc]
    assert isinstance(result, PlacementResult)


def test_required_sites_come_first_and_fewer_sites_than_k_are_explained():
    cover = np.array([[1, 0, 0], [0, 1, 0], [0, 1, 0]], dtype=bool)
    model = CoverageModel.from_costs(cover)
    result = model.solve(3, required=[0])
    assert result.selected == (0, 1)
    assert result.marginal_gains == (1.0, 2.0)
    assert any("add nothing" in note for note in result.notes)


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"k": 4}, InfeasibleError, r"k=4 .* only 3 candidate"),
        ({"k": 3, "forbidden": [0]}, InfeasibleError, r"only 2 candidate.*1 forbidden"),
        ({"k": 1, "forbidden": [0, 1, 2]}, InfeasibleError, "no candidate sites left"),
        ({"target_share": 0.99}, InfeasibleError, r"at most 75\.00%.*24\.00% short"),
        ({"k": 1, "target_share": 0.5}, ValueError, "exactly one"),
        ({}, ValueError, "exactly one"),
        ({"k": 0}, ValueError, "positive integer"),
        ({"target_share": 1.5}, ValueError, r"\(0, 1\]"),
        ({"k": 2, "required": [0], "forbidden": [0]}, ValueError, "both required and forbidden"),
        ({"k": 2, "required": ["nope"]}, ValueError, "required ids not among"),
        ({"k": 1, "required": [0, 1]}, ValueError, "smaller than the 2 required"),
        ({"k": 1, "method": "magic"}, ValueError, "method must be"),
    ],
)
def test_bad_requests_have_clear_messages(kwargs, error, pattern):
    cover = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 0]], dtype=bool)
    model = CoverageModel.from_costs(cover)
    with pytest.raises(error, match=pattern):
        model.solve(**kwargs)


def test_bad_inputs_are_rejected():
    with pytest.raises(ValueError, match="max_cost is required"):
        CoverageModel.from_costs(np.ones((2, 2)))
    with pytest.raises(ValueError, match="negative"):
        CoverageModel.from_costs(np.array([[-1.0]]), max_cost=5)
    with pytest.raises(ValueError, match=r"first at row 1 \(value -2"):
        CoverageModel.from_costs(np.ones((2, 1), dtype=bool), weights=[1, -2])
    with pytest.raises(ValueError, match="one per demand row"):
        CoverageModel.from_costs(np.ones((2, 1), dtype=bool), weights=[1])
    with pytest.raises(ValueError, match="unique"):
        CoverageModel.from_costs(np.ones((1, 2), dtype=bool), candidate_ids=["a", "a"])


def test_from_layers_walking_costs_match_networkx():
    """Walk costs are leg + street path + leg, checked against networkx on a split graph.

        3 ─────────200───────── 4
        |                       |
       100                     100
        |                       |
        0 ───100─── 1 ───100─── 2        and a far-away candidate c3 (never snapped)

    Homes d0..d3 and candidates c0..c2 sit a few metres off the streets; c0 shares a
    street with d0, so their walk stays on that street.
    """
    import networkx as nx
    import shapely

    from lifecircle.coverage.network.synthetic import network_from_arrays
    from lifecircle.coverage.placement.costs import walk_costs

    crs = "EPSG:32651"
    node_xy = [(0, 0), (100, 0), (200, 0), (0, 100), (200, 100)]
    edges = [(0, 1), (1, 2), (0, 3), (3, 4), (2, 4)]
    net = network_from_arrays(node_xy, edges, crs=crs)
    # (x, y, edge it lies beside)
    homes = [(30, -5, 0), (150, 3, 1), (4, 60, 2), (120, 104, 3)]
    cands = [(80, 2, 0), (197, 40, 4), (50, 97, 3), (5000, 5000, None)]

    def layer(rows, prefix):
        return gpd.GeoDataFrame(
            {"weight": [1.0] * len(rows)},
            geometry=shapely.points([(x, y) for x, y, _ in rows]),
            index=[f"{prefix}{i}" for i in range(len(rows))],
            crs=crs,
        )

    graph = nx.Graph()
    on_edge: dict[int, list] = {e: [] for e in range(len(edges))}
    for name, rows in (("d", homes), ("c", cands)):
        for i, (x, y, e) in enumerate(rows):
            if e is None:
                continue
            a, b = np.asarray(node_xy[edges[e][0]], float), np.asarray(node_xy[edges[e][1]], float)
            t = float(np.dot((x, y) - a, b - a) / np.dot(b - a, b - a))
            foot = a + t * (b - a)
            on_edge[e].append((t * float(np.linalg.norm(b - a)), f"s{name}{i}"))
            graph.add_edge(f"{name}{i}", f"s{name}{i}", weight=float(np.hypot(*(foot - (x, y)))))
    for e, (u, v) in enumerate(edges):
        length = float(np.hypot(*np.subtract(node_xy[v], node_xy[u])))
        chain = [(0.0, u), *sorted(on_edge[e]), (length, v)]
        for (o1, n1), (o2, n2) in itertools.pairwise(chain):
            graph.add_edge(n1, n2, weight=o2 - o1)

    costs = walk_costs(layer(homes, "d"), layer(cands, "c"), net, max_walk_m=1e4, max_snap_m=50)
    dense = np.full((len(homes), len(cands)), np.inf)
    coo = sparse.coo_array(costs)
    dense[coo.row, coo.col] = coo.data
    expected = np.full_like(dense, np.inf)
    for j in range(len(cands) - 1):
        dist = nx.single_source_dijkstra_path_length(graph, f"c{j}", weight="weight")
        expected[:, j] = [dist[f"d{i}"] for i in range(len(homes))]
    np.testing.assert_allclose(dense, expected, atol=1e-6)
    assert dense[0, 0] == pytest.approx(5 + 50 + 2)  # same street: 30 -> 80

    radius = 160.0
    model = CoverageModel.from_layers(
        layer(homes, "d"), layer(cands, "c"), net, radius_m=radius, max_snap_m=50
    )
    assert model.candidate_ids.tolist() == ["c0", "c1", "c2", "c3"]
    assert model.demand_ids.tolist() == ["d0", "d1", "d2", "d3"]
    np.testing.assert_array_equal(model.coverage.toarray(), expected <= radius)


@pytest.mark.slow
def test_suggest_seats_unreachable_target_share_says_by_how_much():
    """Three allowed candidates cannot bring 95 % of the demo's residents near a seat."""
    import re

    import shapely

    from lifecircle.coverage.measures.demand import demand_from_layers
    from lifecircle.coverage.measures.seat_suggestions import suggest_seats
    from lifecircle.coverage.measures.seats import seat_reach
    from lifecircle.coverage.network.build import load_demo_network
    from lifecircle.coverage.placement.candidates import exclude_candidates
    from lifecircle.geo import load_demo_layers

    layers, net = load_demo_layers(), load_demo_network()
    mid = shapely.line_interpolate_point(net.edges.geometry.to_numpy()[:3], 0.5, normalized=True)
    cands = gpd.GeoDataFrame(geometry=mid, index=["a", "b", "c"], crs=net.crs)
    kept = exclude_candidates(
        cands, heritage=layers.heritage, heritage_buffer_m=5, existing_seats=layers.seats
    )
    demand = demand_from_layers(layers.grids, crs=net.crs, buildings=layers.buildings)
    before = seat_reach(layers, net, reach_m=50, demand=demand)
    open_demand = demand[~(before.distance_m.to_numpy() <= 50)]
    extra = CoverageModel.from_layers(
        open_demand, kept, net, radius_m=50, weight_column="weight", max_snap_m=50
    )
    total = float(demand["weight"].sum())
    covered = float(demand["weight"].to_numpy()[before.distance_m.to_numpy() <= 50].sum())
    reachable = covered + float(
        extra.weights[np.asarray(extra.coverage.sum(axis=1)).ravel() > 0].sum()
    )
    short = 0.95 * total - reachable
    assert short > 0
    with pytest.raises(InfeasibleError) as info:
        suggest_seats(layers, net, target_share=0.95, candidates=cands, min_spacing_m=40)
    message = str(info.value)
    assert f"at most {reachable / total:.2%}" in message
    assert f"{100 * short / total:.2f} percentage points ({short:,.0f} residents) short" in message
    assert re.search(r"target share 95\.0%", message)
