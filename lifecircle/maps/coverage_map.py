"""The interactive coverage map: :func:`coverage_map`."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, cast

import folium
import geopandas as gpd
import pandas as pd
from branca.element import Figure

from lifecircle.maps import overlays as lyr
from lifecircle.maps.assets import make_offline
from lifecircle.maps.basemaps import add_basemap, to_display
from lifecircle.maps.contracts import CoverageFigures, LifeCircleFigures, StreetNetwork
from lifecircle.maps.controls import (
    PHONE_MAX_PX,
    Attribution,
    FitStudy,
    HtmlControl,
    LayerList,
    MapStyle,
    ScaleBar,
    legend_html,
    title_html,
)
from lifecircle.maps.extent import clip_to_extent, extent_bounds, study_extent
from lifecircle.maps.inert import html_label
from lifecircle.maps.labels import service_label, text
from lifecircle.maps.life_circle import life_circle_layer, life_circle_legend
from lifecircle.maps.options import MapOptions
from lifecircle.options import with_overrides

if TYPE_CHECKING:
    from lifecircle.geo.layers import Layers

__all__ = ["coverage_map"]

logger = logging.getLogger(__name__)


def _frame(obj: object, name: str) -> gpd.GeoDataFrame | None:
    frame = getattr(obj, name, None) if obj is not None else None
    if frame is None or len(frame) == 0:
        return None
    if not isinstance(frame, gpd.GeoDataFrame):
        raise TypeError(f"layers.{name} must be a GeoDataFrame, got {type(frame).__name__}")
    return frame


def _check_service(result: CoverageFigures, service: str) -> None:
    if service not in result.services:
        raise ValueError(
            f"service {service!r} is not in the coverage result; it has {result.services or 'none'}"
        )


def _suggestions(frame: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    if frame is None or len(frame) == 0:
        return None
    if not isinstance(frame, gpd.GeoDataFrame) or "rank" not in frame.columns:
        raise ValueError("suggestions must be a GeoDataFrame with a 'rank' column and geometry")
    return frame


def coverage_map(
    layers: Layers,
    result: CoverageFigures | None = None,
    *,
    network: StreetNetwork | None = None,
    suggestions: gpd.GeoDataFrame | None = None,
    life_circle: LifeCircleFigures | None = None,
    options: MapOptions | None = None,
    **overrides: object,
) -> folium.Map:
    """Draw planning layers and walking coverage on one interactive, offline map.

    Parameters
    ----------
    layers : lifecircle.geo.layers.Layers
        The planning layers (any object with ``grids``, ``seats``, ``elderly``,
        ``heritage``, ``conservation`` GeoDataFrame attributes, each may be ``None``,
        plus ``name`` and ``synthetic``).
    result : CoverageResult, optional
        Walking coverage (anything with the :class:`~lifecircle.maps.contracts.
        CoverageFigures` attributes). Without it, grids are drawn as plain outlines.
    network : WalkNetwork, optional
        Drawn as a light, initially hidden layer.
    suggestions : geopandas.GeoDataFrame, optional
        Suggested seats with a ``rank`` column; columns whose name contains ``gain`` are
        shown in tooltips.
    life_circle : LifeCircleResult, optional
        The whole life circle (``lifecircle.coverage.compute_life_circle``): the smallest
        grids coloured by completeness, each with a tooltip naming what it misses.
    options : MapOptions, optional
        Service, language, basemap, title, size, study extent... (default
        ``MapOptions()``: elderly services, in Chinese, no basemap).
    **overrides
        Any option of :class:`~lifecircle.maps.options.MapOptions` by name (``service``,
        ``lang``, ``basemap``, ``tianditu_key``, ``title``, ``data_date``,
        ``isochrones``, ``width``, ``height``, ``osm_data``, ``extent``), applied on top
        of ``options``.

    Notes
    -----
    The map opens on the study extent (``extent``, else the union of the grids),
    at any window size. Heritage and conservation areas are drawn only where they meet
    the extent plus :data:`~lifecircle.maps.extent.CONTEXT_MARGIN_M`. On screens
    narrower than 700 px the layer list and the legend start folded.

    Returns
    -------
    folium.Map
        Renders inline in Jupyter; save it with :func:`lifecircle.maps.save_map`.
    """
    opts = with_overrides(options, overrides, kind=MapOptions, function="coverage_map")
    suggestions = _suggestions(suggestions)
    if result is not None:
        _check_service(result, opts.service)
    grids = result.grids if result is not None else _frame(layers, "grids")
    area = study_extent(layers, grids, opts.study_area())
    m = folium.Map(
        location=[0.0, 0.0],
        zoom_start=15,
        tiles=None,
        prefer_canvas=True,
        zoom_snap=0.25,  # fit the study closely on any screen, not at the next whole zoom
        control_scale=False,
        width=opts.width,
        height=opts.height,
    )
    make_offline(m)
    ScaleBar().add_to(m)
    # branca types get_root() as a bare Element; a folium.Map's root is always its Figure.
    cast(Figure, m.get_root()).header.add_child(MapStyle(), name="lifecircle_style")
    add_basemap(m, opts.basemap, lang=opts.lang, tianditu_key=opts.tianditu_key)
    entries = _add_layers(
        m, layers, result, network=network, suggestions=suggestions, opts=opts, extent=area
    )
    if life_circle is not None:  # on top of the grid fills, under the points
        life_circle_layer(life_circle, lang=opts.lang, show=True, basemap=opts.basemap).add_to(m)
        entries["life_circle"] = life_circle_legend(life_circle, opts.lang)
    shown = to_display(gpd.GeoDataFrame(geometry=area), opts.basemap) if area is not None else None
    bounds = extent_bounds(shown.geometry if shown is not None else None)
    if bounds is not None:
        FitStudy(bounds).add_to(m)
    LayerList().add_to(m)
    osm = opts.osm_data if opts.osm_data is not None else _from_osm(layers, network)
    if osm:
        Attribution(text("attribution_osm", opts.lang)).add_to(m)
    _add_controls(m, layers, result, opts=opts, entries=entries)
    return m


def _add_layers(
    m: folium.Map,
    layers: Layers,
    result: CoverageFigures | None,
    *,
    network: StreetNetwork | None,
    suggestions: gpd.GeoDataFrame | None,
    opts: MapOptions,
    extent: gpd.GeoSeries | None,
) -> dict[str, object]:
    entries: dict[str, object] = {}
    lang, basemap = opts.lang, opts.basemap

    def show(key: str, frame: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
        if frame is None:
            return None
        entries[key] = True
        return to_display(frame, basemap)

    grids = result.grids if result is not None else _frame(layers, "grids")
    if (g := show("coverage" if result is not None else "grids", grids)) is not None:
        if result is not None:
            shares = result.share(opts.service)
            lyr.coverage_layer(g, shares, service=opts.service, lang=lang).add_to(m)
        else:
            lyr.grid_layer(g, lang=lang).add_to(m)
        boundaries = lyr.boundary_layer(g, lang=lang)
        if boundaries is not None:
            boundaries.add_to(m)
            entries["boundaries"] = True
    conservation = clip_to_extent(_frame(layers, "conservation"), extent)
    if (f := show("conservation", conservation)) is not None:
        lyr.conservation_layer(f, lang=lang).add_to(m)
    if (f := show("heritage", clip_to_extent(_frame(layers, "heritage"), extent))) is not None:
        lyr.heritage_layer(f, lang=lang).add_to(m)
        entries["heritage"] = sorted(f["level"].dropna().astype(str).unique())
    if result is not None and opts.isochrones:
        _add_isochrones(m, result, opts=opts, entries=entries)
    if network is not None:
        lyr.network_layer(to_display(network.edges, basemap), lang=lang).add_to(m)
    if (f := show("seats", _frame(layers, "seats"))) is not None:
        lyr.seat_layer(f, lang=lang).add_to(m)
    if (f := show("elderly", _frame(layers, "elderly"))) is not None:
        lyr.elderly_layer(f, lang=lang).add_to(m)
        entries["elderly"] = sorted(f["type"].dropna().astype(str).unique())
    if (f := show("suggestions", suggestions)) is not None:
        lyr.suggestion_layer(f, lang=lang).add_to(m)
    return entries


def _from_osm(layers: Layers, network: StreetNetwork | None) -> bool:
    """Whether the network or a layer comes from OpenStreetMap (its source, ``osm_id``)."""
    source = str(getattr(network, "source", "")).lower() if network is not None else ""
    if any(hint in source for hint in ("osm", "pbf", "openstreetmap", "overpass")):
        return True
    names = ("grids", "seats", "elderly", "heritage", "conservation")
    return any("osm_id" in getattr(_frame(layers, n), "columns", ()) for n in names)


def _add_isochrones(
    m: folium.Map, result: CoverageFigures, *, opts: MapOptions, entries: dict[str, object]
) -> None:
    iso = result.isochrones
    if iso is None or len(iso) == 0:
        return
    union = iso[pd.isna(iso["facility_id"])] if "facility_id" in iso.columns else iso
    services = list(pd.unique(union["service"]))
    # the chosen service first, so it is on top of the layer list and shown on opening
    services.sort(key=lambda s: s != opts.service)
    for position, name in enumerate(services):
        part = to_display(union[union["service"] == name], opts.basemap)
        lyr.isochrone_layer(
            part, service=str(name), lang=opts.lang, position=position, show=False
        ).add_to(m)
        entries["isochrones"] = True


def _add_controls(
    m: folium.Map,
    layers: Layers,
    result: CoverageFigures | None,
    *,
    opts: MapOptions,
    entries: dict[str, object],
) -> None:
    lang, service = opts.lang, opts.service
    synthetic = bool(getattr(layers, "synthetic", False))
    data_name = getattr(layers, "name", None)
    data_date = opts.data_date or getattr(layers, "data_date", None)
    title = opts.title
    if title is None:
        title = (
            text("title", lang, service=service_label(service, lang))
            if result is not None
            else text("title_plain", lang)
        )
    subtitle = str(data_name) if data_name else None
    figure = m.get_root()
    if isinstance(figure, Figure):
        figure.title = html_label(title)
    HtmlControl(
        title_html(title, subtitle=subtitle, synthetic=synthetic, lang=lang),
        position="topleft",
        css_class="lc-title",
    ).add_to(m)
    legend = legend_html(
        lang=lang,
        service=service if result is not None else None,
        minutes=result.walk_minutes if result is not None else None,
        speed_m_s=result.speed_m_s if result is not None else None,
        entries=entries,
        data_name=str(data_name) if data_name else None,
        data_date=str(data_date) if data_date else None,
        synthetic=synthetic,
    )
    HtmlControl(
        legend, position="bottomright", css_class="lc-legend", collapse_below=PHONE_MAX_PX
    ).add_to(m)
