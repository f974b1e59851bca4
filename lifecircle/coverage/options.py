"""The settings of the coverage measures: :class:`CoverageOptions` and :class:`SeatOptions`.

Each is a frozen dataclass whose ``__post_init__`` is *the* place its options are checked
(with :mod:`lifecircle.options`); :func:`~lifecircle.coverage.compute_coverage` and
:func:`~lifecircle.coverage.suggest_seats` take one, or build one from their keyword
arguments. Make variants with :func:`dataclasses.replace`, which checks again::

    slow = CoverageOptions(profile="elderly", walk_minutes=10)
    fast = dataclasses.replace(slow, profile="adult")

Where the defaults come from:

- ``walk_minutes`` = 15: the 15-minute community life circle (Shanghai's *15-minute
  community life circle planning guide*, 2016);
- ``profile`` = ``"elderly"`` (0.9 m/s, see :mod:`lifecircle.coverage.routing.profiles`):
  the residents the services are for;
- :data:`DEFAULT_TARGET_SHARE` = 0.9: a grid is *covered* when 90% of its residents reach the
  service in time — the coverage target of the study template written by ``lifecircle
  init`` (``minimum = 0.9`` for "every micro-grid: 90% of residents within 15 min of an
  elderly service"), and the share the committee report judges grids against when a study
  gives no targets, so the two never disagree. (The template's 0.95 is another measure: the
  share of street within a walk of a seat.);
- seat distances (:data:`DEFAULT_REACH_M`, :data:`DEFAULT_MAX_GAP_M`) = 50 m: the UK
  Department for Transport's *Inclusive Mobility* guide (2005, §3.4; kept in the 2021
  edition) — seats in pedestrian areas at intervals of no more than 50 m, since about 30 % of
  people with a walking impairment manage no more than 50 m without stopping.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from lifecircle.coverage.placement.model import METHODS
from lifecircle.coverage.routing.profiles import WalkProfile, resolve_profile
from lifecircle.errors import OptionError
from lifecircle.options import check_flag, check_number

__all__ = [
    "DEFAULT_MAX_GAP_M",
    "DEFAULT_REACH_M",
    "DEFAULT_TARGET_SHARE",
    "CoverageOptions",
    "SeatOptions",
]

#: A grid is covered when at least this share of its residents reach the service in time.
DEFAULT_TARGET_SHARE = 0.9
#: Inclusive Mobility (DfT 2005, §3.4): a place "has a seat" when one is within a 50 m walk.
DEFAULT_REACH_M = 50.0
#: Inclusive Mobility (DfT 2005, §3.4): no stretch of a walk longer than 50 m without a seat.
DEFAULT_MAX_GAP_M = 50.0


@dataclass(frozen=True, kw_only=True)
class CoverageOptions:
    """How :func:`~lifecircle.coverage.compute_coverage` measures walking coverage.

    Parameters
    ----------
    profile : str or WalkProfile, default "elderly"
        Walking speed and penalties (see :mod:`lifecircle.coverage.routing.profiles`).
    speed_m_s : float, optional
        Override the profile's speed.
    walk_minutes : float, default 15
        The time budget.
    max_snap_m : float, default 100
        Points farther from every street are unreachable and listed in ``unsnapped``.
    spacing_m : float, default 25
        Demand lattice spacing when there is no buildings layer.
    access_m : float, default 30
        Isochrone buffer around reachable streets.
    target_share : float, default 0.9
        A grid is ``covered`` when at least this share of its weight is within the budget
        (:data:`DEFAULT_TARGET_SHARE`).
    isochrones : bool, default True
        Compute each service's walking area (``result.isochrones``); one area per facility
        is computed on demand (``result.facility_isochrones``).

    Raises
    ------
    lifecircle.errors.OptionError
        (a :class:`~lifecircle.errors.ParameterError`, so a ``ValueError``) for a distance
        or time that is not a finite number > 0, a ``target_share`` outside [0, 1], or an
        unknown profile name.
    lifecircle.errors.OptionTypeError
        (a ``TypeError``) for a value of the wrong type.

    Examples
    --------
    >>> CoverageOptions(walk_minutes=10).walk_profile.speed_m_s
    0.9
    """

    profile: str | WalkProfile = "elderly"
    speed_m_s: float | None = None
    walk_minutes: float = 15.0
    max_snap_m: float = 100.0
    spacing_m: float = 25.0
    access_m: float = 30.0
    target_share: float = DEFAULT_TARGET_SHARE
    isochrones: bool = True

    def __post_init__(self) -> None:
        for name in ("walk_minutes", "max_snap_m", "access_m", "spacing_m"):
            object.__setattr__(self, name, check_number(name, getattr(self, name)))
        if self.speed_m_s is not None:
            object.__setattr__(self, "speed_m_s", check_number("speed_m_s", self.speed_m_s))
        share = check_number("target_share", self.target_share, allow_zero=True, at_most=1)
        object.__setattr__(self, "target_share", share)
        object.__setattr__(self, "isochrones", check_flag("isochrones", self.isochrones))
        self._resolve_profile()

    @property
    def walk_profile(self) -> WalkProfile:
        """The walking profile used: ``profile`` at ``speed_m_s`` when that is given."""
        return self._resolve_profile()

    def _resolve_profile(self) -> WalkProfile:
        try:
            return resolve_profile(self.profile, speed_m_s=self.speed_m_s)
        except ValueError as exc:
            raise OptionError(
                str(exc), option="profile", value=self.profile, expected="a walking profile"
            ) from None


@dataclass(frozen=True, kw_only=True)
class SeatOptions:
    """How :func:`~lifecircle.coverage.suggest_seats` looks for new seat sites.

    Parameters
    ----------
    spacing_m : float, default 20
        Candidate spacing along streets, and sampling step of the rest gaps.
    radius_m : float, default 50
        A seat helps the residents and gaps within this walking distance
        (:data:`DEFAULT_REACH_M`).
    min_spacing_m : float, default 40
        No new seat closer than this (straight line) to an existing seat or to another
        new one (candidates are thinned, best first, so any selection respects it).
    heritage_buffer_m : float, default 5
        Candidates within this distance of a heritage footprint or point are excluded.
    max_gap_m : float, default 50
        Longest acceptable seat-less stretch on a walk to an elderly service
        (:data:`DEFAULT_MAX_GAP_M`).
    gap_weight : float, default 1
        Weight of the rest-gap objective relative to residents (0 ignores it).
    required, forbidden : candidate id or iterable of candidate ids
        Sites that must / must not be chosen (a single string is one id); kept as tuples.
    method : {"auto", "greedy", "milp"}
        Passed to :meth:`~lifecircle.coverage.CoverageModel.solve`.
    time_limit_s : float, default 10
        Passed to :meth:`~lifecircle.coverage.CoverageModel.solve`.
    max_snap_m : float, default 50
        Candidates, homes, seats and gap samples farther than this from the network are
        ignored, in today's seat reach and rest gaps as in the new sites' (a study's
        ``lifecircle suggest`` and ``report`` pass its ``[analysis] max_snap_m``).

    Raises
    ------
    lifecircle.errors.OptionError
        (a ``ValueError``) for a distance that is not a finite number > 0 (>= 0 for
        ``min_spacing_m``, ``heritage_buffer_m`` and ``gap_weight``), an unknown
        ``method``, or an id both required and forbidden.
    lifecircle.errors.OptionTypeError
        (a ``TypeError``) for a value of the wrong type.
    """

    spacing_m: float = 20.0
    radius_m: float = DEFAULT_REACH_M
    min_spacing_m: float = 40.0
    heritage_buffer_m: float = 5.0
    max_gap_m: float = DEFAULT_MAX_GAP_M
    gap_weight: float = 1.0
    required: tuple[object, ...] = ()
    forbidden: tuple[object, ...] = ()
    method: str = "auto"
    time_limit_s: float = 10.0
    max_snap_m: float = 50.0

    def __post_init__(self) -> None:
        for name in ("spacing_m", "radius_m", "max_gap_m", "time_limit_s", "max_snap_m"):
            object.__setattr__(self, name, check_number(name, getattr(self, name)))
        for name in ("min_spacing_m", "heritage_buffer_m", "gap_weight"):
            value = check_number(name, getattr(self, name), allow_zero=True)
            object.__setattr__(self, name, value)
        required, forbidden = _ids(self.required), _ids(self.forbidden)
        both = [i for i in dict.fromkeys(required) if i in set(forbidden)]
        if both:
            raise OptionError(
                f"candidate ids both required and forbidden: {_listed(both)}; "
                "an id may be in only one of them",
                option="required", value=self.required, expected="ids not also forbidden",
            )  # fmt: skip
        object.__setattr__(self, "required", required)
        object.__setattr__(self, "forbidden", forbidden)
        if self.method not in METHODS:
            raise OptionError(
                f"method must be one of {METHODS}, got {self.method!r}",
                option="method", value=self.method, expected=f"one of {', '.join(METHODS)}",
            )  # fmt: skip


def _ids(value: object) -> tuple[object, ...]:
    """A value as a tuple of ids: a string (or other single value) is one id."""
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        return (value,)
    return tuple(value)


def _listed(values: list[object], limit: int = 5) -> str:
    shown = ", ".join(repr(v) for v in values[:limit])
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "")
