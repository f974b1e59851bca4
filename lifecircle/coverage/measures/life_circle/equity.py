"""How evenly access is shared among residents: Gini, Palma, Theil T, Lorenz curve.

Each function takes one access value per demand point (any measure of
:mod:`~lifecircle.coverage.measures.life_circle.accessibility`, or minutes-based scores turned
so that *more is better*) and, optionally, the residents each point stands for. A point with weight
``w`` counts as ``w`` residents with the same access: every index equals the one computed on
the list where each value is repeated ``w`` times (the tests check exactly that). Zero
weights drop a point; weights need not be whole numbers.

Conventions
-----------
- Access must be finite and ``>= 0``: the indices compare shares of a total, which has no
  meaning with negative values (``ValueError``).
- **Nobody reaches anything** (every resident's access is 0): Gini, Theil T
  and the Palma ratio are ``0/0`` and return ``nan`` on purpose — "no inequality" (0) would
  read as a success on a planner's table, and raising would stop a report that loops over
  services. :func:`lorenz_curve` then returns the diagonal. Empty input or a total weight of
  0 raises ``ValueError`` (there are no residents to describe).
- **Ties** need no rule: residents with equal access are interchangeable in every formula,
  and a group straddling a quantile (the worst-served 10 %, the bottom 40 %) is split in
  proportion to its residents, as if its residents were individuals in random order.

Definitions
-----------
Lorenz curve
    Residents sorted by access, ascending; ``x`` = cumulative share of residents,
    ``y`` = cumulative share of total access; piecewise linear from (0, 0) to (1, 1).
Gini
    ``1 - sum_i p_i (L_(i-1) + L_i)`` (twice the area between the diagonal and the Lorenz
    curve), which equals the mean absolute difference over twice the mean,
    ``sum_ij w_i w_j |x_i - x_j| / (2 W^2 mu)`` (Sen 1973, *On Economic Inequality*).
    0 = everyone equal; it approaches 1 when one resident has all the access.
Palma ratio
    Share of total access held by the best-served 10 % of residents divided by the share of
    the worst-served 40 % (Palma 2011; Cobham & Sumner 2013): ``(1 - L(0.9)) / L(0.4)``.
    ``inf`` when the worst-served 40 % have nothing but others have something. (The IPEA
    ``accessibility`` R package's ``palma_ratio`` ranks residents by *income* instead; here
    they are ranked by access itself, as the issue asks.)
Theil T
    ``sum_i p_i (x_i / mu) ln(x_i / mu)`` with ``0 ln 0 = 0`` (Theil 1967): 0 = equal,
    ``ln N`` when one of ``N`` equal-weight residents has everything.
Subgroup in the worst served
    :func:`subgroup_in_worst_served`: which share of the worst-served residents (the bottom
    10 % by default) belong to a subgroup (older residents, children), against the
    subgroup's share of everyone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "EquitySummary",
    "LorenzCurve",
    "WorstServed",
    "equity_summary",
    "gini",
    "lorenz_curve",
    "palma_ratio",
    "subgroup_in_worst_served",
    "theil_t",
]

FloatArray = NDArray[np.float64]


def _values(name: str, values: ArrayLike, n: int | None = None) -> FloatArray:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be numbers: {exc}") from None
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {array.shape}")
    if n is not None and array.shape[0] != n:
        raise ValueError(f"{name} must have one value per point ({n}), got {array.shape[0]}")
    problems = []
    if not np.isfinite(array).all():
        problems.append(f"{int((~np.isfinite(array)).sum())} values are not finite")
    if (array < 0).any():
        problems.append(f"{int((array < 0).sum())} values are negative")
    if problems:
        raise ValueError(f"{name}: " + "; ".join(problems))
    return array


def _sorted_groups(access: ArrayLike, weights: ArrayLike | None) -> tuple[FloatArray, FloatArray]:
    """Access (ascending) and weights of the points that carry residents."""
    values = _values("access", access)
    counts = np.ones_like(values) if weights is None else _values("weights", weights, values.size)
    keep = counts > 0
    if not keep.any():
        raise ValueError("no residents: access is empty or every weight is 0")
    values, counts = values[keep], counts[keep]
    order = np.argsort(values, kind="stable")
    return values[order], counts[order]


@dataclass(frozen=True, eq=False)
class LorenzCurve:
    """Cumulative shares of residents (``population_share``) and of access (``access_share``).

    Both start at 0 and end at 1; residents are sorted by access, ascending.
    """

    population_share: FloatArray
    access_share: FloatArray

    def __post_init__(self) -> None:
        self.population_share.flags.writeable = False
        self.access_share.flags.writeable = False

    def access_share_at(self, population_share: float | FloatArray) -> FloatArray:
        """Share of access held by the worst-served ``population_share`` of residents."""
        return np.asarray(
            np.interp(population_share, self.population_share, self.access_share),
            dtype=np.float64,
        )


def lorenz_curve(access: ArrayLike, *, weights: ArrayLike | None = None) -> LorenzCurve:
    """The Lorenz curve of access across residents (arrays; plotting comes later).

    Parameters
    ----------
    access : array-like
        One value per demand point, ``>= 0``.
    weights : array-like, optional
        Residents per point; default 1 each.

    Returns
    -------
    LorenzCurve
        ``n + 1`` points from (0, 0) to (1, 1); the diagonal when all access is 0.

    Examples
    --------
    >>> c = lorenz_curve([0, 1, 3])
    >>> c.population_share.round(3), c.access_share.round(3)
    (array([0.   , 0.333, 0.667, 1.   ]), array([0.  , 0.  , 0.25, 1.  ]))
    """
    values, counts = _sorted_groups(access, weights)
    people = np.concatenate(([0.0], np.cumsum(counts)))
    amounts = np.concatenate(([0.0], np.cumsum(values * counts)))
    population_share = people / people[-1]
    # all access 0: everyone holds an equal (empty) share, the diagonal
    access_share = amounts / amounts[-1] if amounts[-1] > 0 else population_share.copy()
    population_share[-1] = access_share[-1] = 1.0  # exact end point despite rounding
    return LorenzCurve(population_share, access_share)


def gini(access: ArrayLike, *, weights: ArrayLike | None = None) -> float:
    """Gini coefficient of access across residents (``nan`` when all access is 0).

    Examples
    --------
    Three residents with access 0, 1 and 3 (mean 4/3). Mean absolute difference over all
    9 ordered pairs: ``2 * (1 + 3 + 2) / 9 = 4/3``; Gini ``= (4/3) / (2 * 4/3) = 0.5``.

    >>> gini([0, 1, 3])
    0.5
    """
    values, counts = _sorted_groups(access, weights)
    total = float(np.dot(values, counts))
    if total == 0.0:
        return float("nan")
    shares = counts / counts.sum()
    lorenz = np.cumsum(values * counts) / total
    previous = np.concatenate(([0.0], lorenz[:-1]))
    return float(max(0.0, 1.0 - np.dot(shares, previous + lorenz)))


def theil_t(access: ArrayLike, *, weights: ArrayLike | None = None) -> float:
    """Theil T index of access across residents (``nan`` when all access is 0).

    Examples
    --------
    Four residents, one with all the access: ``T = (1/4) * 4 ln 4 = ln 4``.

    >>> round(theil_t([0, 0, 0, 5]), 6) == round(float(np.log(4)), 6)
    True
    """
    values, counts = _sorted_groups(access, weights)
    shares = counts / counts.sum()
    mean = float(np.dot(values, shares))
    if mean == 0.0:
        return float("nan")
    ratio = values / mean
    positive = ratio > 0
    terms = np.zeros_like(ratio)
    terms[positive] = ratio[positive] * np.log(ratio[positive])
    return float(max(0.0, np.dot(shares, terms)))


def palma_ratio(access: ArrayLike, *, weights: ArrayLike | None = None) -> float:
    """Share of access of the best-served 10 % over that of the worst-served 40 %.

    Returns ``nan`` when all access is 0 and ``inf`` when only the worst-served 40 % have
    none.

    Examples
    --------
    Ten residents with access 1..10 (total 55): the top 10 % hold 10, the bottom 40 %
    ``1 + 2 + 3 + 4 = 10``, so the ratio is 1.

    >>> round(palma_ratio(np.arange(1, 11)), 12)
    1.0
    """
    curve = lorenz_curve(access, weights=weights)
    values, counts = _sorted_groups(access, weights)
    if float(np.dot(values, counts)) == 0.0:
        return float("nan")
    bottom = float(curve.access_share_at(0.4))
    top = 1.0 - float(curve.access_share_at(0.9))
    if bottom == 0.0:
        return float("inf")
    return top / bottom


@dataclass(frozen=True)
class WorstServed:
    """A subgroup's place among the worst-served residents.

    Attributes
    ----------
    fraction : float
        The worst-served fraction of residents looked at (0.1 = bottom decile).
    access_limit : float
        The access of the best-served resident still in that fraction.
    subgroup_share : float
        Share of those worst-served residents who belong to the subgroup.
    overall_share : float
        The subgroup's share of all residents.
    over_representation : float
        ``subgroup_share / overall_share`` (1 = as expected, 2 = twice as often among the
        worst served); ``nan`` when the subgroup is empty.
    """

    fraction: float
    access_limit: float
    subgroup_share: float
    overall_share: float
    over_representation: float


def subgroup_in_worst_served(
    access: ArrayLike,
    *,
    residents: ArrayLike,
    subgroup: ArrayLike,
    fraction: float = 0.1,
) -> WorstServed:
    """Which share of the worst-served residents belong to ``subgroup``.

    Parameters
    ----------
    access : array-like
        One value per demand point, ``>= 0``.
    residents : array-like
        Residents per point.
    subgroup : array-like
        Residents of the subgroup per point (``<= residents``), e.g. aged 60+.
    fraction : float, default 0.1
        The worst-served share of residents to look at (0 < fraction <= 1).

    Returns
    -------
    WorstServed

    Notes
    -----
    Points are taken from the worst access up until ``fraction`` of all residents. The
    points *tied* at the boundary access are all taken in the same proportion (so the
    answer does not depend on their order), and within a point the subgroup is assumed to
    be spread like everyone else. When everyone has the same access, the worst served are
    a proportional slice of everyone and ``subgroup_share == overall_share``.

    Examples
    --------
    Access 1, 2, 3 for 10, 10, 80 residents of whom 8, 2, 10 are older. The worst-served
    10 % are the 10 residents with access 1, of whom 8 are older: 80 % against 20 % overall.

    >>> w = subgroup_in_worst_served([1, 2, 3], residents=[10, 10, 80], subgroup=[8, 2, 10])
    >>> w.subgroup_share, w.overall_share, w.over_representation
    (0.8, 0.2, 4.0)
    """
    values = _values("access", access)
    people = _values("residents", residents, values.size)
    members = _values("subgroup", subgroup, values.size)
    if (members > people).any():
        raise ValueError(f"subgroup exceeds residents at {int((members > people).sum())} points")
    if isinstance(fraction, bool) or not (0.0 < float(fraction) <= 1.0):
        raise ValueError(f"fraction must lie in (0, 1], got {fraction!r}")
    total = float(people.sum())
    if total == 0.0:
        raise ValueError("no residents: every residents value is 0")
    quota = float(fraction) * total
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(people[order])
    boundary = min(int(np.searchsorted(cumulative, quota * (1 - 1e-12))), values.size - 1)
    limit = float(values[order][boundary])
    below = values < limit
    tied = values == limit
    taken_tied = (quota - float(people[below].sum())) / float(people[tied].sum())
    taken = np.where(below, 1.0, np.where(tied, min(1.0, taken_tied), 0.0))
    share = float(np.dot(taken, members)) / float(np.dot(taken, people))
    overall = float(members.sum()) / total
    ratio = share / overall if overall > 0 else float("nan")
    return WorstServed(float(fraction), limit, share, overall, ratio)


@dataclass(frozen=True, eq=False)
class EquitySummary:
    """Every index of this module for one access measure (:func:`equity_summary`).

    Attributes
    ----------
    gini, palma, theil : float
        :func:`gini`, :func:`palma_ratio`, :func:`theil_t` (``nan`` when nobody has access).
    lorenz : LorenzCurve
        For the chart.
    residents : float
        Total weight described.
    worst_served : WorstServed or None
        The subgroup (e.g. older residents) among the worst-served decile; ``None`` when
        no subgroup was given (``note`` says why).
    note : str
        What the subgroup is, or why there is none.
    """

    gini: float
    palma: float
    theil: float
    lorenz: LorenzCurve
    residents: float
    worst_served: WorstServed | None = None
    note: str = ""


def equity_summary(
    access: ArrayLike,
    *,
    weights: ArrayLike,
    subgroup: ArrayLike | None = None,
    fraction: float = 0.1,
    note: str = "",
) -> EquitySummary:
    """Gini, Palma, Theil T, the Lorenz curve and (with ``subgroup``) the worst served.

    Parameters
    ----------
    access : array-like
        One value per demand point, ``>= 0``, more is better.
    weights : array-like
        Residents per point.
    subgroup : array-like, optional
        Residents of a subgroup per point (``<= weights``) for
        :func:`subgroup_in_worst_served`.
    fraction : float, default 0.1
        The worst-served share looked at (the bottom decile).
    note : str
        Stored as :attr:`EquitySummary.note`.

    Examples
    --------
    >>> s = equity_summary([0, 1, 3], weights=[1, 1, 1])
    >>> s.gini, s.worst_served is None
    (0.5, True)
    """
    values = _values("access", access)
    people = _values("weights", weights, values.size)
    worst = None
    if subgroup is not None:
        worst = subgroup_in_worst_served(
            values, residents=people, subgroup=subgroup, fraction=fraction
        )
    return EquitySummary(
        gini(values, weights=people),
        palma_ratio(values, weights=people),
        theil_t(values, weights=people),
        lorenz_curve(values, weights=people),
        float(people.sum()),
        worst,
        note,
    )
