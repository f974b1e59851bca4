"""Folium layers of lifecircle's maps, one builder per planning layer.

Every builder takes a GeoDataFrame already in display coordinates (EPSG:4326, or
shifted to GCJ-02, see :func:`lifecircle.maps.basemaps.to_display`) and returns a
:class:`GeoJsonOverlay`, a Leaflet ``L.geoJSON`` layer listed in the layer control.

Security: features carry only pre-built, HTML-escaped tooltip markup (``_tip``) and
style numbers; user strings never reach JavaScript unescaped. The GeoJSON itself is
embedded with :func:`lifecircle.maps.inert.script_json`, which escapes ``<``, ``>``, ``&``
and ``'`` and every Jinja opener (branca re-parses rendered scripts as templates), and
layer names are HTML-escaped the same way (Leaflet shows them with ``innerHTML``).
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from folium.map import Layer
from folium.template import Template

from lifecircle.maps import style
from lifecircle.maps.inert import html_label, script_json
from lifecircle.maps.labels import gain_label, service_label, text, vocab_label

__all__ = [
    "GeoJsonOverlay",
    "boundary_layer",
    "conservation_layer",
    "coverage_layer",
    "elderly_layer",
    "grid_layer",
    "heritage_layer",
    "isochrone_layer",
    "leaf_frame",
    "network_layer",
    "seat_layer",
    "suggestion_layer",
    "whole_residents",
]


class GeoJsonOverlay(Layer):
    """A GeoJSON overlay drawn from per-feature ``_style``, ``_tip``, ``_icon`` properties.

    Parameters
    ----------
    features : list of dict
        GeoJSON features (already escaped: see the module documentation).
    name : str
        Name in the layer control.
    base_style : dict
        Leaflet path options shared by all features (merged under ``_style``).
    show : bool
        Whether the layer is on when the map opens.
    interactive : bool
        Whether features react to the mouse (tooltips).
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = L.geoJSON({{ this.data_json }}, {
    interactive: {{ this.interactive|tojson }},
    style: function (f) {
        return Object.assign({}, {{ this.base_style|tojson }}, f.properties._style || {});
    },
    pointToLayer: function (f, latlng) {
        var p = f.properties;
        if (p._icon) {
            var s = p._size || 18;
            return L.marker(latlng, {icon: L.divIcon({html: p._icon, className: "lc-icon",
                iconSize: [s, s], iconAnchor: [s / 2, s / 2]}), keyboard: false,
                interactive: {{ this.interactive|tojson }}});
        }
        return L.circleMarker(latlng, Object.assign({}, {{ this.base_style|tojson }},
                                                    p._style || {}));
    },
    onEachFeature: function (f, layer) {
        if (f.properties._tip) { layer.bindTooltip(f.properties._tip, {sticky: true}); }
    }
});
{% endmacro %}
"""
    )

    def __init__(
        self,
        features: list[dict[str, Any]],
        name: str,
        *,
        base_style: Mapping[str, object] | None = None,
        show: bool = True,
        interactive: bool = True,
    ) -> None:
        super().__init__(name=html_label(name), overlay=True, control=True, show=show)
        self._name = "GeoJsonOverlay"
        self.data = {"type": "FeatureCollection", "features": features}
        self.base_style = base_style or {}
        self.interactive = interactive

    @property
    def data_json(self) -> str:
        """The features as script- and template-safe JSON (see the module documentation)."""
        return script_json(self.data)

    @property
    def n_features(self) -> int:
        """Number of features in the layer."""
        return len(self.data["features"])


# --------------------------------------------------------------------------- helpers


def _round(coords: np.ndarray) -> np.ndarray:
    return np.round(coords, 6)  # ~0.1 m: plenty for display, halves the file size


def to_features(
    frame: gpd.GeoDataFrame, properties: Sequence[Mapping[str, object]]
) -> list[dict[str, Any]]:
    """Return GeoJSON features of ``frame``'s geometries with the given properties."""
    geoms = shapely.transform(frame.geometry.to_numpy(), _round)
    texts = shapely.to_geojson(geoms)
    return [
        {"type": "Feature", "geometry": json.loads(t), "properties": p}
        for t, p, g in zip(texts, properties, geoms, strict=True)
        if g is not None and not shapely.is_empty(g)
    ]


