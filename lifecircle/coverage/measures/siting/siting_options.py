"""The settings of :func:`~lifecircle.coverage.measures.siting.facility_siting.suggest_facilities`.

Where the defaults come from:

- ``objective = "covering"``: the question the issue asks first ("where should the next two
  stations go?" — most residents newly within the time budget; Church & ReVelle 1974);
  ``"total"`` is the p-median (least total walk) and ``"worst"`` the p-center (shortest
  longest walk), both on the walking network;
- ``spacing_m = 50``: candidates along streets every 50 m — a street front, not a seat (the
  seat suggestions use 20 m); a station is a ground-floor unit and 50 m is about one
  block face of a Shanghai 里弄 lane;
- ``min_spacing_m = 100``: no two suggested stations closer than 100 m (straight line): two
  stations that near serve the same residents, and the thinning keeps the MILP small;
- ``heritage_buffer_m = 5``: as for seats (:class:`~lifecircle.coverage.options.SeatOptions`);
- ``exclude_conservation = False``: a conservation area (历史风貌保护区) restricts *how* one
  builds, not whether a community station may open in an existing ground floor; a study
  that wants them excluded says so;
- ``capacity = None``: uncapacitated unless the planner gives a capacity (residents one new
  site can serve) or a candidate-layer column of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from lifecircle.coverage.placement.model import METHODS
from lifecircle.errors import OptionError
from lifecircle.options import check_flag, check_number, check_text

__all__ = ["CANDIDATE_SOURCES", "OBJECTIVES", "SitingOptions"]

#: ``covering``: most residents newly within the budget (maximal covering); ``total``: least
#: total walking time (p-median); ``worst``: shortest longest walk (p-center).
OBJECTIVES = ("covering", "total", "worst")
#: Where candidate sites come from when no candidate layer is given.
CANDIDATE_SOURCES = ("auto", "buildings", "streets")


@dataclass(frozen=True, kw_only=True)
class SitingOptions:
    """How :func:`~lifecircle.coverage.measures.siting.facility_siting.suggest_facilities` looks.

    Parameters
    ----------
    objective : {"covering", "total", "worst"}
        Maximal covering, p-median or p-center (see :data:`OBJECTIVES`).
    candidate_source : {"auto", "buildings", "streets"}
        Without a candidate layer: the buildings layer (``"auto"`` when the layers have
        one) or points every ``spacing_m`` along public walkable streets.
    spacing_m : float, default 50
        Candidate spacing along streets.
    min_spacing_m : float, default 100
        No two suggested sites closer than this (candidates are thinned, best first);
        0 keeps every candidate.
    heritage_buffer_m : float, default 5
        Candidates within this distance of a heritage footprint or point are excluded.
    exclude_conservation : bool, default False
        Also exclude candidates inside conservation areas.
    capacity : float, optional
        Residents one new site can serve at most (covering only); default no limit.
    capacity_column : str, optional
        Column of the candidate layer holding each site's capacity (wins over ``capacity``).
    method : {"auto", "greedy", "milp"}
        As in :meth:`~lifecircle.coverage.CoverageModel.solve`.
    time_limit_s : float, default 10
        Time budget of the solver, seconds.

    Raises
    ------
    lifecircle.errors.OptionError
        For an unknown objective, source or method, or a distance out of range.
    lifecircle.errors.OptionTypeError
        For a value of the wrong type.
    """

    objective: str = "covering"
    candidate_source: str = "auto"
    spacing_m: float = 50.0
    min_spacing_m: float = 100.0
    heritage_buffer_m: float = 5.0
    exclude_conservation: bool = False
    capacity: float | None = None
    capacity_column: str | None = None
    method: str = "auto"
    time_limit_s: float = 10.0

    def __post_init__(self) -> None:
        for name in ("spacing_m", "time_limit_s"):
            object.__setattr__(self, name, check_number(name, getattr(self, name)))
        for name in ("min_spacing_m", "heritage_buffer_m"):
            value = check_number(name, getattr(self, name), allow_zero=True)
            object.__setattr__(self, name, value)
        if self.capacity is not None:
            object.__setattr__(self, "capacity", check_number("capacity", self.capacity))
        check_text("capacity_column", self.capacity_column)
        check_flag("exclude_conservation", self.exclude_conservation)
        for name, allowed in (
            ("objective", OBJECTIVES),
            ("candidate_source", CANDIDATE_SOURCES),
            ("method", METHODS),
        ):
            value = getattr(self, name)
            if value not in allowed:
                raise OptionError(
                    f"{name} must be one of {', '.join(allowed)}, got {value!r}",
                    option=name, value=value, expected=f"one of {', '.join(allowed)}",
                )  # fmt: skip
        capacitated = self.capacity is not None or self.capacity_column is not None
        if capacitated and self.objective != "covering":
            raise OptionError(
                f"capacity applies to objective 'covering' only, not {self.objective!r}",
                option="capacity", value=self.capacity, expected="objective = 'covering'",
            )  # fmt: skip
