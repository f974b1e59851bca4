"""Walking network, reachability, coverage metrics and seat placement."""

from lifecircle.coverage.metrics import compute_coverage, default_services
from lifecircle.coverage.network import WalkNetwork
from lifecircle.coverage.paths import (
    build_split_graph,
    nearest_facility,
    routes_to_nearest,
    seconds_to_points,
)
from lifecircle.coverage.profiles import PROFILES, WalkProfile
from lifecircle.coverage.result import CoverageResult
from lifecircle.coverage.snap import snap_points
from lifecircle.coverage.synthetic import network_from_arrays, synthetic_city

__all__ = [
    "PROFILES",
    "CoverageResult",
    "WalkNetwork",
    "WalkProfile",
    "build_split_graph",
    "compute_coverage",
    "default_services",
    "nearest_facility",
    "network_from_arrays",
    "routes_to_nearest",
    "seconds_to_points",
    "snap_points",
    "synthetic_city",
]
