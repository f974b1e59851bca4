"""The interactive coverage map: :func:`coverage_map`."""

from __future__ import annotations

import logging
from typing import Any, cast

import folium
import geopandas as gpd
import pandas as pd
from branca.element import Figure

from lifecircle.maps import overlays as lyr
from lifecircle.maps.assets import make_offline
from lifecircle.maps.basemaps import add_basemap, check_basemap, to_display
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
from lifecircle.maps.labels import check_lang, service_label, text

__all__ = ["coverage_map"]

logger = logging.getLogger(__name__)


def _frame(obj: Any, name: str) -> gpd.GeoDataFrame | None:
    frame = getattr(obj, name, None) if obj is not None else None
    if frame is None or len(frame) == 0:
        return None
    if not isinstance(frame, gpd.GeoDataFrame):
        raise TypeError(f"layers.{name} must be a GeoDataFrame, got {type(frame).__name__}")
    return frame


def _check_service(result: Any, service: str) -> None:
    services = list(getattr(result, "services", ()) or ())
    if f"share_{service}" not in result.grids.columns:
        raise ValueError(
            f"service {service!r} is not in the coverage result; it has {services or 'none'}"
        )


def _suggestions(frame: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    if frame is None or len(frame) == 0:
        return None
    if not isinstance(frame, gpd.GeoDataFrame) or "rank" not in frame.columns:
        raise ValueError("suggestions must be a GeoDataFrame with a 'rank' column and geometry")
    return frame


def coverage_map(
    layers: Any,
    result: Any = None,
    *,
    service: str = "elderly",
    lang: str = "zh",
    basemap: str | None = None,
    tianditu_key: str | None = None,
    network: Any = None,
    suggestions: gpd.GeoDataFrame | None = None,
    title: str | None = None,
    data_date: str | None = None,
    isochrones: bool = True,
    width: str | int = "100%",
    height: str | int = "100%",
    osm_data: bool | None = None,
    extent: Any = None,
) -> folium.Map:
    """Draw planning layers and walking coverage on one interactive, offline map.

    Parameters
    ----------
    layers : lifecircle.geo.layers.Layers
        The planning layers (any object with ``grids``, ``seats``, ``elderly``,
        ``heritage``, ``conservation`` GeoDataFrame attributes, each may be ``None``,
        plus ``name`` and ``synthetic``).
    result : CoverageResult, optional
        Walking coverage. Without it, grids are drawn as plain outlines.
    service : str, default "elderly"
        Which service's coverage colours the grids.
    lang : {"zh", "en"}
        Language of every label, legend entry and tooltip.
    basemap : {None, "osm", "tianditu", "amap", "gaode"}
        Street tiles (see :mod:`lifecircle.maps.basemaps`); ``None`` makes no request.
        With ``"amap"``/``"gaode"`` every geometry is shifted into GCJ-02 for display.
    tianditu_key : str, optional
        Required with ``basemap="tianditu"``.
    network : WalkNetwork, optional
        Drawn as a light, initially hidden layer.
    suggestions : geopandas.GeoDataFrame, optional
        Suggested seats with a ``rank`` column; columns whose name contains ``gain`` are
        shown in tooltips.
    title : str, optional
        Title block text (default: a description of the map in ``lang``).
    data_date : str, optional
        Date of the data, shown in the legend (default: ``layers.data_date`` if present).
    isochrones : bool, default True
        Add the per-service walking areas of ``result`` (initially hidden).
    width, height : str or int
        Size of the map element.
    osm_data : bool, optional
        Whether the data comes from OpenStreetMap, which adds "© OpenStreetMap
        contributors" to the map. Default: guessed from the network's source and from
        ``osm_id`` columns (layers made by ``layers_from_osm``).
    extent : shapely geometry (EPSG:4326), GeoSeries or GeoDataFrame, optional
        The study area when it is not the union of the grids (a boundary).

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
    check_lang(lang)
    basemap = check_basemap(basemap, tianditu_key=tianditu_key)
    suggestions = _suggestions(suggestions)
    if result is not None:
        _check_service(result, service)
    grids = result.grids if result is not None else _frame(layers, "grids")
    area = study_extent(layers, grids, extent)
    m = folium.Map(
        location=[0.0, 0.0],
        zoom_start=15,
        tiles=None,
        prefer_canvas=True,
        zoom_snap=0.25,  # fit the study closely on any screen, not at the next whole zoom
        control_scale=False,
        width=width,
        height=height,
    )
    make_offline(m)
    ScaleBar().add_to(m)
    # branca types get_root() as a bare Element; a folium.Map's root is always its Figure.
    cast(Figure, m.get_root()).header.add_child(MapStyle(), name="lifecircle_style")
    add_basemap(m, basemap, lang=lang, tianditu_key=tianditu_key)
    entries = _add_layers(
        m,
        layers,
        result,
        service=service,
        lang=lang,
        basemap=basemap,
        network=network,
        suggestions=suggestions,
        isochrones=isochrones,
        extent=area,
    )
    shown = to_display(gpd.GeoDataFrame(geometry=area), basemap) if area is not None else None
    bounds = extent_bounds(shown.geometry if shown is not None else None)
    if bounds is not None:
        FitStudy(bounds).add_to(m)
    LayerList().add_to(m)
    if osm_data if osm_data is not None else _from_osm(layers, network):
        Attribution(text("attribution_osm", lang)).add_to(m)
    _add_controls(
        m,
        layers,
        result,
        service=service,
        lang=lang,
        title=title,
        data_date=data_date,
        entries=entries,
    )
    return m


def _add_layers(
    m: folium.Map,
    layers: Any,
    result: Any,
    *,
    service: str,
    lang: str,
    basemap: str | None,
    network: Any,
    suggestions: gpd.GeoDataFrame | None,
    isochrones: bool,
    extent: gpd.GeoSeries | None,
) -> dict[str, object]:
    entries: dict[str, object] = {}

    def show(key: str, frame: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
        if frame is None:
            return None
        entries[key] = True
        return to_display(frame, basemap)

    grids = result.grids if result is not None else _frame(layers, "grids")
    if (g := show("coverage" if result is not None else "grids", grids)) is not None:
        if result is not None:
            minutes = lyr.result_float(result, "walk_minutes")
            lyr.coverage_layer(g, service=service, lang=lang, minutes=minutes).add_to(m)
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
    if result is not None and isochrones:
        _add_isochrones(m, result, service=service, lang=lang, basemap=basemap, entries=entries)
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


def _from_osm(layers: Any, network: Any) -> bool:
    """Whether the network or a layer comes from OpenStreetMap (its source, ``osm_id``)."""
    source = str(getattr(network, "source", "")).lower() if network is not None else ""
    if any(hint in source for hint in ("osm", "pbf", "openstreetmap", "overpass")):
        return True
    names = ("grids", "seats", "elderly", "heritage", "conservation")
    return any("osm_id" in getattr(_frame(layers, n), "columns", ()) for n in names)


def _add_isochrones(
    m: folium.Map,
    result: Any,
    *,
    service: str,
    lang: str,
    basemap: str | None,
    entries: dict[str, object],
) -> None:
    iso = getattr(result, "isochrones", None)
    if iso is None or len(iso) == 0:
        return
    union = iso[pd.isna(iso["facility_id"])] if "facility_id" in iso.columns else iso
    services = list(pd.unique(union["service"]))
    # the chosen service first, so it is on top of the layer list and shown on opening
    services.sort(key=lambda s: s != service)
    for position, name in enumerate(services):
        part = to_display(union[union["service"] == name], basemap)
        lyr.isochrone_layer(
            part, service=str(name), lang=lang, position=position, show=False
        ).add_to(m)
        entries["isochrones"] = True


def _add_controls(
    m: folium.Map,
    layers: Any,
    result: Any,
    *,
    service: str,
    lang: str,
    title: str | None,
    data_date: str | None,
    entries: dict[str, object],
) -> None:
    synthetic = bool(getattr(layers, "synthetic", False))
    data_name = getattr(layers, "name", None)
    data_date = data_date or getattr(layers, "data_date", None)
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
    minutes = lyr.result_float(result, "walk_minutes") if result is not None else None
    speed = lyr.result_float(result, "speed_m_s") if result is not None else None
    legend = legend_html(
        lang=lang,
        service=service if result is not None else None,
        minutes=minutes,
        speed_m_s=speed,
        entries=entries,
        data_name=str(data_name) if data_name else None,
        data_date=str(data_date) if data_date else None,
        synthetic=synthetic,
    )
    HtmlControl(
        legend, position="bottomright", css_class="lc-legend", collapse_below=PHONE_MAX_PX
    ).add_to(m)
