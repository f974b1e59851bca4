"""Folium maps and committee reports: interactive, bilingual, and offline."""

from lifecircle.maps.coverage_map import coverage_map
from lifecircle.maps.report import report_html, write_report
from lifecircle.maps.save import map_html, save_map
from lifecircle.maps.static import FontWarning, map_png, save_map_png

__all__ = [
    "FontWarning",
    "coverage_map",
    "map_html",
    "map_png",
    "report_html",
    "save_map",
    "save_map_png",
    "write_report",
]
