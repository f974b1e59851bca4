"""Benchmark: coverage of a whole synthetic city, step by step, at 10k, 100k and 1M nodes.

Run: ``.venv/bin/python benchmarks/bench_city_scale.py [--quick] [--baseline REV]``, or
``... --steps [--sizes 10000 100000 1000000] [--isochrones]`` for ``compute_coverage``
step by step (demand arrays, snapping, split graph, solves, shares, tables) with the whole
analysis' peak memory; ``--isochrones`` adds the defaults at 1M too. With
``--areas-only [--sizes N ...] [--areas-v01]`` only the two service-area methods are timed.

Inputs: :func:`lifecircle.study.synthetic_city.synthetic_city_study` — a street network of
``n`` nodes, 500 m micro-grids under 2 km areas and one subdistrict, residents on every
micro-grid, one elderly facility per 100 nodes, the service types in turn; no seats. The
analysis is the default one: three services, a 15-minute walk at the elderly speed,
25 m demand lattice, 30 m isochrone buffer.

Methods (each on the same inputs, CPU seconds of this process, median of ``--runs`` runs
interleaved round by round so that machine load hits all alike; fewer runs at 1M, as the
table says):

- ``scipy bare dijkstra``: one ``csgraph.dijkstra(min_only=True, limit=...)`` call from the
  ``elderly`` service's facilities — the floor the solve is compared with;
- ``nearest_facility``: our solve on the compiled split graph (ratio to scipy);
- ``reachable_lines v0.1`` / ``reachable_lines``: the street pieces within 15 minutes of the
  ``elderly`` facilities, cut with one ``shapely.ops.substring`` per partial piece (the old
  loop, kept below as the reference) and from coordinate arrays (ratio to v0.1);
- ``service area v0.1`` / ``service area (faces)`` / ``... (network's faces reused)``: the
  ``elderly`` walking area from those pieces and the facilities' access legs, by v0.1's
  buffer-and-union (``lines_to_area``, the reference), by the faces method on every piece
  (``lines_to_service_area``: a box minus the street faces shrunk by the buffer) and as the
  library builds it (``isochrone_from_seconds``: the blocks reached whole taken from the
  network's faces, only the frontier polygonised; ratio to v0.1); ``street faces (once per
  network)`` is what that reuse costs once per network object (a fresh copy each run); the
  line after the table gives how far apart the areas are (``measure_area_difference``).
  With ``--areas-only`` nothing else is timed (for the 1M run: v0.1 then runs only with
  ``--areas-v01``);
- ``per-facility isochrones``: one isochrone per ``elderly`` facility (what
  ``compute_coverage`` computed for every service before they became lazy);
- ``demand lattice``: the demand points of every leaf grid;
- ``compute_coverage``: the whole analysis, isochrones off and at the defaults; with
  ``--baseline REV`` also the defaults at git revision ``REV`` (e.g. the commit before a
  change), run in a subprocess on identical inputs — the full recompute the ratios of
  ``compute_coverage`` are taken against.

Columns: CPU seconds (median), wall seconds, cores used (CPU / wall), peak memory growth
during one call (the larger of the resident-set high-water mark and the tracemalloc
peak), ratio to the reference named in the last column. A growth table gives each
method's exponent between sizes (``t ~ n^k``). Nothing here is asserted.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
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
import shapely
import shapely.ops
from scipy.sparse.csgraph import dijkstra

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_reachability import peak_mb  # noqa: E402  (benchmarks/ is on sys.path)

from lifecircle.coverage import compute_coverage  # noqa: E402
from lifecircle.coverage.areas.isochrones import (  # noqa: E402
    access_legs,
    isochrone_from_seconds,
    isochrones_for_facilities,
    reachable_lines,
)
from lifecircle.coverage.areas.service_area import (  # noqa: E402
    lines_to_area,
    lines_to_service_area,
    measure_area_difference,
)
from lifecircle.coverage.areas.street_faces import street_faces  # noqa: E402
from lifecircle.coverage.measures.coverage_result import DemandPoints  # noqa: E402
from lifecircle.coverage.measures.demand import demand_from_layers, demand_table  # noqa: E402
from lifecircle.coverage.measures.service_coverage import (  # noqa: E402
    default_services,
    grid_shares,
    served_by_facility,
)
from lifecircle.coverage.routing.profiles import PROFILES  # noqa: E402
from lifecircle.coverage.routing.snap import snap_coordinates, snap_points  # noqa: E402
from lifecircle.coverage.routing.split_graph import SplitGraph, build_split_graph  # noqa: E402
from lifecircle.coverage.routing.travel_times import (  # noqa: E402
    nearest_facility,
    seconds_to_points,
)
from lifecircle.study.synthetic_city import synthetic_city_study  # noqa: E402

PROFILE = PROFILES["elderly"]
LIMIT_S = 15 * 60.0
ACCESS_M = 30.0
SEED = 1


def cpu_median(funcs: dict[str, Callable[[], object]], runs: int) -> dict[str, tuple[float, float]]:
    """Median (CPU seconds, wall seconds) of each function, one call of each per round.

    A function that raises (e.g. the demand-lattice guard at 1M nodes) is reported on
    stderr and timed as ``nan``.
    """
    cpu: dict[str, list[float]] = {k: [] for k in funcs}
    wall: dict[str, list[float]] = {k: [] for k in funcs}
    failed: set[str] = set()
    for _ in range(runs):
        for key, func in funcs.items():
            if key in failed:
                continue
            gc.collect()
            c0, w0 = time.process_time(), time.perf_counter()
            try:
                func()
            except Exception as exc:
                print(f"{key}: {type(exc).__name__}: {exc}", file=sys.stderr)
                failed.add(key)
                continue
            cpu[key].append(time.process_time() - c0)
            wall[key].append(time.perf_counter() - w0)
    return {
        k: (statistics.median(cpu[k]), statistics.median(wall[k])) if cpu[k] else (math.nan,) * 2
        for k in funcs
    }


def substring_lines(graph: SplitGraph, seconds: np.ndarray, limit_s: float) -> np.ndarray:
    """``reachable_lines`` as in v0.1: one ``shapely.ops.substring`` per partial piece."""
    street = (graph.seg_edge >= 0) & graph.seg_active
    a, b = graph.seg_u[street], graph.seg_v[street]
    edge = graph.seg_edge[street]
    start, end = graph.seg_start_m[street], graph.seg_end_m[street]
    per_m = np.maximum(graph.edge_seconds_per_m[edge], 1e-12)
    with np.errstate(invalid="ignore"):
        reach_a = np.clip((limit_s - seconds[a]) / per_m, 0.0, None)
        reach_b = np.clip((limit_s - seconds[b]) / per_m, 0.0, None)
    reach_a = np.where(np.isfinite(seconds[a]), reach_a, 0.0)
    reach_b = np.where(np.isfinite(seconds[b]), reach_b, 0.0)
    whole = reach_a + reach_b >= end - start
    geoms = graph.network.edges.geometry.to_numpy()
    length = graph.network.edges["length_m"].to_numpy(dtype=float)
    full_edge = whole & (start <= 0) & (end >= length[edge])
    pieces = list(geoms[edge[full_edge]])
    intervals = [(edge[k], start[k], end[k]) for k in np.flatnonzero(whole & ~full_edge)]
    intervals += [(edge[k], start[k], start[k] + reach_a[k])
                  for k in np.flatnonzero(~whole & (reach_a > 0))]  # fmt: skip
    intervals += [(edge[k], end[k] - reach_b[k], end[k])
                  for k in np.flatnonzero(~whole & (reach_b > 0))]  # fmt: skip
    for e, lo, hi in intervals:
        pieces.append(
            shapely.ops.substring(geoms[e], lo / length[e], hi / length[e], normalized=True)
        )
    return np.asarray(pieces, dtype=object)


def area_v01(lines: np.ndarray) -> shapely.Geometry:
    """v0.1's walking area: merge touching pieces, buffer each, cascaded union."""
    return lines_to_area(lines, access_m=ACCESS_M)


