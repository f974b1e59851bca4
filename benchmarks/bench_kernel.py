"""Benchmark: the bounded multi-source solve, bare scipy vs the fallback vs the numba kernel.

Run: ``.venv/bin/python benchmarks/bench_kernel.py [--sizes 10000 100000 1000000] [--runs 7]``
(needs numba: ``pip install -c constraints.txt -e ".[fast]"``; wrap a 1M run in
``flock /tmp/bigmem.lock`` on a shared machine).

Inputs: :func:`lifecircle.study.synthetic_city.synthetic_city_study` cities (one elderly
facility per 100 nodes), the ``elderly`` service's facilities as sources on the compiled
split graph, the coverage solve's limit (twice 15 minutes at the elderly speed: 1,800 s).

Methods (CPU seconds of this process, ``time.process_time``; median of ``--runs`` runs,
interleaved round by round so machine load hits all alike; at 1M nodes ``--runs-1m``
runs, 5 by default):

- ``scipy bare``: ``csgraph.dijkstra(min_only=True, limit=...)``, distances only: the
  floor every ratio is taken against (the issue's "bare scipy");
- ``scipy + predecessors``: the same with ``return_predecessors=True`` (what the solve
  needs);
- ``fallback``: :func:`~lifecircle.coverage.routing.kernel.multi_source` with the kernel
  turned off (scipy behind our wrapper: the path without numba or on small graphs);
- ``kernel``: :func:`~lifecircle.coverage.routing.kernel.multi_source_kernel` (distances,
  predecessors and sources, checked equal to scipy's before timing);
- ``nearest_facility``: the library's solve as ``compute_coverage`` calls it (kernel on
  at or above :data:`~lifecircle.coverage.routing.kernel.MIN_KERNEL_NODES` nodes).

Also printed, once per process: numba's import plus loading the cached kernel, and the
cold compile (a subprocess with an empty numba cache). Peak memory is the growth during
one call (the larger of the resident-set high-water mark and the tracemalloc peak). A
growth table gives each method's exponent ``k`` of ``t ~ n^k``. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_reachability import peak_mb  # noqa: E402  (benchmarks/ is on sys.path)

from lifecircle.coverage.measures.service_coverage import default_services  # noqa: E402
from lifecircle.coverage.routing import kernel  # noqa: E402
from lifecircle.coverage.routing.profiles import PROFILES  # noqa: E402
from lifecircle.coverage.routing.snap import snap_points  # noqa: E402
from lifecircle.coverage.routing.split_graph import build_split_graph  # noqa: E402
from lifecircle.coverage.routing.travel_times import nearest_facility  # noqa: E402
from lifecircle.study.synthetic_city import synthetic_city_study  # noqa: E402

LIMIT_S = 1_800.0
SEED = 1


def cpu_medians(funcs: dict[str, Callable[[], object]], runs: int) -> dict[str, float]:
    """Median CPU seconds of each function, one call of each per round."""
    times: dict[str, list[float]] = {k: [] for k in funcs}
    for _ in range(runs):
        for key, func in funcs.items():
            gc.collect()
            t0 = time.process_time()
            func()
            times[key].append(time.process_time() - t0)
    return {k: statistics.median(v) for k, v in times.items()}


def without_kernel(func: Callable[[], object]) -> Callable[[], object]:
    """``func`` run with the kernel turned off (the fallback path)."""

    def run() -> object:
        kernel.USE_KERNEL = False
        try:
            return func()
        finally:
            kernel.USE_KERNEL = True

    return run


def bench_size(n: int, runs: int) -> list[tuple[str, int, float, float, int]]:
    """Rows (method, nodes, CPU s, peak MB, runs) for a city of ``n`` nodes."""
    c0 = time.process_time()
    layers, network = synthetic_city_study(n, seed=SEED)
    codes = default_services()["elderly"]
    fac = layers.elderly[layers.elderly["type"].isin(codes)].to_crs(network.crs)
    snapped = snap_points(network, fac, max_snap_m=100)
    graph = build_split_graph(network, snapped, profile=PROFILES["elderly"])
    rows = np.flatnonzero(graph.access_node >= 0)
    src = np.unique(graph.access_node[rows])
    print(f"{n:,} nodes ({graph.n_nodes:,} in the split graph, {len(src):,} sources): "
          f"built in {time.process_time() - c0:.1f} s CPU", file=sys.stderr)  # fmt: skip
    csr = graph.csr
    want = dijkstra(csr, directed=True, indices=src, min_only=True, limit=LIMIT_S,
                    return_predecessors=True)  # fmt: skip
    got = kernel.multi_source_kernel(csr, src, limit=LIMIT_S)
    if got is None:
        print("  the kernel declined (an exact tie): it hands over to scipy", file=sys.stderr)
    else:
        same = all(np.array_equal(a, b) for a, b in zip(got, want, strict=True))
        print(f"  kernel == scipy (distances, predecessors, sources): {same}", file=sys.stderr)
    methods: dict[str, Callable[[], object]] = {
        "scipy bare": lambda: dijkstra(
            csr, directed=True, indices=src, min_only=True, limit=LIMIT_S
        ),
        "scipy + predecessors": lambda: dijkstra(
            csr, directed=True, indices=src, min_only=True, limit=LIMIT_S, return_predecessors=True
        ),
        "fallback (kernel off)": without_kernel(
            lambda: kernel.multi_source(csr, src, limit=LIMIT_S)
        ),
        "kernel": lambda: kernel.multi_source_kernel(csr, src, limit=LIMIT_S),
        "nearest_facility": lambda: nearest_facility(graph, facilities=rows, limit_s=LIMIT_S),
    }
    cpu = cpu_medians(methods, runs)
    return [(k, n, cpu[k], peak_mb(f), runs) for k, f in methods.items()]


COLD = """
import time, numpy as np
from scipy.sparse import csr_array
from lifecircle.coverage.routing import kernel
csr = csr_array((np.ones(2), (np.array([0, 1]), np.array([1, 0]))), shape=(2, 2))
t0 = time.process_time()
kernel._compiled()
t1 = time.process_time()
kernel.multi_source_kernel(csr, np.array([0]), limit=5.0)
t2 = time.process_time()
print(f"{t1 - t0:.3f} {t2 - t1:.3f}")
"""


def one_time_costs() -> tuple[float, float, float]:
    """(numba import, cold compile, cached load) in CPU seconds, each in a fresh process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory() as cache:
        env["NUMBA_CACHE_DIR"] = cache
        out = []
        for _ in range(2):  # the first compiles into the empty cache, the second loads it
            proc = subprocess.run([sys.executable, "-c", COLD], capture_output=True, text=True,
                                  check=True, env=env)  # fmt: skip
            out.append([float(x) for x in proc.stdout.split()])
    return out[1][0], out[0][1], out[1][1]


