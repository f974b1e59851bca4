"""Benchmark: add / move / remove one facility with every grid figure updated, vs a full recompute.

Run: ``.venv/bin/python benchmarks/bench_what_if.py [--quick] [--runs 7]``

Sizes: synthetic cities of 10k and 100k nodes (``--quick``: 10k only), with a minimal
city around each network: a subdistrict > 4 areas > 500 m micro-grids hierarchy with
residents (so demand is the default 25 m lattice, weighted by population), and one elderly
facility per 100 nodes (types in turn), services and options at their defaults.

Methods (CPU seconds, ``time.process_time``; medians of ``--runs`` runs, each edit a
different random facility or place):

- ``add`` / ``move`` / ``remove``: one :class:`CoverageState` edit; the returned state holds
  every demand point's minutes and every grid's share and covered flag at every level;
- ``result()``: building the full :class:`CoverageResult` from a state (not needed for the
  figures; shown for notebooks that want the frames);
- ``full recompute``: :func:`compute_coverage` on the same layers with ``isochrones=False``
  (a state computes no isochrones; with them the recompute is several times slower, so
  the ratios here are the conservative ones).
- seats (one public-seat site per 20 nodes, 50 m reach): ``add seat`` / ``remove seat``,
  one :class:`SeatState` edit (every home's distance to a seat, every grid's share within
  reach, the residents' share), against ``seat_reach (full)``, a whole
  :func:`seat_reach` on the same seats (its ratios are "seat_reach / method").

Ratios are "full recompute / method" in the same run. ``peak RSS`` is the process's
resident-set high-water mark after the size (Linux ``ru_maxrss``). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import functools
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lifecircle.coverage import compute_coverage
from lifecircle.coverage.measures.seats import seat_reach
from lifecircle.coverage.measures.what_if.what_if import CoverageState
from lifecircle.coverage.measures.what_if.what_if_seats import SeatState
from lifecircle.coverage.network.synthetic import synthetic_city
from lifecircle.coverage.network.walk_network import WalkNetwork
from lifecircle.geo.schema import ELDERLY_TYPES

MICROGRID_M = 500.0


def city_layers(network: WalkNetwork, *, seed: int) -> SimpleNamespace:
    """Grids (subdistrict > 4 areas > micro-grids, with residents) and elderly facilities."""
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = network.edges.total_bounds
    mx, my = (x0 + x1) / 2, (y0 + y1) / 2
    ids, names, levels, parents, geoms = (
        ["S"],
        ["S"],
        ["subdistrict"],
        [None],
        [shapely.box(x0, y0, x1, y1)],
    )
    quads = {
        "A": (x0, y0, mx, my),
        "B": (mx, y0, x1, my),
        "C": (x0, my, mx, y1),
        "D": (mx, my, x1, y1),
    }
    for area, (ax0, ay0, ax1, ay1) in quads.items():
        ids.append(area), names.append(area), levels.append("area"), parents.append("S")
        geoms.append(shapely.box(ax0, ay0, ax1, ay1))
        xs = np.arange(ax0, ax1, MICROGRID_M)
        ys = np.arange(ay0, ay1, MICROGRID_M)
        for i, gx in enumerate(xs):
            for j, gy in enumerate(ys):
                ids.append(f"{area}-{i}-{j}"), names.append(f"{area}-{i}-{j}")
                levels.append("microgrid"), parents.append(area)
                geoms.append(
                    shapely.box(gx, gy, min(gx + MICROGRID_M, ax1), min(gy + MICROGRID_M, ay1))
                )
    population = np.where(np.array(levels) == "microgrid", rng.integers(50, 2000, len(ids)), np.nan)
    grids = gpd.GeoDataFrame(
        {"id": ids, "name": names, "level": levels, "parent_id": parents, "kind": "residential",
         "population": population},
        geometry=geoms, crs=network.crs,
    )  # fmt: skip
    n_fac = max(network.n_nodes // 100, 3)
    xy = network.node_xy[rng.choice(network.n_nodes, n_fac, replace=False)]
    xy = xy + rng.normal(0.0, 20.0, xy.shape)
    codes = [c.code for c in ELDERLY_TYPES]
    elderly = gpd.GeoDataFrame(
        {"id": [f"f{i}" for i in range(n_fac)], "name": [f"F{i}" for i in range(n_fac)],
         "type": [codes[i % len(codes)] for i in range(n_fac)]},
        geometry=shapely.points(xy), crs=network.crs,
    )  # fmt: skip
    seat_xy = network.node_xy[rng.choice(network.n_nodes, max(network.n_nodes // 20, 3))]
    seats = gpd.GeoDataFrame(
        {"seats": np.ones(len(seat_xy), dtype=np.int64)},
        geometry=shapely.points(seat_xy + rng.normal(0.0, 15.0, seat_xy.shape)),
        crs=network.crs,
    )
    return SimpleNamespace(grids=grids, elderly=elderly, buildings=None, seats=seats)


def _cpu(fn: Callable[[], object]) -> tuple[float, object]:
    t0 = time.process_time()
    out = fn()
    return time.process_time() - t0, out


def run(n_nodes: int, runs: int) -> list[tuple[str, int, float, float]]:
    """Time the edits and the full recompute on one city; return (method, n, median s, ratio)."""
    network = synthetic_city(n_nodes, seed=7)
    layers = city_layers(network, seed=7)
    rng = np.random.default_rng(11)
    full = [
        _cpu(lambda: compute_coverage(layers, network, isochrones=False))[0] for _ in range(runs)
    ]
    build, state = _cpu(lambda: CoverageState.from_layers(layers, network))
    assert isinstance(state, CoverageState)
    x0, y0, x1, y1 = network.edges.total_bounds
    ids = list(state.facilities["id"].unique())
    times: dict[str, list[float]] = {"add": [], "move": [], "remove": [], "result()": []}
    for k in range(runs):
        where = shapely.Point(rng.uniform(x0, x1), rng.uniform(y0, y1))
        fid = ids[int(rng.integers(len(ids)))]
        edits = {
            "add": functools.partial(
                state.add_facility, "care_home", where, id=f"new{k}", crs=network.crs
            ),
            "move": functools.partial(state.move_facility, fid, where, crs=network.crs),
            "remove": functools.partial(state.remove_facility, fid),
        }
        for name, edit in edits.items():
            times[name].append(_cpu(edit)[0])
    for _ in range(min(runs, 3)):
        times["result()"].append(_cpu(state.result)[0])
    ref = statistics.median(full)
    rows = [
        ("full recompute", n_nodes, ref, 1.0),
        ("CoverageState.from_layers", n_nodes, build, ref / build),
    ]
    for name, values in times.items():
        med = statistics.median(values)
        rows.append((name, n_nodes, med, ref / med))
    return rows + seat_rows(network, layers, runs, rng)


def seat_rows(
    network: WalkNetwork, layers: SimpleNamespace, runs: int, rng: np.random.Generator
) -> list[tuple[str, int, float, float]]:
    """Add / remove one seat site on a :class:`SeatState` vs a whole :func:`seat_reach`."""
    n_nodes = network.n_nodes
    full = [_cpu(lambda: seat_reach(layers, network))[0] for _ in range(runs)]
    build, state = _cpu(lambda: SeatState.from_layers(layers, network))
    assert isinstance(state, SeatState)
    x0, y0, x1, y1 = network.edges.total_bounds
    keys = state.seats.index.to_numpy()
    times: dict[str, list[float]] = {"add seat": [], "remove seat": []}
    for _ in range(runs):
        where = [(rng.uniform(x0, x1), rng.uniform(y0, y1))]
        key = int(keys[int(rng.integers(len(keys)))])
        times["add seat"].append(_cpu(lambda w=where: state.add_seats(w, crs=network.crs))[0])
        times["remove seat"].append(_cpu(lambda k=key: state.remove_seats([k]))[0])
    ref = statistics.median(full)
    rows = [("seat_reach (full)", n_nodes, ref, 1.0), ("SeatState.from_layers", n_nodes, build,
            ref / build)]  # fmt: skip
    for name, values in times.items():
        med = statistics.median(values)
        rows.append((name, n_nodes, med, ref / med))
    return rows


def main(argv: list[str] | None = None) -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10k nodes only")
    parser.add_argument("--runs", type=int, default=5, help="runs per method (>= 5)")
    args = parser.parse_args(argv)
    sizes = [10_000] if args.quick else [10_000, 100_000]
    print(f"machine: {os.cpu_count()} cores; CPU seconds, medians of {args.runs} runs")
    print(f"| {'method':<28} | {'nodes':>8} | {'median':>10} | {'full / method':>13} | peak RSS |")
    print(f"|{'-' * 30}|{'-' * 10}|{'-' * 12}|{'-' * 15}|----------|")
    for n in sizes:
        rows = run(n, max(args.runs, 5))
        rss_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
        for method, size, med, ratio in rows:
            shown = f"{med * 1000:.1f} ms" if med < 1 else f"{med:.2f} s"
            print(
                f"| {method:<28} | {size:>8,} | {shown:>10} | {ratio:>12.0f}x | {rss_gb:.2f} GB |"
            )


if __name__ == "__main__":
    main()
