"""Accessibility measures: hand-computed examples, a reference 2SFCA, sparse == dense, invariants.

The reference for 2SFCA is a port, in pandas long format, of the three steps of the IPEA
``accessibility`` R package's ``fca_2sfca`` (R/fca_2sfca.R): impedance per origin-destination
pair, ``pop_served = sum(population * impedance)`` per destination over pairs with
impedance > 0, ``ppr = opportunities / pop_served``, and ``access = sum(ppr * impedance)``
per origin. It is an independent implementation (group-by on a table of pairs, not matrix
products) of the same published definition (Luo & Wang 2003).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from lifecircle.coverage.measures.life_circle.accessibility import (
    LUO_QI_2009,
    CutoffDecay,
    DecayFunction,
    ExponentialDecay,
    GaussianDecay,
    PowerDecay,
    StepDecay,
    cumulative_opportunities,
    enhanced_two_step_fca,
    floating_catchment,
    gravity_accessibility,
    two_step_fca,
)

INF = np.inf


def minutes(matrix: list[list[float]]) -> np.ndarray:
    """A travel-time matrix given in minutes, returned in seconds (inf stays inf)."""
    return np.asarray(matrix, dtype=float) * 60.0


def to_sparse(travel_s: np.ndarray) -> sp.csr_array:
    """Reachable pairs only: absent = unreachable; a 0-second walk is stored explicitly."""
    rows, cols = np.nonzero(np.isfinite(travel_s))
    return sp.csr_array((travel_s[rows, cols], (rows, cols)), shape=travel_s.shape, dtype=float)


# ------------------------------------------------------------------ decay functions
def test_decay_functions_by_hand() -> None:
    """Values at chosen minutes.

    exponential, half-life 10: 1, 2**-0.5 at 5, 0.5 at 10, 0.25 at 20;
    Gaussian, sigma 10: exp(-0.5 * (t/10)**2) = 1, exp(-0.125), exp(-0.5), exp(-2);
    power, exponent 2: 1 (capped) at 0 and 0.5, 1/25 at 5, 1/100 at 10, 1/400 at 20;
    step (Luo & Qi): 1 at 0, 5, 10; 0.68 at 20; 0.22 at 30 (zones closed on the right).
    """
    t = np.array([0.0, 5.0, 10.0, 20.0])
    np.testing.assert_allclose(
        ExponentialDecay.from_half_life(10).weights(t), [1, 2**-0.5, 0.5, 0.25]
    )
    np.testing.assert_allclose(GaussianDecay(10).weights(t), np.exp([0.0, -0.125, -0.5, -2.0]))
    np.testing.assert_allclose(
        PowerDecay(2).weights(np.array([0.0, 0.5, 5.0, 10.0, 20.0])),
        [1, 1, 1 / 25, 1 / 100, 1 / 400],
    )
    np.testing.assert_allclose(
        LUO_QI_2009.weights(np.array([0.0, 5.0, 10.0, 20.0, 30.0, 30.01])),
        [1, 1, 1, 0.68, 0.22, 0],
    )
    assert GaussianDecay.from_half_life(12).weights(np.array([12.0]))[0] == pytest.approx(0.5)


def test_luo_qi_weights_are_the_published_ones() -> None:
    """Luo & Qi (2009): 1.00, 0.68, 0.22 for the 0-10, 10-20, 20-30 minute zones."""
    assert LUO_QI_2009.upper_minutes == (10.0, 20.0, 30.0)
    assert LUO_QI_2009.step_weights == (1.0, 0.68, 0.22)


@pytest.mark.parametrize(
    "make",
    [
        lambda: CutoffDecay(0),
        lambda: ExponentialDecay(-0.1),
        lambda: GaussianDecay(math.inf),
        lambda: PowerDecay(math.nan),
        lambda: StepDecay((10.0, 5.0), (1.0, 0.5)),
        lambda: StepDecay((10.0,), (1.0, 0.5)),
        lambda: StepDecay((10.0,), (1.5,)),
        lambda: StepDecay((), ()),
    ],
)
def test_bad_decay_parameters_are_refused(make: object) -> None:
    with pytest.raises(ValueError):
        make()  # type: ignore[operator]


def test_decay_parameter_type() -> None:
    with pytest.raises(TypeError):
        ExponentialDecay("0.1")  # type: ignore[arg-type]


# ------------------------------------------------------------------ hand examples
# Three points, three facilities (minutes):
#            f0    f1    f2
#   p0        5    12   inf
#   p1       16     3     9
#   p2      inf   inf    30
EXAMPLE = minutes([[5, 12, INF], [16, 3, 9], [INF, INF, 30]])


def test_cumulative_opportunities_by_hand() -> None:
    """Within 10 minutes: p0 {f0}, p1 {f1, f2}, p2 {} -> counts 1, 2, 0.

    Within 15: p0 {f0, f1}, p1 {f1, f2}, p2 {} -> 2, 2, 0.
    Capacity 10/20/30 within 15: p0 10 + 20 = 30, p1 20 + 30 = 50, p2 0.
    """
    np.testing.assert_array_equal(cumulative_opportunities(EXAMPLE, max_minutes=10), [1, 2, 0])
    np.testing.assert_array_equal(cumulative_opportunities(EXAMPLE, max_minutes=15), [2, 2, 0])
    np.testing.assert_array_equal(
        cumulative_opportunities(EXAMPLE, max_minutes=15, capacity=[10, 20, 30]), [30, 50, 0]
    )
    # a walk of exactly the budget counts
    np.testing.assert_array_equal(cumulative_opportunities(EXAMPLE, max_minutes=30), [2, 3, 1])


def test_gravity_by_hand() -> None:
    """Exponential decay with beta = 0.1 per minute, capacity 10/20/30.

    p0: 10 e^-0.5 + 20 e^-1.2
    p1: 10 e^-1.6 + 20 e^-0.3 + 30 e^-0.9
    p2: 30 e^-3
    With max_minutes = 10, only pairs within 10 minutes count:
    p0: 10 e^-0.5;  p1: 20 e^-0.3 + 30 e^-0.9;  p2: 0.
    """
    e = math.exp
    got = gravity_accessibility(EXAMPLE, decay=ExponentialDecay(0.1), capacity=[10, 20, 30])
    np.testing.assert_allclose(
        got,
        [10 * e(-0.5) + 20 * e(-1.2), 10 * e(-1.6) + 20 * e(-0.3) + 30 * e(-0.9), 30 * e(-3)],
    )
    capped = gravity_accessibility(
        EXAMPLE, decay=ExponentialDecay(0.1), capacity=[10, 20, 30], max_minutes=10
    )
    np.testing.assert_allclose(capped, [10 * e(-0.5), 20 * e(-0.3) + 30 * e(-0.9), 0.0])


def test_two_step_fca_by_hand() -> None:
    """2SFCA, 15-minute catchment, older residents 100/200/50, care beds 10/20/30.

    Catchments (t <= 15): f0 {p0}, f1 {p0, p1}, f2 {p1}.
    Step 1: R0 = 10/100 = 0.1; R1 = 20/(100 + 200) = 1/15; R2 = 30/200 = 0.15.
    Step 2: A0 = R0 + R1 = 1/6; A1 = R1 + R2 = 13/60; A2 = 0 (f2 is 30 min away).
    Conservation: 100/6 + 200 * 13/60 = 16.67 + 43.33 = 60 = 10 + 20 + 30 beds.
    """
    result = two_step_fca(EXAMPLE, demand=[100, 200, 50], supply=[10, 20, 30], max_minutes=15)
    np.testing.assert_allclose(result.supply_ratio, [0.1, 1 / 15, 0.15])
    np.testing.assert_allclose(result.access, [1 / 6, 13 / 60, 0.0])
    np.testing.assert_allclose(result.demand_reached, [100, 300, 200])
    assert result.unreached.tolist() == []
    assert np.dot([100, 200, 50], result.access) == pytest.approx(60)


def test_enhanced_two_step_fca_by_hand() -> None:
    """E2SFCA with Luo & Qi's weights: 1.00 (<= 10 min), 0.68 (<= 20), 0.22 (<= 30).

    Weights: p0: f0 1.0 (5), f1 0.68 (12); p1: f0 0.68 (16), f1 1.0 (3), f2 1.0 (9);
    p2: f2 0.22 (30). Demand 100/200/50, supply 10/20/30.
    Step 1: f0: 100*1 + 200*0.68 = 236, R0 = 10/236;
            f1: 100*0.68 + 200*1 = 268, R1 = 20/268;
            f2: 200*1 + 50*0.22 = 211, R2 = 30/211.
    Step 2: A0 = R0 + 0.68 R1; A1 = 0.68 R0 + R1 + R2; A2 = 0.22 R2.
    """
    r0, r1, r2 = 10 / 236, 20 / 268, 30 / 211
    result = enhanced_two_step_fca(EXAMPLE, demand=[100, 200, 50], supply=[10, 20, 30])
    np.testing.assert_allclose(result.supply_ratio, [r0, r1, r2])
    np.testing.assert_allclose(result.access, [r0 + 0.68 * r1, 0.68 * r0 + r1 + r2, 0.22 * r2])
    assert np.dot([100, 200, 50], result.access) == pytest.approx(60)


def test_unreached_facility_is_reported_and_its_supply_lost() -> None:
    """f1 is reached by nobody within 10 minutes: R1 = nan and only f0's 5 beds add up."""
    travel = minutes([[5, 40], [8, INF]])
    result = two_step_fca(travel, demand=[30, 70], supply=[5, 9], max_minutes=10)
    assert result.unreached.tolist() == [1]
    assert math.isnan(result.supply_ratio[1])
    np.testing.assert_allclose(result.access, [0.05, 0.05])
    assert np.dot([30, 70], result.access) == pytest.approx(5)


