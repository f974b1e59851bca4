"""Colours, classes and symbols shared by the interactive and the static maps.

Coverage classes
    ``< 50 %``, ``50–80 %``, ``80–95 %`` and ``≥ 95 %`` of a grid's residents within the
    walking time. Colours are ColorBrewer's 4-class *RdYlBu* (diverging, marked
    colour-blind safe and print friendly by colorbrewer2.org): red = poor, dark blue =
    target met. Grids without residents (weight 0 or unknown) are light grey.
Facility symbols
    Colours from the Okabe–Ito palette (distinguishable under the common colour-vision
    deficiencies) *and* a different shape per elderly-service type, so that type never
    depends on colour alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = [
    "COVERAGE_CLASSES",
    "ELDERLY_SYMBOLS",
    "FONT_STACK",
    "HERITAGE_COLOURS",
    "NODATA_COLOUR",
    "OKABE_ITO",
    "CoverageClass",
    "coverage_class_index",
    "seat_radius_px",
    "service_colour",
    "svg_symbol",
]

#: CSS font stack that renders Chinese on Windows, macOS, Linux and Android.
FONT_STACK = (
    '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Hiragino Sans GB", '
    '"Microsoft YaHei", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", SimHei, '
    '"Helvetica Neue", Arial, sans-serif'
)

OKABE_ITO = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "black": "#000000",
}


@dataclass(frozen=True)
class CoverageClass:
    """One coverage class: shares in ``[lower, upper)`` get ``colour``."""

    key: str
    lower: float
    upper: float
    colour: str


COVERAGE_CLASSES: tuple[CoverageClass, ...] = (
    CoverageClass("class_lt50", 0.0, 0.5, "#d7191c"),
    CoverageClass("class_50_80", 0.5, 0.8, "#fdae61"),
    CoverageClass("class_80_95", 0.8, 0.95, "#abd9e9"),
    CoverageClass("class_ge95", 0.95, math.inf, "#2c7bb6"),
)
NODATA_COLOUR = "#d9d9d9"


def coverage_class_index(shares: object) -> np.ndarray:
    """Return the class index (0..3) of each share, ``-1`` for NaN.

    A tiny tolerance puts shares within 1e-9 of a boundary (e.g. 0.95 computed as
    0.9499999999) into the upper class.
    """
    values = np.asarray(shares, dtype=float)
    bounds = np.array([c.lower for c in COVERAGE_CLASSES[1:]])
    index = np.searchsorted(bounds, values + 1e-9, side="right")
    return np.where(np.isnan(values), -1, index)


#: Elderly-service type -> (shape, colour).
ELDERLY_SYMBOLS: dict[str, tuple[str, str]] = {
    "life_centre": ("star", OKABE_ITO["vermillion"]),
    "care_home": ("square", OKABE_ITO["blue"]),
    "day_care": ("diamond", OKABE_ITO["green"]),
    "life_station": ("circle", OKABE_ITO["orange"]),
    "bathing": ("triangle", OKABE_ITO["sky_blue"]),
    "canteen": ("hexagon", OKABE_ITO["purple"]),
    "other": ("circle", "#555555"),
}

#: Heritage protection level -> colour (darker = higher protection).
HERITAGE_COLOURS: dict[str, str] = {
    "national": "#3f007d",
    "municipal": "#6a51a3",
    "district": "#807dba",
    "protection_point": "#9e9ac8",
    "historic_building": "#8c510a",
    "other": "#737373",
}

SEAT_COLOUR = "#4d4d4d"
SUGGESTION_COLOUR = OKABE_ITO["vermillion"]
CONSERVATION_COLOUR = "#bf812d"
NETWORK_COLOUR = "#969696"
_SERVICE_COLOURS = {
    "elderly": OKABE_ITO["blue"],
    "care": OKABE_ITO["green"],
    "bathing": OKABE_ITO["sky_blue"],
}
_FALLBACK = (OKABE_ITO["orange"], OKABE_ITO["purple"], OKABE_ITO["vermillion"], "#555555")


def service_colour(service: str, position: int = 0) -> str:
    """Return the isochrone colour of ``service`` (``position`` picks a fallback)."""
    return _SERVICE_COLOURS.get(service, _FALLBACK[position % len(_FALLBACK)])


def seat_radius_px(seats: object) -> np.ndarray:
    """Circle radius in pixels for seat counts: area grows with the count, 3–12 px."""
    counts = np.nan_to_num(np.asarray(seats, dtype=float), nan=1.0)
    radius: np.ndarray = np.clip(2.0 + 1.6 * np.sqrt(np.clip(counts, 1, None)), 3.0, 12.0)
    return radius.round(1)


def _polygon(n: int, r: float, c: float, rotation: float = -90.0, inner: float = 0.0) -> str:
    points = []
    steps = n * 2 if inner else n
    for i in range(steps):
        radius = inner if inner and i % 2 else r
        angle = math.radians(rotation + 360.0 * i / steps)
        points.append(f"{c + radius * math.cos(angle):.1f},{c + radius * math.sin(angle):.1f}")
    return " ".join(points)


def svg_symbol(shape: str, colour: str, size: int = 18) -> str:
    """Return an inline SVG marker: circle, square, diamond, triangle, hexagon or star.

    The markup contains no user data (shape and colour come from :data:`ELDERLY_SYMBOLS`).
    """
    c = size / 2
    r = c - 1.5
    body = {
        "circle": f'<circle cx="{c}" cy="{c}" r="{r * 0.85:.1f}"/>',
        "square": f'<rect x="{c - r * 0.8:.1f}" y="{c - r * 0.8:.1f}" '
        f'width="{r * 1.6:.1f}" height="{r * 1.6:.1f}"/>',
        "diamond": f'<polygon points="{_polygon(4, r, c)}"/>',
        "triangle": f'<polygon points="{_polygon(3, r, c + 1)}"/>',
        "hexagon": f'<polygon points="{_polygon(6, r, c, rotation=0)}"/>',
        "star": f'<polygon points="{_polygon(5, r, c, inner=r * 0.45)}"/>',
    }.get(shape)
    if body is None:
        raise ValueError(f"unknown symbol shape {shape!r}")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'viewBox="0 0 {size} {size}"><g fill="{colour}" stroke="#ffffff" '
        f'stroke-width="1.5">{body}</g></svg>'
    )


#: Stylesheet of lifecircle's map controls (title, legend, icons).
MAP_CSS = f"""
.leaflet-container {{ font-family: {FONT_STACK}; background: #f4f3ef; }}
.leaflet-top.leaflet-left {{ display: flex; flex-direction: column; align-items: flex-start; }}
.lc-title {{ order: -1; background: rgba(255,255,255,0.92); padding: 6px 10px; border-radius: 4px;
  box-shadow: 0 1px 4px rgba(0,0,0,0.3); max-width: 420px; overflow-wrap: anywhere; }}
.lc-title h1 {{ font-size: 16px; margin: 0 0 2px 0; }}
.lc-title p {{ font-size: 12px; margin: 0; color: #444; }}
.lc-title .lc-synthetic {{ color: #b2182b; font-weight: bold; }}
.lc-legend {{ background: rgba(255,255,255,0.94); padding: 8px 10px; border-radius: 4px;
  box-shadow: 0 1px 4px rgba(0,0,0,0.3); font-size: 12px; line-height: 1.45; max-width: 300px;
  max-height: 45vh; overflow-y: auto; }}
.lc-legend h2 {{ font-size: 13px; margin: 0 0 4px 0; }}
.lc-legend h3 {{ font-size: 12px; margin: 6px 0 2px 0; }}
.lc-legend .lc-row {{ display: flex; align-items: center; gap: 6px; }}
.lc-legend .lc-sw {{ display: inline-block; width: 18px; height: 12px; border: 1px solid #777;
  flex: none; }}
.lc-legend .lc-note {{ color: #555; margin-top: 6px; }}
.lc-legend .lc-cols {{ display: grid; grid-template-columns: 1fr 1fr; column-gap: 8px; }}
.lc-icon {{ background: none; border: none; }}
.lc-rank {{ background: {SUGGESTION_COLOUR}; color: #fff; border: 2px solid #fff;
  border-radius: 50%; width: 22px; height: 22px; line-height: 18px; text-align: center;
  font-weight: bold; font-size: 12px; box-sizing: border-box;
  box-shadow: 0 1px 3px rgba(0,0,0,0.5); }}
.lc-tip b {{ font-weight: 600; }}
.leaflet-control-layers {{ font-size: 13px; line-height: 1.5; }}
.lc-legend details > summary {{ font-size: 13px; font-weight: bold; cursor: pointer;
  margin: 0 0 4px 0; }}
.lc-legend details:not([open]) > summary {{ margin: 0; }}
html, body {{ overflow: hidden; }}
@media (max-width: 699px) {{
  .lc-title {{ max-width: calc(100vw - 80px); padding: 4px 8px; box-sizing: border-box; }}
  .lc-title h1, .lc-title p {{ white-space: normal; overflow-wrap: anywhere; }}
  .lc-title h1 {{ font-size: 13px; }}
  .lc-title p {{ font-size: 11px; }}
  .lc-legend {{ max-width: calc(100vw - 24px); max-height: 55vh; padding: 6px 8px; }}
  .leaflet-control-layers-expanded {{ max-width: calc(100vw - 24px); }}
  .leaflet-control-layers {{ font-size: 12px; }}
}}
"""
