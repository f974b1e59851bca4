"""Suggested facility sites as a planner's table and sentence, in 中文 or English.

Headers name their units; residents are whole numbers, minutes one decimal, coordinates six
decimals (about 0.1 m). :func:`lifecircle.tables.write_table` writes the table (and escapes
text a spreadsheet would run as a formula: names and streets are the user's strings).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from lifecircle.maps.labels import service_label

if TYPE_CHECKING:
    from lifecircle.coverage.measures.siting.facility_siting import FacilitySuggestions

__all__ = ["siting_notes", "siting_summary", "siting_table"]

_HEADERS = {
    "zh": {
        "rank": "排序",
        "candidate": "候选点编号",
        "name": "名称",
        "street": "最近街道",
        "lon": "经度（WGS-84）",
        "lat": "纬度（WGS-84）",
        "lon_gcj02": "经度（GCJ-02 高德）",
        "lat_gcj02": "纬度（GCJ-02 高德）",
        "gain_residents": "新增{m}分钟步行可达的居民（人）",
        "gain_minutes": "节省的步行时间（人·分钟）",
        "worst_minutes": "最长步行时间（分钟）",
        "grids": "因此达标的网格",
    },
    "en": {
        "rank": "Rank",
        "candidate": "Candidate id",
        "name": "Name",
        "street": "Nearest street",
        "lon": "Longitude (WGS-84)",
        "lat": "Latitude (WGS-84)",
        "lon_gcj02": "Longitude (GCJ-02, AMap)",
        "lat_gcj02": "Latitude (GCJ-02, AMap)",
        "gain_residents": "Residents newly within a {m}-minute walk",
        "gain_minutes": "Walking time saved (resident-minutes)",
        "worst_minutes": "Longest walk (minutes)",
        "grids": "Grids reaching the target because of it",
    },
}

_OBJECTIVES = {
    "zh": {"covering": "最大覆盖", "total": "总步行时间最短", "worst": "最长步行时间最短"},
    "en": {"covering": "most residents covered", "total": "least total walk",
           "worst": "shortest longest walk"},
}  # fmt: skip


def _code(lang: str) -> str:
    return "zh" if lang == "zh" else "en"


def siting_table(
    suggestions: FacilitySuggestions, *, lang: str = "zh", gcj02: bool = False
) -> pd.DataFrame:
    """The suggested sites, one row per rank, with headers in ``lang``."""
    from lifecircle.geo.datums import wgs84_to_gcj02

    sites = suggestions.sites
    lon = sites.geometry.x.to_numpy(dtype=float)
    lat = sites.geometry.y.to_numpy(dtype=float)
    table = pd.DataFrame({
        "rank": sites["rank"].to_numpy(),
        "candidate": sites["candidate"].astype(str).to_numpy(),
        "name": sites["name"].astype(str).to_numpy(),
        "street": sites["street"].astype(str).to_numpy(),
        "lon": np.round(lon, 6),
        "lat": np.round(lat, 6),
    })  # fmt: skip
    if gcj02:
        glon, glat = wgs84_to_gcj02(lon, lat)
        table["lon_gcj02"], table["lat_gcj02"] = np.round(glon, 6), np.round(glat, 6)
    whole = np.round(sites["gain_residents"].to_numpy(dtype=float))
    table["gain_residents"] = pd.Series(whole, dtype="Int64")
    saved = np.round(sites["gain_minutes"].to_numpy(dtype=float))
    table["gain_minutes"] = pd.Series(saved, dtype="Int64")
    table["worst_minutes"] = np.round(sites["worst_minutes"].to_numpy(dtype=float), 1)
    unnamed = "无名街道" if _code(lang) == "zh" else "unnamed street"
    table["street"] = table["street"].replace({"": unnamed, "nan": unnamed, "None": unnamed})
    table["grids"] = sites["grids"].astype(str).str.replace(",", ", ").to_numpy()
    headers = _HEADERS[_code(lang)]
    minutes = f"{suggestions.walk_minutes:g}"
    return table.rename(columns={k: v.format(m=minutes) for k, v in headers.items()})


def siting_summary(suggestions: FacilitySuggestions, *, lang: str = "zh") -> str:
    """One plain sentence: sites, objective, residents newly covered, proven quality."""
    code = _code(lang)
    helped = round(float(suggestions.sites["gain_residents"].sum()))
    n, m = len(suggestions.sites), f"{suggestions.walk_minutes:g}"
    goal = _OBJECTIVES[code][suggestions.objective]
    service = service_label(suggestions.service, code)
    if code == "zh":
        quality = (
            "已证明为最优" if suggestions.gap <= 1e-9
            else f"与最优解相差不超过 {100 * suggestions.gap:.2g}%"
        )  # fmt: skip
        return (
            f"从 {suggestions.n_candidates:,} 个候选点中为“{service}”选出 {n} 处新设施"
            f"（目标：{goal}；{quality}）：新增 {helped:,} 名居民可在 {m} 分钟内步行到达。"
        )
    quality = (
        "a proven optimum" if suggestions.gap <= 1e-9
        else f"within {100 * suggestions.gap:.2g}% of the best possible"
    )  # fmt: skip
    return (
        f"{n} new sites for {service} chosen from {suggestions.n_candidates:,} candidates "
        f"({goal}; {quality}): {helped:,} more residents within a {m}-minute walk."
    )


def siting_notes(suggestions: FacilitySuggestions, *, lang: str = "zh") -> list[str]:
    """Caveats a planner should read beside the table, in ``lang``.

    Why fewer sites than asked for came back (they would add nothing, or none was proven to
    help within the time limit), why the longest walk stays as it is when no sites shorten
    it (``relief``), then the solver's own caveats (English only).
    """
    code = _code(lang)
    found, asked = len(suggestions.sites), suggestions.requested
    notes: list[str] = []
    if found < asked and suggestions.status == "optimal":
        notes.append(
            f"只列出 {found} 处：再增加 {asked - found} 处新设施也不会带来任何收益。"
            if code == "zh"
            else f"Only {found} site(s) listed: {asked - found} more would add nothing."
        )
    elif found < asked:
        notes.append(
            f"只列出 {found} 处：在计算时限内未能证明其余 {asked - found} 处有收益；"
            "可延长计算时限（time_limit_s）或减少候选点。"
            if code == "zh"
            else f"Only {found} site(s) listed: the other {asked - found} were not proven to "
            "help within the time limit; raise time_limit_s or offer fewer candidates."
        )
    relief = _relief_note(suggestions, code)
    return notes + ([relief] if relief else []) + list(suggestions.notes)


def _relief_note(suggestions: FacilitySuggestions, code: str) -> str | None:
    """Why the longest walk stays as it is, and what the sites listed do instead."""
    from lifecircle.coverage.measures.service_coverage import SEARCH_FACTOR

    relief = suggestions.relief
    if relief is None:
        return None
    k, walk = suggestions.requested, f"{suggestions.value:.1f}"
    capped = suggestions.value >= SEARCH_FACTOR * suggestions.walk_minutes - 1e-9
    weight, relieved = f"{round(relief.weight):,}", f"{round(relief.relieved):,}"
    best = f"{round(relief.bound):,}"
    proven = suggestions.status == "optimal"
    if code == "zh":
        longest = f"最长步行时间 {walk} 分钟" + (
            "或以上（计算只搜索到时间预算的两倍）" if capped else ""
        )
        head = (
            f"{longest}无法通过新增 {k} 处设施缩短（已证明）"
            if proven
            else f"在计算时限内未找到能缩短{longest}的 {k} 处选址"
            f"（最优值不低于 {suggestions.bound:.1f} 分钟）"
        )
        tail = (
            "没有候选点能让其中任何人更近。"
            if relief.relieved <= 0
            else f"所列选址使其中 {relieved} 名居民步行更近"
            + (
                "（已证明为最多）。"
                if relief.status == "optimal"
                else f"（最多可能为 {best} 名）。"
            )
        )
        return f"{head}：有 {weight} 名居民步行这么远，任何 {k} 处选址都无法使他们全部更近。{tail}"
    longest = f"the longest walk, {walk} min" + (
        " or more (the search looks only as far as twice the time budget)" if capped else ""
    )
    head = (
        f"{longest[0].upper()}{longest[1:]}, cannot be shortened with {k} new site(s) (proven)"
        if proven
        else f"No {k} site(s) shortening {longest}, were found within the time limit (the "
        f"best possible is at least {suggestions.bound:.1f} min)"
    )
    tail = (
        "No candidate brings any of them nearer."
        if relief.relieved <= 0
        else f"The sites listed bring {relieved} of them nearer ("
        + (
            "the most possible, proven)."
            if relief.status == "optimal"
            else f"at most {best} possible)."
        )
    )
    return (
        f"{head}: {weight} residents walk that far and no {k} site(s) bring them all nearer. {tail}"
    )
