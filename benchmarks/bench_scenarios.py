"""Benchmark: scenario update latency per change type, on the demo study (and a synthetic city).

Run: ``.venv/bin/python benchmarks/bench_scenarios.py [--runs 5] [--city]``

What is timed (CPU seconds, ``time.process_time``; medians of ``--runs`` runs):

- the live map (``lc.explore``), one edit = engine + every figure the map shows (grid
  colours, headline, target table): ``add``, ``move``, ``remove`` a facility; with
  ``widget`` also the ipyleaflet refresh (GeoJSON restyle, markers, HTML), when installed;
- ``apply_scenario`` per change type, which decides incremental or full: a facility (the
  coverage states given, as ``compare`` shares them), a seat, a closed street, another
  walking profile — each followed by the seat targets, as a check would;
- the reference in the same run: a full ``run_study`` of the demo (``check``).

Ratios are "reference / method". ``--city``: the same live-map edits on a synthetic city
of about 100,000 nodes (``benchmarks/bench_what_if.city_layers``), reference a full
``compute_coverage``. Peak RSS is the process's high-water mark (Linux ``ru_maxrss``).
Nothing is asserted.
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

from lifecircle.study import demo_study_path, load_study, run_study
from lifecircle.study.explore import explore
from lifecircle.study.scenario import Scenario
from lifecircle.study.scenario_apply import apply_scenario, scenario_states


def _median_cpu(func: Callable[[int], object], runs: int) -> float:
    times = []
    for i in range(runs):
        start = time.process_time()
        func(i)
        times.append(time.process_time() - start)
    return statistics.median(times)


def _row(name: str, seconds: float, reference: float) -> None:
    print(f"{name:<42} {seconds * 1000:10.1f} ms  x{reference / seconds:8.1f}")


def _places(n: int) -> list[tuple[float, float]]:
    return [(122.996 + 0.0015 * (i % 5), 30.996 + 0.0012 * (i // 5)) for i in range(n)]


def demo(runs: int) -> None:
    study = load_study(demo_study_path())
    reference = _median_cpu(lambda _: run_study(study), runs)
    base = run_study(study)
    print(f"reference: full check of the demo study     {reference * 1000:10.1f} ms")
    places = _places(runs)
    live = explore(base)
    ids = ["E01", "E03", "E04", "E05", "E06", "E07", "E08", "E09"]
    _row("live map: add a facility", _median_cpu(lambda i: live.add(*places[i]), runs), reference)
    _row("live map: move a facility",
         _median_cpu(lambda i: live.move(ids[i], *places[-1 - i]), runs), reference)  # fmt: skip
    _row("live map: remove a facility",
         _median_cpu(lambda i: live.remove(ids[i]), runs), reference)  # fmt: skip
    try:
        shown = explore(base)
        _ = shown.widget
        _row("live map + widget: add a facility",
             _median_cpu(lambda i: shown.add(*places[i]), runs), reference)  # fmt: skip
        _row("live map + widget: remove a facility",
             _median_cpu(lambda i: shown.remove(ids[i]), runs), reference)  # fmt: skip
    except Exception as exc:  # ipyleaflet missing: the extra is optional
        print(f"widget not timed: {exc}")
    states = scenario_states(base)
    edges = base.network.edges.geometry.to_crs(4326)
    plans = {
        "apply: add a facility (incremental)":
            lambda i: Scenario("a").add_facility("N", "life_station", places[i]),
        "apply: add a seat (seat targets recomputed)":
            lambda i: Scenario("s").add_seat("S", places[i]),
        "apply: close a street (full recompute)":
            lambda i: Scenario("c").close_street(_mid(edges.iloc[10 + 50 * i])),
        "apply: slower profile (full recompute)":
            lambda i: _slow(),
    }  # fmt: skip
    for name, plan in plans.items():
        _row(name, _median_cpu(lambda i, p=plan: apply_scenario(base, p(i), states=states), runs),
             reference)  # fmt: skip


def _mid(line: object) -> tuple[float, float]:
    point = line.interpolate(0.5, normalized=True)  # type: ignore[attr-defined]
    return (point.x, point.y)


def _slow() -> Scenario:
    from lifecircle.study import ProfileSpec

    return Scenario("slow", profile=ProfileSpec("scenario", "elderly", 0.7, None))


def city(runs: int) -> None:
    import numpy as np
    from bench_what_if import city_layers

    from lifecircle.coverage import compute_coverage
    from lifecircle.coverage.measures.what_if.what_if import CoverageState
    from lifecircle.coverage.network.synthetic import synthetic_city

    network = synthetic_city(100_000, seed=1)
    layers = city_layers(network, seed=1)
    start = time.process_time()
    compute_coverage(layers, network, isochrones=False)
    reference = time.process_time() - start
    state = CoverageState.from_layers(layers, network)
    print(f"\nsynthetic city: {network.n_nodes:,} nodes, {len(state.grids)} grids; "
          f"reference full compute_coverage {reference:.2f} s")  # fmt: skip
    live = explore(state)
    rng = np.random.default_rng(3)
    nodes = network.nodes.to_crs(4326).geometry
    picks = [nodes.iloc[int(k)] for k in rng.integers(0, len(nodes), size=3 * runs)]
    ids = list(state.facilities["id"].astype(str).unique())
    _row("city live map: add a facility",
         _median_cpu(lambda i: live.add(picks[i].x, picks[i].y), runs), reference)  # fmt: skip
    _row("city live map: move a facility",
         _median_cpu(lambda i: live.move(ids[i], picks[runs + i].x, picks[runs + i].y), runs),
         reference)  # fmt: skip
    _row("city live map: remove a facility",
         _median_cpu(lambda i: live.remove(ids[runs + i]), runs), reference)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--city", action="store_true", help="also a 100k-node synthetic city")
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}; medians of {args.runs} runs; CPU seconds")
    demo(args.runs)
    if args.city:
        city(args.runs)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main()