def print_tables(rows: list[tuple[str, int, float, float, int]], sizes: list[int]) -> None:
    """The timing table (ratios to bare scipy of the same size), then the growth table."""
    print(f"machine: {os.cpu_count()} cores ({len(os.sched_getaffinity(0))} usable); "
          "CPU seconds of this process")  # fmt: skip
    print(f"| {'method':<24} | {'nodes':>9} | {'runs':>4} | {'CPU s':>8} | "
          f"{'/ scipy bare':>12} | {'peak MB':>7} |")  # fmt: skip
    print(f"|{'-' * 26}|{'-' * 11}|{'-' * 6}|{'-' * 10}|{'-' * 14}|{'-' * 9}|")
    ref = {n: t for m, n, t, _, _ in rows if m == "scipy bare"}
    for method, n, t, mb, k in rows:
        print(f"| {method:<24} | {n:>9,} | {k:>4} | {t:>8.4f} | {t / ref[n]:>11.2f}x | "
              f"{mb:>7.0f} |")  # fmt: skip
    if len(sizes) < 2:
        return
    print("\ngrowth: CPU s per size, exponent k of t ~ n^k between consecutive sizes")
    for method in dict.fromkeys(r[0] for r in rows):
        by = {r[1]: r[2] for r in rows if r[0] == method}
        times = [by[s] for s in sizes if s in by]
        pairs = zip(times, times[1:], sizes, sizes[1:], strict=False)
        ks = [f"{math.log(b / a) / math.log(n1 / n0):.2f}" for a, b, n0, n1 in pairs]
        print(f"{method:<24} " + " ".join(f"{t:>8.4f}" for t in times) + "   k: " + " / ".join(ks))


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=7, help="runs per method (>= 5)")
    parser.add_argument("--runs-1m", type=int, default=5, help="runs at 1M nodes and above")
    args = parser.parse_args(argv)
    if not kernel.kernel_available():
        sys.exit("numba is not installed: pip install -c constraints.txt -e '.[fast]'")
    imp, cold, warm = one_time_costs()
    print(f"one-time, per process: numba import {imp:.2f} s CPU; loading the cached kernel "
          f"{warm:.2f} s; compiling it the first time on a machine {cold:.2f} s "
          f"(kernel used from {kernel.MIN_KERNEL_NODES:,} nodes)")  # fmt: skip
    tiny = csr_array((np.ones(2), ([0, 1], [1, 0])), shape=(2, 2))
    kernel.multi_source_kernel(tiny, np.array([0]), limit=1.0)  # load it before timing
    rows: list[tuple[str, int, float, float, int]] = []
    for n in args.sizes:
        rows += bench_size(n, max(args.runs, 5) if n < 1_000_000 else args.runs_1m)
        print_tables(rows, [])
        print(flush=True)
    print_tables(rows, args.sizes)


if __name__ == "__main__":
    main()
