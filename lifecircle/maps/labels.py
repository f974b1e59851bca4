"""Bilingual (中文 / English) strings for maps, legends, tooltips and reports.

Every visible word of lifecircle's maps comes from :data:`TEXT` through :func:`text`,
so a map is entirely in one language. Vocabulary labels (facility types, heritage
levels, grid levels) come from :mod:`lifecircle.geo.schema`.
"""

from __future__ import annotations

from lifecircle.errors import OptionError
from lifecircle.geo.schema import (
    ELDERLY_TYPES,
    GRID_KINDS,
    GRID_LEVELS,
    HERITAGE_CATEGORIES,
    HERITAGE_LEVELS,
    Category,
    category_label,
)

__all__ = [
    "LANGS",
    "TEXT",
    "check_lang",
    "gain_label",
    "method_note",
    "service_label",
    "text",
    "vocab_label",
]

LANGS = ("zh", "en")

#: key -> (中文, English). Values may hold ``str.format`` fields.
TEXT: dict[str, tuple[str, str]] = {
    # titles and layer names
    "title": (
        "15分钟社区生活圈：{service}步行可达性",
        "15-minute life circle: walking access to {service}",
    ),
    "title_plain": ("15分钟社区生活圈", "15-minute community life circle"),
    "layer_coverage": ("网格覆盖率：{service}", "Grid coverage: {service}"),
    "layer_grids": ("网格", "Grids"),
    "layer_boundaries": ("街道与居民区边界", "Subdistrict and area boundaries"),
    "layer_elderly": ("为老服务设施", "Elderly services"),
    "layer_seats": ("公共座椅", "Public seats"),
    "layer_heritage": ("历史文化遗产", "Heritage"),
    "layer_conservation": ("历史文化风貌区", "Historic conservation areas"),
    "layer_isochrone": ("{minutes}分钟步行范围：{service}", "{minutes}-min walk area: {service}"),
    "layer_suggestions": ("建议新增座椅", "Suggested new seats"),
    "layer_network": ("步行网络", "Walking network"),
    # legend
    "legend": ("图例", "Legend"),
    "legend_coverage": (
        "{minutes}分钟步行可达{service}的居民比例",
        "Share of residents within a {minutes}-minute walk of {service}",
    ),
    "class_lt50": ("低于50%", "below 50%"),
    "class_50_80": ("50%–80%", "50%–80%"),
    "class_80_95": ("80%–95%", "80%–95%"),
    "class_ge95": ("95%及以上", "95% or more"),
    "class_nodata": ("无居民 / 无数据", "no residents / no data"),
    "legend_seats": ("公共座椅（圆越大座位越多）", "Public seat (bigger circle = more seats)"),
    "legend_suggestion": ("建议新增座椅（数字为优先顺序）", "Suggested seat (number = priority)"),
    "legend_outline": ("粗线：街道 / 居民区边界", "Thick lines: subdistrict / area boundaries"),
    "legend_isochrone": ("阴影：{minutes}分钟步行范围", "Shading: {minutes}-minute walking area"),
    "legend_method": (
        "按步行网络计算：步速 {speed_m_s:.2f} 米/秒（约 {speed_km_h:.1f} 公里/小时），"
        "{minutes} 分钟",
        "Measured along the walking network: {speed_m_s:.2f} m/s (about {speed_km_h:.1f} km/h), "
        "{minutes} minutes",
    ),
    "legend_data": ("数据：{name}", "Data: {name}"),
    "legend_date": ("数据日期：{date}", "Data date: {date}"),
    "attribution_osm": ("© OpenStreetMap 贡献者", "© OpenStreetMap contributors"),
    "synthetic": ("合成演示数据，不代表真实情况", "Synthetic demo data — not the real situation"),
    # tooltip / popup fields
    "f_name": ("名称", "Name"),
    "f_id": ("编号", "ID"),
    "f_type": ("类型", "Type"),
    "f_level": ("级别", "Level"),
    "f_category": ("保护类别", "Category"),
    "f_seats": ("座位数", "Seats"),
    "f_armrest": ("扶手", "Armrests"),
    "f_charging": ("共享充电", "Phone charging"),
    "f_capacity": ("容量", "Capacity"),
    "f_population": ("人口", "Population"),
    "f_weight": ("居民（人）", "Residents"),
    "f_coverage": ("可达比例", "Share within reach"),
    "f_rank": ("优先顺序", "Priority"),
    "f_minutes": ("分钟", "Minutes"),
    "yes": ("有", "yes"),
    "no": ("无", "no"),
    "unknown": ("未知", "unknown"),
    # committee report
    "r_title": ("15分钟社区生活圈评估报告", "15-minute community life circle report"),
    "r_area": ("范围", "Area"),
    "r_generated": ("生成日期", "Generated"),
    "r_data_date": ("数据日期", "Data date"),
    "r_headline": ("主要结论", "Headline figures"),
    "r_grids_meeting": (
        "个网格达到目标（至少 {target} 的居民{minutes}分钟内步行可达）",
        "grids meet the target (at least {target} of residents within a {minutes}-minute walk)",
    ),
    "r_residents_covered": ("步行可达的居民", "Residents within reach"),
    "r_residents_unit": ("约 {n} 人", "about {n}"),
    "r_worst": ("最差网格", "Worst grids"),
    "r_map": ("地图", "Map"),
    "r_map_hint": (
        "可拖动、缩放地图，右上角可开关图层；鼠标悬停可查看名称与数值。",
        "Drag and zoom the map; switch layers at the top right; hover for names and values.",
    ),
    "r_grid_table": ("各网格步行可达比例", "Walking coverage by grid"),
    "r_sort_hint": ("点击表头排序。", "Click a column header to sort."),
    "r_grid": ("网格", "Grid"),
    "r_level": ("级别", "Level"),
    "r_parent": ("上级", "Part of"),
    "r_residents": ("居民（人）", "Residents"),
    "r_suggestions": ("建议新增座椅", "Suggested new seats"),
    "r_lonlat": ("位置（经度, 纬度）", "Location (lon, lat)"),
    "r_method": ("方法与参数", "Method and parameters"),
    "r_method_text": (
        "居民位置按网格人口分布，沿步行网络（而非直线距离）计算到最近设施的步行时间；"
        "网格的可达比例是{minutes}分钟内可到达设施的居民占该网格居民的比例。"
        "居民点与设施先吸附到最近的步行道路，吸附距离超过上限的点计为不可达。",
        "Residents are placed according to each grid's population and walking time to the "
        "nearest facility is measured along the walking network (not straight-line distance). "
        "A grid's share is the share of its residents who reach a facility within {minutes} "
        "minutes. Homes and facilities are snapped to the nearest walkable street; points "
        "farther than the snapping limit count as unreachable.",
    ),
    "r_p_minutes": ("步行时间", "Walking time"),
    "r_p_speed": ("步行速度", "Walking speed"),
    "r_p_profile": ("步速", "Walking pace"),
    "r_p_snap": ("最大吸附距离", "Maximum snapping distance"),
    "r_p_target": ("目标", "Target"),
    "r_p_services": ("服务类型", "Services"),
    "r_p_network": ("步行网络", "Walking network"),
    "r_p_unsnapped": ("未能吸附的点", "Points not snapped"),
    "r_minutes_value": ("{minutes} 分钟", "{minutes} minutes"),
    "r_speed_value": (
        "{speed:.2f} 米/秒（约 {kmh:.1f} 公里/小时）",
        "{speed:.2f} m/s (about {kmh:.1f} km/h)",
    ),
    "r_metres_value": ("{m:g} 米", "{m:g} m"),
    "r_target_value": (
        "每个网格至少 {target} 的居民可达",
        "at least {target} of each grid's residents",
    ),
    "r_sources": ("数据来源", "Data sources"),
    "r_src_layers": ("规划图层：{name}", "Planning layers: {name}"),
    "r_src_synthetic": (
        "合成演示数据（虚构街区，用于演示软件功能，不代表任何真实地点）",
        "Synthetic demo data (a fictional district to demonstrate the software; not a real place)",
    ),
    "r_src_osm": (
        "步行网络：© OpenStreetMap 贡献者（ODbL 许可）",
        "Walking network: © OpenStreetMap contributors (ODbL)",
    ),
    "r_src_basemap_osm": (
        "底图：© OpenStreetMap 贡献者",
        "Basemap: © OpenStreetMap contributors",
    ),
    "r_footer": ("由 lifecircle 生成", "Generated with lifecircle"),
    # committee report: the study's targets (the same rows as `lifecircle check`)
    "r_targets_all_met": ("全部 {n} 项目标达标。", "All {n} targets met."),
    "r_targets_missed": ("{n} 项目标中有 {k} 项未达标。", "{k} of {n} targets missed."),
    "r_targets_source": (
        "以下为研究文件中的目标及其检查结果，与 lifecircle check 的结果一致。",
        "The study's own targets and their results, as lifecircle check reports them.",
    ),
    "r_target": ("目标", "Target"),
    "r_result": ("结果", "Result"),
    "r_met": ("达标", "met"),
    "r_missed": ("未达标", "missed"),
    "r_scope": ("范围", "Scope"),
    "r_required": ("要求", "Required"),
    "r_achieved": ("实际（最差网格）", "Achieved (worst grid)"),
    "r_grids_met_of": ("{ok}/{n} 个网格达标", "{ok} of {n} grids meet it"),
    "r_grids_skipped": (
        "{n} 个网格无可计量对象，未计入",
        "{n} grids with nothing to measure left out",
    ),
    "r_worst_failed": ("未达标网格（最差在前）", "Grids below the target (worst first)"),
    "r_none": ("无", "none"),
    "r_more": ("另有 {n} 个", "and {n} more"),
    "r_no_value": ("无数值", "no value"),
    "r_scope_all": ("全部网格", "all grids"),
    "r_scope_leaf": ("最小一级网格", "smallest grids"),
    "r_scope_kind": ("{level}（仅{kind}类）", "{level} ({kind} only)"),
    "r_scope_grids": ("指定网格：{ids}", "listed grids: {ids}"),
    "r_default_target": (
        "未提供研究目标：本报告按默认目标判断，即每个网格至少 {target} 的居民"
        "在{minutes}分钟内步行可达。",
        "No study targets were given: this report uses the default target of at least "
        "{target} of each grid's residents within a {minutes}-minute walk.",
    ),
    "r_glance": ("步行可达概况", "Coverage at a glance"),
    "r_glance_text": (
        "以下按研究的默认步速（{profile}）和{minutes}分钟计算。",
        "At the study's default pace ({profile}) and {minutes} minutes.",
    ),
    "r_residents_of": ("{covered} / {total} 人", "{covered} of {total} residents"),
    "r_p_extent": ("研究范围", "Study extent"),
    "r_extent_grids": ("网格范围", "the grids"),
    "r_extent_boundary": ("给定边界", "the given boundary"),
    "r_extent_bbox": ("给定矩形范围", "the given bounding box"),
    "r_extent_value": ("{source}", "{source}"),
    "r_extent_buffer": ("外扩 {m:,.0f} 米", "plus a {m:,.0f} m margin"),
    "r_extent_area": ("面积 {km2:.2f} 平方公里", "{km2:.2f} km²"),
    "r_network_value": (
        "{nodes:,} 个路口、{edges:,} 条路段，共 {km:.1f} 公里（数据：{source}）",
        "{nodes:,} junctions, {edges:,} street segments, {km:.1f} km in all (data: {source})",
    ),
    "r_network_extent": (
        "研究范围内 {inside:.1f} 公里（共 {total:.1f} 公里）",
        "{inside:.1f} km inside the study extent (of {total:.1f} km)",
    ),
    "r_network_input": (
        "原始数据中的道路共 {km:.1f} 公里",
        "{km:.1f} km of ways in the source data",
    ),
    "r_network_parts": (
        "{n} 个互不相连的部分",
        "{n} separate pieces",
    ),
    "profile_elderly": ("老年人步速", "elderly pace"),
    "profile_adult": ("成年人步速", "adult pace"),
    "r_s_street": ("最近街道", "Nearest street"),
    "r_s_nearest_seat": ("距现有座椅（米）", "To nearest seat (m)"),
    "r_s_grids": ("受益网格", "Grids that benefit"),
    "gain_residents": ("新增可达居民", "Residents newly within reach"),
    "gain_gap_residents": ("获得歇脚处的居民", "Residents given a place to rest"),
    "gain_total": ("总收益（人）", "Total gain (residents)"),
    # services
    "svc_elderly": ("为老服务设施", "elderly services"),
    "svc_care": ("照护设施", "care facilities"),
    "svc_bathing": ("助浴点", "assisted bathing"),
    "svc_seats": ("公共座椅", "public seats"),
    "svc_canteen": ("助餐点", "community canteens"),
}


