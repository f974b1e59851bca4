"""The walking network: its type, the builders, walkability rules, extent, cache and generator.

Every builder returns a :class:`WalkNetwork`; routing, measures and placement only ever see
that type. Nothing here imports from the routing, placement or measures folders.
"""

from lifecircle.coverage.network.build import (
    load_demo_network,
    network_from_graph,
    network_from_graphml,
    network_from_lines,
    network_from_pbf,
    network_from_xml,
)
from lifecircle.coverage.network.cache import default_cache_dir, load_network, save_network
from lifecircle.coverage.network.cached import cached_network
from lifecircle.coverage.network.download import network_from_place, network_from_polygon
from lifecircle.coverage.network.extent import (
    clip_network,
    read_boundary,
    study_extent,
    walking_buffer_m,
)
from lifecircle.coverage.network.synthetic import network_from_arrays, synthetic_city
from lifecircle.coverage.network.walk_network import WalkNetwork
from lifecircle.coverage.network.walkability import (
    NOT_WALKABLE_HIGHWAYS,
    WALKABLE_HIGHWAYS,
    osmnx_walk_filter,
)

__all__ = [
    "NOT_WALKABLE_HIGHWAYS",
    "WALKABLE_HIGHWAYS",
    "WalkNetwork",
    "cached_network",
    "clip_network",
    "default_cache_dir",
    "load_demo_network",
    "load_network",
    "network_from_arrays",
    "network_from_graph",
    "network_from_graphml",
    "network_from_lines",
    "network_from_pbf",
    "network_from_place",
    "network_from_polygon",
    "network_from_xml",
    "osmnx_walk_filter",
    "read_boundary",
    "save_network",
    "study_extent",
    "synthetic_city",
    "walking_buffer_m",
]
