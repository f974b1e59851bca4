"""The coverage measures: who reaches which service in time, seat reach and rest gaps,
and seat suggestions (the placement core applied to seats).

Depends on :mod:`lifecircle.coverage.network`, :mod:`lifecircle.coverage.routing` and
:mod:`lifecircle.coverage.placement`.
"""

from lifecircle.coverage.measures.coverage_result import CoverageResult
from lifecircle.coverage.measures.seat_suggestions import SeatSuggestions, suggest_seats
from lifecircle.coverage.measures.seats import RestGaps, SeatReach, rest_gaps, seat_reach
from lifecircle.coverage.measures.service_coverage import compute_coverage, default_services

__all__ = [
    "CoverageResult",
    "RestGaps",
    "SeatReach",
    "SeatSuggestions",
    "compute_coverage",
    "default_services",
    "rest_gaps",
    "seat_reach",
    "suggest_seats",
]
