"""Benchmark: the whole demo pipeline, from files to coverage with isochrones.

Run: ``.venv/bin/python benchmarks/bench_demo_pipeline.py``

Steps timed (median of several runs, each in a fresh state except Python imports):
load the demo layers, load the demo walking network, compute coverage of the three
default services (elderly, care, bathing) for every grid with the service isochrones.
Target: < 5 s for the whole pipeline. Nothing here is asserted.
"""

from __future__ import annotations

import statistics
import time

from lifecircle.coverage import compute_coverage
from lifecircle.coverage.network.build import load_demo_network
from lifecircle.geo.layers import load_demo_layers

RUNS = 5


def run_once() -> dict[str, float]:
    """Run the pipeline once; return seconds per step."""
    times = {}
    start = time.perf_counter()
    layers = load_demo_layers()
    times["load layers"] = time.perf_counter() - start
    start = time.perf_counter()
    network = load_demo_network()
    times["load network"] = time.perf_counter() - start
    start = time.perf_counter()
    result = compute_coverage(layers, network, isochrones=True, progress=False)
    times["coverage + isochrones"] = time.perf_counter() - start
    times["total"] = sum(times.values())
    times["_grids"] = len(result.grid_table("leaf"))
    times["_isochrones"] = len(result.isochrones)
    return times


def main() -> None:
    """Print the median time of each step."""
    runs = [run_once() for _ in range(RUNS)]
    first = runs[0]
    print(
        f"demo pipeline, median of {RUNS} runs "
        f"({first['_grids']:.0f} leaf grids, {first['_isochrones']:.0f} isochrones)"
    )
    for step in ("load layers", "load network", "coverage + isochrones", "total"):
        median = statistics.median(r[step] for r in runs)
        print(f"  {step:<24} {median:7.3f} s")
    total = statistics.median(r["total"] for r in runs)
    print(f"  target < 5 s: {'met' if total < 5 else 'MISSED'}")


if __name__ == "__main__":
    main()
