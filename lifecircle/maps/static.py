"""A static PNG of the coverage map (matplotlib), for print and for slides.

Chinese labels need a CJK font. :func:`find_cjk_font` looks for a common one among the
fonts matplotlib knows and the system's font files (Debian: ``fonts-noto-cjk`` or
``fonts-wqy-microhei``); when none is found, :func:`save_map_png` warns with
:class:`FontWarning` and draws English labels instead of empty boxes.
"""

from __future__ import annotations

import io
import logging
import os
import re
import warnings
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
from matplotlib import font_manager
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from lifecircle.errors import LifecircleWarning
from lifecircle.geo.crs import utm_crs_for
from lifecircle.maps import style
from lifecircle.maps.contracts import CoverageFigures
from lifecircle.maps.extent import clip_to_extent, study_extent
from lifecircle.maps.labels import method_note, service_label, text, vocab_label
from lifecircle.maps.options import MapOptions
from lifecircle.maps.overlays import finest_level, leaf_frame
from lifecircle.maps.save import write_atomic
from lifecircle.options import with_overrides

if TYPE_CHECKING:
    from lifecircle.geo.layers import Layers

__all__ = ["FontWarning", "find_cjk_font", "map_png", "save_map_png"]

logger = logging.getLogger(__name__)

_CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "SimHei",
    "Noto Serif CJK SC",
    "AR PL UMing CN",
)
_CJK_FILES = re.compile(
    r"(wqy|NotoSansCJK|NotoSerifCJK|SourceHanSans|msyh|simhei|PingFang)", re.IGNORECASE
)
_MARKERS = {
    "star": "*",
    "square": "s",
    "diamond": "D",
    "circle": "o",
    "triangle": "^",
    "hexagon": "h",
}


class FontWarning(LifecircleWarning):
    """No font able to draw Chinese was found; the static map falls back to English."""


class _SaveOnlyCanvas(FigureCanvasAgg):
    """An Agg canvas that renders only when the figure is saved.

    geopandas' ``plot`` asks the canvas for a redraw after every layer; on an Agg canvas
    that is a full render each time (ticks included, before the axes are switched off),
    and nobody looks at those renders: the PNG is drawn once, by ``savefig``.
    """

    def draw_idle(self, *args: Any, **kwargs: Any) -> None:
        """Do nothing: the figure is drawn when it is saved."""


@cache
def find_cjk_font() -> str | None:
    """Return the family name of an installed CJK-capable font, or ``None``."""
    known = {f.name for f in font_manager.fontManager.ttflist}
    for family in _CJK_FAMILIES:
        if family in known:
            return family
    # fonts installed after matplotlib built its cache: register them now
    for path in sorted(font_manager.findSystemFonts()):
        if _CJK_FILES.search(os.path.basename(path)):
            try:
                font_manager.fontManager.addfont(path)
                return font_manager.FontProperties(fname=path).get_name()
            except (OSError, RuntimeError, ValueError):  # unreadable font file
                logger.debug("cannot load font %s", path, exc_info=True)
    return None


def _plot_grids(
    ax: Axes, grids: gpd.GeoDataFrame, result: CoverageFigures | None, service: str
) -> None:
    level = finest_level(grids)
    fine = leaf_frame(grids)
    if result is not None:
        shares = result.share(service).reindex(fine.index)
        index = style.coverage_class_index(pd.to_numeric(shares))
        weight = pd.to_numeric(fine.get("weight", pd.Series(1.0, fine.index)), errors="coerce")
        index = np.where(weight.fillna(0).to_numpy() <= 0, -1, index)
        colours = [
            style.NODATA_COLOUR if k < 0 else style.COVERAGE_CLASSES[k].colour for k in index
        ]
        fine.plot(ax=ax, color=colours, edgecolor="white", linewidth=0.8, alpha=0.85)
    else:
        fine.plot(ax=ax, facecolor="#92c5de33", edgecolor="#2166ac", linewidth=0.8)
    outer = grids[grids["level"].isin(["subdistrict", "area"]) & (grids["level"] != level)]
    for lvl, width in (("area", 1.6), ("subdistrict", 2.6)):
        part = outer[outer["level"] == lvl]
        if not part.empty:
            part.boundary.plot(ax=ax, color="#252525", linewidth=width)


def _plot_points(
    ax: Axes,
    layers: Layers,
    suggestions: gpd.GeoDataFrame | None,
    crs: pyproj.CRS,
    lang: str,
    extent: gpd.GeoSeries | None,
) -> list[Artist]:
    """Draw the point and outline layers in stacking order; return their legend handles.

    Heritage and conservation areas are drawn only where they meet the study extent.
    """
    handles: list[Artist] = []
    conservation = clip_to_extent(getattr(layers, "conservation", None), extent)
    if (cons := _nonempty(conservation, crs)) is not None:
        handles += _plot_conservation(ax, cons, lang)
    heritage_near = clip_to_extent(getattr(layers, "heritage", None), extent)
    if (heritage := _nonempty(heritage_near, crs)) is not None:
        handles += _plot_heritage(ax, heritage, lang)
    if (seats := _nonempty(getattr(layers, "seats", None), crs)) is not None:
        handles += _plot_seats(ax, seats, lang)
    if (elderly := _nonempty(getattr(layers, "elderly", None), crs)) is not None:
        handles += _plot_elderly(ax, elderly, lang)
    if (suggested := _nonempty(suggestions, crs)) is not None:
        handles += _plot_suggestions(ax, suggested, lang)
    return handles