def area_faces(lines: np.ndarray) -> shapely.Geometry:
    """The library's walking area: a box minus the street faces shrunk by the buffer."""
    return lines_to_service_area(lines, access_m=ACCESS_M)


AREA_V01 = "service area v0.1 (merge, buffer, union)"
AREA_FACES = "service area (faces)"


AREA_REUSE = "service area (faces; network's faces reused)"
FACES_BUILD = "street faces (once per network)"


def bench_areas(n: int, iso: IsochroneInputs, *, runs: int, v01: bool, row: Callable) -> str:
    """Time the service-area methods on the same pieces; return the agreement line.

    ``iso`` holds the split graph, the solve and the pieces (access legs included).
    """
    lines = iso.lines

    def reuse() -> shapely.Geometry:
        return isochrone_from_seconds(
            iso.graph, iso.seconds, limit_s=LIMIT_S, access_m=ACCESS_M, facilities=iso.rows
        )

    network = iso.graph.network
    street_faces(network).holes(ACCESS_M)  # built before: the reused path's own cost
    funcs = {
        AREA_FACES: lambda: area_faces(lines),
        AREA_REUSE: reuse,
        FACES_BUILD: lambda: street_faces(dataclasses.replace(network)).holes(ACCESS_M),
    }
    if v01:
        funcs = {AREA_V01: lambda: area_v01(lines), **funcs}
    t = cpu_median(funcs, runs)
    ref = t[AREA_V01][0] if v01 else math.nan
    for key, func in funcs.items():
        row(key, t[key], ref, "v0.1 area", peak_mb(func), runs)
    if not v01:
        return f"{n:,} nodes: {len(lines):,} pieces; v0.1 area not run"
    old = area_v01(lines)
    faces = measure_area_difference(area_faces(lines), old)
    reused = measure_area_difference(reuse(), old)
    return (
        f"{n:,} nodes: {len(lines):,} pieces; farthest stray point / symmetric difference "
        f"against v0.1: faces {faces[0]:.2f} m / {faces[1]:.2e}, faces reused "
        f"{reused[0]:.2f} m / {reused[1]:.2e}"
    )


