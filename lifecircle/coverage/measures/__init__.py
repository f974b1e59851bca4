"""The coverage measures: who reaches which service in time, seat reach and rest gaps,
seat suggestions (the placement core applied to seats), facility siting
(:func:`suggest_facilities`: where new stations go, existing ones fixed), the 15-minute
life circle against a planning standard (:func:`compute_life_circle`), accessibility
measures per grid (:func:`grid_accessibility`) and their equity.

The life circle and accessibility per grid are in
:mod:`~lifecircle.coverage.measures.life_circle`, facility siting in
:mod:`~lifecircle.coverage.measures.siting`, what-if analyses (:class:`CoverageState`,
:class:`SeatState`) in :mod:`~lifecircle.coverage.measures.what_if`; coverage of services,
demand points, seats and seat suggestions stay at this level.

Depends on :mod:`lifecircle.coverage.network`, :mod:`lifecircle.coverage.routing`,
:mod:`lifecircle.coverage.areas` and :mod:`lifecircle.coverage.placement`.
"""

from lifecircle.coverage.measures.coverage_result import CoverageResult
from lifecircle.coverage.measures.life_circle.grid_access import (
    AccessOptions,
    GridAccessResult,
    grid_accessibility,
)
from lifecircle.coverage.measures.life_circle.life_circle import (
    LifeCircleOptions,
    compute_life_circle,
)
from lifecircle.coverage.measures.life_circle.life_circle_result import LifeCircleResult
from lifecircle.coverage.measures.seat_suggestions import SeatSuggestions, suggest_seats
from lifecircle.coverage.measures.seats import RestGaps, SeatReach, rest_gaps, seat_reach
from lifecircle.coverage.measures.service_coverage import compute_coverage, default_services
from lifecircle.coverage.measures.siting.facility_siting import (
    FacilitySuggestions,
    suggest_facilities,
)
from lifecircle.coverage.measures.siting.siting_options import SitingOptions
from lifecircle.coverage.measures.what_if.what_if import CoverageState
from lifecircle.coverage.measures.what_if.what_if_seats import SeatState

__all__ = [
    "AccessOptions",
    "CoverageResult",
    "CoverageState",
    "FacilitySuggestions",
    "GridAccessResult",
    "LifeCircleOptions",
    "LifeCircleResult",
    "RestGaps",
    "SeatReach",
    "SeatState",
    "SeatSuggestions",
    "SitingOptions",
    "compute_coverage",
    "compute_life_circle",
    "default_services",
    "grid_accessibility",
    "rest_gaps",
    "seat_reach",
    "suggest_facilities",
    "suggest_seats",
]
