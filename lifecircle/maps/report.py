"""The committee report: one self-contained bilingual HTML page (:func:`write_report`)."""

from __future__ import annotations

import base64
import datetime as dt
import logging
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import jinja2
import pandas as pd

from lifecircle.maps.coverage_map import coverage_map
from lifecircle.maps.labels import check_lang, service_label, text, vocab_label
from lifecircle.maps.layers import fmt_value, percent, result_float, result_param
from lifecircle.maps.report_template import REPORT_CSS, REPORT_TEMPLATE, SORT_JS
from lifecircle.maps.save import map_html, write_atomic

__all__ = ["report_html", "write_report"]

logger = logging.getLogger(__name__)

_ENV = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
_LEVEL_ORDER = {"subdistrict": 0, "area": 1, "microgrid": 2}
_OSM_HINTS = ("osm", "pbf", "openstreetmap", "overpass")


class _Labels:
    """``t.key`` in the template -> ``text("r_key", lang)``."""

    def __init__(self, lang: str, **fields: object) -> None:
        self._lang = lang
        self._fields = fields

    def __getattr__(self, key: str) -> str:
        if key == "synthetic":
            return text("synthetic", self._lang)
        template = text(f"r_{key}", self._lang)
        return template.format(**self._fields) if "{" in template else template


def _leaf_grids(grids: pd.DataFrame) -> pd.DataFrame:
    if "is_leaf" in grids.columns:
        return grids[grids["is_leaf"].astype(bool)]
    levels = set(grids["level"])
    finest = next((lv for lv in ("microgrid", "area", "subdistrict") if lv in levels), None)
    return grids[grids["level"] == finest] if finest else grids


def _count(value: float, lang: str) -> str:
    return text("r_residents_unit", lang, n=f"{round(value):,}")


def _headlines(result: Any, services: Sequence[str], *, lang: str, target: float) -> list[dict]:
    leaf = _leaf_grids(result.grids)
    weight = pd.to_numeric(leaf["weight"], errors="coerce").fillna(0.0)
    out = []
    for service in services:
        share = pd.to_numeric(leaf[f"share_{service}"], errors="coerce")
        counted = share.notna() & (weight > 0)
        met = int((share[counted] >= target - 1e-9).sum())
        total_w = float(weight[counted].sum())
        covered = float((share[counted] * weight[counted]).sum())
        worst = share[counted].sort_values(kind="stable").head(3)
        out.append(
            {
                "label": service_label(service, lang),
                "grids_met": met,
                "grids_total": int(counted.sum()),
                "meets": met == int(counted.sum()),
                "residents": _count(covered, lang),
                "share": percent(covered / total_w) if total_w else "–",
                "worst": [
                    {"name": fmt_value(leaf.loc[i, "name"], lang), "share": percent(v)}
                    for i, v in worst.items()
                ],
            }
        )
    return out


def _grid_rows(result: Any, services: Sequence[str], *, lang: str, target: float) -> list[dict]:
    grids = pd.DataFrame(result.grids.drop(columns="geometry"))
    names = dict(zip(grids["id"], grids["name"], strict=False))
    order = grids["level"].map(_LEVEL_ORDER).fillna(9)
    grids = grids.assign(_order=order).sort_values(["_order", "id"], kind="stable")
    rows = []
    for _, g in grids.iterrows():
        weight = pd.to_numeric(pd.Series([g.get("weight")]), errors="coerce").iloc[0]
        shares = []
        for s in services:
            v = pd.to_numeric(pd.Series([g.get(f"share_{s}")]), errors="coerce").iloc[0]
            css = "" if pd.isna(v) else ("ok" if v >= target - 1e-9 else "bad")
            shares.append(
                {"text": percent(v), "sort": "-1" if pd.isna(v) else f"{v:.6f}", "css": css}
            )
        parent = g.get("parent_id")
        rows.append(
            {
                "name": fmt_value(g.get("name"), lang),
                "level": vocab_label("grid_level", g.get("level"), lang),
                "parent": "" if pd.isna(parent) else fmt_value(names.get(parent, parent), lang),
                "weight": "–" if pd.isna(weight) else f"{weight:,.0f}",
                "weight_sort": "-1" if pd.isna(weight) else f"{weight:.3f}",
                "shares": shares,
            }
        )
    return rows


def _suggestion_table(
    suggestions: gpd.GeoDataFrame | None, lang: str
) -> tuple[list[str], list[list[dict]]]:
    if suggestions is None or len(suggestions) == 0:
        return [], []
    frame = suggestions.sort_values("rank", kind="stable")
    gains = [c for c in frame.columns if "gain" in str(c).lower()]
    pts = frame.geometry.to_crs(4326).representative_point()
    columns = [text("f_rank", lang), *map(str, gains), text("r_lonlat", lang)]
    rows = []
    for (_, row), p in zip(frame.iterrows(), pts, strict=True):
        cells = [{"text": str(int(row["rank"])), "sort": str(int(row["rank"]))}]
        for c in gains:
            v = pd.to_numeric(pd.Series([row[c]]), errors="coerce").iloc[0]
            cells.append(
                {"text": fmt_value(row[c], lang), "sort": "" if pd.isna(v) else f"{v:.6f}"}
            )
        cells.append({"text": f"{p.x:.5f}, {p.y:.5f}", "sort": f"{p.x:.6f}"})
        rows.append(cells)
    return columns, rows