@dataclasses.dataclass(frozen=True)
class IsochroneInputs:
    """One service's solve on a city: what the walking-area methods start from."""

    graph: SplitGraph
    seconds: np.ndarray
    rows: np.ndarray
    lines: np.ndarray  # reachable pieces and the facilities' access legs


def isochrone_inputs(graph: SplitGraph, rows: np.ndarray, seconds: np.ndarray) -> IsochroneInputs:
    """The pieces within the limit plus each facility's access legs, as the library adds them."""
    lines = list(reachable_lines(graph, seconds, limit_s=LIMIT_S))
    lines += list(access_legs(graph, rows))
    return IsochroneInputs(graph, seconds, rows, np.asarray(lines, dtype=object))


#: How far the two service-area methods' areas are apart, one line per size.
AGREEMENT: list[str] = []


def bench_size(
    n: int, *, runs: int, slow_runs: int, baseline: str | None, areas: str = "all"
) -> list[tuple]:
    """Time every method on a city of ``n`` nodes; return table rows.

    ``areas``: ``"all"`` (everything), ``"only"`` (the two service-area methods only) or
    ``"faces"`` (the faces method only, e.g. at 1M nodes where v0.1 takes too long).
    """
    c0 = time.process_time()
    layers, network = synthetic_city_study(n, seed=SEED)
    print(f"{n:,} nodes: city built in {time.process_time() - c0:.1f} s CPU", file=sys.stderr)
    codes = default_services()["elderly"]
    fac = layers.elderly[layers.elderly["type"].isin(codes)].to_crs(network.crs)
    graph = build_split_graph(network, snap_points(network, fac, max_snap_m=100), profile=PROFILE)
    rows = np.flatnonzero(graph.access_node >= 0)
    sources = graph.access_node[rows]
    seconds = nearest_facility(graph, facilities=rows, limit_s=LIMIT_S).seconds
    size = f"{n // 1000:,}k" if n < 1_000_000 else f"{n // 1_000_000}M"
    out: list[tuple] = []

    def row(method: str, t: tuple[float, float], ref: float, ref_name: str, mem: float,
            k: int) -> None:  # fmt: skip
        out.append((method, size, t[0], t[1], mem, t[0] / ref if ref else math.nan, ref_name, k))

    if areas != "all":
        iso = isochrone_inputs(graph, rows, seconds)
        AGREEMENT.append(bench_areas(n, iso, runs=runs, v01=areas == "only", row=row))
        return out
    t = cpu_median(
        {
            "scipy": lambda: dijkstra(
                graph.csr, directed=True, indices=sources, min_only=True, limit=LIMIT_S
            ),
            "solve": lambda: nearest_facility(graph, facilities=rows, limit_s=LIMIT_S),
            "old lines": lambda: substring_lines(graph, seconds, LIMIT_S),
            "lines": lambda: reachable_lines(graph, seconds, limit_s=LIMIT_S),
            "lattice": lambda: demand_from_layers(layers.grids, crs=network.crs),
            "off": lambda: compute_coverage(layers, network, isochrones=False, progress=False),
            "on": lambda: compute_coverage(layers, network, progress=False),
        },
        runs,
    )
    # the per-facility isochrones get fewer runs beyond 10k
    slow = cpu_median(
        {
            "each": lambda: isochrones_for_facilities(
                graph, rows, limit_s=LIMIT_S, access_m=ACCESS_M, per_facility=True
            ),
        },
        slow_runs,
    )
    scipy_s = t["scipy"][0]
    row("scipy bare dijkstra", t["scipy"], scipy_s, "scipy", 0.0, runs)
    solve_mb = peak_mb(lambda: nearest_facility(graph, facilities=rows, limit_s=LIMIT_S))
    row("nearest_facility (solve)", t["solve"], scipy_s, "scipy", solve_mb, runs)
    old = t["old lines"][0]
    row("reachable_lines v0.1", t["old lines"], old, "v0.1",
        peak_mb(lambda: substring_lines(graph, seconds, LIMIT_S)), runs)  # fmt: skip
    row("reachable_lines", t["lines"], old, "v0.1",
        peak_mb(lambda: reachable_lines(graph, seconds, limit_s=LIMIT_S)), runs)  # fmt: skip
    iso = isochrone_inputs(graph, rows, seconds)
    AGREEMENT.append(bench_areas(n, iso, runs=runs, v01=True, row=row))
    row("demand lattice", t["lattice"], t["lattice"][0], "itself",
        peak_mb(lambda: demand_from_layers(layers.grids, crs=network.crs)), runs)  # fmt: skip
    full = t["on"][0]
    row(f"per-facility isochrones ({len(rows)} fac.)", slow["each"], full,
        "compute_coverage", 0.0, slow_runs)  # fmt: skip
    row("compute_coverage, isochrones off", t["off"], full, "compute_coverage",
        peak_mb(lambda: compute_coverage(layers, network, isochrones=False, progress=False)),
        runs)  # fmt: skip
    row("compute_coverage (defaults)", t["on"], full, "compute_coverage",
        peak_mb(lambda: compute_coverage(layers, network, progress=False)), runs)  # fmt: skip
    if baseline:
        res = run_baseline(baseline, n, runs=slow_runs)
        row(f"compute_coverage at {baseline}", (res["cpu_s"], res["wall_s"]), full,
            "compute_coverage", res["peak_mb"], slow_runs)  # fmt: skip
    return out


