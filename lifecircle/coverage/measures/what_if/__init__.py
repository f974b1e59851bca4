"""What-if analyses: coverage and seat reach kept up to date while facilities, seats and
streets are added, moved or removed, without recomputing the whole district
(:class:`CoverageState`, :class:`SeatState`).

Depends on the measures above it in :mod:`lifecircle.coverage.measures` (demand points,
service coverage, seats), on :mod:`lifecircle.coverage.routing` and on
:mod:`lifecircle.coverage.network`.
"""

from lifecircle.coverage.measures.what_if.what_if import CoverageState
from lifecircle.coverage.measures.what_if.what_if_seats import SeatState

__all__ = ["CoverageState", "SeatState"]
