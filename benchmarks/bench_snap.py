"""Benchmark: snapping a city's demand lattice, STRtree vs the compiled nearest-edge search.

Run: ``.venv/bin/python benchmarks/bench_snap.py [--sizes 10000 100000 1000000] [--runs 7]``
(needs numba: ``pip install -c constraints.txt -e ".[fast]"``; wrap a 1M run in
``flock /tmp/bigmem.lock`` on a shared machine: the STRtree path holds half a million
Points at a time and the 1M city's lattice has 11.7M points).

Inputs: :func:`lifecircle.study.synthetic_city.synthetic_city_study` cities and their
demand lattices (:func:`~lifecircle.coverage.measures.demand.demand_table`: what
``compute_coverage`` snaps).

Methods (CPU seconds of this process, ``time.process_time``; median of ``--runs`` runs,
interleaved round by round so that machine load hits all alike; at 1M nodes ``--runs-1m``
runs, 5 by default):

- ``strtree``: :func:`~lifecircle.coverage.routing.snap.snap_coordinates` with the kernel
  off (``STRtree.query_nearest`` + ``line_locate_point``: the path without numba, and
  the library before the kernel), STRtree already built;
- ``kernel``: the same call with the kernel on (the default for this many points): the
  compiled search, the STRtree for the points it asks about (near ties), the frame;
- ``kernel search only``: :func:`~lifecircle.coverage.routing.snap_kernel.nearest_edges`.

Both paths' frames are checked identical (``check_exact``) before timing, on the first
calls, which also build the STRtree and the edge grid (once per network object; timed and
printed). Also printed, once per process: numba's import plus loading the cached kernel,
and the cold compile (subprocesses with an empty numba cache). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_kernel import cpu_medians  # noqa: E402  (benchmarks/ is on sys.path)

from lifecircle.coverage.measures.demand import demand_table  # noqa: E402
from lifecircle.coverage.routing import snap_kernel  # noqa: E402
from lifecircle.coverage.routing.kernel import kernel_available  # noqa: E402
from lifecircle.coverage.routing.snap import snap_coordinates  # noqa: E402
from lifecircle.study.synthetic_city import synthetic_city_study  # noqa: E402

SEED = 1
Row = tuple[str, int, int, float, int]


def strtree_only(func: Callable[[], object]) -> Callable[[], object]:
    """``func`` run with the kernel turned off (the STRtree path)."""

    def run() -> object:
        snap_kernel.USE_KERNEL = False
        try:
            return func()
        finally:
            snap_kernel.USE_KERNEL = True

    return run


def once(func: Callable[[], object]) -> float:
    """CPU seconds of one call."""
    t0 = time.process_time()
    func()
    return time.process_time() - t0


def bench_size(n: int, runs: int) -> list[Row]:
    """Rows (method, nodes, points, CPU s, runs) for a city of ``n`` nodes."""
    c0 = time.process_time()
    layers, network = synthetic_city_study(n, seed=SEED)
    xy = demand_table(layers.grids, crs=network.crs)[["x", "y"]].to_numpy()
    print(f"{n:,} nodes, {network.n_edges:,} edges, {len(xy):,} demand points: built in "
          f"{time.process_time() - c0:.1f} s CPU", file=sys.stderr)  # fmt: skip
    got: dict[str, pd.DataFrame] = {}

    def first(key: str, kernel_on: bool) -> None:
        snap_kernel.USE_KERNEL = kernel_on
        try:
            got[key] = snap_coordinates(network, xy, max_snap_m=100)
        finally:
            snap_kernel.USE_KERNEL = True

    t_old = once(lambda: first("strtree", False))  # builds the STRtree
    t_new = once(lambda: first("kernel", True))  # builds the edge grid (numba loaded once)
    try:
        pd.testing.assert_frame_equal(got["kernel"], got["strtree"], check_exact=True)
        same = True
    except AssertionError:
        same = False
    found = snap_kernel.nearest_edges(network, xy)
    asked = float(found[3].mean()) if found is not None else 1.0
    print(f"  kernel == STRtree (every column, bit for bit): {same}; points asked of the "
          f"STRtree (near ties): {asked:.2%}; first calls (building the STRtree / the edge "
          f"grid): {t_old:.2f} s / {t_new:.2f} s CPU", file=sys.stderr)  # fmt: skip
    methods: dict[str, Callable[[], object]] = {
        "strtree": strtree_only(lambda: snap_coordinates(network, xy, max_snap_m=100)),
        "kernel": lambda: snap_coordinates(network, xy, max_snap_m=100),
        "kernel search only": lambda: snap_kernel.nearest_edges(network, xy),
    }
    cpu = cpu_medians(methods, runs)
    return [(k, n, len(xy), cpu[k], runs) for k in methods]


COLD = """
import time, numpy as np
from lifecircle.coverage.network.synthetic import network_from_arrays
from lifecircle.coverage.routing import snap_kernel
net = network_from_arrays([(0, 0), (100, 0)], [(0, 1)])
t0 = time.process_time()
snap_kernel.edge_grid(net)
t1 = time.process_time()
snap_kernel.nearest_edges(net, np.array([[5.0, 5.0]]))
t2 = time.process_time()
print(f"{t1 - t0:.3f} {t2 - t1:.3f}")
"""


def one_time_costs() -> tuple[float, float]:
    """(cold compile, cached load) in CPU seconds, each in a fresh process (both include
    importing numba)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory() as cache:
        env["NUMBA_CACHE_DIR"] = cache
        out = []
        for _ in range(2):  # the first compiles into the empty cache, the second loads it
            proc = subprocess.run([sys.executable, "-c", COLD], capture_output=True, text=True,
                                  check=True, env=env)  # fmt: skip
            out.append(sum(float(x) for x in proc.stdout.split()))
    return out[0], out[1]


def print_table(rows: list[Row]) -> None:
    """The timing table, with each method's speed-up over the STRtree of the same size."""
    print(f"machine: {os.cpu_count()} cores ({len(os.sched_getaffinity(0))} usable); "
          "CPU seconds of this process")  # fmt: skip
    print(f"| {'method':<20} | {'nodes':>9} | {'points':>10} | {'runs':>4} | {'CPU s':>8} | "
          f"{'STRtree / it':>12} |")  # fmt: skip
    print(f"|{'-' * 22}|{'-' * 11}|{'-' * 12}|{'-' * 6}|{'-' * 10}|{'-' * 14}|")
    ref = {n: t for m, n, _, t, _ in rows if m == "strtree"}
    for method, n, pts, t, k in rows:
        print(f"| {method:<20} | {n:>9,} | {pts:>10,} | {k:>4} | {t:>8.3f} | "
              f"{ref[n] / t:>11.2f}x |")  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=7, help="runs per method (>= 5)")
    parser.add_argument("--runs-1m", type=int, default=5, help="runs at 1M nodes and above")
    args = parser.parse_args(argv)
    if not kernel_available():
        sys.exit("numba is not installed: pip install -c constraints.txt -e '.[fast]'")
    cold, warm = one_time_costs()
    print(f"one-time, per process: importing numba and loading the cached kernel {warm:.2f} s "
          f"CPU; compiling it the first time on a machine {cold:.2f} s (kernel used from "
          f"{snap_kernel.MIN_KERNEL_POINTS:,} points)")  # fmt: skip
    rows: list[Row] = []
    for n in args.sizes:
        rows += bench_size(n, max(args.runs, 5) if n < 1_000_000 else args.runs_1m)
        print_table(rows)
        print(flush=True)


if __name__ == "__main__":
    main()