def test_result_arrays_are_read_only() -> None:
    result = two_step_fca(EXAMPLE, demand=[1, 1, 1], supply=[1, 1, 1], max_minutes=15)
    with pytest.raises(ValueError):
        result.access[0] = 5.0


# ------------------------------------------------------------------ reference 2SFCA
def ipea_style_2sfca(
    travel_min: np.ndarray, population: np.ndarray, opportunities: np.ndarray, cutoff: float
) -> np.ndarray:
    """Long-format port of IPEA ``fca_2sfca`` with ``decay_binary(cutoff)``."""
    rows, cols = np.nonzero(np.isfinite(travel_min))
    pairs = pd.DataFrame({"from_id": rows, "to_id": cols, "travel_time": travel_min[rows, cols]})
    pairs["impedance"] = (pairs["travel_time"] <= cutoff).astype(float)
    pairs = pairs[pairs["impedance"] > 0].copy()
    pairs["population"] = population[pairs["from_id"]]
    pop_served = (pairs["population"] * pairs["impedance"]).groupby(pairs["to_id"]).sum()
    ppr = pd.Series(opportunities).reindex(pop_served.index) / pop_served
    pairs["ppr"] = pairs["to_id"].map(ppr)
    # a destination whose catchment holds no population has ppr = inf/nan: no access from it
    pairs["ppr"] = pairs["ppr"].replace([np.inf, -np.inf], np.nan).fillna(0.0)
    access = (pairs["ppr"] * pairs["impedance"]).groupby(pairs["from_id"]).sum()
    return np.asarray(access.reindex(range(travel_min.shape[0]), fill_value=0.0), dtype=float)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_two_step_fca_matches_ipea_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    travel_min = rng.uniform(0, 40, size=(60, 9))
    travel_min[rng.random(travel_min.shape) < 0.3] = np.inf
    population = rng.integers(0, 500, size=60).astype(float)
    beds = rng.integers(0, 80, size=9).astype(float)
    expected = ipea_style_2sfca(travel_min, population, beds, cutoff=15)
    got = two_step_fca(travel_min * 60, demand=population, supply=beds, max_minutes=15)
    np.testing.assert_allclose(got.access, expected, rtol=1e-12, atol=1e-15)


