"""Benchmark: ``suggest_facilities`` (k new sites, existing fixed) per objective, vs one coverage.

Run: ``.venv/bin/python benchmarks/bench_facility_siting.py [--quick] [--runs 5]``

Cases:

- ``demo``: the embedded demo district, service ``care``, candidates = its buildings;
- ``city 10k`` (not with ``--quick``): a synthetic city of 10k nodes with the grids and
  facilities of ``bench_what_if.city_layers``, candidates every 50 m along its streets.

For each case and objective (``covering``, ``total``, ``worst``) with ``k = 3``: the median
CPU seconds (``time.process_time``) of ``--runs`` runs, the ratio to the reference measured
in the same run — one :func:`compute_coverage` of the same service without isochrones (the
baseline every siting run starts from) — the solver's status and proven gap, and the peak
resident set (Linux ``ru_maxrss``) after the case. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import lifecircle as lc
from lifecircle.coverage.measures.siting.facility_siting import (
    FacilitySuggestions,
    suggest_facilities,
)
from lifecircle.coverage.network.synthetic import synthetic_city

OBJECTIVES = ("covering", "total", "worst")


def _cpu(fn: Callable[[], object]) -> tuple[float, object]:
    t0 = time.process_time()
    out = fn()
    return time.process_time() - t0, out


def run_case(name: str, layers: object, network: lc.WalkNetwork, runs: int, **kw: object) -> None:
    """Print one row per objective for one case."""
    service = {"care": ("life_centre", "care_home", "day_care")}
    ref = statistics.median(
        _cpu(lambda: lc.compute_coverage(layers, network, services=service, isochrones=False,
                                         progress=False))[0]
        for _ in range(runs)
    )  # fmt: skip
    print(f"{name:<10} {'compute_coverage (reference)':<30} {ref:9.3f} {1.0:7.2f}")
    for objective in OBJECTIVES:
        times, last = [], None
        for _ in range(runs):
            seconds, last = _cpu(
                lambda o=objective: suggest_facilities(
                    layers, network, k=3, service=service, objective=o, **kw
                )
            )
            times.append(seconds)
        assert isinstance(last, FacilitySuggestions)
        med = statistics.median(times)
        label = f"suggest {objective} (k=3)"
        print(
            f"{name:<10} {label:<30} {med:9.3f} {med / ref:7.2f}  {last.status}, "
            f"gap {100 * last.gap:.3g}%, {last.n_candidates} candidates"
        )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{name:<10} peak RSS {peak_mb:,.0f} MB")


def main(argv: list[str] | None = None) -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the demo only")
    parser.add_argument("--runs", type=int, default=5, help="runs per method (>= 5)")
    args = parser.parse_args(argv)
    print(f"cores: {os.cpu_count()}; CPU seconds, medians of {args.runs} runs")
    print(f"{'case':<10} {'method':<30} {'CPU s':>9} {'ratio':>7}")
    run_case("demo", lc.load_demo_layers(), lc.load_demo_network(), args.runs)
    if not args.quick:
        from bench_what_if import city_layers

        network = synthetic_city(10_000, seed=7)
        run_case("city 10k", city_layers(network, seed=7), network, args.runs)


if __name__ == "__main__":
    main()
