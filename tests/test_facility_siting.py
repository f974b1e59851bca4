"""suggest_facilities: new facility sites with the existing ones fixed, against brute force.

The brute force is independent of the solvers and of the candidates' walk matrix: one
``compute_coverage`` run gives every demand point's walk to the existing facilities and to
each candidate alone (each candidate a one-site service), and every subset of k candidates
is scored from those walks.
"""

from __future__ import annotations

import itertools

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
from scipy import sparse

import lifecircle as lc
from lifecircle.coverage.measures.service_coverage import SEARCH_FACTOR, default_services
from lifecircle.coverage.measures.siting.facility_siting import suggest_facilities
from lifecircle.coverage.options import CoverageOptions
from lifecircle.coverage.placement.capacitated import solve_capacitated_covering
from lifecircle.coverage.placement.p_center import solve_p_center
from lifecircle.coverage.placement.p_median import savings_matrix, solve_p_median
from lifecircle.errors import InfeasibleError, OptionError, ParameterError

SERVICE = "care"


@pytest.fixture(scope="module")
def demo():
    return lc.load_demo_layers(), lc.load_demo_network()


@pytest.fixture(scope="module")
def offered(demo):
    """18 building sites (after the heritage exclusion), as points in EPSG:4326."""
    layers, _ = demo
    b = layers.buildings.iloc[::31]
    pts = gpd.GeoDataFrame(
        {"name": b["name"].to_numpy()},
        geometry=b.geometry.representative_point().to_numpy(),
        index=b["id"].astype(str).to_numpy(),
        crs=b.crs,
    )
    return pts


@pytest.fixture(scope="module")
def walks(demo, offered):
    """Per demand point: weight, walk to the existing care facilities, walk to each site."""
    layers, network = demo
    services = {SERVICE: default_services(layers)[SERVICE]}
    services.update({f"c{i}": offered.iloc[[i]] for i in range(len(offered))})
    result = lc.compute_coverage(
        layers, network, services=services, isochrones=False, progress=False
    )
    weight = result.demand["weight"].to_numpy(dtype=float)
    existing = result.minutes(SERVICE).to_numpy(dtype=float)
    each = np.column_stack(
        [result.minutes(f"c{i}").to_numpy(dtype=float) for i in range(len(offered))]
    )
    return weight, existing, each


def _brute(walks, columns, k, objective):
    weight, existing, each = walks
    cap = SEARCH_FACTOR * 15.0
    best = None
    for subset in itertools.combinations(columns, k):
        after = np.minimum(existing, each[:, list(subset)].min(axis=1))
        if objective == "covering":
            value = -float(weight[(after <= 15.0) & ~(existing <= 15.0)].sum())
        else:
            value = float(weight @ np.minimum(after, cap))
        best = value if best is None else min(best, value)
    return -best if objective == "covering" else best


@pytest.mark.slow
@pytest.mark.parametrize("objective", ["covering", "total"])
@pytest.mark.parametrize("k", [1, 2, 3])
def test_equals_brute_force_on_the_demo(demo, offered, walks, objective, k):
    layers, network = demo
    got = suggest_facilities(
        layers, network, k=k, service=SERVICE, candidates=offered, objective=objective,
        min_spacing_m=0,
    )  # fmt: skip
    assert got.status == "optimal" and got.gap == 0.0
    columns = [offered.index.get_loc(c) for c in got.candidates.index]
    assert len(columns) >= 12  # the heritage rule removed only some
    best = _brute(walks, columns, k, objective)
    assert got.value == pytest.approx(best, rel=1e-9, abs=1e-6)
    assert got.bound == pytest.approx(best, rel=1e-9, abs=1e-6)
    # the sites reported reach that value, and their ranks add up to it
    weight, existing, each = walks
    chosen = [offered.index.get_loc(c) for c in got.sites["candidate"]]
    after = np.minimum(existing, each[:, chosen].min(axis=1)) if chosen else existing
    newly = float(weight[(after <= 15.0) & ~(existing <= 15.0)].sum())
    assert got.sites["gain_residents"].sum() == pytest.approx(newly, rel=1e-9)
    if objective == "covering":
        assert newly == pytest.approx(best, rel=1e-9)
        assert list(got.sites["rank"]) == list(range(1, len(got.sites) + 1))
        assert (np.diff(got.sites["gain_residents"].to_numpy()) <= 1e-9).all()


@pytest.mark.slow
def test_worst_walk_and_grids_reaching_the_target(demo, offered, walks):
    layers, network = demo
    weight, existing, each = walks
    got = suggest_facilities(
        layers, network, k=2, service=SERVICE, candidates=offered, objective="worst",
        min_spacing_m=0,
    )  # fmt: skip
    columns = [offered.index.get_loc(c) for c in got.candidates.index]
    cap = SEARCH_FACTOR * 15.0
    base = np.minimum(existing, cap)
    movable = (weight > 0) & (each[:, columns].min(axis=1) < base)
    best = min(
        np.minimum(base, each[:, list(s)].min(axis=1))[movable].max()
        for s in itertools.combinations(columns, 2)
    )
    assert got.status == "optimal"
    assert got.value == pytest.approx(best, rel=1e-9)
    # every grid listed reaches the target share after its site, as compute_coverage says
    cmp = got.comparison
    newly = set(cmp["id"][cmp["covered_after"] & ~cmp["covered_before"]])
    listed = {g for grids in got.sites["grids"] for g in grids.split(",") if g}
    assert listed == newly