def run_baseline(rev: str, n: int, *, runs: int) -> dict[str, float]:
    """Time ``compute_coverage`` of git revision ``rev`` in a subprocess on the same city.

    The subprocess imports the revision's ``lifecircle`` (``git archive`` into a temporary
    directory) and runs *this* tree's generator file against it (the revision's
    ``synthetic_city`` and ``Layers``), so the inputs are identical.
    """
    generator = ROOT / "lifecircle" / "study" / "synthetic_city.py"
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "lifecircle"],
                                 capture_output=True, check=True).stdout  # fmt: skip
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        proc = subprocess.run(
            [sys.executable, "-c", BASELINE_WORKER, str(generator), str(n), str(runs), str(SEED)],
            capture_output=True, text=True, check=True, cwd=tmp,
            env={**os.environ, "PYTHONPATH": tmp},
        )  # fmt: skip
    return json.loads(proc.stdout.strip().splitlines()[-1])


BASELINE_WORKER = """
import gc, importlib.util, json, statistics, sys, time
from pathlib import Path
import lifecircle.coverage as old
spec = importlib.util.spec_from_file_location("_city", sys.argv[1])
city = importlib.util.module_from_spec(spec)
spec.loader.exec_module(city)
layers, network = city.synthetic_city_study(int(sys.argv[2]), seed=int(sys.argv[4]))
def status_kb(key):
    line = next(x for x in Path("/proc/self/status").read_text().splitlines() if x.startswith(key))
    return int(line.split()[1])
cpu, wall = [], []
for run in range(int(sys.argv[3])):
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")
    rss = status_kb("VmRSS")
    c0, w0 = time.process_time(), time.perf_counter()
    old.compute_coverage(layers, network, progress=False)
    cpu.append(time.process_time() - c0)
    wall.append(time.perf_counter() - w0)
    mb = (status_kb("VmHWM") - rss) / 1024
print(json.dumps({"cpu_s": statistics.median(cpu), "wall_s": statistics.median(wall),
                  "peak_mb": mb}))
"""