def _parameters(result: Any, network: Any, *, lang: str, target: float) -> list[tuple[str, str]]:
    minutes = result_float(result, "walk_minutes", math.nan)
    speed = result_float(result, "speed_m_s", math.nan)
    out = [
        (text("r_p_minutes", lang), text("r_minutes_value", lang, minutes=f"{minutes:g}")),
        (text("r_p_speed", lang), text("r_speed_value", lang, speed=speed, kmh=speed * 3.6)),
    ]
    profile = result_param(result, "profile")
    if profile is not None:
        out.append((text("r_p_profile", lang), str(profile)))
    snap = result_float(result, "max_snap_m")
    if snap is not None:
        out.append((text("r_p_snap", lang), text("r_metres_value", lang, m=snap)))
    out.append((text("r_p_target", lang), text("r_target_value", lang, target=percent(target))))
    services = list(getattr(result, "services", []) or [])
    out.append((text("r_p_services", lang), ", ".join(service_label(s, lang) for s in services)))
    if network is not None:
        out.append((text("r_p_network", lang), repr(network).splitlines()[0]))
    unsnapped = getattr(result, "unsnapped", None)
    if unsnapped is not None:
        out.append((text("r_p_unsnapped", lang), str(len(unsnapped))))
    return out


def _sources(
    layers: Any, network: Any, *, lang: str, basemap: str | None, extra: Sequence[str]
) -> list[str]:
    out = [text("r_src_layers", lang, name=getattr(layers, "name", "—"))]
    if getattr(layers, "synthetic", False):
        out.append(text("r_src_synthetic", lang))
    source = str(getattr(network, "source", "")).lower() if network is not None else ""
    if any(h in source for h in _OSM_HINTS):
        out.append(text("r_src_osm", lang))
    if basemap == "osm":
        out.append(text("r_src_basemap_osm", lang))
    out += [str(s) for s in extra]
    return out


def report_html(
    layers: Any,
    result: Any,
    *,
    lang: str = "zh",
    suggestions: gpd.GeoDataFrame | None = None,
    network: Any = None,
    service: str | None = None,
    basemap: str | None = None,
    title: str | None = None,
    date: str | dt.date | None = None,
    data_date: str | None = None,
    target_share: float | None = None,
    sources: Sequence[str] = (),
    static_map: bool = True,
) -> str:
    """Render the committee report to an HTML string (see :func:`write_report`)."""
    from lifecircle import __version__

    check_lang(lang)
    services = list(getattr(result, "services", []) or [])
    if not services:
        raise ValueError("the coverage result has no services to report")
    service = service or services[0]
    target = (
        float(target_share)
        if target_share is not None
        else result_float(result, "target_share", 0.95)
    )
    minutes = result_float(result, "walk_minutes", 15.0)
    m = coverage_map(
        layers,
        result,
        service=service,
        lang=lang,
        basemap=basemap,
        network=network,
        suggestions=suggestions,
        data_date=data_date,
    )
    png = None
    if static_map:
        from lifecircle.maps.static import map_png

        data = map_png(layers, result, lang=lang, service=service, suggestions=suggestions, dpi=110)
        png = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
    columns, srows = _suggestion_table(suggestions, lang)
    date = date or dt.date.today().isoformat()
    context = {
        "html_lang": "zh-CN" if lang == "zh" else "en",
        "title": title or text("r_title", lang),
        "t": _Labels(lang, target=percent(target), minutes=f"{minutes:g}"),
        "area_name": getattr(layers, "name", "—"),
        "date": str(date),
        "data_date": data_date or getattr(layers, "data_date", None),
        "synthetic": bool(getattr(layers, "synthetic", False)),
        "headlines": _headlines(result, services, lang=lang, target=target),
        "map_html": map_html(m, self_contained=True),
        "map_png": png,
        "service_labels": [service_label(s, lang) for s in services],
        "grid_rows": _grid_rows(result, services, lang=lang, target=target),
        "suggestion_columns": columns,
        "suggestion_rows": srows,
        "parameters": _parameters(result, network, lang=lang, target=target),
        "sources": _sources(layers, network, lang=lang, basemap=basemap, extra=sources),
        "version": __version__,
        "css": jinja2.utils.markupsafe.Markup(REPORT_CSS),
        "js": jinja2.utils.markupsafe.Markup(SORT_JS),
    }
    return _ENV.from_string(REPORT_TEMPLATE).render(**context)


def write_report(
    layers: Any,
    result: Any,
    path: str | os.PathLike[str],
    *,
    lang: str = "zh",
    suggestions: gpd.GeoDataFrame | None = None,
    network: Any = None,
    **options: Any,
) -> Path:
    """Write the committee report: one HTML file that opens offline and prints to A4.

    The page holds headline figures (grids meeting the target, residents within reach,
    worst grids, per service), the interactive map (inline, no network) with a static
    copy for printing, a sortable per-grid table, the suggested seats with their gains,
    the method and parameters, and the data sources with attribution.

    Parameters
    ----------
    layers : lifecircle.geo.layers.Layers
        The planning layers.
    result : lifecircle.coverage.result.CoverageResult
        Walking coverage of every service.
    path : path-like
        Destination ``.html``; written atomically (temporary file + rename).
    lang : {"zh", "en"}
        Language of the whole page.
    suggestions : geopandas.GeoDataFrame, optional
        Suggested seats (``rank``, gain columns, geometry).
    network : WalkNetwork, optional
        Drawn on the map (hidden at first) and described in the method section; an
        OpenStreetMap-derived network adds the OSM attribution.
    **options
        ``service`` (map colouring, default the first service), ``basemap``, ``title``,
        ``date`` (default today), ``data_date``, ``target_share`` (default the result's),
        ``sources`` (extra attribution lines), ``static_map`` (include the print image,
        default True).

    Returns
    -------
    pathlib.Path
        The written file.
    """
    page = report_html(
        layers, result, lang=lang, suggestions=suggestions, network=network, **options
    )
    out = write_atomic(path, lambda fh: fh.write(page.encode("utf-8")))
    logger.info("report written to %s (%.0f kB)", out, out.stat().st_size / 1024)
    return out