# ------------------------------------------------------------------ sparse == dense
@pytest.mark.parametrize("seed", [0, 1])
def test_sparse_input_gives_the_dense_answer(seed: int) -> None:
    rng = np.random.default_rng(seed)
    travel = rng.uniform(0, 35 * 60, size=(40, 7))
    travel[rng.random(travel.shape) < 0.5] = np.inf
    travel[0, 0] = 0.0  # a zero-second walk must survive as a stored entry
    sparse = to_sparse(travel)
    demand = rng.integers(0, 300, 40)
    supply = rng.integers(1, 50, 7)
    for decay in (ExponentialDecay(0.15), GaussianDecay(8), PowerDecay(1.5), LUO_QI_2009):
        np.testing.assert_allclose(
            gravity_accessibility(sparse, decay=decay, capacity=supply),
            gravity_accessibility(travel, decay=decay, capacity=supply),
        )
        dense_fca = floating_catchment(travel, demand=demand, supply=supply, decay=decay)
        sparse_fca = floating_catchment(sparse, demand=demand, supply=supply, decay=decay)
        np.testing.assert_allclose(sparse_fca.access, dense_fca.access)
        np.testing.assert_array_equal(sparse_fca.unreached, dense_fca.unreached)
    np.testing.assert_array_equal(
        cumulative_opportunities(sparse, max_minutes=15),
        cumulative_opportunities(travel, max_minutes=15),
    )
    # csr_matrix (the older class) and COO are accepted too
    np.testing.assert_array_equal(
        cumulative_opportunities(sp.csr_matrix(sparse), max_minutes=15),
        cumulative_opportunities(sp.coo_array(sparse), max_minutes=15),
    )


