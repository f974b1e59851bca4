"""The committee report: one self-contained bilingual HTML page (:func:`write_report`)."""

from __future__ import annotations

import base64
import datetime as dt
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import jinja2
import pandas as pd
from markupsafe import Markup

from lifecircle.maps.contracts import CoverageFigures, LifeCircleFigures, StreetNetwork
from lifecircle.maps.coverage_map import coverage_map
from lifecircle.maps.headline import to_headlines
from lifecircle.maps.labels import gain_label, service_label, text, vocab_label
from lifecircle.maps.life_circle import life_circle_section_html
from lifecircle.maps.options import ReportOptions
from lifecircle.maps.overlays import fmt_value, percent
from lifecircle.maps.report_headline import (
    profile_label,
    service_cards,
    target_rows,
    target_verdict,
)
from lifecircle.maps.report_method import parameters
from lifecircle.maps.report_method import sources as report_sources
from lifecircle.maps.report_template import REPORT_CSS, REPORT_TEMPLATE, SORT_JS
from lifecircle.maps.save import map_html, write_atomic
from lifecircle.maps.scenario_section import scenario_section_html, to_scenario_columns
from lifecircle.options import check_number, with_overrides

if TYPE_CHECKING:
    from lifecircle.geo.layers import Layers

__all__ = ["report_html", "write_report"]

logger = logging.getLogger(__name__)

_ENV = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
_LEVEL_ORDER = {"subdistrict": 0, "area": 1, "microgrid": 2}
#: Share each grid is judged against when neither targets nor the result give one.
_DEFAULT_SHARE = 0.9


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


def _grid_rows(
    result: CoverageFigures, services: Sequence[str], *, lang: str, target: float | None
) -> list[dict[str, Any]]:
    """Rows of the per-grid table; shares marked met/missed only against a default target."""
    grids = pd.DataFrame(result.grids.drop(columns="geometry"))
    names = dict(zip(grids["id"], grids["name"], strict=False))
    order = grids["level"].map(_LEVEL_ORDER).fillna(9)
    grids = grids.assign(_order=order).sort_values(["_order", "id"], kind="stable")
    by_service = {s: result.share(s) for s in services}
    rows = []
    for label, g in grids.iterrows():
        weight = pd.to_numeric(pd.Series([g.get("weight")]), errors="coerce").iloc[0]
        shares = []
        for s in services:
            value = by_service[s].get(label)
            v = pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0]
            css = "" if pd.isna(v) or target is None else ("ok" if v >= target - 1e-9 else "bad")
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


_SUGGESTION_EXTRA = (("street", "r_s_street"), ("nearest_seat_m", "r_s_nearest_seat"))


def _gain_text(value: float, column: str) -> str:
    """Residents as whole numbers; shares as percentages."""
    if pd.isna(value):
        return "–"
    return percent(value) if "share" in column.lower() else f"{round(float(value)):,}"


