"""The city overview map of a batch: every district coloured by how many targets it meets.

One self-contained HTML page, offline like every map of lifecircle (Leaflet inlined, no
tiles unless asked for), in Chinese or English. Each district shows its name, id, targets
met and residents on hover; a click opens a popup linking to the district's own report
when the batch wrote reports (a relative link, so the folder can be moved or zipped).

Colours: five steps from red (no target met) to green (every target met), ColorBrewer's
diverging RdYlGn (Brewer & Harrower, colorbrewer2.org), which stays readable when printed;
grey, dashed: a district that could not be computed. The map knows nothing of studies: it
draws a frame with ``id``, ``name``, ``status``, ``targets_met``, ``residents`` and
``href`` columns.
"""

from __future__ import annotations

import html
from typing import cast
from urllib.parse import quote

import folium
import geopandas as gpd
import pandas as pd
from branca.element import Figure
from folium.template import Template

from lifecircle.maps.assets import make_offline
from lifecircle.maps.controls import (
    PHONE_MAX_PX,
    FitStudy,
    HtmlControl,
    LayerList,
    MapStyle,
    ScaleBar,
    title_html,
)
from lifecircle.maps.extent import extent_bounds
from lifecircle.maps.inert import html_label
from lifecircle.maps.overlays import GeoJsonOverlay, tip_html, to_features

__all__ = ["MET_COLOURS", "DistrictOverlay", "city_map", "met_colour"]

#: RdYlGn in five steps: no target met ... every target met.
MET_COLOURS = ("#d73027", "#fc8d59", "#fee08b", "#91cf60", "#1a9850")
_FAILED = "#bdbdbd"

_TEXT = {
    "en": {
        "title": "Targets met per district", "layer": "Districts", "id": "District id",
        "met": "Targets met", "residents": "Residents", "failed": "could not be computed",
        "report": "Open the district's report", "legend": "Targets met",
        "of": "{m} of {n}", "count": "{label}: {k} districts",
    },
    "zh": {
        "title": "各街镇目标达成情况", "layer": "街镇", "id": "街镇代码",
        "met": "达标目标数", "residents": "常住人口", "failed": "无法计算",
        "report": "打开该街镇的报告", "legend": "达标目标数",
        "of": "{n} 项中 {m} 项", "count": "{label}：{k} 个街镇",
    },
}  # fmt: skip


class DistrictOverlay(GeoJsonOverlay):
    """:class:`GeoJsonOverlay` whose features also open a popup (``_popup``, escaped)."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = L.geoJSON({{ this.data_json }}, {
    style: function (f) {
        return Object.assign({}, {{ this.base_style|tojson }}, f.properties._style || {});
    },
    onEachFeature: function (f, layer) {
        if (f.properties._tip) { layer.bindTooltip(f.properties._tip, {sticky: true}); }
        if (f.properties._popup) { layer.bindPopup(f.properties._popup); }
    }
});
{% endmacro %}
"""
    )


def met_colour(met: int, total: int) -> str:
    """The fill of a district meeting ``met`` of ``total`` targets."""
    if total <= 0:
        return MET_COLOURS[-1]
    return MET_COLOURS[round(max(0, min(met, total)) / total * (len(MET_COLOURS) - 1))]


def _properties(districts: pd.DataFrame, n_targets: int, lang: str) -> list[dict[str, object]]:
    words = _TEXT[lang]
    props: list[dict[str, object]] = []
    for row in districts.itertuples(index=False):
        ok = row.status == "ok"
        met = int(row.targets_met)
        shown = words["of"].format(m=met, n=n_targets) if ok else words["failed"]
        rows = [(words["id"], str(row.id)), (words["met"], shown),
                (words["residents"], f"{int(row.residents):,}")]  # fmt: skip
        fill = met_colour(met, n_targets) if ok else _FAILED
        style = {"fillColor": fill, "dashArray": None if ok else "4 4"}
        popup = tip_html(str(row.name), rows, lang)
        href = getattr(row, "href", None)
        if isinstance(href, str) and href:
            link = html.escape(quote(href, safe="/._-"), quote=True)
            popup += f'<p><a href="{link}" target="_blank">{html.escape(words["report"])}</a></p>'
        props.append({"_style": style, "_tip": tip_html(str(row.name), rows, lang),
                      "_popup": popup})  # fmt: skip
    return props


