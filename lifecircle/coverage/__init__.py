"""Walking network, routing, coverage measures and placement.

Five folders, one concern each, depending one way (measures -> placement or areas ->
routing -> network):

- :mod:`~lifecircle.coverage.network`: the :class:`WalkNetwork` type and its builders,
  walkability rules, study extent, on-disk cache and synthetic generator;
- :mod:`~lifecircle.coverage.routing`: walking profiles, snapping, the split graph,
  shortest times, route trees;
- :mod:`~lifecircle.coverage.areas`: network isochrones and service walking areas (the
  reachable street pieces, the network's faces, noding);
- :mod:`~lifecircle.coverage.placement`: the optimisation core (maximal covering and set
  cover with proven gaps);
- :mod:`~lifecircle.coverage.measures`: coverage of services, seat reach and rest gaps,
  seat suggestions, the 15-minute life circle and accessibility per grid;
- :mod:`~lifecircle.coverage.presets`: planning standards' service catalogues.

:mod:`~lifecircle.coverage.options` holds the validated settings of the measures
(:class:`CoverageOptions`, :class:`SeatOptions`).
"""

from lifecircle.coverage.measures import (
    AccessOptions,
    CoverageResult,
    FacilitySuggestions,
    GridAccessResult,
    LifeCircleOptions,
    LifeCircleResult,
    RestGaps,
    SeatReach,
    SeatSuggestions,
    SitingOptions,
    compute_coverage,
    compute_life_circle,
    default_services,
    grid_accessibility,
    rest_gaps,
    seat_reach,
    suggest_facilities,
    suggest_seats,
)
from lifecircle.coverage.network import (
    WalkNetwork,
    cached_network,
    clip_network,
    load_demo_network,
    load_network,
    network_from_arrays,
    network_from_graph,
    network_from_graphml,
    network_from_lines,
    network_from_pbf,
    network_from_place,
    network_from_polygon,
    network_from_xml,
    read_boundary,
    save_network,
    study_extent,
    synthetic_city,
    walking_buffer_m,
)
from lifecircle.coverage.options import CoverageOptions, SeatOptions
from lifecircle.coverage.placement import CoverageModel, PlacementResult
from lifecircle.coverage.presets import ServiceCatalogue, load_preset, preset_names
from lifecircle.coverage.routing import (
    PROFILES,
    WalkProfile,
    build_split_graph,
    nearest_facility,
    resolve_profile,
    seconds_to_points,
    snap_points,
)

__all__ = [
    "PROFILES",
    "AccessOptions",
    "CoverageModel",
    "CoverageOptions",
    "CoverageResult",
    "FacilitySuggestions",
    "GridAccessResult",
    "LifeCircleOptions",
    "LifeCircleResult",
    "PlacementResult",
    "RestGaps",
    "SeatOptions",
    "SeatReach",
    "SeatSuggestions",
    "ServiceCatalogue",
    "SitingOptions",
    "WalkNetwork",
    "WalkProfile",
    "build_split_graph",
    "cached_network",
    "clip_network",
    "compute_coverage",
    "compute_life_circle",
    "default_services",
    "grid_accessibility",
    "load_demo_network",
    "load_network",
    "load_preset",
    "nearest_facility",
    "network_from_arrays",
    "network_from_graph",
    "network_from_graphml",
    "network_from_lines",
    "network_from_pbf",
    "network_from_place",
    "network_from_polygon",
    "network_from_xml",
    "preset_names",
    "read_boundary",
    "resolve_profile",
    "rest_gaps",
    "save_network",
    "seat_reach",
    "seconds_to_points",
    "snap_points",
    "study_extent",
    "suggest_facilities",
    "suggest_seats",
    "synthetic_city",
    "walking_buffer_m",
]