def _suggestion_table(
    suggestions: gpd.GeoDataFrame | None, lang: str
) -> tuple[list[dict[str, str]], list[list[dict[str, str | None]]]]:
    """Columns (header text, css class) and rows of the suggested-seats table.

    Gains are residents, so they show as whole numbers; the nearest street and the
    distance to the nearest existing seat appear when the suggestions carry them.
    """
    if suggestions is None or len(suggestions) == 0:
        return [], []
    frame = suggestions.sort_values("rank", kind="stable")
    gains = [str(c) for c in frame.columns if "gain" in str(c).lower()]
    extra = [(c, key) for c, key in _SUGGESTION_EXTRA if c in frame.columns]
    geoms = frame.geometry if frame.crs is not None else frame.geometry.set_crs(4326)
    pts = geoms.to_crs(4326).representative_point()
    columns = [{"text": text("f_rank", lang), "css": "num"}]
    columns += [{"text": gain_label(c, lang), "css": "num"} for c in gains]
    columns += [
        {"text": text(key, lang), "css": "num" if c.endswith("_m") else ""} for c, key in extra
    ]
    columns.append({"text": text("r_lonlat", lang), "css": "num"})
    rows = []
    for (_, row), p in zip(frame.iterrows(), pts, strict=True):
        rank = str(int(row["rank"]))
        cells: list[dict[str, str | None]] = [{"text": rank, "sort": rank, "css": "num"}]
        for c in gains:
            v = pd.to_numeric(pd.Series([row[c]]), errors="coerce").iloc[0]
            shown = _gain_text(v, c)
            cells.append({"text": shown, "sort": "" if pd.isna(v) else f"{v:.6f}", "css": "num"})
        for c, _key in extra:
            v = row[c]
            if c.endswith("_m"):
                num = pd.to_numeric(pd.Series([v]), errors="coerce").iloc[0]
                shown = "–" if pd.isna(num) else f"{num:,.0f}"
                order = "" if pd.isna(num) else f"{num:.3f}"
                cells.append({"text": shown, "sort": order, "css": "num"})
            else:
                cells.append({"text": fmt_value(v, lang), "sort": None, "css": ""})
        cells.append({"text": f"{p.x:.5f}, {p.y:.5f}", "sort": f"{p.x:.6f}", "css": "num"})
        rows.append(cells)
    return columns, rows


def report_html(
    layers: Layers,
    result: CoverageFigures,
    *,
    suggestions: gpd.GeoDataFrame | None = None,
    network: StreetNetwork | None = None,
    targets: object = None,
    life_circle: LifeCircleFigures | None = None,
    options: ReportOptions | None = None,
    **overrides: object,
) -> str:
    """Render the committee report to an HTML string (see :func:`write_report`).

    ``life_circle`` (a ``LifeCircleResult``; default: the one ``targets`` carries, when it
    is a study run with completeness targets) adds the map's "what is missing" layer and
    the report's completeness and equity sections.
    """
    from lifecircle import __version__

    opts = with_overrides(options, overrides, kind=ReportOptions, function="report_html")
    if life_circle is None:
        carried = getattr(targets, "life_circle", None)
        life_circle = carried if isinstance(carried, LifeCircleFigures) else None
    lang = opts.lang
    services = result.services
    if not services:
        raise ValueError("the coverage result has no services to report")
    map_options = opts.map_options(opts.service or services[0])
    rows = to_headlines(targets) if targets is not None else None
    default = None if rows else _default_target(result, opts.target_share)
    m = coverage_map(
        layers,
        result,
        network=network,
        suggestions=suggestions,
        life_circle=life_circle,
        options=map_options,
    )
    png = None
    if opts.static_map:
        from lifecircle.maps.static import map_png

        data = map_png(layers, result, suggestions=suggestions, options=map_options, dpi=110)
        png = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
    columns, srows = _suggestion_table(suggestions, lang)
    date = opts.date or dt.date.today().isoformat()
    labels = _Labels(
        lang,
        target=percent(default if default is not None else 0.0),
        minutes=f"{result.walk_minutes:g}",
        profile=profile_label(result.profile_name, lang),
    )
    context = {
        "html_lang": "zh-CN" if lang == "zh" else "en",
        "title": opts.title or text("r_title", lang),
        "t": labels,
        "area_name": getattr(layers, "name", None) or "—",
        "date": str(date),
        "data_date": opts.data_date or getattr(layers, "data_date", None),
        "synthetic": bool(getattr(layers, "synthetic", False)),
        "list_sep": "；" if lang == "zh" else "; ",
        "targets": target_rows(rows, lang) if rows else [],
        "verdict": target_verdict(rows, lang) if rows else "",
        "all_met": bool(rows) and all(r.met for r in rows or ()),
        "cards": service_cards(result, services, lang=lang, target=default),
        "map_html": map_html(m, self_contained=True),
        "map_png": png,
        "service_labels": [_heading(service_label(s, lang)) for s in services],
        "grid_rows": _grid_rows(result, services, lang=lang, target=default),
        "suggestion_columns": columns,
        "suggestion_rows": srows,
        "life_circle_html": (
            Markup(life_circle_section_html(life_circle, lang=lang)) if life_circle else ""
        ),
        "scenario_html": Markup(  # escaped inside: "方案比较" when targets is a comparison
            scenario_section_html(rows or (), to_scenario_columns(targets, lang=lang), lang=lang)
        ),
        "parameters": parameters(result, network, lang=lang, default_target=default),
        "sources": report_sources(
            layers, network, lang=lang, basemap=opts.basemap, extra=opts.sources
        ),
        "version": __version__,
        "css": Markup(REPORT_CSS),
        "js": Markup(SORT_JS),
    }
    return _ENV.from_string(REPORT_TEMPLATE).render(**context)