def _legend(districts: pd.DataFrame, n_targets: int, lang: str) -> str:
    words = _TEXT[lang]
    ok = districts["status"] == "ok"
    counts = districts.loc[ok, "targets_met"].astype(int).value_counts()
    lines = []
    for met in range(n_targets, -1, -1):
        label = words["count"].format(label=words["of"].format(m=met, n=n_targets),
                                      k=int(counts.get(met, 0)))  # fmt: skip
        swatch = f'<span class="lc-sw" style="background:{met_colour(met, n_targets)}"></span>'
        lines.append(f'<div class="lc-row">{swatch}<span>{html.escape(label)}</span></div>')
    if (~ok).any():
        swatch = f'<span class="lc-sw" style="background:{_FAILED};border-style:dashed"></span>'
        label = words["count"].format(label=words["failed"], k=int((~ok).sum()))
        lines.append(f'<div class="lc-row">{swatch}<span>{html.escape(label)}</span></div>')
    heading = f'<summary class="lc-summary">{html.escape(words["legend"])}</summary>'
    return f"<details open>{heading}{''.join(lines)}</details>"


def city_map(
    districts: gpd.GeoDataFrame,
    *,
    n_targets: int,
    lang: str = "zh",
    title: str | None = None,
    synthetic: bool = False,
) -> folium.Map:
    """Draw the districts coloured by the number of targets each meets.

    Parameters
    ----------
    districts : geopandas.GeoDataFrame
        ``id``, ``name``, ``status`` (``"ok"`` or not), ``targets_met``, ``residents``,
        polygons; optional ``href`` (a relative link to the district's report).
    n_targets : int
        How many targets each district was checked against.
    lang : {"zh", "en"}
    title : str, optional
        Subtitle under the map's title (the batch study's name).
    synthetic : bool
        Label the map as fictional data.

    Returns
    -------
    folium.Map
        Save it with :func:`lifecircle.maps.save.save_map` (one offline file).
    """
    if lang not in _TEXT:
        raise ValueError(f"lang must be one of {sorted(_TEXT)}, got {lang!r}")
    words = _TEXT[lang]
    frame = districts.to_crs(4326)
    m = folium.Map(location=[0.0, 0.0], zoom_start=11, tiles=None, prefer_canvas=True,
                   zoom_snap=0.25, control_scale=False)  # fmt: skip
    make_offline(m)
    ScaleBar().add_to(m)
    cast(Figure, m.get_root()).header.add_child(MapStyle(), name="lifecircle_style")
    features = to_features(frame, _properties(pd.DataFrame(frame), n_targets, lang))
    base = {"color": "#444", "weight": 1, "fillOpacity": 0.75}
    DistrictOverlay(features, words["layer"], base_style=base).add_to(m)
    bounds = extent_bounds(frame.geometry)
    if bounds is not None:
        FitStudy(bounds).add_to(m)
    LayerList().add_to(m)
    figure = m.get_root()
    if isinstance(figure, Figure):
        figure.title = html_label(words["title"])
    HtmlControl(title_html(words["title"], subtitle=title, synthetic=synthetic, lang=lang),
                position="topleft", css_class="lc-title").add_to(m)  # fmt: skip
    HtmlControl(_legend(pd.DataFrame(frame), n_targets, lang), position="bottomright",
                css_class="lc-legend", collapse_below=PHONE_MAX_PX).add_to(m)  # fmt: skip
    return m
