"""Tables for planners: suggested seats, per-grid coverage and target checks, in 中文 or English.

Each function returns a :class:`pandas.DataFrame` whose headers are words a planner reads
(with units), residents as whole numbers, shares as percentages with one decimal and
coordinates in degrees with six decimals (about 0.1 m). :func:`lifecircle.tables.write_table`
writes them as ``.xlsx`` or UTF-8 CSV.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from lifecircle.study.targets import CheckReport

if TYPE_CHECKING:
    import geopandas as gpd
    from numpy.typing import ArrayLike

    from lifecircle.coverage.measures.coverage_result import CoverageResult

__all__ = ["check_tables", "coverage_table", "suggestion_table"]

_LEVELS = {
    "zh": {"subdistrict": "街道", "area": "居民区/商务区", "microgrid": "微网格"},
    "en": {"subdistrict": "subdistrict", "area": "area", "microgrid": "micro-grid"},
}
_KINDS = {
    "zh": {"residential": "居住", "commercial": "商务"},
    "en": {"residential": "residential", "commercial": "commercial"},
}
_METRICS = {
    "zh": {
        "coverage": "步行可达覆盖",
        "seat_reach": "座椅可达",
        "rest_gap": "无座椅路段",
        "completeness": "生活圈完整度",
    },
    "en": {
        "coverage": "walking coverage",
        "seat_reach": "seat reach",
        "rest_gap": "rest gaps",
        "completeness": "life-circle completeness",
    },
}
_STATUS = {
    "zh": {"pass": "达标", "fail": "未达标", "skipped": "无可测居民"},
    "en": {"pass": "met", "fail": "missed", "skipped": "nothing to measure"},
}

_SITE_HEADERS = {
    "zh": {
        "rank": "排序",
        "street": "最近街道",
        "lon": "经度（WGS-84）",
        "lat": "纬度（WGS-84）",
        "lon_gcj02": "经度（GCJ-02 高德）",
        "lat_gcj02": "纬度（GCJ-02 高德）",
        "gain_residents": "新增步行{r}米内有座椅的居民（人）",
        "gain_gap_residents": "无座椅路段缩短的受益居民（人）",
        "routes_helped": "改善的无座椅路段（段）",
        "grids": "受益网格",
        "nearest_seat_m": "距最近现有座椅（米）",
        "candidate": "候选点编号",
    },
    "en": {
        "rank": "Rank",
        "street": "Nearest street",
        "lon": "Longitude (WGS-84)",
        "lat": "Latitude (WGS-84)",
        "lon_gcj02": "Longitude (GCJ-02, AMap)",
        "lat_gcj02": "Latitude (GCJ-02, AMap)",
        "gain_residents": "Residents newly within a {r} m walk of a seat",
        "gain_gap_residents": "Residents whose seat-less stretch is broken",
        "routes_helped": "Too-long seat-less stretches reached",
        "grids": "Grids that benefit",
        "nearest_seat_m": "Nearest existing seat (m)",
        "candidate": "Candidate id",
    },
}

_GRID_HEADERS = {
    "zh": {
        "id": "网格编号",
        "name": "名称",
        "level": "层级",
        "parent_id": "上级网格",
        "kind": "类型",
        "weight": "居民（人）",
        "share": "{s}：{m}分钟步行可达的居民比例（%）",
    },
    "en": {
        "id": "Grid id",
        "name": "Name",
        "level": "Level",
        "parent_id": "Parent grid",
        "kind": "Kind",
        "weight": "Residents",
        "share": "{s}: residents within a {m}-minute walk (%)",
    },
}

_CHECK_HEADERS = {
    "zh": {
        "target": "目标",
        "description": "说明",
        "metric": "指标",
        "scope": "范围",
        "required": "要求（%）",
        "achieved": "最差网格（%）",
        "met": "达标网格数",
        "evaluated": "参评网格数",
        "result": "结果",
        "grid": "网格编号",
        "name": "名称",
        "level": "层级",
        "value": "实际（%）",
    },
    "en": {
        "target": "Target",
        "description": "Description",
        "metric": "Metric",
        "scope": "Scope",
        "required": "Required (%)",
        "achieved": "Worst grid (%)",
        "met": "Grids meeting it",
        "evaluated": "Grids evaluated",
        "result": "Result",
        "grid": "Grid id",
        "name": "Name",
        "level": "Level",
        "value": "Achieved (%)",
    },
}

#: Sheet names of the workbooks, per language.
SHEETS = {
    "zh": {"sites": "建议座椅", "grids": "网格覆盖", "targets": "目标", "check_grids": "各网格"},
    "en": {"sites": "Suggested seats", "grids": "Grid coverage", "targets": "Targets",
           "check_grids": "Grids"},
}  # fmt: skip


def _code(lang: str) -> str:
    return "zh" if lang == "zh" else "en"


def _whole(values: ArrayLike) -> pd.Series:
    """Whole residents (nullable integers)."""
    return pd.Series(np.round(pd.to_numeric(values, errors="coerce")), dtype="Int64")


def _percent(value: float | None) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(100 * float(value), 1)


def suggestion_table(
    sites: gpd.GeoDataFrame, *, lang: str = "zh", radius_m: float = 50.0, gcj02: bool = False
) -> pd.DataFrame:
    """The suggested seat sites as a planner's table.

    Parameters
    ----------
    sites : geopandas.GeoDataFrame
        ``SeatSuggestions.sites`` (points, any CRS; converted to WGS-84).
    lang : {"zh", "en"}
        Header language.
    radius_m : float
        The seat reach the gains refer to (named in a header).
    gcj02 : bool
        Also give the coordinates in GCJ-02 (for AMap/Tencent maps).

    Returns
    -------
    pandas.DataFrame
        Rank, nearest street, WGS-84 longitude/latitude (6 decimals), optionally GCJ-02,
        whole-resident gains, routes helped, grids, nearest existing seat (m), candidate id.
    """
    from lifecircle.geo.datums import wgs84_to_gcj02

    points = sites.to_crs("EPSG:4326").geometry if sites.crs is not None else sites.geometry
    lon, lat = points.x.to_numpy(dtype=float), points.y.to_numpy(dtype=float)
    table = pd.DataFrame({
        "rank": sites["rank"].to_numpy(),
        "street": sites.get("street", pd.Series("", index=sites.index)).fillna("").to_numpy(),
        "lon": np.round(lon, 6),
        "lat": np.round(lat, 6),
    })  # fmt: skip
    if gcj02:
        glon, glat = wgs84_to_gcj02(lon, lat)
        table["lon_gcj02"], table["lat_gcj02"] = np.round(glon, 6), np.round(glat, 6)
    table["gain_residents"] = _whole(sites["gain_residents"].to_numpy())
    table["gain_gap_residents"] = _whole(sites["gain_gap_residents"].to_numpy())
    table["routes_helped"] = sites["routes_helped"].to_numpy()
    table["grids"] = sites["grids"].fillna("").astype(str).str.replace(",", ", ").to_numpy()
    table["nearest_seat_m"] = _whole(sites["nearest_seat_m"].to_numpy())
    table["candidate"] = sites["candidate"].astype(str).to_numpy()
    headers = _SITE_HEADERS[_code(lang)]
    return table.rename(columns={k: v.format(r=f"{radius_m:g}") for k, v in headers.items()})


def coverage_table(result: CoverageResult, *, lang: str = "zh") -> pd.DataFrame:
    """Every grid's coverage (of every service of ``result``) as a planner's table.

    Residents are whole numbers and each service's share a percentage with one decimal.
    """
    code = _code(lang)
    head = _GRID_HEADERS[code]
    grid_table = result.grid_table()
    out = pd.DataFrame({
        head["id"]: grid_table["id"].astype(str).to_numpy(),
        head["name"]: grid_table["name"].fillna("").astype(str).to_numpy(),
        head["level"]: grid_table["level"].map(lambda v: _LEVELS[code].get(v, v)).to_numpy(),
        head["parent_id"]: grid_table["parent_id"].fillna("").astype(str).to_numpy(),
        head["kind"]: grid_table["kind"].map(lambda v: _KINDS[code].get(v, v or "")).to_numpy(),
        head["weight"]: _whole(grid_table["weight"].to_numpy()).to_numpy(),
    })  # fmt: skip
    minutes = f"{result.walk_minutes:g}"
    for service in result.services:
        out[head["share"].format(s=service, m=minutes)] = [
            _percent(v) for v in result.share(service)
        ]
    return out


def check_tables(report: CheckReport, *, lang: str = "zh") -> dict[str, pd.DataFrame]:
    """``lifecircle check``'s results as two tables: one row per target, one per grid.

    Returns
    -------
    dict
        Sheet name -> table: the targets (required, worst grid, grids meeting it of those
        evaluated, met/missed) and every grid of every target's scope with its value.
    """
    from lifecircle.study.outputs import describe_target, scope_text

    code = _code(lang)
    head, status = _CHECK_HEADERS[code], _STATUS[code]
    targets, grids = [], []
    for o in report.outcomes:
        t = o.target
        targets.append({
            head["target"]: t.id,
            head["description"]: describe_target(t, code),
            head["metric"]: _METRICS[code].get(t.metric, t.metric),
            head["scope"]: scope_text(t, code),
            head["required"]: _percent(t.minimum),
            head["achieved"]: _percent(o.achieved),
            head["met"]: len(o.evaluated) - len(o.failed),
            head["evaluated"]: len(o.evaluated),
            head["result"]: status["pass" if o.passed else "fail"],
        })  # fmt: skip
        for g in o.grids:
            state = "skipped" if g.passed is None else ("pass" if g.passed else "fail")
            grids.append({
                head["target"]: t.id,
                head["grid"]: g.id,
                head["name"]: g.name,
                head["level"]: _LEVELS[code].get(g.level, g.level),
                head["value"]: _percent(g.value),
                head["required"]: _percent(t.minimum),
                head["result"]: status[state],
            })  # fmt: skip
    sheets = SHEETS[code]
    grid_columns = [head[k] for k in ("target", "grid", "name", "level", "value", "required",
                                      "result")]  # fmt: skip
    return {
        sheets["targets"]: pd.DataFrame(targets, columns=list(head.values())[:9]),
        sheets["check_grids"]: pd.DataFrame(grids, columns=grid_columns),
    }