def _nonempty(frame: gpd.GeoDataFrame | None, crs: pyproj.CRS) -> gpd.GeoDataFrame | None:
    """``frame`` in ``crs``, or ``None`` when it is missing or empty."""
    return frame.to_crs(crs) if frame is not None and len(frame) else None


def _plot_conservation(ax: Axes, cons: gpd.GeoDataFrame, lang: str) -> list[Artist]:
    cons.boundary.plot(ax=ax, color=style.CONSERVATION_COLOUR, linewidth=1.4, linestyle="--")
    return [
        Line2D(
            [],
            [],
            color=style.CONSERVATION_COLOUR,
            linestyle="--",
            label=text("layer_conservation", lang),
        )
    ]


def _plot_heritage(ax: Axes, h: gpd.GeoDataFrame, lang: str) -> list[Artist]:
    """Heritage coloured by protection level, with one legend entry per level drawn."""
    levels = [v if v in style.HERITAGE_COLOURS else "other" for v in h["level"].astype(str)]
    colours = [style.HERITAGE_COLOURS[v] for v in levels]
    h.plot(ax=ax, color=colours, markersize=14, alpha=0.7)
    drawn = [level for level in style.HERITAGE_COLOURS if level in set(levels)]
    heading = text("layer_heritage", lang)
    return [
        Patch(
            color=style.HERITAGE_COLOURS[level],
            alpha=0.7,
            label=f"{heading}: {vocab_label('heritage_level', level, lang)}",
        )
        for level in drawn
    ]


def _plot_seats(ax: Axes, s: gpd.GeoDataFrame, lang: str) -> list[Artist]:
    size = style.seat_radius_px(s["seats"]) ** 2 / 2
    ax.scatter(
        s.geometry.x,
        s.geometry.y,
        s=size,
        color=style.SEAT_COLOUR,
        edgecolors="white",
        linewidths=0.4,
        zorder=4,
    )
    return [
        Line2D(
            [],
            [],
            marker="o",
            linestyle="",
            color=style.SEAT_COLOUR,
            label=text("legend_seats", lang),
        )
    ]


def _plot_elderly(ax: Axes, e: gpd.GeoDataFrame, lang: str) -> list[Artist]:
    handles: list[Artist] = []
    for code, (shape, colour) in style.ELDERLY_SYMBOLS.items():
        part = e[e["type"].astype(str) == code]
        if part.empty:
            continue
        ax.scatter(
            part.geometry.x,
            part.geometry.y,
            marker=_MARKERS[shape],
            s=70,
            color=colour,
            edgecolors="white",
            linewidths=0.8,
            zorder=5,
        )
        handles.append(
            Line2D(
                [],
                [],
                marker=_MARKERS[shape],
                linestyle="",
                color=colour,
                label=vocab_label("elderly_type", code, lang),
            )
        )
    return handles


def _plot_suggestions(ax: Axes, g: gpd.GeoDataFrame, lang: str) -> list[Artist]:
    ax.scatter(
        g.geometry.x,
        g.geometry.y,
        s=160,
        color=style.SUGGESTION_COLOUR,
        edgecolors="white",
        linewidths=1.2,
        zorder=6,
    )
    for x, y, rank in zip(g.geometry.x, g.geometry.y, g["rank"], strict=True):
        ax.text(
            x,
            y,
            str(int(rank)),
            ha="center",
            va="center",
            color="white",
            fontsize=7,
            fontweight="bold",
            zorder=7,
        )
    return [
        Line2D(
            [],
            [],
            marker="o",
            linestyle="",
            markersize=9,
            color=style.SUGGESTION_COLOUR,
            label=text("legend_suggestion", lang),
        )
    ]


def _scale_bar(ax: Axes) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    span = x1 - x0
    length = next((v for v in (2000, 1000, 500, 200, 100, 50) if v <= span / 4), 50)
    bx, by = x0 + span * 0.04, y0 + (y1 - y0) * 0.04
    ax.plot([bx, bx + length], [by, by], color="black", linewidth=3, solid_capstyle="butt")
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length} m"
    ax.text(bx + length / 2, by + (y1 - y0) * 0.012, label, ha="center", fontsize=8)


