"""Folium maps and committee reports: interactive, bilingual, and offline.

The names below are imported on first use (``lifecircle.maps.coverage_map``), so that a
module needing only the map vocabulary (the study file's basemap names, the labels) does
not bring in folium and matplotlib: ``lifecircle check`` draws nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lifecircle.maps.contracts import CoverageFigures, StreetNetwork
    from lifecircle.maps.coverage_map import coverage_map
    from lifecircle.maps.options import MapOptions, ReportOptions
    from lifecircle.maps.report import report_html, write_report
    from lifecircle.maps.save import map_html, save_map
    from lifecircle.maps.static import FontWarning, map_png, save_map_png

__all__ = [
    "CoverageFigures",
    "FontWarning",
    "MapOptions",
    "ReportOptions",
    "StreetNetwork",
    "coverage_map",
    "map_html",
    "map_png",
    "report_html",
    "save_map",
    "save_map_png",
    "write_report",
]

#: Public name -> the module that defines it.
_LAZY = {
    "CoverageFigures": "lifecircle.maps.contracts",
    "StreetNetwork": "lifecircle.maps.contracts",
    "coverage_map": "lifecircle.maps.coverage_map",
    "MapOptions": "lifecircle.maps.options",
    "ReportOptions": "lifecircle.maps.options",
    "report_html": "lifecircle.maps.report",
    "write_report": "lifecircle.maps.report",
    "map_html": "lifecircle.maps.save",
    "save_map": "lifecircle.maps.save",
    "FontWarning": "lifecircle.maps.static",
    "map_png": "lifecircle.maps.static",
    "save_map_png": "lifecircle.maps.static",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'lifecircle.maps' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