def _missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def fmt_value(value: object, lang: str) -> str:
    """Format a cell for display: booleans as 有/无 (yes/no), floats without noise."""
    if _missing(value):
        return text("unknown", lang)
    if isinstance(value, bool | np.bool_):
        return text("yes" if value else "no", lang)
    if isinstance(value, float | np.floating):
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    return str(value)


def tip_html(title: object, rows: Iterable[tuple[str, object]], lang: str) -> str:
    """Return escaped tooltip markup: a bold title and ``label: value`` lines."""
    parts = [f"<b>{html.escape(fmt_value(title, lang))}</b>"]
    parts += [
        f"{html.escape(label)}: {html.escape(fmt_value(value, lang))}" for label, value in rows
    ]
    return '<div class="lc-tip">' + "<br>".join(parts) + "</div>"


def _col(frame: pd.DataFrame, name: str) -> pd.Series:
    return frame[name] if name in frame.columns else pd.Series([None] * len(frame), frame.index)


def percent(value: object) -> str:
    """Format a share in [0, 1] as a percentage (``"–"`` when missing)."""
    return "–" if _missing(value) else f"{100 * float(value):.0f}%"  # type: ignore[arg-type]


# --------------------------------------------------------------------------- grids


def finest_level(grids: pd.DataFrame) -> str | None:
    """Return the finest grid level present (microgrid < area < subdistrict)."""
    levels = set(_col(grids, "level").dropna().astype(str))
    for level in ("microgrid", "area", "subdistrict"):
        if level in levels:
            return level
    return None


