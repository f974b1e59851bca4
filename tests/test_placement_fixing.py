"""Placement at scale: bound-based fixing and reductions keep the optimum; no wall clock.

Every reduction is checked the same way: the optimum of the reduced (restricted) problem,
found by brute force, equals the optimum of the problem as given.
"""

from __future__ import annotations

import itertools
import logging
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

from lifecircle.coverage.placement import CoverageModel
from lifecircle.coverage.placement.lagrange import (
    fix_by_bound,
    lagrangian_bound,
    lagrangian_max_covering,
)
from lifecircle.coverage.placement.milp import solve_max_covering_milp
from lifecircle.coverage.placement.reduce import reduce_model


def brute_best(cover, weights, k, *, required=(), forbidden=()):
    """Best covered weight over selections of at most ``k`` sites obeying the fixings."""
    free = [j for j in range(cover.shape[1]) if j not in required and j not in forbidden]
    best = -np.inf
    for extra in itertools.combinations(free, max(min(k - len(required), len(free)), 0)):
        cols = list(required) + list(extra)
        best = max(best, float(weights[cover[:, cols].any(axis=1)].sum()))
    return best


def instance(seed, n_demand, n_cand, density, *, integral=True):
    rng = np.random.default_rng(seed)
    cover = rng.random((n_demand, n_cand)) < density
    weights = rng.integers(0, 9, n_demand).astype(float)
    if not integral:
        weights = weights * rng.random(n_demand)
    return cover, weights


@settings(max_examples=120, deadline=None)
@given(
    seed=st.integers(0, 100_000),
    k=st.integers(1, 3),
    density=st.floats(0.1, 0.6),
    integral=st.booleans(),
    tuned=st.booleans(),
)
def test_bound_fixing_keeps_the_optimum(seed, k, density, integral, tuned):
    """Restricted to the fixings (fixed-in required, fixed-out forbidden), same optimum."""
    cover, weights = instance(seed, 12, 7, density, integral=integral)
    cov = sparse.csr_array(cover)
    by_cand = sparse.csr_array(cover.T)
    rng = np.random.default_rng(seed + 1)
    incumbent = sorted(rng.choice(7, size=k, replace=False).tolist())
    if tuned:  # the multipliers the solver uses, where fixing actually bites
        out = lagrangian_max_covering(cov, weights, k, incumbent=incumbent, max_iterations=60)
        multipliers, incumbent = out.multipliers, out.selected
    else:  # any multipliers in [0, w] give a valid bound
        multipliers = weights * rng.random(len(weights))
    value = float(weights[cover[:, incumbent].any(axis=1)].sum())
    bound, gains = lagrangian_bound(by_cand, weights, multipliers, k)
    optimum = brute_best(cover, weights, k)
    assert bound >= optimum - 1e-9
    fixed_in, fixed_out = fix_by_bound(
        gains, bound, k, incumbent=incumbent, value=value, integral=integral
    )
    assert not (fixed_in & fixed_out).any()
    required = np.flatnonzero(fixed_in).tolist()
    forbidden = np.flatnonzero(fixed_out).tolist()
    restricted = brute_best(cover, weights, k, required=required, forbidden=forbidden)
    assert restricted == pytest.approx(optimum)


@settings(max_examples=80, deadline=None)
@given(
    seed=st.integers(0, 100_000),
    k=st.integers(1, 4),
    density=st.floats(0.1, 0.6),
    n_required=st.integers(0, 1),
    n_forbidden=st.integers(0, 2),
)
def test_model_reduction_keeps_the_optimum(seed, k, density, n_required, n_forbidden):
    """Forbidden, required, uncoverable, dominated and merged: base + reduced = unreduced."""
    cover, weights = instance(seed, 14, 7, density)
    cover[7:] = cover[:7]  # identical rows to merge
    cover[:, 6] = cover[:, 5] & (np.arange(14) % 3 == 0)  # 6 is dominated by 5
    rng = np.random.default_rng(seed)
    picked = rng.permutation(7)
    required = np.sort(picked[:n_required])
    forbidden = np.sort(picked[n_required : n_required + n_forbidden])
    reduced = reduce_model(sparse.csr_array(cover), weights, required=required, forbidden=forbidden)
    full = brute_best(cover, weights, k, required=required.tolist(), forbidden=forbidden.tolist())
    if k < n_required:
        return
    small = reduced.coverage.toarray()
    free_k = min(k - n_required, small.shape[1])
    assert reduced.base_weight + brute_best(small, reduced.weights, free_k) == pytest.approx(full)
    assert small.shape[0] == len({row.tobytes() for row in small})  # all rows distinct


def street_like(seed, n_demand=900, n_cand=90, radius=0.09):
    """Points and candidates in the unit square; coverage within ``radius``."""
    rng = np.random.default_rng(seed)
    dem, cand = rng.random((n_demand, 2)), rng.random((n_cand, 2))
    cover = np.hypot(*(dem[:, None, :] - cand[None, :, :]).transpose(2, 0, 1)) <= radius
    return cover, rng.integers(1, 40, n_demand).astype(float)


@pytest.mark.parametrize(("seed", "radius", "k"), [(0, 0.12, 8), (3, 0.2, 6), (4, 0.15, 8)])
def test_exact_solve_with_fixing_equals_highs_on_the_whole_model(caplog, seed, radius, k):
    """The fixed and re-reduced model gives HiGHS' optimum of the unreduced model.

    On these instances the heuristics' bound does not prove optimality, so the solver
    fixes sites by the Lagrangian bound before HiGHS (checked in the log).
    """
    cover, weights = street_like(seed, radius=radius)
    model = CoverageModel.from_costs(cover, weights=weights)
    with caplog.at_level(logging.INFO, logger="lifecircle.coverage.placement.solve"):
        result = model.solve(k, method="milp", time_limit_s=60)
    whole = solve_max_covering_milp(
        sparse.csr_array(cover), weights, k, warm_start=[], time_limit_s=60
    )
    assert whole.status == "optimal"
    assert result.is_optimal
    assert result.covered_weight == pytest.approx(whole.objective)
    fixing = [r.getMessage() for r in caplog.records if "bound fixing" in r.getMessage()]
    assert fixing and " 0 out" not in fixing[0]  # the fixing did remove sites here


def test_heuristic_answer_does_not_depend_on_the_clock(monkeypatch):
    """With a clock that jumps 1000 s per reading, method="greedy" gives the same answer."""
    cover, weights = street_like(5, n_demand=1500, n_cand=150, radius=0.12)
    model = CoverageModel.from_costs(cover, weights=weights)
    calm = model.solve(10, method="greedy", time_limit_s=1)
    readings = itertools.count()
    monkeypatch.setattr(time, "perf_counter", lambda: 1000.0 * next(readings))
    rushed = model.solve(10, method="greedy", time_limit_s=1)
    assert rushed.selected == calm.selected
    assert rushed.bound == calm.bound
    assert rushed.status == calm.status
