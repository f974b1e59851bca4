"""Routing on the walking network: walking profiles, snapping, the split graph, shortest
times and route trees (isochrones and service areas are in :mod:`lifecircle.coverage.areas`).

Depends on :mod:`lifecircle.coverage.network` only.
"""

from lifecircle.coverage.routing.profiles import PROFILES, WalkProfile, resolve_profile
from lifecircle.coverage.routing.route_trees import trace_routes
from lifecircle.coverage.routing.snap import snap_points
from lifecircle.coverage.routing.split_graph import (
    PointEntry,
    SplitGraph,
    build_split_graph,
    enter_graph,
)
from lifecircle.coverage.routing.travel_times import (
    NearestFacility,
    nearest_facility,
    seconds_to_points,
)

__all__ = [
    "PROFILES",
    "NearestFacility",
    "PointEntry",
    "SplitGraph",
    "WalkProfile",
    "build_split_graph",
    "enter_graph",
    "nearest_facility",
    "resolve_profile",
    "seconds_to_points",
    "snap_points",
    "trace_routes",
]
