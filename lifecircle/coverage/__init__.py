"""Walking network, reachability, coverage metrics and seat placement."""

from lifecircle.coverage.build import (
    load_demo_network,
    network_from_graph,
    network_from_graphml,
    network_from_lines,
    network_from_pbf,
    network_from_xml,
)
from lifecircle.coverage.cache import cached_network, load_network, save_network
from lifecircle.coverage.download import network_from_place, network_from_polygon
from lifecircle.coverage.extent import clip_network, read_boundary, study_extent, walking_buffer_m
from lifecircle.coverage.metrics import compute_coverage, default_services
from lifecircle.coverage.network import WalkNetwork
from lifecircle.coverage.osm_layers import layers_from_osm
from lifecircle.coverage.paths import build_split_graph, nearest_facility, seconds_to_points
from lifecircle.coverage.placement import CoverageModel, PlacementResult
from lifecircle.coverage.placement.suggest import SeatSuggestions, suggest_seats
from lifecircle.coverage.profiles import PROFILES, WalkProfile, resolve_profile
from lifecircle.coverage.result import CoverageResult
from lifecircle.coverage.routes import routes_to_nearest
from lifecircle.coverage.seats import RestGaps, SeatReach, rest_gaps, seat_reach
from lifecircle.coverage.snap import snap_points
from lifecircle.coverage.synthetic import network_from_arrays, synthetic_city

__all__ = [
    "PROFILES",
    "CoverageModel",
    "CoverageResult",
    "PlacementResult",
    "RestGaps",
    "SeatReach",
    "SeatSuggestions",
    "WalkNetwork",
    "WalkProfile",
    "build_split_graph",
    "cached_network",
    "clip_network",
    "compute_coverage",
    "default_services",
    "layers_from_osm",
    "load_demo_network",
    "load_network",
    "nearest_facility",
    "network_from_arrays",
    "network_from_graph",
    "network_from_graphml",
    "network_from_lines",
    "network_from_pbf",
    "network_from_place",
    "network_from_polygon",
    "network_from_xml",
    "read_boundary",
    "resolve_profile",
    "rest_gaps",
    "routes_to_nearest",
    "save_network",
    "seat_reach",
    "seconds_to_points",
    "snap_points",
    "study_extent",
    "suggest_seats",
    "synthetic_city",
    "walking_buffer_m",
]