def peak_rss_mb(func: Callable[[], object]) -> float:
    """Resident-set high-water mark (MB) during ``func()``, above the RSS before it.

    Linux only (0 elsewhere); no ``tracemalloc``, whose bookkeeping would swamp a call
    that makes tens of millions of objects at 1M nodes.
    """
    gc.collect()
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
        before = _status_kb("VmRSS")
    except OSError:
        func()
        return 0.0
    func()
    return (_status_kb("VmHWM") - before) / 1024


def _status_kb(key: str) -> int:
    line = next(x for x in Path("/proc/self/status").read_text().splitlines() if x.startswith(key))
    return int(line.split()[1])


def bench_pipeline(n: int, *, runs: int, isochrones: bool) -> list[tuple]:
    """``compute_coverage``'s steps one by one, then the whole (``--steps``): table rows.

    Steps on the same city as :func:`bench_size`: the demand points (as coordinate arrays),
    snapping them, snapping the facilities and compiling the split graph, the three
    services' solves and the point times, the grid shares, the per-facility table, and
    making the demand GeoDataFrame the result hands out on first read. Ratios are to the
    whole analysis with isochrones off; peak memory is the whole call's resident-set growth.
    """
    c0 = time.process_time()
    layers, network = synthetic_city_study(n, seed=SEED)
    print(f"{n:,} nodes: city built in {time.process_time() - c0:.1f} s CPU", file=sys.stderr)
    size = f"{n // 1000:,}k" if n < 1_000_000 else f"{n // 1_000_000}M"
    specs = default_services()
    table = demand_table(layers.grids, crs=network.crs)
    xy = table[["x", "y"]].to_numpy()
    d_snap = snap_coordinates(network, xy, max_snap_m=100)
    elderly = layers.elderly.to_crs(network.crs)
    rows_of = {s: np.flatnonzero(elderly["type"].isin(codes)) for s, codes in specs.items()}
    graph = build_split_graph(
        network, snap_points(network, elderly, max_snap_m=100), profile=PROFILE
    )
    demand = table.assign(snap_m=d_snap["snap_m"], component=d_snap["component"])
    for s, rows in rows_of.items():
        nearest = nearest_facility(graph, facilities=rows, limit_s=2 * LIMIT_S)
        seconds, fac = seconds_to_points(graph, nearest, d_snap)
        demand[f"minutes_{s}"] = seconds / 60.0
        demand[f"facility_{s}"] = np.array([*elderly["id"].astype(str), None], object)[fac]
    facs = elderly.assign(service="elderly", id=elderly["id"].astype(str))

    def solve() -> None:
        for rows in rows_of.values():
            nearest = nearest_facility(graph, facilities=rows, limit_s=2 * LIMIT_S)
            seconds_to_points(graph, nearest, d_snap)

    def off() -> object:
        return compute_coverage(layers, network, isochrones=False, progress=False)

    steps: dict[str, Callable[[], object]] = {
        "demand points (arrays)": lambda: demand_table(layers.grids, crs=network.crs),
        "snap demand points": lambda: snap_coordinates(network, xy, max_snap_m=100),
        "snap facilities, split graph": lambda: build_split_graph(
            network, snap_points(network, elderly, max_snap_m=100), profile=PROFILE
        ),
        "solve and point times, 3 services": solve,
        "grid shares": lambda: grid_shares(layers.grids, demand, list(specs), 15.0, 0.9),
        "per-facility table": lambda: served_by_facility(facs, demand, ["elderly"], 15.0),
        "demand GeoDataFrame (on first read)": lambda: DemandPoints(demand, network.crs).to_frame(),
        "compute_coverage, isochrones off": off,
    }
    if isochrones:
        # a copy of the network object has none of the per-network caches (edge tree,
        # compiled graph, street faces): the first analysis on a freshly loaded network
        steps["street faces (once per network)"] = lambda: street_faces(
            dataclasses.replace(network)
        ).holes(ACCESS_M)
        steps["compute_coverage (defaults, new network)"] = lambda: compute_coverage(
            layers, dataclasses.replace(network), progress=False
        )
        steps["compute_coverage (defaults)"] = lambda: compute_coverage(
            layers, network, progress=False
        )
    t = cpu_median(steps, runs)
    ref = t["compute_coverage, isochrones off"][0]
    out = []
    for key, times in t.items():
        mb = peak_rss_mb(steps[key]) if key.startswith("compute_coverage") else 0.0
        out.append((key, size, times[0], times[1], mb, times[0] / ref if ref else math.nan,
                    "isochrones off", runs))  # fmt: skip
    return out


