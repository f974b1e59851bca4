"""Accessibility beyond "within 15 minutes": cumulative, gravity and floating-catchment measures.

Every measure here is a pure function of a **travel-time matrix** — one row per demand point
(a building, a lattice point), one column per facility, walking time in **seconds**, ``inf``
where the facility cannot be reached — plus weights. Nothing here knows about networks or
GeoDataFrames; the routing code builds the matrix and the integration layer turns the arrays
back into tables. Work is done with numpy and ``scipy.sparse`` products: there is no Python
loop over demand points, so a city of a million points costs one sparse product.

Sparse input
------------
A ``scipy.sparse`` matrix (any format; converted to CSR) is read as: a *stored* entry is a
travel time (an explicitly stored ``0`` is a zero-second walk), an *absent* entry means
unreachable. Build it from the routing's ``(row, col, seconds)`` triplets of reachable pairs
only. Dense input uses ``np.inf`` for unreachable pairs. Both give identical results.

Measures
--------
Cumulative opportunities (Wachs & Kumagai 1973; the "isochronic" measure of Geurs & van Wee
2004, *J. Transport Geography* 12(2):127-140)
    ``A_i = sum_j S_j [t_ij <= T]``: facilities (or their capacity ``S_j``) reachable within
    ``T`` minutes.
Gravity (Hansen 1959; Geurs & van Wee 2004, §3.2 "potential accessibility")
    ``A_i = sum_j S_j f(t_ij)`` with a decay function ``f`` (below).
Two-step floating catchment area, 2SFCA (Luo & Wang 2003, *Environment and Planning B*
30(6):865-884) and its enhanced form, E2SFCA (Luo & Qi 2009, *Health & Place*
15(4):1100-1107)
    Step 1, each facility's supply per weighted resident in its catchment:
    ``R_j = S_j / sum_k P_k f(t_kj)``; step 2, each point sums the ratios it reaches:
    ``A_i = sum_j f(t_ij) R_j``. 2SFCA uses the 0/1 cut-off ``f``; E2SFCA uses stepped
    weights (Luo & Qi's are 1.00, 0.68 and 0.22 for the 0-10, 10-20 and 20-30 minute zones:
    :data:`LUO_QI_2009`). This is the form of the IPEA ``accessibility`` R package
    (``fca_2sfca``: ``pop_served = sum(population * impedance)`` per destination,
    ``ppr = opportunities / pop_served``, ``access = sum(ppr * impedance)`` per origin). With
    the same ``f`` in both steps the supply is conserved:
    ``sum_i P_i A_i = sum_j S_j`` over the facilities some resident reaches — "care beds per
    older resident" adds up to the beds. A facility no resident reaches has ``R_j = nan``
    and is listed in :attr:`CatchmentResult.unreached`.

Decay functions (in minutes)
----------------------------
The functional forms are those compared by Kwan (1998, *Geographical Analysis*
30(3):191-216) and surveyed by Geurs & van Wee (2004); the exponential and inverse-power
forms follow the IPEA ``accessibility`` R package (``decay_exponential``:
``exp(-decay_value * t)``; ``decay_power``: ``t ** -decay_value`` capped at 1). No default
parameter is given on purpose: a decay rate is a property of a population and a service
(older residents walk less far to a clinic than commuters to a metro station), calibrated
from local trips. :meth:`ExponentialDecay.from_half_life` and
:meth:`GaussianDecay.from_half_life` set one from a stated half-life instead.

=====================  ==========================================  =========================
class                  ``f(t)``, ``t`` in minutes                  parameter
=====================  ==========================================  =========================
:class:`CutoffDecay`   ``1 if t <= T else 0``                      ``max_minutes`` = T
:class:`ExponentialDecay`  ``exp(-beta * t)``                      ``beta_per_minute``
:class:`GaussianDecay`  ``exp(-0.5 * (t / sigma) ** 2)``           ``sigma_minutes``
:class:`PowerDecay`    ``min(1, t ** -a)`` (1 for ``t <= 1``)      ``exponent`` = a
:class:`StepDecay`     ``w_k`` for ``b_(k-1) < t <= b_k``, 0 after  ``upper_minutes``, weights
=====================  ==========================================  =========================

Zones of :class:`StepDecay` are closed on the right (a walk of exactly 10 minutes is in the
first zone), as is the 2SFCA catchment ``t <= T`` of Luo & Wang. (IPEA's ``decay_stepped``
is open on the right; the difference only matters for times exactly on a step.)
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Protocol, TypeAlias

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "LUO_QI_2009",
    "CatchmentResult",
    "CutoffDecay",
    "DecayFunction",
    "ExponentialDecay",
    "GaussianDecay",
    "PowerDecay",
    "StepDecay",
    "TravelTimes",
    "cumulative_opportunities",
    "enhanced_two_step_fca",
    "floating_catchment",
    "gravity_accessibility",
    "two_step_fca",
]

FloatArray: TypeAlias = NDArray[np.float64]
#: A travel-time matrix in seconds: dense (``inf`` = unreachable) or scipy sparse (absent =
#: unreachable).
TravelTimes: TypeAlias = "ArrayLike | sp.sparray | sp.spmatrix"


class DecayFunction(Protocol):
    """Turns walking minutes into weights in ``[0, 1]`` (``weights(minutes)``)."""

    def weights(self, minutes: FloatArray) -> FloatArray:
        """Return one weight per finite, non-negative travel time in minutes."""
        ...


def _positive(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class CutoffDecay:
    """Weight 1 within ``max_minutes`` (inclusive), 0 beyond: the 2SFCA catchment.

    Examples
    --------
    >>> CutoffDecay(15).weights(np.array([0.0, 15.0, 15.5]))
    array([1., 1., 0.])
    """

    max_minutes: float

    def __post_init__(self) -> None:
        _positive("max_minutes", self.max_minutes)

    def weights(self, minutes: FloatArray) -> FloatArray:
        """Return ``1.0`` where ``minutes <= max_minutes``, else ``0.0``."""
        return (minutes <= self.max_minutes).astype(np.float64)


@dataclass(frozen=True)
class ExponentialDecay:
    """Negative exponential decay ``exp(-beta_per_minute * t)``.

    Examples
    --------
    >>> ExponentialDecay.from_half_life(10).weights(np.array([0.0, 10.0, 20.0]))
    array([1.  , 0.5 , 0.25])
    """

    beta_per_minute: float

    def __post_init__(self) -> None:
        _positive("beta_per_minute", self.beta_per_minute)

    @classmethod
    def from_half_life(cls, minutes: float) -> ExponentialDecay:
        """The decay whose weight halves every ``minutes`` (``beta = ln 2 / minutes``)."""
        return cls(math.log(2.0) / _positive("half-life minutes", minutes))

    def weights(self, minutes: FloatArray) -> FloatArray:
        """Return ``exp(-beta_per_minute * minutes)``."""
        return np.exp(-self.beta_per_minute * minutes)


@dataclass(frozen=True)
class GaussianDecay:
    """Gaussian decay ``exp(-0.5 * (t / sigma_minutes) ** 2)``: flat near 0, then falling.

    Examples
    --------
    >>> GaussianDecay.from_half_life(10).weights(np.array([0.0, 10.0]))
    array([1. , 0.5])
    """

    sigma_minutes: float

    def __post_init__(self) -> None:
        _positive("sigma_minutes", self.sigma_minutes)

    @classmethod
    def from_half_life(cls, minutes: float) -> GaussianDecay:
        """The Gaussian whose weight is 0.5 at ``minutes`` (``sigma = h / sqrt(2 ln 2)``)."""
        return cls(_positive("half-life minutes", minutes) / math.sqrt(2.0 * math.log(2.0)))

    def weights(self, minutes: FloatArray) -> FloatArray:
        """Return ``exp(-0.5 * (minutes / sigma_minutes) ** 2)``."""
        return np.exp(-0.5 * np.square(minutes / self.sigma_minutes))


@dataclass(frozen=True)
class PowerDecay:
    """Inverse power decay ``t ** -exponent``, capped at 1 (so 1 for ``t <= 1`` minute).

    The cap is IPEA's (``weights[weights > 1] <- 1``): without it a facility next door
    would weigh without bound.

    Examples
    --------
    >>> PowerDecay(2).weights(np.array([0.0, 1.0, 2.0, 10.0]))
    array([1.  , 1.  , 0.25, 0.01])
    """

    exponent: float

    def __post_init__(self) -> None:
        _positive("exponent", self.exponent)

    def weights(self, minutes: FloatArray) -> FloatArray:
        """Return ``min(1, minutes ** -exponent)``."""
        return np.minimum(1.0, np.maximum(minutes, 1.0) ** -self.exponent)


@dataclass(frozen=True)
class StepDecay:
    """Stepped weights: ``weights[k]`` for ``upper_minutes[k-1] < t <= upper_minutes[k]``.

    Zones start at 0 and are closed on the right; beyond the last bound the weight is 0.

    Examples
    --------
    >>> LUO_QI_2009.weights(np.array([0.0, 10.0, 10.5, 30.0, 31.0]))
    array([1.  , 1.  , 0.68, 0.22, 0.  ])
    """

    upper_minutes: tuple[float, ...]
    step_weights: tuple[float, ...]

    def __post_init__(self) -> None:
        bounds = tuple(_positive("upper_minutes", b) for b in self.upper_minutes)
        weights = tuple(float(w) for w in self.step_weights)
        problems = []
        if not bounds:
            problems.append("at least one zone is needed")
        if len(bounds) != len(weights):
            problems.append(f"{len(bounds)} zone bounds but {len(weights)} weights")
        if any(b >= c for b, c in itertools.pairwise(bounds)):
            problems.append(f"upper_minutes must increase, got {bounds}")
        if any(not (0.0 <= w <= 1.0) for w in weights):
            problems.append(f"weights must lie in [0, 1], got {weights}")
        if problems:
            raise ValueError("StepDecay: " + "; ".join(problems))
        object.__setattr__(self, "upper_minutes", bounds)
        object.__setattr__(self, "step_weights", weights)

    def weights(self, minutes: FloatArray) -> FloatArray:
        """Return the weight of the zone each travel time falls in (0 beyond the last)."""
        zone = np.searchsorted(np.asarray(self.upper_minutes), minutes, side="left")
        table = np.append(np.asarray(self.step_weights), 0.0)
        return table[zone]


#: Luo & Qi (2009) E2SFCA weights 1.00, 0.68, 0.22 for the 0-10, 10-20 and 20-30 minute zones
#: (the same default as pysal ``access``'s ``enhanced_two_stage_fca``:
#: ``weights.step_fn({10: 1, 20: 0.68, 30: 0.22})``). Luo & Qi set them for *driving* to
#: primary-care physicians; for walking they are a shape, not a calibration.
LUO_QI_2009 = StepDecay((10.0, 20.0, 30.0), (1.0, 0.68, 0.22))


@dataclass(frozen=True, eq=False)
class CatchmentResult:
    """The answer of :func:`floating_catchment` (2SFCA / E2SFCA).

    Attributes
    ----------
    access : numpy.ndarray
        Per demand point, supply per resident reachable (e.g. care beds per older
        resident): ``A_i = sum_j f(t_ij) R_j``.
    supply_ratio : numpy.ndarray
        Per facility, ``R_j = S_j / demand_reached_j``; ``nan`` where no resident reaches it.
    demand_reached : numpy.ndarray
        Per facility, the decay-weighted demand in its catchment ``sum_k P_k f(t_kj)``.
    unreached : numpy.ndarray
        Indices of facilities that no resident with demand reaches (their supply is lost).
    """

    access: FloatArray
    supply_ratio: FloatArray
    demand_reached: FloatArray
    unreached: NDArray[np.intp]

    def __post_init__(self) -> None:
        for name in ("access", "supply_ratio", "demand_reached", "unreached"):
            getattr(self, name).flags.writeable = False


# --------------------------------------------------------------------------- validation
def _vector(name: str, values: ArrayLike | None, n: int, what: str) -> FloatArray:
    """``values`` as a read-only float vector of length ``n`` (ones when ``None``)."""
    if values is None:
        return np.ones(n)
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be numbers, one per {what}: {exc}") from None
    problems = []
    if array.shape != (n,):
        raise ValueError(f"{name} must have one value per {what} ({n}), got shape {array.shape}")
    if not np.isfinite(array).all():
        problems.append(f"{int((~np.isfinite(array)).sum())} values are not finite")
    if (array < 0).any():
        problems.append(f"{int((array < 0).sum())} values are negative")
    if problems:
        raise ValueError(f"{name}: " + "; ".join(problems))
    return array


def _check_times(values: FloatArray) -> None:
    problems = []
    if np.isnan(values).any():
        problems.append(f"{int(np.isnan(values).sum())} travel times are NaN (use inf)")
    if (values < 0).any():
        problems.append(f"{int((values < 0).sum())} travel times are negative")
    if problems:
        raise ValueError("travel_s: " + "; ".join(problems))


def _weight_matrix(
    travel_s: TravelTimes, decay: DecayFunction, max_minutes: float | None
) -> FloatArray | sp.csr_array:
    """``f(t_ij)`` for every pair: 0 where unreachable or beyond ``max_minutes``.

    Dense in, dense out; sparse in, CSR out with the same stored pairs.
    """
    limit = math.inf if max_minutes is None else _positive("max_minutes", max_minutes)
    if sp.issparse(travel_s):
        matrix = sp.csr_array(travel_s, dtype=np.float64, copy=True)
        _check_times(matrix.data)
        minutes = matrix.data / 60.0
        inside = np.isfinite(minutes) & (minutes <= limit)
        data = np.zeros_like(minutes)
        data[inside] = decay.weights(minutes[inside])
        matrix.data = data
        return matrix
    try:
        dense = np.asarray(travel_s, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"travel_s must be a numeric matrix: {exc}") from None
    if dense.ndim != 2:
        raise ValueError(f"travel_s must be 2-D (points x facilities), got shape {dense.shape}")
    _check_times(dense)
    minutes = dense / 60.0
    inside = np.isfinite(minutes) & (minutes <= limit)
    weights = np.zeros_like(minutes)
    weights[inside] = decay.weights(minutes[inside])
    return weights


def _n_points_facilities(weights: FloatArray | sp.csr_array) -> tuple[int, int]:
    rows, cols = weights.shape
    return int(rows), int(cols)


# --------------------------------------------------------------------------- measures
def gravity_accessibility(
    travel_s: TravelTimes,
    *,
    decay: DecayFunction,
    capacity: ArrayLike | None = None,
    max_minutes: float | None = None,
) -> FloatArray:
    """Gravity (potential) accessibility ``A_i = sum_j S_j f(t_ij)`` of every demand point.

    Parameters
    ----------
    travel_s : array-like or scipy.sparse matrix
        Walking seconds, demand points x facilities (see the module docstring).
    decay : DecayFunction
        E.g. ``ExponentialDecay.from_half_life(10)``.
    capacity : array-like, optional
        ``S_j`` per facility (beds, seats...); default 1 each.
    max_minutes : float, optional
        Ignore facilities farther than this (a catchment on top of the decay).

    Returns
    -------
    numpy.ndarray
        One value per demand point.

    Examples
    --------
    Point 0 reaches facility 0 in 10 minutes and facility 1 in 20; point 1 only facility 1,
    in 10. With a 10-minute half-life: ``A_0 = 0.5 + 0.25 = 0.75``, ``A_1 = 0.5``.

    >>> t = np.array([[600.0, 1200.0], [np.inf, 600.0]])
    >>> gravity_accessibility(t, decay=ExponentialDecay.from_half_life(10))
    array([0.75, 0.5 ])
    """
    weights = _weight_matrix(travel_s, decay, max_minutes)
    _, n_facilities = _n_points_facilities(weights)
    supply = _vector("capacity", capacity, n_facilities, "facility")
    return np.asarray(weights @ supply, dtype=np.float64)


def cumulative_opportunities(
    travel_s: TravelTimes,
    *,
    max_minutes: float,
    capacity: ArrayLike | None = None,
) -> FloatArray:
    """Facilities (or their total ``capacity``) reachable within ``max_minutes``.

    Parameters
    ----------
    travel_s : array-like or scipy.sparse matrix
        Walking seconds, demand points x facilities.
    max_minutes : float
        The time budget; a walk of exactly ``max_minutes`` counts.
    capacity : array-like, optional
        Per facility; default 1 each (a count).

    Returns
    -------
    numpy.ndarray
        One value per demand point.

    Examples
    --------
    >>> t = np.array([[300.0, 900.0, np.inf], [960.0, 120.0, 60.0]])
    >>> cumulative_opportunities(t, max_minutes=15)
    array([2., 2.])
    >>> cumulative_opportunities(t, max_minutes=15, capacity=[10, 20, 30])
    array([30., 50.])
    """
    return gravity_accessibility(travel_s, decay=CutoffDecay(max_minutes), capacity=capacity)


def floating_catchment(
    travel_s: TravelTimes,
    *,
    demand: ArrayLike,
    supply: ArrayLike,
    decay: DecayFunction,
    max_minutes: float | None = None,
) -> CatchmentResult:
    """Floating-catchment accessibility with the same decay in both steps (2SFCA family).

    Parameters
    ----------
    travel_s : array-like or scipy.sparse matrix
        Walking seconds, demand points x facilities.
    demand : array-like
        ``P_i`` per demand point (e.g. residents aged 60+), >= 0.
    supply : array-like
        ``S_j`` per facility (e.g. care beds), >= 0.
    decay : DecayFunction
        ``CutoffDecay(T)`` gives 2SFCA, ``LUO_QI_2009`` the E2SFCA of Luo & Qi.
    max_minutes : float, optional
        Catchment bound on top of the decay.

    Returns
    -------
    CatchmentResult
        ``access`` per point, ``supply_ratio`` per facility and the unreached facilities.
    """
    weights = _weight_matrix(travel_s, decay, max_minutes)
    n_points, n_facilities = _n_points_facilities(weights)
    residents = _vector("demand", demand, n_points, "demand point")
    capacity = _vector("supply", supply, n_facilities, "facility")
    reached = np.asarray(weights.T @ residents, dtype=np.float64)
    served = reached > 0
    ratio = np.full(n_facilities, np.nan)
    ratio[served] = capacity[served] / reached[served]
    access = np.asarray(weights @ np.where(served, ratio, 0.0), dtype=np.float64)
    unreached = np.flatnonzero(~served)
    return CatchmentResult(access, ratio, reached, unreached)


def two_step_fca(
    travel_s: TravelTimes,
    *,
    demand: ArrayLike,
    supply: ArrayLike,
    max_minutes: float,
) -> CatchmentResult:
    """2SFCA of Luo & Wang (2003): supply per resident within a ``max_minutes`` catchment.

    Examples
    --------
    Two points of 100 and 300 older residents; facility 0 (40 beds) is reached by both,
    facility 1 (10 beds) only by point 1 (all within 15 minutes). Step 1:
    ``R_0 = 40 / 400 = 0.1``, ``R_1 = 10 / 300 = 1/30``. Step 2: ``A_0 = 0.1``,
    ``A_1 = 0.1 + 1/30``. Check: ``100 * 0.1 + 300 * (0.1 + 1/30) = 50`` beds.

    >>> t = np.array([[600.0, np.inf], [300.0, 840.0]])
    >>> r = two_step_fca(t, demand=[100, 300], supply=[40, 10], max_minutes=15)
    >>> r.access.round(4)
    array([0.1   , 0.1333])
    """
    return floating_catchment(
        travel_s, demand=demand, supply=supply, decay=CutoffDecay(max_minutes)
    )


def enhanced_two_step_fca(
    travel_s: TravelTimes,
    *,
    demand: ArrayLike,
    supply: ArrayLike,
    decay: StepDecay = LUO_QI_2009,
) -> CatchmentResult:
    """E2SFCA of Luo & Qi (2009): 2SFCA with stepped weights (default :data:`LUO_QI_2009`).

    Pass a :class:`StepDecay` with walking-scale zones (e.g. 5/10/15 minutes) for a life
    circle; the default zones are the paper's 10/20/30 minutes.
    """
    return floating_catchment(travel_s, demand=demand, supply=supply, decay=decay)
