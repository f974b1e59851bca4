"""The difference map of a scenario: which grids gain or lose walking access, what changed.

The smallest grids are filled by the change of their covered share (green: gain, red:
loss, grey: unchanged), each with a tooltip giving the share before and after; the
facilities the scenario adds, moves or removes are marked (a move draws a dashed line from
the old place). Like :func:`~lifecircle.maps.coverage_map`, the page is self-contained
(Leaflet inlined, no basemap by default) and every user string is escaped.

The map knows nothing of studies or scenarios: it draws two plain tables, built by
:meth:`lifecircle.study.compare.Comparison.grid_changes` and ``changed_facilities``.
"""

from __future__ import annotations

import html
from typing import cast

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Figure

from lifecircle.maps.assets import make_offline
from lifecircle.maps.basemaps import add_basemap, to_display
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
from lifecircle.maps.labels import check_lang
from lifecircle.maps.overlays import GeoJsonOverlay, leaf_frame, percent, tip_html, to_features

__all__ = ["CHANGE_CLASSES", "difference_map"]

#: (lower bound of the change in share, colour, English label, Chinese label), from the
#: largest loss to the largest gain; a change under half a percentage point is "no change".
CHANGE_CLASSES = (
    (-np.inf, "#b2182b", "loss ≥ 10 points", "减少 ≥ 10 个百分点"),
    (-0.10, "#ef8a62", "loss < 10 points", "减少 < 10 个百分点"),
    (-0.005, "#e0e0e0", "no change", "无变化"),
    (0.005, "#91cf60", "gain < 10 points", "增加 < 10 个百分点"),
    (0.10, "#1a9850", "gain ≥ 10 points", "增加 ≥ 10 个百分点"),
)

_MARKS = {  # change -> (colour, English, Chinese)
    "added": ("#1a9850", "added", "新增"),
    "moved": ("#2166ac", "moved to", "迁至"),
    "moved_from": ("#92c5de", "moved from", "迁自"),
    "removed": ("#b2182b", "removed", "撤除"),
}

_TEXT = {
    "en": {"title": "Scenario: {name}", "grids": "Change in walking access",
           "changes": "Changed facilities", "before": "before", "after": "after",
           "change": "change", "legend": "Change in the share of residents within reach",
           "layer": "layer", "seats": "seat", "elderly": "elderly service"},
    "zh": {"title": "方案：{name}", "grids": "步行可达变化", "changes": "设施变化",
           "before": "现状", "after": "方案", "change": "变化", "legend": "可达居民比例变化",
           "layer": "图层", "seats": "座椅", "elderly": "为老服务设施"},
}  # fmt: skip


def _class_index(change: float) -> int:
    if change is None or np.isnan(change):
        return 2
    bounds = [c[0] for c in CHANGE_CLASSES]
    return int(np.searchsorted(bounds, change, side="right") - 1)


def _grid_layer(grids: gpd.GeoDataFrame, lang: str) -> GeoJsonOverlay:
    t = _TEXT[lang]
    frame = leaf_frame(grids)
    props = []
    for _, row in frame.iterrows():
        change = float(row["change"])
        cls = CHANGE_CLASSES[_class_index(change)]
        points = "–" if np.isnan(change) else f"{change * 100:+.1f}"
        rows = [(t["before"], percent(row["before"])), (t["after"], percent(row["after"])),
                (t["change"], points)]  # fmt: skip
        props.append(
            {"_style": {"fillColor": cls[1]}, "_tip": tip_html(row.get("name"), rows, lang)}
        )
    base = {"color": "#ffffff", "weight": 1, "fillOpacity": 0.75, "opacity": 1}
    return GeoJsonOverlay(to_features(frame, props), t["grids"], base_style=base)