def save_map_png(
    layers: Layers,
    result: CoverageFigures | None,
    path: str | os.PathLike[str],
    **kwargs: Any,
) -> Path:
    """Save a static PNG of the coverage map (print-friendly, no network).

    Parameters
    ----------
    layers : lifecircle.geo.layers.Layers
        Planning layers (``grids`` is used when ``result`` is ``None``).
    result : CoverageResult or None
        Walking coverage; grids are coloured by the share of ``service``.
    path : path-like
        Destination ``.png``; written atomically (temporary file + rename).
    **kwargs
        Keyword arguments of :func:`map_png`: ``suggestions``, ``options``, ``dpi``,
        ``figsize`` and any option of :class:`~lifecircle.maps.options.MapOptions`
        (``lang``, ``service``, ``title``, ``extent``...).

    Returns
    -------
    pathlib.Path
        The written file.
    """
    data = map_png(layers, result, **kwargs)
    out = write_atomic(path, lambda fh: fh.write(data))
    logger.info("static map written to %s", out)
    return out


def map_png(
    layers: Layers,
    result: CoverageFigures | None,
    *,
    suggestions: gpd.GeoDataFrame | None = None,
    options: MapOptions | None = None,
    dpi: int = 150,
    figsize: tuple[float, float] = (8.0, 8.5),
    **overrides: object,
) -> bytes:
    """Draw the coverage map with matplotlib and return PNG bytes.

    Parameters
    ----------
    layers : lifecircle.geo.layers.Layers
        Planning layers (``grids`` is used when ``result`` is ``None``).
    result : CoverageResult or None
        Walking coverage; grids are coloured by the share of the options' ``service``.
    suggestions : geopandas.GeoDataFrame, optional
        Suggested seats with a ``rank`` column.
    options : MapOptions, optional
        The picture uses ``service``, ``lang`` (without a CJK font, ``"zh"`` falls back
        to English with a :class:`FontWarning`), ``title`` (default: as in
        :func:`lifecircle.maps.coverage_map`) and ``extent`` (the study area the picture
        is framed on; default: the union of the grids).
    dpi : int, default 150
        Resolution.
    figsize : tuple of float
        Figure size in inches.
    **overrides
        Any option of :class:`~lifecircle.maps.options.MapOptions` by name, applied on top
        of ``options``.

    Returns
    -------
    bytes
        The PNG image.
    """
    opts = with_overrides(options, overrides, kind=MapOptions, function="map_png")
    lang, service = opts.lang, opts.service
    font = find_cjk_font()
    if lang == "zh" and font is None:
        warnings.warn(
            "no CJK font found (install fonts-noto-cjk or fonts-wqy-microhei); "
            "drawing the static map with English labels",
            FontWarning,
            stacklevel=2,
        )
        lang = "en"
    grids = result.grids if result is not None else layers.grids
    crs = utm_crs_for(grids)
    grids = grids.to_crs(crs)
    fig = Figure(figsize=figsize, dpi=dpi)
    _SaveOnlyCanvas(fig)
    families = [font, "DejaVu Sans"] if font else ["DejaVu Sans"]
    ax = fig.add_axes((0.02, 0.16, 0.96, 0.76))
    extent = study_extent(layers, grids, opts.study_area())
    _plot_grids(ax, grids, result, service)
    handles = _plot_points(ax, layers, suggestions, crs, lang, extent)
    if result is not None:
        handles = (
            [Patch(color=c.colour, label=text(c.key, lang)) for c in style.COVERAGE_CLASSES]
            + [Patch(color=style.NODATA_COLOUR, label=text("class_nodata", lang))]
            + handles
        )
    ax.set_axis_off()
    ax.set_aspect("equal")
    _frame_on(ax, extent.to_crs(crs) if extent is not None else None)
    _scale_bar(ax)
    title = opts.title
    if title is None:
        title = (
            text("title", lang, service=service_label(service, lang))
            if result is not None
            else text("title_plain", lang)
        )
    fig.suptitle(title, fontsize=13, fontfamily=families, y=0.975)
    notes = _notes(layers, result, lang)
    fig.text(0.5, 0.935, notes, ha="center", fontsize=8, color="#444", fontfamily=families)
    fig.legend(
        handles=handles,
        loc="lower center",
        ncol=3,
        fontsize=7,
        frameon=False,
        prop={"family": families, "size": 7},
    )
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def _frame_on(ax: Axes, extent: gpd.GeoSeries | None) -> None:
    """Open the picture on the study extent (4% margin), whatever else was drawn."""
    if extent is None or not np.isfinite(extent.total_bounds).all():
        ax.margins(0.04)
        return
    x0, y0, x1, y1 = extent.total_bounds
    pad = 0.04 * max(x1 - x0, y1 - y0, 1.0)
    ax.set_xlim(x0 - pad, x1 + pad)
    ax.set_ylim(y0 - pad, y1 + pad)


def _notes(layers: Layers, result: CoverageFigures | None, lang: str) -> str:
    parts = []
    if result is not None:
        parts.append(method_note(lang, speed_m_s=result.speed_m_s, minutes=result.walk_minutes))
    if getattr(layers, "synthetic", False):
        parts.append(text("synthetic", lang))
    return " · ".join(parts)