def _heading(label: str) -> str:
    """A label as a heading or column title: first letter capitalised (English)."""
    return label[:1].upper() + label[1:]


def _default_target(result: CoverageFigures, target_share: float | None) -> float:
    """The share each grid is judged against when no study targets are given: the one
    asked for, else the result's own (both must be a share in (0, 1])."""
    if target_share is not None:
        return target_share
    return check_number("target_share", result.target_share, at_most=1)


def write_report(
    layers: Layers,
    result: CoverageFigures,
    path: str | os.PathLike[str],
    *,
    suggestions: gpd.GeoDataFrame | None = None,
    network: StreetNetwork | None = None,
    targets: object = None,
    options: ReportOptions | None = None,
    **overrides: object,
) -> Path:
    """Write the committee report: one HTML file that opens offline and prints to A4.

    The page holds the headline — the study's targets with the same figures as
    ``lifecircle check`` (target, scope, required, achieved, met or missed, worst grids),
    or, without targets, each service judged against one plainly stated default share —
    the interactive map (inline, no network, fitted to the study grids) with a static copy
    for printing, a sortable per-grid table, the suggested seats with their gains, the
    method and parameters in plain words, and the data sources with attribution.

    Parameters
    ----------
    layers : lifecircle.geo.layers.Layers
        The planning layers.
    result : lifecircle.coverage.CoverageResult
        Walking coverage of every service.
    path : path-like
        Destination ``.html``; written atomically (temporary file + rename).
    suggestions : geopandas.GeoDataFrame, optional
        Suggested seats (``rank``, gain columns, geometry; ``street``, ``nearest_seat_m``).
    network : WalkNetwork, optional
        Drawn on the map (hidden at first) and described in the method section; an
        OpenStreetMap-derived network adds the OSM attribution.
    targets : StudyRun, CheckReport, Comparison or list of TargetHeadline, optional
        The study's targets and their evaluation (``lifecircle.run_study(study)`` or its
        ``.report``): the headline shows one row per target. A comparison
        (``lifecircle.compare``) adds the section "方案比较 / scenario comparison" with its
        scenarios side by side. A study run with
        completeness targets also brings its life circle: the map's "what is missing"
        layer and the sections "生活圈完整度 / life-circle completeness" and
        "公平性 / equity" with a Lorenz curve (or pass ``life_circle=`` to
        :func:`report_html`).
    options : ReportOptions, optional
        Language, service, basemap, title, dates, default share, extra sources, print
        image and study extent (default ``ReportOptions()``: in Chinese, the first
        service, no basemap).
    **overrides
        Any option of :class:`~lifecircle.maps.options.ReportOptions` by name (``lang``,
        ``service``, ``basemap``, ``tianditu_key``, ``title``, ``date``, ``data_date``,
        ``target_share`` — the default share used without targets, default the result's
        —, ``sources``, ``static_map``, ``extent``), applied on top of ``options``.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    opts = with_overrides(options, overrides, kind=ReportOptions, function="write_report")
    page = report_html(
        layers, result, suggestions=suggestions, network=network, targets=targets, options=opts
    )
    out = write_atomic(path, lambda fh: fh.write(page.encode("utf-8")))
    logger.info("report written to %s (%.0f kB)", out, out.stat().st_size / 1024)
    return out