@pytest.mark.slow
def test_sites_added_as_facilities_give_the_same_coverage(demo):
    """Opening the suggested sites in compute_coverage gives the comparison's 'after'."""
    layers, network = demo
    got = suggest_facilities(layers, network, k=2, service=SERVICE)
    existing = layers.elderly[layers.elderly["type"].isin(default_services(layers)[SERVICE])]
    new = got.sites[["geometry"]].assign(id=got.sites["candidate"], name="new", type="x")
    both = gpd.GeoDataFrame(
        np.concatenate([existing[["id", "name", "type", "geometry"]].to_numpy(),
                        new[["id", "name", "type", "geometry"]].to_numpy()]),
        columns=["id", "name", "type", "geometry"], geometry="geometry", crs=4326,
    )  # fmt: skip
    after = lc.compute_coverage(
        layers, network, services={SERVICE: both}, isochrones=False, progress=False
    )
    np.testing.assert_allclose(
        got.comparison["share_after"].to_numpy(dtype=float),
        after.share(SERVICE).to_numpy(dtype=float),
        rtol=1e-9,
    )
    assert got.sites["street"].str.len().gt(0).any()
    assert got.sites.crs.to_epsg() == 4326


def test_p_median_and_p_center_against_enumeration():
    """Random instances: the solvers' answers equal enumeration over every k-subset."""
    rng = np.random.default_rng(7)
    for _ in range(8):
        c = rng.uniform(0, 100, (30, 8))
        c[c > 70] = np.inf
        base = rng.uniform(20, 120, 30)
        w = rng.integers(1, 10, 30).astype(float)
        finite = np.isfinite(c)
        costs = sparse.csr_array((c[finite], np.nonzero(finite)), shape=c.shape)
        for k in (1, 2, 3):
            subsets = list(itertools.combinations(range(8), k))
            after = [np.minimum(base, c[:, list(s)].min(axis=1)) for s in subsets]
            median = solve_p_median(savings_matrix(costs, base), w, k)
            assert float(w @ base) - median.saving == pytest.approx(min(w @ a for a in after))
            assert median.status == "optimal"
            center = solve_p_center(costs, base, k)
            assert center.worst == pytest.approx(min(a.max() for a in after))
            assert center.status == "optimal"


def _max_flow(reach, w, cap, subset):
    """Served weight of ``subset`` by networkx max flow (independent of the LP)."""
    g = nx.DiGraph()
    scale = 1000
    for i in range(reach.shape[0]):
        g.add_edge("s", ("d", i), capacity=round(w[i] * scale))
    for j in subset:
        g.add_edge(("c", j), "t", capacity=round(cap[j] * scale))
        for i in np.flatnonzero(reach[:, j]):
            g.add_edge(("d", i), ("c", j), capacity=round(w[i] * scale))
    return nx.maximum_flow_value(g, "s", "t") / scale


def test_capacitated_covering_against_max_flow():
    rng = np.random.default_rng(3)
    for _ in range(5):
        reach = rng.uniform(size=(25, 7)) < 0.3
        w = rng.integers(1, 10, 25).astype(float)
        cap = rng.integers(5, 30, 7).astype(float)
        for k in (1, 2, 3):
            got = solve_capacitated_covering(sparse.csr_array(reach), w, cap, k)
            best = max(_max_flow(reach, w, cap, s) for s in itertools.combinations(range(7), k))
            assert got.served == pytest.approx(best)
            assert got.status == "optimal"
            assert sum(got.gains) == pytest.approx(got.served)


@pytest.mark.slow
def test_capacity_limits_each_site(demo):
    layers, network = demo
    got = suggest_facilities(layers, network, k=2, service=SERVICE, capacity=150)
    assert (got.sites["gain_residents"] <= 150 + 1e-9).all()
    assert got.value <= 300 + 1e-9 and got.status == "optimal"


def test_bad_arguments_are_refused_before_any_work(demo):
    layers, network = demo
    with pytest.raises(ParameterError, match="k must be a positive integer"):
        suggest_facilities(layers, network, k=0)
    with pytest.raises(ParameterError, match="did you mean 'elderly'"):
        suggest_facilities(layers, network, k=1, service="elderley")
    with pytest.raises(OptionError, match="objective must be one of covering, total, worst"):
        lc.SitingOptions(objective="median")
    with pytest.raises(OptionError, match="capacity applies to objective 'covering' only"):
        lc.SitingOptions(objective="total", capacity=100)
    with pytest.raises(TypeError, match="did you mean 'min_spacing_m'"):
        suggest_facilities(layers, network, k=1, min_spacing=5)