def leaf_frame(grids: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The smallest grids: those without children (``is_leaf``, else from ``parent_id``).

    A commercial zone without micro-grids is as much a leaf as a micro-grid, so it gets
    its own colour instead of showing through as an unexplained blank.
    """
    if "is_leaf" in grids.columns:
        flags = grids["is_leaf"].astype("boolean").fillna(False).to_numpy(dtype=bool)
        if flags.any():
            return grids[flags]
    if "parent_id" in grids.columns and "id" in grids.columns:
        parents = set(grids["parent_id"].dropna().astype(str))
        leaves = ~grids["id"].astype(str).isin(parents)
        if leaves.any():
            return grids[leaves]
    level = finest_level(grids)
    return grids[_col(grids, "level") == level] if level else grids


def whole_residents(value: object) -> object:
    """Residents as a whole number (a count people read), missing values unchanged."""
    number = pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0]
    return value if pd.isna(number) else f"{round(float(number)):,}"


def coverage_layer(
    grids: gpd.GeoDataFrame, shares: pd.Series, *, service: str, lang: str
) -> GeoJsonOverlay:
    """The smallest grids (see :func:`leaf_frame`) filled by their coverage class.

    ``shares`` is the covered share of ``service`` per grid, aligned with ``grids``.
    """
    frame = leaf_frame(grids)
    shares = shares.reindex(frame.index)
    weights = _col(frame, "weight")
    index = style.coverage_class_index(pd.to_numeric(shares, errors="coerce"))
    no_people = pd.to_numeric(weights, errors="coerce").fillna(0).to_numpy() <= 0
    index = np.where(no_people & weights.notna().to_numpy(), -1, index)
    props = []
    for (_, row), share, k in zip(frame.iterrows(), shares, index, strict=True):
        colour = style.NODATA_COLOUR if k < 0 else style.COVERAGE_CLASSES[k].colour
        rows = [
            (text("f_level", lang), vocab_label("grid_level", row.get("level"), lang)),
            (text("f_coverage", lang), percent(share)),
            (text("f_weight", lang), whole_residents(row.get("weight"))),
        ]
        tip = tip_html(row.get("name"), rows, lang)
        props.append({"_style": {"fillColor": colour}, "_tip": tip})
    name = text("layer_coverage", lang, service=service_label(service, lang))
    base = {"color": "#ffffff", "weight": 1, "fillOpacity": 0.72, "opacity": 1}
    return GeoJsonOverlay(to_features(frame, props), name, base_style=base)


def grid_layer(grids: gpd.GeoDataFrame, *, lang: str) -> GeoJsonOverlay:
    """The smallest grids as outlines with name tooltips (maps without a result)."""
    frame = leaf_frame(grids)
    props = [
        {
            "_tip": tip_html(
                row.get("name"),
                [
                    (text("f_level", lang), vocab_label("grid_level", row.get("level"), lang)),
                    (text("f_population", lang), whole_residents(row.get("population"))),
                ],
                lang,
            )
        }
        for _, row in frame.iterrows()
    ]
    base = {"color": "#2166ac", "weight": 1, "fillColor": "#92c5de", "fillOpacity": 0.15}
    return GeoJsonOverlay(to_features(frame, props), text("layer_grids", lang), base_style=base)


def boundary_layer(grids: gpd.GeoDataFrame, *, lang: str) -> GeoJsonOverlay | None:
    """Subdistrict and area outlines, thicker than micro-grids; ``None`` if there are none."""
    levels = _col(grids, "level")
    frame = grids[levels.isin(["subdistrict", "area"]) & (levels != finest_level(grids))]
    if frame.empty:
        return None
    widths = {"subdistrict": 4.0, "area": 2.5}
    props = [{"_style": {"weight": widths.get(str(level), 2.5)}} for level in frame["level"]]
    base = {"color": "#252525", "fill": False, "opacity": 0.9}
    return GeoJsonOverlay(
        to_features(frame, props),
        text("layer_boundaries", lang),
        base_style=base,
        interactive=False,
    )


# --------------------------------------------------------------------------- points


def elderly_layer(elderly: gpd.GeoDataFrame, *, lang: str) -> GeoJsonOverlay:
    """Elderly services, one symbol (shape and colour) per facility type."""
    props = []
    for _, row in elderly.iterrows():
        kind = str(row.get("type")) if not _missing(row.get("type")) else "other"
        shape, colour = style.ELDERLY_SYMBOLS.get(kind, style.ELDERLY_SYMBOLS["other"])
        rows = [
            (text("f_type", lang), vocab_label("elderly_type", row.get("type"), lang)),
            (text("f_capacity", lang), row.get("capacity")),
        ]
        props.append(
            {
                "_icon": style.svg_symbol(shape, colour, 18),
                "_size": 18,
                "_tip": tip_html(row.get("name"), rows, lang),
            }
        )
    return GeoJsonOverlay(to_features(elderly, props), text("layer_elderly", lang))


def seat_layer(seats: gpd.GeoDataFrame, *, lang: str) -> GeoJsonOverlay:
    """Public seats as circles sized by seat count (canvas-drawn: fine for 10,000+)."""
    radii = style.seat_radius_px(_col(seats, "seats"))
    props = []
    for (_, row), radius in zip(seats.iterrows(), radii, strict=True):
        rows = [
            (text("f_seats", lang), row.get("seats")),
            (text("f_armrest", lang), row.get("armrest")),
            (text("f_charging", lang), row.get("charging")),
        ]
        title = row.get("name") if not _missing(row.get("name")) else row.get("id")
        props.append({"_style": {"radius": float(radius)}, "_tip": tip_html(title, rows, lang)})
    base = {"color": "#ffffff", "weight": 1, "fillColor": style.SEAT_COLOUR, "fillOpacity": 0.85}
    return GeoJsonOverlay(to_features(seats, props), text("layer_seats", lang), base_style=base)


def heritage_layer(heritage: gpd.GeoDataFrame, *, lang: str) -> GeoJsonOverlay:
    """Heritage sites (polygons or points) coloured by protection level."""
    props = []
    for _, row in heritage.iterrows():
        colour = style.HERITAGE_COLOURS.get(str(row.get("level")), style.HERITAGE_COLOURS["other"])
        rows = [(text("f_level", lang), vocab_label("heritage_level", row.get("level"), lang))]
        if not _missing(row.get("category")):
            rows.append(
                (text("f_category", lang), vocab_label("heritage_category", row["category"], lang))
            )
        props.append(
            {
                "_style": {"color": colour, "fillColor": colour},
                "_tip": tip_html(row.get("name"), rows, lang),
            }
        )
    base = {"weight": 1.5, "fillOpacity": 0.45, "radius": 5}
    return GeoJsonOverlay(
        to_features(heritage, props), text("layer_heritage", lang), base_style=base
    )


def conservation_layer(conservation: gpd.GeoDataFrame, *, lang: str) -> GeoJsonOverlay:
    """Historic conservation areas: dashed outline, no fill."""
    props = [{"_tip": tip_html(row.get("name"), [], lang)} for _, row in conservation.iterrows()]
    colour = style.CONSERVATION_COLOUR
    # outline only: a fill would tint the grid colours below it (colours the legend does
    # not explain) and take the grids' tooltips inside the area
    base = {"color": colour, "weight": 2, "dashArray": "6 4", "fill": False}
    return GeoJsonOverlay(
        to_features(conservation, props), text("layer_conservation", lang), base_style=base
    )


def isochrone_layer(
    isochrones: gpd.GeoDataFrame,
    *,
    service: str,
    lang: str,
    position: int = 0,
    show: bool = False,
) -> GeoJsonOverlay:
    """The walking-time area(s) of one service."""
    minutes = _col(isochrones, "minutes")
    label = service_label(service, lang)
    props = [
        {
            "_tip": tip_html(
                text("layer_isochrone", lang, minutes=fmt_value(m, lang), service=label), [], lang
            )
        }
        for m in minutes
    ]
    first = minutes.iloc[0] if len(minutes) else ""
    name = text("layer_isochrone", lang, minutes=fmt_value(first, lang), service=label)
    colour = style.service_colour(service, position)
    base = {"color": colour, "weight": 1, "fillColor": colour, "fillOpacity": 0.18}
    return GeoJsonOverlay(to_features(isochrones, props), name, base_style=base, show=show)


def _gain_value(value: object, column: str) -> object:
    """Gains are residents (whole numbers) unless the column is a share."""
    return percent(value) if "share" in column.lower() else whole_residents(value)


def suggestion_layer(suggestions: gpd.GeoDataFrame, *, lang: str) -> GeoJsonOverlay:
    """Suggested new seats: numbered markers; tooltips list every ``gain`` column."""
    gain_cols = [c for c in suggestions.columns if "gain" in str(c).lower()]
    props = []
    for _, row in suggestions.sort_values("rank").iterrows():
        rank = int(row["rank"])
        rows = [(text("f_rank", lang), rank)] + [
            (gain_label(str(c), lang), _gain_value(row[c], str(c))) for c in gain_cols
        ]
        if "street" in suggestions.columns and not _missing(row.get("street")):
            rows.append((text("r_s_street", lang), row["street"]))
        props.append(
            {
                "_icon": f'<div class="lc-rank">{rank}</div>',
                "_size": 22,
                "_tip": tip_html(text("layer_suggestions", lang), rows, lang),
            }
        )
    frame = suggestions.sort_values("rank")
    return GeoJsonOverlay(to_features(frame, props), text("layer_suggestions", lang))


def network_layer(edges: gpd.GeoDataFrame, *, lang: str) -> GeoJsonOverlay:
    """The walking network as light lines, off when the map opens."""
    props: list[dict[str, Any]] = [{} for _ in range(len(edges))]
    base = {"color": style.NETWORK_COLOUR, "weight": 1, "opacity": 0.6}
    return GeoJsonOverlay(
        to_features(edges, props),
        text("layer_network", lang),
        base_style=base,
        show=False,
        interactive=False,
    )
