"""lifecircle: is your neighbourhood a real 15-minute community life circle?

The top level lists the workflow, step by step: read the layers (``read_*``,
``load_layers``, ``layers_from_osm``), build the walking network (``network_from_*``,
``load_network``/``save_network``, ``clip_network``), measure (``compute_coverage``,
``seat_reach``, ``rest_gaps``; the whole life circle against a planning standard:
``load_preset``, ``compute_life_circle``, ``grid_accessibility``), place seats
(``suggest_seats``), draw (``coverage_map``, ``save_map``, ``write_report``) and check a
study (``load_study``, ``run_study``, ``report_to_*``); every error and warning class is
here too. Everything else lives in the four subpackages, which are attributes as well:
``lc.geo`` (schemas, hierarchy, coordinate systems and datums), ``lc.coverage`` (profiles,
routing, placement models, result types), ``lc.maps`` and ``lc.study``.

Names are imported lazily, so ``import lifecircle`` is fast and changes no global state
(the package only adds a NullHandler to its logger).
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
    GeometryWarning,
    InfeasibleError,
    InputWarning,
    LayerError,
    LifecircleError,
    LifecircleWarning,
    NetworkError,
    OptionError,
    OptionTypeError,
    ParameterError,
)

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

#: The subpackages, imported on first access (``lc.geo.wgs84_to_gcj02``).
_SUBPACKAGES = ("coverage", "geo", "maps", "study")

# public name -> module that defines it (imported on first access), in workflow order
_LAZY: dict[str, str] = {
    # 1. layers
    "Layers": "lifecircle.geo",
    "LayerInput": "lifecircle.geo",
    "load_demo_layers": "lifecircle.geo",
    "load_layers": "lifecircle.geo",
    "layers_from_osm": "lifecircle.geo",
    "read_buildings": "lifecircle.geo",
    "read_conservation": "lifecircle.geo",
    "read_elderly": "lifecircle.geo",
    "read_facilities": "lifecircle.geo",
    "read_grids": "lifecircle.geo",
    "read_heritage": "lifecircle.geo",
    "read_layer": "lifecircle.geo",
    "read_seats": "lifecircle.geo",
    # 2. walking network and study extent
    "WalkNetwork": "lifecircle.coverage",
    "load_demo_network": "lifecircle.coverage",
    "network_from_graph": "lifecircle.coverage",
    "network_from_graphml": "lifecircle.coverage",
    "network_from_lines": "lifecircle.coverage",
    "network_from_pbf": "lifecircle.coverage",
    "network_from_place": "lifecircle.coverage",
    "network_from_polygon": "lifecircle.coverage",
    "network_from_xml": "lifecircle.coverage",
    "load_network": "lifecircle.coverage",
    "save_network": "lifecircle.coverage",
    "read_boundary": "lifecircle.coverage",
    "study_extent": "lifecircle.coverage",
    "walking_buffer_m": "lifecircle.coverage",
    "clip_network": "lifecircle.coverage",
    # 3. coverage and seats
    "PROFILES": "lifecircle.coverage",
    "CoverageResult": "lifecircle.coverage",
    "compute_coverage": "lifecircle.coverage",
    "CoverageOptions": "lifecircle.coverage",
    "seat_reach": "lifecircle.coverage",
    "rest_gaps": "lifecircle.coverage",
    "suggest_seats": "lifecircle.coverage",
    "SeatOptions": "lifecircle.coverage",
    "suggest_facilities": "lifecircle.coverage",
    "SitingOptions": "lifecircle.coverage",
    # 3b. the whole 15-minute life circle against a planning standard
    "preset_names": "lifecircle.coverage",
    "load_preset": "lifecircle.coverage",
    "compute_life_circle": "lifecircle.coverage",
    "grid_accessibility": "lifecircle.coverage",
    # 4. maps and committee reports
    "coverage_map": "lifecircle.maps",
    "MapOptions": "lifecircle.maps",
    "save_map": "lifecircle.maps",
    "save_map_png": "lifecircle.maps",
    "write_report": "lifecircle.maps",
    "ReportOptions": "lifecircle.maps",
    # 5. studies and checks
    "demo_study_path": "lifecircle.study",
    "load_study": "lifecircle.study",
    "run_study": "lifecircle.study",
    "headline_rows": "lifecircle.study",
    "report_to_json": "lifecircle.study",
    "report_to_junit": "lifecircle.study",
    "report_to_markdown": "lifecircle.study",
    "report_to_text": "lifecircle.study",
    # 6. scenarios: what if a facility opens, closes or moves?
    "Scenario": "lifecircle.study",
    "demo_scenario_path": "lifecircle.study",
    "load_scenario": "lifecircle.study",
    "apply_scenario": "lifecircle.study",
    "compare": "lifecircle.study",
    "explore": "lifecircle.study",
}

__all__ = [
    "CRSError",
    "ColumnWarning",
    "ConfigError",
    "CoordinateWarning",
    "DatumWarning",
    "GeometryWarning",
    "InfeasibleError",
    "InputWarning",
    "LayerError",
    "LifecircleError",
    "LifecircleWarning",
    "NetworkError",
    "OptionError",
    "OptionTypeError",
    "ParameterError",
    "__version__",
    *_SUBPACKAGES,
    *sorted(_LAZY),
]


def __getattr__(name: str) -> Any:
    if name in _SUBPACKAGES:
        return importlib.import_module(f"{__name__}.{name}")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'lifecircle' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_SUBPACKAGES) | set(_LAZY))