def _change_layer(changes: gpd.GeoDataFrame, lang: str) -> GeoJsonOverlay:
    t = _TEXT[lang]
    props, geoms = [], []
    for _, row in changes.iterrows():
        colour, en, zh = _MARKS.get(str(row["change"]), _MARKS["added"])
        layer = t["seats"] if row.get("layer") == "seats" else t["elderly"]
        rows = [(t["change"], zh if lang == "zh" else en), (t["layer"], layer)]
        radius = 6 if row.get("layer") == "seats" else 9
        props.append({
            "_style": {"radius": radius, "color": "#000000", "weight": 2, "fillColor": colour,
                       "fillOpacity": 0.95},
            "_tip": tip_html(f"{row['id']} {row.get('name') or ''}".strip(), rows, lang),
        })  # fmt: skip
        geoms.append(row.geometry)
    moved = changes[changes["change"].isin(["moved", "moved_from"])]
    for fid in dict.fromkeys(moved["id"]):
        pair = moved[moved["id"] == fid]
        ends = [pair[pair["change"] == k].geometry.iloc[0] for k in ("moved_from", "moved")]
        props.append({"_style": {"color": "#2166ac", "weight": 2, "dashArray": "4 4"}})
        geoms.append(shapely.LineString(ends))
    frame = gpd.GeoDataFrame(geometry=geoms, crs=changes.crs)
    return GeoJsonOverlay(to_features(frame, props), t["changes"])


def _legend_row(colour: str, label: str, *, dot: bool = False) -> str:
    shape = "border-radius:50%;border-color:#000" if dot else "border-color:#777"
    swatch = f'<span class="lc-sw" style="background:{colour};{shape}"></span>'
    return f'<div class="lc-row">{swatch}<span>{html.escape(label)}</span></div>'


def _legend(lang: str, has_changes: pd.Series) -> str:
    t = _TEXT[lang]
    rows = [f"<b>{html.escape(t['legend'])}</b>"]
    for _, colour, en, zh in reversed(CHANGE_CLASSES):
        rows.append(_legend_row(colour, zh if lang == "zh" else en))
    for change in dict.fromkeys(has_changes):
        colour, en, zh = _MARKS.get(str(change), _MARKS["added"])
        rows.append(_legend_row(colour, zh if lang == "zh" else en, dot=True))
    return "".join(rows)


def difference_map(
    grids: gpd.GeoDataFrame,
    changes: gpd.GeoDataFrame,
    *,
    scenario: str,
    subtitle: str | None = None,
    lang: str = "zh",
    synthetic: bool = False,
    basemap: str | None = None,
) -> folium.Map:
    """Draw a scenario's gains and losses of walking access and its changed facilities.

    Parameters
    ----------
    grids : geopandas.GeoDataFrame
        Every grid: ``id, name, level, parent_id, before, after, change`` (shares in
        [0, 1]); the smallest grids are drawn.
    changes : geopandas.GeoDataFrame
        Changed points: ``layer, id, name, change`` (``added``, ``moved``,
        ``moved_from``, ``removed``).
    scenario : str
        The scenario's name (the map's title).
    subtitle : str, optional
        E.g. the study's name.
    lang : {"zh", "en"}
    synthetic : bool
        Label the map as fictional demo data.
    basemap : str, optional
        ``None`` (offline, default), ``"osm"``...

    Returns
    -------
    folium.Map
        Save it with :func:`lifecircle.maps.save_map` (one offline HTML file).
    """
    lang = check_lang(lang)
    for name, frame, needed in (
        ("grids", grids, ("id", "before", "after", "change")),
        ("changes", changes, ("id", "change")),
    ):
        if not isinstance(frame, gpd.GeoDataFrame):
            raise TypeError(f"{name} must be a GeoDataFrame, got {type(frame).__name__}")
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise ValueError(f"{name} lacks the columns {missing}")
    m = folium.Map(location=[0.0, 0.0], zoom_start=15, tiles=None, prefer_canvas=True,
                   zoom_snap=0.25, control_scale=False)  # fmt: skip
    make_offline(m)
    ScaleBar().add_to(m)
    cast(Figure, m.get_root()).header.add_child(MapStyle(), name="lifecircle_style")
    add_basemap(m, basemap, lang=lang)
    shown = to_display(grids, basemap)
    _grid_layer(shown, lang).add_to(m)
    if len(changes):
        _change_layer(to_display(changes, basemap), lang).add_to(m)
    bounds = extent_bounds(shown.geometry)
    if bounds is not None:
        FitStudy(bounds).add_to(m)
    LayerList().add_to(m)
    title = _TEXT[lang]["title"].format(name=scenario)
    figure = m.get_root()
    if isinstance(figure, Figure):
        figure.title = html_label(title)
    HtmlControl(title_html(title, subtitle=subtitle, synthetic=synthetic, lang=lang),
                position="topleft", css_class="lc-title").add_to(m)  # fmt: skip
    HtmlControl(_legend(lang, changes["change"]), position="bottomright", css_class="lc-legend",
                collapse_below=PHONE_MAX_PX).add_to(m)  # fmt: skip
    return m
