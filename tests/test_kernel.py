"""The compiled multi-source kernel returns exactly scipy's arrays, or hands over to scipy.

Checked against ``scipy.sparse.csgraph.dijkstra`` (distances, predecessors and sources bit
for bit, ties included), against networkx (distances, and that the assigned source is a
nearest one), on hand-made ties, and on the library's own split graph; and the fallback
path: no numba, the flag off, small graphs, no limit.
"""

from __future__ import annotations

import subprocess
import sys

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra

from lifecircle.coverage.network.synthetic import synthetic_city
from lifecircle.coverage.routing import kernel, travel_times
from lifecircle.coverage.routing.profiles import WalkProfile
from lifecircle.coverage.routing.snap import snap_points
from lifecircle.coverage.routing.split_graph import build_split_graph

# the `test` extra installs numba; without it only the fallback tests run
needs_numba = pytest.mark.skipif(not kernel.kernel_available(), reason="numba not installed")


def _scipy(csr, sources, limit):
    return dijkstra(
        csr, directed=True, indices=sources, min_only=True, limit=limit, return_predecessors=True
    )


def _csr(n, edges, *, symmetric):
    """CSR with one entry per (from, to) pair (the first weight given), rows unsorted."""
    seen: dict[tuple[int, int], float] = {}
    for u, v, w in edges:
        if u == v:
            continue
        pairs = [(u, v), (v, u)] if symmetric else [(u, v)]
        for p in pairs:
            seen.setdefault(p, w)
    keys = list(seen)[::-1]  # reversed: rows' entries not sorted by column
    rows = np.asarray([k[0] for k in keys], dtype=np.int64)
    order = np.argsort(rows, kind="stable")
    cols = np.asarray([k[1] for k in keys], dtype=np.int32)[order]
    data = np.asarray([seen[k] for k in keys], dtype=float)[order]
    indptr = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    return csr_array((data, cols, indptr), shape=(n, n))