def check_lang(lang: str) -> str:
    """Return ``lang`` if it is ``"zh"`` or ``"en"``.

    Raises
    ------
    lifecircle.errors.OptionError
        (a ``ValueError``) otherwise.
    """
    if lang not in LANGS:
        raise OptionError(
            f"lang must be 'zh' or 'en', got {lang!r}",
            option="lang", value=lang, expected=f"one of {', '.join(LANGS)}",
        )  # fmt: skip
    return lang


def text(key: str, lang: str = "zh", **fields: object) -> str:
    """Return the string ``key`` in ``lang``, formatted with ``fields``.

    Parameters
    ----------
    key : str
        A key of :data:`TEXT`.
    lang : {"zh", "en"}
        Display language.
    **fields
        Values for the ``str.format`` fields of the string.

    Returns
    -------
    str
        The label. Not HTML-escaped: callers escape when writing HTML.
    """
    zh, en = TEXT[key]
    template = zh if check_lang(lang) == "zh" else en
    return template.format(**fields) if fields else template


def service_label(service: str, lang: str = "zh") -> str:
    """Return the display name of a coverage service (its own name when unknown)."""
    key = f"svc_{service}"
    return text(key, lang) if key in TEXT else str(service)


def gain_label(column: str, lang: str = "zh") -> str:
    """Display name of a suggestion gain column (``gain_residents`` -> 新增可达居民)."""
    return text(column, lang) if column.startswith("gain_") and column in TEXT else column


def method_note(lang: str, *, speed_m_s: float, minutes: float) -> str:
    """Return the legend's method line (walking speed and time budget)."""
    return text(
        "legend_method",
        lang,
        speed_m_s=speed_m_s,
        speed_km_h=speed_m_s * 3.6,
        minutes=f"{minutes:g}",
    )


_VOCABS: dict[str, tuple[Category, ...]] = {
    "elderly_type": ELDERLY_TYPES,
    "grid_level": GRID_LEVELS,
    "heritage_level": HERITAGE_LEVELS,
    "heritage_category": HERITAGE_CATEGORIES,
    "grid_kind": GRID_KINDS,
}


def vocab_label(vocabulary: str, code: object, lang: str = "zh") -> str:
    """Return the display label of a vocabulary code, e.g. ``("elderly_type", "bathing")``."""
    if code is None or (isinstance(code, float) and code != code):
        return text("unknown", lang)
    return category_label(_VOCABS[vocabulary], str(code), lang)