# ------------------------------------------------------------------ input checks
def test_bad_travel_times_are_refused() -> None:
    with pytest.raises(ValueError, match="NaN"):
        cumulative_opportunities(np.array([[np.nan, 1.0]]), max_minutes=15)
    with pytest.raises(ValueError, match="negative"):
        cumulative_opportunities(np.array([[-1.0, 1.0]]), max_minutes=15)
    with pytest.raises(ValueError, match="2-D"):
        cumulative_opportunities(np.array([1.0, 2.0]), max_minutes=15)
    with pytest.raises(ValueError, match="NaN"):
        cumulative_opportunities(sp.csr_array(np.array([[np.nan, 1.0]])), max_minutes=15)


def test_bad_weights_are_refused_with_every_problem() -> None:
    with pytest.raises(ValueError, match="one value per facility"):
        gravity_accessibility(EXAMPLE, decay=CutoffDecay(15), capacity=[1, 2])
    with pytest.raises(ValueError) as info:
        two_step_fca(EXAMPLE, demand=[1, -2, np.nan], supply=[1, 1, 1], max_minutes=15)
    assert "not finite" in str(info.value) and "negative" in str(info.value)
    with pytest.raises(TypeError):
        two_step_fca(EXAMPLE, demand=["a", "b", "c"], supply=[1, 1, 1], max_minutes=15)


# ------------------------------------------------------------------ properties
travel_matrices = st.integers(1, 8).flatmap(
    lambda n_fac: arrays(
        np.float64,
        st.tuples(st.integers(1, 12), st.just(n_fac)),
        elements=st.one_of(st.floats(0, 3600), st.just(np.inf)),
    )
)


@given(travel_matrices, st.data())
def test_floating_catchment_conserves_reachable_supply(
    travel: np.ndarray, data: st.DataObject
) -> None:
    """sum_i P_i A_i == sum_j S_j over facilities some resident reaches (same f both steps)."""
    n_points, n_facilities = travel.shape
    demand = np.asarray(
        data.draw(st.lists(st.integers(0, 1000), min_size=n_points, max_size=n_points)), dtype=float
    )
    supply = np.asarray(
        data.draw(st.lists(st.integers(0, 100), min_size=n_facilities, max_size=n_facilities)),
        dtype=float,
    )
    decays: list[DecayFunction] = [CutoffDecay(15), LUO_QI_2009, ExponentialDecay(0.2)]
    decay = data.draw(st.sampled_from(decays))
    result = floating_catchment(travel, demand=demand, supply=supply, decay=decay)
    reached = np.setdiff1d(np.arange(n_facilities), result.unreached)
    assert np.dot(demand, result.access) == pytest.approx(supply[reached].sum(), rel=1e-9)
    assert (result.access >= 0).all()


@given(travel_matrices, st.floats(1, 60), st.floats(0, 30))
def test_cumulative_never_decreases_with_more_minutes(
    travel: np.ndarray, budget: float, extra: float
) -> None:
    fewer = cumulative_opportunities(travel, max_minutes=budget)
    more = cumulative_opportunities(travel, max_minutes=budget + extra)
    assert (more >= fewer).all()


@given(travel_matrices, st.randoms(use_true_random=False))
def test_measures_follow_the_rows_when_shuffled(travel: np.ndarray, rnd: object) -> None:
    order = np.arange(travel.shape[0])
    rnd.shuffle(order)  # type: ignore[attr-defined]
    demand = np.arange(1, travel.shape[0] + 1, dtype=float)
    supply = np.ones(travel.shape[1])
    base = floating_catchment(travel, demand=demand, supply=supply, decay=LUO_QI_2009)
    shuffled = floating_catchment(
        travel[order], demand=demand[order], supply=supply, decay=LUO_QI_2009
    )
    np.testing.assert_allclose(shuffled.access, base.access[order])
    np.testing.assert_allclose(
        gravity_accessibility(travel[order], decay=GaussianDecay(10)),
        gravity_accessibility(travel, decay=GaussianDecay(10))[order],
    )


@given(travel_matrices, arrays(np.float64, st.integers(1, 12), elements=st.floats(0, 3600)))
def test_adding_a_facility_never_lowers_cumulative_or_gravity(
    travel: np.ndarray, column: np.ndarray
) -> None:
    column = np.resize(column, travel.shape[0])
    bigger = np.column_stack([travel, column])
    for_budget = cumulative_opportunities(travel, max_minutes=15)
    assert (cumulative_opportunities(bigger, max_minutes=15) >= for_budget).all()
    decay = ExponentialDecay(0.1)
    assert (
        gravity_accessibility(bigger, decay=decay) >= gravity_accessibility(travel, decay=decay)
    ).all()
