"""Folium maps and committee reports: interactive, bilingual, and offline."""

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