@pytest.mark.slow
def test_exclusions_and_too_many_sites(demo, offered):
    layers, network = demo
    got = suggest_facilities(layers, network, k=1, service=SERVICE, candidates=offered,
                             min_spacing_m=0, heritage_buffer_m=0)  # fmt: skip
    wider = suggest_facilities(layers, network, k=1, service=SERVICE, candidates=offered,
                               min_spacing_m=0, heritage_buffer_m=200)  # fmt: skip
    assert wider.n_candidates < got.n_candidates
    inside = suggest_facilities(layers, network, k=1, service=SERVICE, candidates=offered,
                                min_spacing_m=0, exclude_conservation=True)  # fmt: skip
    assert inside.n_candidates < got.n_candidates
    zones = layers.conservation.union_all()
    assert not inside.candidates.geometry.within(zones).any()
    with pytest.raises(InfeasibleError, match=r"only \d+ candidate site"):
        suggest_facilities(layers, network, k=500, service=SERVICE, candidates=offered)


@pytest.mark.slow
def test_many_candidates_are_thinned_before_routing(demo, monkeypatch):
    """Past MAX_ROUTED_CANDIDATES, street candidates are thinned by a straight-line proxy
    before any walk is measured; what is left keeps min_spacing_m and still gains."""
    from lifecircle.coverage.measures.siting import facility_siting

    layers, network = demo
    kw = {"k": 2, "service": SERVICE, "candidate_source": "streets", "min_spacing_m": 150}
    full = suggest_facilities(layers, network, **kw)
    monkeypatch.setattr(facility_siting, "MAX_ROUTED_CANDIDATES", 10)
    thinned = suggest_facilities(layers, network, **kw)
    pts = thinned.candidates.to_crs(network.crs).geometry
    xy = np.column_stack([pts.x, pts.y])
    gaps = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    assert gaps[np.triu_indices(len(xy), 1)].min() >= 150
    assert 0 < thinned.value <= full.value
    assert thinned.status == "optimal"


def test_p_center_chooses_for_the_longest_walkers_when_it_cannot_be_shortened():
    """Two far-apart points walk the longest; one site can bring only one of them nearer, so
    the longest walk stays (every choice is optimal for it, none included). The answer is not
    empty: the site that brings the most residents nearer, proven by enumeration."""
    rng = np.random.default_rng(11)
    for _ in range(6):
        c = rng.uniform(5, 60, (20, 6))
        c[c > 40] = np.inf
        base = np.full(20, 60.0)
        w = rng.integers(1, 20, 20).astype(float)
        finite = np.isfinite(c)
        # points 0 and 1 can only be helped by candidates 0 and 1 respectively
        c[0, :], c[1, :] = np.inf, np.inf
        c[0, 0], c[1, 1] = 10.0, 10.0
        finite = np.isfinite(c)
        costs = sparse.csr_array((c[finite], np.nonzero(finite)), shape=c.shape)
        center = solve_p_center(costs, base, 1, weights=w)
        assert center.worst == pytest.approx(60.0) and center.status == "optimal"
        assert len(center.selected) == 1  # was (): an empty, "optimal" answer
        relief = center.relief
        assert relief is not None and relief.status == "optimal"
        best = max(w[c[:, j] < 60].sum() for j in range(6))
        assert relief.relieved == pytest.approx(best) == pytest.approx(relief.bound)
        assert relief.weight == pytest.approx(w.sum())
        j = center.selected[0]
        assert w[c[:, j] < 60].sum() == pytest.approx(best)


def test_p_center_out_of_time_is_bounded_not_empty():
    rng = np.random.default_rng(5)
    c = rng.uniform(0, 100, (40, 10))
    base = rng.uniform(50, 120, 40)
    costs = sparse.csr_array(c)
    center = solve_p_center(costs, base, 2, time_limit_s=0.0)
    assert center.status == "time_limit" and center.lower < center.worst
    assert center.selected  # the longest walkers' best sites, with the bound stated
    exact = solve_p_center(costs, base, 2)
    assert center.lower <= exact.worst + 1e-9 <= center.worst + 1e-9


@pytest.mark.slow
def test_worst_walk_that_cannot_be_shortened_is_said_in_both_languages(demo):
    """The demo at a 3-minute budget: the longest walk (6 min or more, where the search
    stops) cannot be shortened by one site; the site listed brings the most of those
    residents nearer, and the planner is told so (was: no site and no reason)."""
    from lifecircle.study.siting_tables import siting_notes

    got = suggest_facilities(
        *demo, k=1, service="care", objective="worst",
        coverage=CoverageOptions(walk_minutes=3),
    )  # fmt: skip
    assert len(got.sites) == 1
    assert got.value == pytest.approx(6.0) and got.status == "optimal" and got.gap == 0
    relief = got.relief
    assert relief is not None and 0 < relief.relieved <= relief.weight
    zh, en = (" ".join(siting_notes(got, lang=lang)) for lang in ("zh", "en"))
    assert "6.0 分钟或以上" in zh and "无法通过新增 1 处设施缩短（已证明）" in zh
    assert f"{round(relief.relieved):,} 名居民步行更近" in zh
    assert "6.0 min or more" in en and "cannot be shortened with 1 new site(s) (proven)" in en
    assert f"bring {round(relief.relieved):,} of them nearer" in en
