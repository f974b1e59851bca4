"""lifecircle: is your neighbourhood a real 15-minute community life circle?

The public API is re-exported here and imported lazily, so ``import lifecircle``
is fast and changes no global state (the package only adds a NullHandler to its
logger).
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

from lifecircle.errors import (
    ColumnWarning,
    ConfigError,
    CoordinateWarning,
    CRSError,
    DatumWarning,
    InfeasibleError,
    LayerError,
    LifecircleError,
    LifecircleWarning,
    NetworkError,
)

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

# public name -> module that defines it (imported on first access)
_LAZY: dict[str, str] = {
    "CoverageModel": "lifecircle.coverage",
    "CoverageResult": "lifecircle.coverage",
    "PROFILES": "lifecircle.coverage",
    "PlacementResult": "lifecircle.coverage",
    "RestGaps": "lifecircle.coverage",
    "SeatReach": "lifecircle.coverage",
    "SeatSuggestions": "lifecircle.coverage",
    "WalkNetwork": "lifecircle.coverage",
    "WalkProfile": "lifecircle.coverage",
    "cached_network": "lifecircle.coverage",
    "clip_network": "lifecircle.coverage",
    "compute_coverage": "lifecircle.coverage",
    "default_services": "lifecircle.coverage",
    "layers_from_osm": "lifecircle.geo",
    "load_demo_network": "lifecircle.coverage",
    "load_network": "lifecircle.coverage",
    "network_from_graph": "lifecircle.coverage",
    "network_from_graphml": "lifecircle.coverage",
    "network_from_lines": "lifecircle.coverage",
    "network_from_pbf": "lifecircle.coverage",
    "network_from_place": "lifecircle.coverage",
    "network_from_polygon": "lifecircle.coverage",
    "network_from_xml": "lifecircle.coverage",
    "read_boundary": "lifecircle.coverage",
    "resolve_profile": "lifecircle.coverage",
    "rest_gaps": "lifecircle.coverage",
    "save_network": "lifecircle.coverage",
    "seat_reach": "lifecircle.coverage",
    "snap_points": "lifecircle.coverage",
    "study_extent": "lifecircle.coverage",
    "suggest_seats": "lifecircle.coverage",
    "synthetic_city": "lifecircle.coverage",
    "walking_buffer_m": "lifecircle.coverage",
    "ELDERLY_TYPES": "lifecircle.geo",
    "GRID_KINDS": "lifecircle.geo",
    "GRID_LEVELS": "lifecircle.geo",
    "HERITAGE_CATEGORIES": "lifecircle.geo",
    "HERITAGE_LEVELS": "lifecircle.geo",
    "LAYER_SCHEMAS": "lifecircle.geo",
    "LayerInput": "lifecircle.geo",
    "Layers": "lifecircle.geo",
    "ancestors": "lifecircle.geo",
    "bd09_to_gcj02": "lifecircle.geo",
    "bd09_to_wgs84": "lifecircle.geo",
    "category_label": "lifecircle.geo",
    "check_coordinates": "lifecircle.geo",
    "find_category": "lifecircle.geo",
    "gcj02_to_bd09": "lifecircle.geo",
    "gcj02_to_wgs84": "lifecircle.geo",
    "leaf_grids": "lifecircle.geo",
    "load_demo_layers": "lifecircle.geo",
    "load_layers": "lifecircle.geo",
    "parse_crs": "lifecircle.geo",
    "read_buildings": "lifecircle.geo",
    "read_conservation": "lifecircle.geo",
    "read_elderly": "lifecircle.geo",
    "read_grids": "lifecircle.geo",
    "read_heritage": "lifecircle.geo",
    "read_layer": "lifecircle.geo",
    "read_seats": "lifecircle.geo",
    "roll_up": "lifecircle.geo",
    "to_wgs84": "lifecircle.geo",
    "utm_crs_for": "lifecircle.geo",
    "validate_hierarchy": "lifecircle.geo",
    "wgs84_to_bd09": "lifecircle.geo",
    "wgs84_to_gcj02": "lifecircle.geo",
    "FontWarning": "lifecircle.maps",
    "coverage_map": "lifecircle.maps",
    "save_map": "lifecircle.maps",
    "save_map_png": "lifecircle.maps",
    "write_report": "lifecircle.maps",
    "CheckReport": "lifecircle.study",
    "Study": "lifecircle.study",
    "StudyRun": "lifecircle.study",
    "Target": "lifecircle.study",
    "TargetOutcome": "lifecircle.study",
    "compute_study_coverage": "lifecircle.study",
    "demo_study_path": "lifecircle.study",
    "describe_target": "lifecircle.study",
    "evaluate_targets": "lifecircle.study",
    "headline_rows": "lifecircle.study",
    "load_study": "lifecircle.study",
    "load_study_layers": "lifecircle.study",
    "load_study_network": "lifecircle.study",
    "report_to_json": "lifecircle.study",
    "report_to_junit": "lifecircle.study",
    "report_to_markdown": "lifecircle.study",
    "report_to_text": "lifecircle.study",
    "run_study": "lifecircle.study",
    "study_from_text": "lifecircle.study",
}

__all__ = [
    "CRSError",
    "ColumnWarning",
    "ConfigError",
    "CoordinateWarning",
    "DatumWarning",
    "InfeasibleError",
    "LayerError",
    "LifecircleError",
    "LifecircleWarning",
    "NetworkError",
    "__version__",
    *sorted(_LAZY),
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'lifecircle' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
