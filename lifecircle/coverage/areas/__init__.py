"""Network isochrones and service walking areas: the street pieces reachable within a time
budget, the walking network's own faces (the blocks the streets enclose) and the noding of
street lines, from which the area a facility serves is drawn.

Depends on :mod:`lifecircle.coverage.routing` and :mod:`lifecircle.coverage.network`.
"""

from lifecircle.coverage.areas.isochrones import isochrone_from_seconds, isochrones_for_facilities

__all__ = [
    "isochrone_from_seconds",
    "isochrones_for_facilities",
]
