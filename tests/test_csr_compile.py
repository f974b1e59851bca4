"""The vectorised CSR compilation of the split graph against a naive dict-based reference."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra

from lifecircle.coverage.network.synthetic import network_from_arrays
from lifecircle.coverage.routing.profiles import WalkProfile
from lifecircle.coverage.routing.snap import snap_points
from lifecircle.coverage.routing.split_graph import build_split_graph

UNIT = WalkProfile("unit", 1.0)


def _reference(graph) -> dict[tuple[int, int], tuple[float, int]]:
    """(row, col) -> (seconds, segment) of the fastest active segment (first of ties)."""
    best: dict[tuple[int, int], tuple[float, int]] = {}
    for s in np.flatnonzero(graph.seg_active):
        a, b = int(graph.seg_u[s]), int(graph.seg_v[s])
        if a == b:
            continue
        for key in ((a, b), (b, a)):
            if key not in best or graph.seg_seconds[s] < best[key][0]:
                best[key] = (float(graph.seg_seconds[s]), int(s))
    return best


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_csr_matches_naive_reference(seed):
    """Random multigraph (parallels, loops) with facilities splitting some edges twice."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 500, size=(30, 2))
    uv = rng.integers(0, 30, size=(80, 2))
    uv = np.vstack([uv, uv[:10]])  # exact parallels: the first one must win ties
    net = network_from_arrays(xy, uv, penalty_s=rng.choice([0.0, 5.0], size=len(uv)))
    pts = gpd.GeoSeries(shapely.points(rng.uniform(0, 500, size=(25, 2))), crs=net.crs)
    graph = build_split_graph(net, snap_points(net, pts, max_snap_m=1e6), profile=UNIT)
    csr = graph.csr
    assert np.all(np.diff(csr.indptr) >= 0)
    got = {}
    for row in range(csr.shape[0]):
        lo, hi = csr.indptr[row], csr.indptr[row + 1]
        cols = csr.indices[lo:hi]
        assert np.all(np.diff(cols) > 0), f"row {row} not sorted/unique"
        for k, col in zip(range(lo, hi), cols, strict=True):
            got[(row, int(col))] = (float(csr.data[k]), int(graph.entry_segment[k]))
    want = _reference(graph)
    # every stored entry is the fastest active segment between its two nodes
    for key, (seconds, seg) in got.items():
        assert graph.seg_active[seg]
        assert {int(graph.seg_u[seg]), int(graph.seg_v[seg])} == set(key)
        assert seconds == pytest.approx(max(want[key][0], 1e-9))
    # entries may only be missing where a split parallel makes them redundant: the
    # walking times between all nodes are those of the naive graph
    n = csr.shape[0]
    rows, cols = zip(*want, strict=True)
    naive = csr_array(([max(v[0], 1e-9) for v in want.values()], (rows, cols)), shape=(n, n))
    np.testing.assert_allclose(dijkstra(csr), dijkstra(naive), rtol=1e-12, atol=1e-9)