def print_tables(rows: list[tuple], sizes: list[int]) -> None:
    """The timing table, then the growth table (exponent of ``t ~ n^k`` between sizes)."""
    print(f"machine: {os.cpu_count()} cores ({len(os.sched_getaffinity(0))} usable); "
          "CPU seconds of this process, all threads")  # fmt: skip
    head = f"{'method':<44} {'size':>5} {'runs':>4} {'CPU s':>9} {'wall s':>8} {'cores':>5}"
    print(f"{head} {'peak MB':>8} {'ratio':>7}  to")
    for method, size, cpu, wall, mb, ratio, ref, k in rows:
        mem = f"{mb:8,.0f}" if mb else f"{'-':>8}"
        print(f"{method:<44} {size:>5} {k:>4} {cpu:>9.3f} {wall:>8.3f} {cpu / wall:>5.1f} "
              f"{mem} {ratio:>7.3f}  {ref}")  # fmt: skip
    if len(sizes) < 2:
        return
    labels = list(dict.fromkeys(r[1] for r in rows))
    print("\ngrowth: CPU s per size, exponent k of t ~ n^k between sizes")
    print(f"{'method':<44} " + " ".join(f"{s:>9}" for s in labels) + "   k")
    for method in dict.fromkeys(r[0] for r in rows):
        by = {r[1]: r[2] for r in rows if r[0] == method}
        times = [by.get(s) for s in labels]
        ks = [
            f"{math.log(b / a) / math.log(n1 / n0):.2f}"
            for a, b, n0, n1 in zip(times, times[1:], sizes, sizes[1:], strict=False)
            if a and b
        ]
        cells = " ".join(f"{t:>9.3f}" if t else f"{'-':>9}" for t in times)
        print(f"{method:<44} {cells}   {' / '.join(ks)}")


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10k nodes only")
    parser.add_argument("--sizes", type=int, nargs="+", help="node counts (default 10k 100k 1M)")
    parser.add_argument("--runs", type=int, default=5, help="runs per method (default 5)")
    parser.add_argument("--baseline", help="also time compute_coverage at this git revision")
    parser.add_argument("--steps", action="store_true", help="compute_coverage step by step")
    parser.add_argument("--isochrones", action="store_true",
                        help="with --steps: also the defaults (isochrones on) at 1M")  # fmt: skip
    parser.add_argument(
        "--areas-only",
        action="store_true",
        help="time the service-area methods only (faces; v0.1 below 1M nodes)",
    )
    parser.add_argument(
        "--areas-v01",
        action="store_true",
        help="with --areas-only: also time v0.1's area at 1M nodes",
    )
    args = parser.parse_args(argv)
    sizes = args.sizes or ([10_000] if args.quick else [10_000, 100_000, 1_000_000])
    rows: list[tuple] = []
    for n in sizes:
        runs = args.runs if n < 1_000_000 else max(1, min(args.runs, 3))
        if args.steps:
            iso = args.isochrones or n < 1_000_000
            rows += bench_pipeline(n, runs=runs, isochrones=iso)
            print_tables(rows, [])
            print(flush=True)
            gc.collect()
            continue
        slow = runs if n <= 10_000 else min(runs, 3 if n < 1_000_000 else 1)
        areas = "all"
        if args.areas_only:
            areas = "only" if n < 1_000_000 or args.areas_v01 else "faces"
        rows += bench_size(n, runs=runs, slow_runs=slow, baseline=args.baseline, areas=areas)
        print_tables(rows, [])  # so far, in case a larger size does not finish
        print("\n".join(AGREEMENT))
        print(flush=True)
        gc.collect()
    print_tables(rows, sizes)
    print("\n".join(AGREEMENT))


if __name__ == "__main__":
    main()
