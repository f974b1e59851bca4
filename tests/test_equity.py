"""Inequality of access: hand examples, closed forms, independent formulas, invariants.

Independent references used here:

- Gini as the mean absolute difference over twice the mean,
  ``G = sum_i sum_j |x_i - x_j| / (2 n^2 mu)`` (Sen 1973, *On Economic Inequality*, ch. 2),
  computed on the values *repeated* by their (whole-number) weights — a different route
  from the sorted Lorenz-area formula of the module.
- Closed forms: for the values ``1, 2, ..., n`` the Gini is ``(n - 1) / (3 n)`` (the mean
  absolute difference of ``1..n`` is ``(n^2 - 1) / (3 n)``, the mean ``(n + 1) / 2``); when
  one of ``n`` residents holds everything, Gini ``= (n - 1) / n`` and Theil T ``= ln n``.
- Theil T as ``(1/n) sum (x_i / mu) ln(x_i / mu)`` on the repeated values.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from lifecircle.coverage.measures.life_circle.equity import (
    gini,
    lorenz_curve,
    palma_ratio,
    subgroup_in_worst_served,
    theil_t,
)


def gini_mean_difference(values: np.ndarray) -> float:
    values = np.asarray(values, dtype=float)
    mean = values.mean()
    return float(np.abs(values[:, None] - values[None, :]).sum() / (2 * values.size**2 * mean))


def theil_direct(values: np.ndarray) -> float:
    ratio = np.asarray(values, dtype=float) / np.mean(values)
    return float(np.mean([r * math.log(r) if r > 0 else 0.0 for r in ratio]))


def palma_direct(values: np.ndarray) -> float:
    """Palma on a list whose length is a multiple of 10: top tenth over bottom four tenths."""
    ordered = np.sort(np.asarray(values, dtype=float))
    n = ordered.size
    assert n % 10 == 0
    return float(ordered[-n // 10 :].sum() / ordered[: 4 * n // 10].sum())


# ------------------------------------------------------------------ hand examples
def test_gini_by_hand() -> None:
    """Access 0, 1, 3: pairwise |differences| 1, 3, 2 (each twice) sum to 12 over 9 pairs;
    mean absolute difference 12/9 = 4/3, mean 4/3, Gini = (4/3) / (2 * 4/3) = 0.5."""
    assert gini([0, 1, 3]) == pytest.approx(0.5)
    assert gini([3, 0, 1]) == pytest.approx(0.5)


@pytest.mark.parametrize("n", [2, 3, 5, 10, 101])
def test_gini_closed_forms(n: int) -> None:
    assert gini(np.arange(1, n + 1)) == pytest.approx((n - 1) / (3 * n))
    one_holds_all = np.zeros(n)
    one_holds_all[-1] = 7.0
    assert gini(one_holds_all) == pytest.approx((n - 1) / n)
    assert theil_t(one_holds_all) == pytest.approx(math.log(n))
    assert gini(np.full(n, 4.2)) == pytest.approx(0.0, abs=1e-12)
    assert theil_t(np.full(n, 4.2)) == pytest.approx(0.0, abs=1e-12)


def test_weighted_indices_equal_the_repeated_values() -> None:
    """Access 2, 5, 0, 9 for 3, 1, 2, 4 residents = the list 2,2,2,5,0,0,9,9,9,9."""
    access = np.array([2.0, 5.0, 0.0, 9.0])
    residents = np.array([3, 1, 2, 4])
    repeated = np.repeat(access, residents)
    assert gini(access, weights=residents) == pytest.approx(gini_mean_difference(repeated))
    assert theil_t(access, weights=residents) == pytest.approx(theil_direct(repeated))
    assert palma_ratio(access, weights=residents) == pytest.approx(palma_direct(repeated))
    assert gini(repeated) == pytest.approx(gini_mean_difference(repeated))


def test_palma_by_hand() -> None:
    """Residents with access 1..10 (total 55): top 10 % hold 10, bottom 40 % hold 10 -> 1.

    Access 0,0,0,0,1,1,1,1,1,6 (total 11): bottom 40 % hold 0 -> inf.
    Access 1,1,1,1,2,2,2,2,2,12 (total 26): top 12, bottom 4 -> 3.
    """
    assert palma_ratio(np.arange(1, 11)) == pytest.approx(1.0)
    assert palma_ratio([0, 0, 0, 0, 1, 1, 1, 1, 1, 6]) == math.inf
    assert palma_ratio([1, 1, 1, 1, 2, 2, 2, 2, 2, 12]) == pytest.approx(3.0)


def test_palma_splits_a_group_straddling_the_quantile() -> None:
    """Two points: 5 residents with access 1, 5 with access 3 (total 20).

    The worst-served 40 % are 4 of the 5 at access 1: 4 of 20 = 0.2; the best 10 % are
    1 resident at access 3: 3 of 20 = 0.15. Palma = 0.15 / 0.2 = 0.75 — the same as for
    the repeated list 1,1,1,1,1,3,3,3,3,3.
    """
    assert palma_ratio([1, 3], weights=[5, 5]) == pytest.approx(0.75)
    assert palma_direct(np.repeat([1.0, 3.0], 5)) == pytest.approx(0.75)


def test_lorenz_curve_by_hand() -> None:
    """Access 0, 1, 3 (total 4): cumulative shares 0, 0, 1/4, 1 at 0, 1/3, 2/3, 1."""
    curve = lorenz_curve([3, 0, 1])
    np.testing.assert_allclose(curve.population_share, [0, 1 / 3, 2 / 3, 1])
    np.testing.assert_allclose(curve.access_share, [0, 0, 0.25, 1])
    assert float(curve.access_share_at(0.5)) == pytest.approx(0.125)
    with pytest.raises(ValueError):
        curve.access_share[0] = 1.0


# ------------------------------------------------------------------ conventions
def test_all_zero_access_is_nan_on_purpose() -> None:
    """Nobody reaches anything: the indices are 0/0 and return nan (documented)."""
    for index in (gini, theil_t, palma_ratio):
        assert math.isnan(index([0, 0, 0], weights=[1, 2, 3]))
    curve = lorenz_curve([0.0, 0.0])
    np.testing.assert_allclose(curve.access_share, curve.population_share)


def test_zero_weights_drop_points_and_no_residents_raise() -> None:
    assert gini([1, 100, 3], weights=[1, 0, 1]) == pytest.approx(gini([1, 3]))
    with pytest.raises(ValueError, match="no residents"):
        gini([1, 2], weights=[0, 0])
    with pytest.raises(ValueError, match="no residents"):
        theil_t([])


def test_bad_values_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        gini([1, -1])
    with pytest.raises(ValueError, match="not finite"):
        theil_t([1, np.inf])
    with pytest.raises(ValueError, match="one value per point"):
        palma_ratio([1, 2, 3], weights=[1, 2])
    with pytest.raises(TypeError):
        gini(["a", "b"])


# ------------------------------------------------------------------ subgroup
def test_subgroup_in_worst_decile_by_hand() -> None:
    """Access 1, 2, 3 for 10, 10, 80 residents; older residents 8, 2, 10.

    The worst-served 10 % = the 10 residents at access 1, 8 of them older: 0.8 against an
    overall share of 20/100 = 0.2, i.e. 4 times over-represented.
    """
    result = subgroup_in_worst_served([1, 2, 3], residents=[10, 10, 80], subgroup=[8, 2, 10])
    assert result.subgroup_share == pytest.approx(0.8)
    assert result.overall_share == pytest.approx(0.2)
    assert result.over_representation == pytest.approx(4.0)
    assert result.access_limit == 1.0


def test_subgroup_ties_at_the_boundary_are_taken_in_proportion() -> None:
    """Access 0, 1, 1 for 5, 10, 10 residents (25); older 0, 10, 0. Worst 40 % = 10 people:
    the 5 at access 0, then 5 of the 20 tied at access 1, a quarter of each tied point:
    older among them = 0.25 * 10 = 2.5 -> share 2.5 / 10 = 0.25 — whatever the order."""
    residents = [5, 10, 10]
    a = subgroup_in_worst_served([0, 1, 1], residents=residents, subgroup=[0, 10, 0], fraction=0.4)
    b = subgroup_in_worst_served([0, 1, 1], residents=residents, subgroup=[0, 0, 10], fraction=0.4)
    assert a.subgroup_share == pytest.approx(0.25) == b.subgroup_share


def test_subgroup_when_everyone_has_the_same_access() -> None:
    result = subgroup_in_worst_served([0, 0, 0], residents=[10, 20, 30], subgroup=[10, 0, 5])
    assert result.subgroup_share == pytest.approx(result.overall_share)


def test_subgroup_input_checks() -> None:
    with pytest.raises(ValueError, match="exceeds"):
        subgroup_in_worst_served([1, 2], residents=[1, 1], subgroup=[2, 0])
    with pytest.raises(ValueError, match="fraction"):
        subgroup_in_worst_served([1, 2], residents=[1, 1], subgroup=[0, 0], fraction=0)
    assert math.isnan(
        subgroup_in_worst_served([1, 2], residents=[1, 1], subgroup=[0, 0]).over_representation
    )


# ------------------------------------------------------------------ properties
access_lists = st.lists(st.integers(0, 1000), min_size=1, max_size=40)


@given(access_lists)
def test_gini_lies_in_unit_interval_and_matches_mean_difference(values: list[int]) -> None:
    assume(sum(values) > 0)
    g = gini(values)
    assert 0.0 <= g < 1.0
    assert g == pytest.approx(gini_mean_difference(np.asarray(values)), abs=1e-12)


@given(access_lists, st.floats(1e-3, 1e3), st.randoms(use_true_random=False))
def test_indices_invariant_to_scale_and_order(values: list[int], scale: float, rnd: object) -> None:
    assume(sum(values) > 0)
    shuffled = list(values)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    scaled = np.asarray(shuffled, dtype=float) * scale
    assert gini(scaled) == pytest.approx(gini(values), abs=1e-9)
    assert theil_t(scaled) == pytest.approx(theil_t(values), abs=1e-9)
    assert palma_ratio(scaled) == pytest.approx(palma_ratio(values), rel=1e-9)


@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 6)), min_size=1, max_size=15))
def test_weights_equal_repeated_values(pairs: list[tuple[int, int]]) -> None:
    access = np.array([a for a, _ in pairs], dtype=float)
    residents = np.array([w for _, w in pairs])
    repeated = np.repeat(access, residents)
    assume(repeated.size > 0 and repeated.sum() > 0)
    assert gini(access, weights=residents) == pytest.approx(
        gini_mean_difference(repeated), abs=1e-12
    )
    assert theil_t(access, weights=residents) == pytest.approx(theil_direct(repeated), abs=1e-12)
    assert palma_ratio(access, weights=residents) == pytest.approx(palma_ratio(repeated))


@given(access_lists)
def test_lorenz_curve_is_convex_below_the_diagonal(values: list[int]) -> None:
    curve = lorenz_curve(values)
    assert curve.population_share[0] == curve.access_share[0] == 0.0
    assert curve.population_share[-1] == curve.access_share[-1] == 1.0
    assert (np.diff(curve.access_share) >= -1e-15).all()
    assert (curve.access_share <= curve.population_share + 1e-12).all()