@st.composite
def graphs(draw):
    n = draw(st.integers(2, 40))
    integer = draw(st.booleans())  # small integer weights: many exact ties
    weight = st.integers(1, 4).map(float) if integer else st.floats(1e-3, 100.0)
    edges = draw(
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), weight), max_size=4 * n)
    )
    csr = _csr(n, edges, symmetric=draw(st.booleans()))
    sources = np.asarray(
        sorted(draw(st.sets(st.integers(0, n - 1), min_size=1, max_size=max(1, n // 3)))),
        dtype=np.int64,
    )
    limit = draw(st.sampled_from([5.0, 12.5, 60.0, 1e6]))
    return csr, sources, limit


@needs_numba
@given(graphs())
def test_kernel_is_scipy_bit_for_bit_or_declines(case):
    csr, sources, limit = case
    want = _scipy(csr, sources, limit)
    got = kernel.multi_source_kernel(csr, sources, limit=limit)
    if got is not None:
        for a, b in zip(got, want, strict=True):
            np.testing.assert_array_equal(a, b)
            assert a.dtype == b.dtype
    # the public entry point always equals scipy, kernel on (all sizes) or declined
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(kernel, "MIN_KERNEL_NODES", 0)
        for a, b in zip(kernel.multi_source(csr, sources, limit=limit), want, strict=True):
            np.testing.assert_array_equal(a, b)


@needs_numba
@given(graphs())
def test_kernel_grows_its_queue(case):
    """Starting with room for one queue entry, the kernel grows it and gives the same."""
    csr, sources, limit = case
    want = kernel.multi_source_kernel(csr, sources, limit=limit)
    from lifecircle.coverage.routing import kernel_numba

    src = np.asarray(sources, dtype=np.int64)
    indptr = csr.indptr.astype(np.int64)
    got = kernel_numba.solve(indptr, csr.indices, csr.data, src, limit, 1.0, 1)
    if want is None:
        assert not got[3]
    else:
        assert got[3]
        for a, b in zip(got[:3], want, strict=True):
            np.testing.assert_array_equal(a, b)


@needs_numba
@given(graphs())
def test_kernel_distances_match_networkx(case):
    csr, sources, limit = case
    got = kernel.multi_source_kernel(csr, sources, limit=limit)
    if got is None:
        return
    dist, _, root = got
    g = nx.DiGraph()
    g.add_nodes_from(range(csr.shape[0]))
    coo = csr.tocoo()
    g.add_weighted_edges_from(
        zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist(), strict=True)
    )
    want = nx.multi_source_dijkstra_path_length(g, set(sources.tolist()), cutoff=limit)
    expected = np.full(csr.shape[0], np.inf)
    expected[list(want)] = list(want.values())
    np.testing.assert_array_equal(dist, expected)
    for x in np.flatnonzero(np.isfinite(dist)):  # the assigned source is a nearest one
        own = nx.single_source_dijkstra_path_length(g, int(root[x]), cutoff=limit)
        assert own[int(x)] == dist[x]


@needs_numba
def test_equally_near_predecessors_are_handed_to_scipy(monkeypatch):
    """Sources 0 and 1 both 1 s from node 2: scipy's pick depends on its heap order."""
    csr = _csr(3, [(0, 2, 1.0), (1, 2, 1.0)], symmetric=True)
    sources = np.array([0, 1])
    assert kernel.multi_source_kernel(csr, sources, limit=10.0) is None
    monkeypatch.setattr(kernel, "MIN_KERNEL_NODES", 0)
    for a, b in zip(kernel.multi_source(csr, sources, limit=10.0), _scipy(csr, sources, 10.0),
                    strict=True):  # fmt: skip
        np.testing.assert_array_equal(a, b)


@needs_numba
def test_a_tie_in_distance_alone_is_not_ambiguous():
    """Node 3 is 2 s from both sources, through node 2 (0.5 s) or straight from source 1
    (0 s): scipy keeps the route whose last node it scanned first, source 1; so does the
    kernel."""
    csr = _csr(4, [(0, 2, 0.5), (2, 3, 1.5), (1, 3, 2.0)], symmetric=True)
    got = kernel.multi_source_kernel(csr, np.array([0, 1]), limit=10.0)
    assert got is not None
    want = _scipy(csr, np.array([0, 1]), 10.0)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)
    assert got[1][3] == 1 and got[2][3] == 1


@needs_numba
def test_bad_weights_and_no_limit():
    csr = _csr(3, [(0, 1, -1.0), (1, 2, 1.0)], symmetric=True)
    with pytest.raises(ValueError, match="non-negative"):
        kernel.multi_source_kernel(csr, np.array([0]), limit=5.0)
    with pytest.raises(ValueError, match="finite limit"):
        kernel.multi_source_kernel(csr, np.array([0]), limit=np.inf)


@pytest.fixture(scope="module")
def city():
    net = synthetic_city(3_000, seed=3)
    rng = np.random.default_rng(3)
    x0, y0, x1, y1 = net.edges.total_bounds
    pts = gpd.GeoSeries(shapely.points(rng.uniform([x0, y0], [x1, y1], size=(40, 2))), crs=net.crs)
    prof = WalkProfile("elderly-ish", 0.9, {"steps": 30.0})
    return build_split_graph(net, snap_points(net, pts, max_snap_m=80), profile=prof)


@needs_numba
@pytest.mark.parametrize("limit_s", [300.0, 900.0, 1800.0])
def test_nearest_facility_same_with_kernel_and_fallback(city, monkeypatch, limit_s):
    """The library's solve on a split graph: kernel forced on vs forced off (the scipy
    fallback), every array equal."""
    rows = np.arange(0, 40, 2)
    monkeypatch.setattr(kernel, "MIN_KERNEL_NODES", 0)
    calls = []
    real = kernel.multi_source_kernel
    monkeypatch.setattr(kernel, "multi_source_kernel",
                        lambda *a, **k: calls.append(1) or real(*a, **k))  # fmt: skip
    fast = travel_times.nearest_facility(city, facilities=rows, limit_s=limit_s)
    assert calls, "the kernel was not used"
    monkeypatch.setattr(kernel, "USE_KERNEL", False)
    slow = travel_times.nearest_facility(city, facilities=rows, limit_s=limit_s)
    assert len(calls) == 1, "the flag did not turn the kernel off"
    for name in ("seconds", "facility", "predecessors"):
        np.testing.assert_array_equal(getattr(fast, name), getattr(slow, name))
    assert np.isfinite(fast.seconds).any() and not np.isfinite(fast.seconds).all()


def test_fallback_without_numba_small_graphs_and_no_limit(city, monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("kernel called")

    monkeypatch.setattr(kernel, "multi_source_kernel", boom)
    src = np.unique(city.access_node[city.access_node >= 0])
    want = _scipy(city.csr, src, 900.0)
    # small graph (the default threshold), no limit, and numba missing: scipy every time
    for a, b in zip(kernel.multi_source(city.csr, src, limit=900.0), want, strict=True):
        np.testing.assert_array_equal(a, b)
    monkeypatch.setattr(kernel, "MIN_KERNEL_NODES", 0)
    kernel.multi_source(city.csr, src, limit=np.inf)
    monkeypatch.setattr(kernel, "kernel_available", lambda: False)
    for a, b in zip(kernel.multi_source(city.csr, src, limit=900.0), want, strict=True):
        np.testing.assert_array_equal(a, b)


def test_small_runs_do_not_import_numba():
    """The demo-sized solve stays on scipy and never pays numba's import."""
    code = (
        "import sys, numpy as np\n"
        "from lifecircle.coverage.network.synthetic import synthetic_city\n"
        "from lifecircle.coverage.routing.split_graph import build_split_graph\n"
        "from lifecircle.coverage.routing.snap import snap_points\n"
        "from lifecircle.coverage.routing.travel_times import nearest_facility\n"
        "import geopandas as gpd, shapely\n"
        "net = synthetic_city(500, seed=1)\n"
        "pts = gpd.GeoSeries(shapely.points(net.node_xy[:5]), crs=net.crs)\n"
        "from lifecircle.coverage.routing.profiles import PROFILES\n"
        "snap = snap_points(net, pts, max_snap_m=50)\n"
        "g = build_split_graph(net, snap, profile=PROFILES['adult'])\n"
        "assert np.isfinite(nearest_facility(g, limit_s=900.0).seconds).any()\n"
        "print('numba' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
