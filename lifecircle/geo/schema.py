"""The documented schema of lifecircle's planning layers.

This module is the single source of truth for column names, accepted header
synonyms (Chinese and English) and the category vocabularies with their
bilingual labels. Readers, the demo generator, the solver and the maps all
import from here.

Every layer reader returns a GeoDataFrame in EPSG:4326 whose first columns are
the canonical ones below, in this order, followed by any extra columns of the
source (kept unchanged), and ``geometry`` last.

===============  ===============================================================
layer            canonical columns (dtype)
===============  ===============================================================
grids            id (str), name (str), level (str: GRID_LEVELS), parent_id (str
                 or None), kind (str: GRID_KINDS), population (float, NaN when
                 unknown); Polygon/MultiPolygon
seats            id (str), name (str), seats (int >= 1), armrest (bool),
                 charging (bool); Point (lines/polygons -> representative point)
elderly          id (str), name (str), type (str: ELDERLY_TYPES), capacity
                 (float, NaN when unknown); Point
heritage         id (str), name (str), level (str: HERITAGE_LEVELS), category
                 (str "I".."V" for historic buildings, else None);
                 Polygon/MultiPolygon/Point
conservation     id (str), name (str); Polygon/MultiPolygon
buildings        id (str), name (str), population (float >= 0), grid_id (str or
                 None); Polygon/MultiPolygon/Point — optional demand layer
facilities       id (str), name (str), category (str: FACILITY_CATEGORIES, read
                 with :func:`~lifecircle.geo.facility_categories.resolve_category`),
                 capacity (float, NaN when unknown); Point — optional, the
                 15-minute life-circle services (schools, markets, clinics...)
===============  ===============================================================
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from lifecircle.geo.facility_categories import (
    facility_categories,
    resolve_category,
    suggest_category,
)

__all__ = [
    "ELDERLY_TYPES",
    "FACILITY_CATEGORIES",
    "GRID_KINDS",
    "GRID_LEVELS",
    "HERITAGE_CATEGORIES",
    "HERITAGE_LEVELS",
    "LAYER_SCHEMAS",
    "Category",
    "ColumnSpec",
    "LayerSchema",
    "match_category",
]


@dataclass(frozen=True)
class Category:
    """One value of a controlled vocabulary.

    Parameters
    ----------
    code : str
        The canonical value stored in the layer (ASCII, snake_case).
    en, zh : str
        Display labels in English and Chinese.
    synonyms : tuple of str
        Other spellings accepted on input (matched case- and whitespace-insensitively).
    """

    code: str
    en: str
    zh: str
    synonyms: tuple[str, ...] = ()

    def label(self, lang: str = "zh") -> str:
        """Return the display label in ``lang`` (``"zh"`` or ``"en"``)."""
        return self.zh if lang == "zh" else self.en


GRID_LEVELS: tuple[Category, ...] = (
    Category("subdistrict", "Subdistrict", "街道", ("街道", "街道办", "subdistrict", "street")),
    Category(
        "area",
        "Residential area / commercial zone",
        "居民区 / 商务区",
        (
            "居民区",
            "片区",
            "小区",
            "商务区",
            "商圈",
            "商务楼宇区",
            "area",
            "zone",
            "residential area",
            "residential_area",
            "commercial zone",
            "commercial_zone",
        ),
    ),
    Category(
        "microgrid",
        "Micro-grid",
        "微网格",
        ("微网格", "网格", "micro-grid", "micro_grid", "microgrid", "micro grid", "grid"),
    ),
)

GRID_KINDS: tuple[Category, ...] = (
    Category(
        "residential",
        "Residential",
        "居民",
        (
            "居民",
            "居住",
            "住宅",
            "居民区",
            "居住区",
            "住宅区",
            "小区",
            "社区",
            "residential",
            "residential area",
            "housing",
        ),
    ),
    Category(
        "commercial",
        "Commercial",
        "商务",
        (
            "商务",
            "商业",
            "商圈",
            "楼宇",
            "商务区",
            "商业区",
            "商务楼宇",
            "商务楼宇区",
            "楼宇区",
            "商办",
            "commercial",
            "commercial zone",
            "business",
            "business district",
            "office",
        ),
    ),
)

ELDERLY_TYPES: tuple[Category, ...] = (
    Category(
        "life_centre",
        "Elderly life centre",
        "乐龄生活馆",
        (
            "乐龄生活馆",
            "综合为老服务中心",
            "社区综合为老服务中心",
            "life centre",
            "life center",
            "elderly life centre",
            "elderly life center",
            "comprehensive elderly service centre",
        ),
    ),
    Category(
        "care_home",
        "Elder care home",
        "长者照护之家",
        (
            "长者照护之家",
            "照护之家",
            "养老院",
            "敬老院",
            "care home",
            "elder care home",
            "nursing home",
            "nursing_home",
        ),
    ),
    Category(
        "day_care",
        "Day-care centre",
        "日间照料中心",
        (
            "日间照料中心",
            "日托",
            "day care",
            "day-care",
            "day care centre",
            "day-care centre",
            "day care center",
            "adult day care",
        ),
    ),
    Category(
        "life_station",
        "Elderly life station",
        "乐龄生活站点",
        ("乐龄生活站点", "乐龄生活站", "睦邻点", "life station", "elderly life station"),
    ),
    Category(
        "bathing",
        "Assisted-bathing site",
        "助浴点",
        ("助浴点", "助浴", "bathing", "assisted bathing", "assisted-bathing site", "bathing site"),
    ),
    Category(
        "canteen",
        "Community canteen",
        "社区食堂 / 助餐点",
        ("社区食堂", "助餐点", "长者食堂", "老年食堂", "canteen", "community canteen", "meal site"),
    ),
    Category("other", "Other elderly service", "其他为老服务", ("其他", "other")),
)

HERITAGE_LEVELS: tuple[Category, ...] = (
    Category(
        "national",
        "National cultural-relic protection unit",
        "全国重点文物保护单位",
        ("全国重点文物保护单位", "国家级", "国保", "national"),
    ),
    Category(
        "municipal",
        "Municipal cultural-relic protection unit",
        "上海市文物保护单位",
        ("上海市文物保护单位", "市级文物保护单位", "市级", "市保", "municipal"),
    ),
    Category(
        "district",
        "District cultural-relic protection unit",
        "区级文物保护单位",
        ("区级文物保护单位", "区级", "区保", "district"),
    ),
    Category(
        "protection_point",
        "Cultural-relic protection point",
        "文物保护点",
        ("文物保护点", "保护点", "protection point", "relic protection point"),
    ),
    Category(
        "historic_building",
        "Excellent historic building",
        "优秀历史建筑",
        (
            "优秀历史建筑",
            "上海市优秀历史建筑",
            "历史建筑",
            "historic building",
            "excellent historic building",
            "protected historic building",
        ),
    ),
    Category("other", "Other heritage", "其他历史遗存", ("其他", "other")),
)

#: Facility categories of the 15-minute life circle, from the shared table of
#: :mod:`lifecircle.geo.facility_categories` (code, English and Chinese name, Chinese aliases).
FACILITY_CATEGORIES: tuple[Category, ...] = tuple(
    Category(entry.code, entry.name_en, entry.name_zh, entry.zh_aliases)
    for entry in facility_categories().values()
)

#: Protection categories of Shanghai's excellent historic buildings (一类 … 五类).
HERITAGE_CATEGORIES: tuple[Category, ...] = tuple(
    Category(roman, f"Category {roman}", f"{zh}类", (roman, f"{zh}类", str(i), f"第{zh}类"))
    for i, (roman, zh) in enumerate(
        zip(("I", "II", "III", "IV", "V"), "一二三四五", strict=True), start=1
    )
)


@dataclass(frozen=True)
class ColumnSpec:
    """One canonical column of a layer.

    Parameters
    ----------
    name : str
        Canonical column name.
    aliases : tuple of str
        Accepted source headers (matched case-insensitively after stripping).
    required : bool
        Whether the column must be present in the source.
    kind : str
        ``"str"``, ``"int"``, ``"float"``, ``"bool"`` or ``"category"``.
    vocabulary : tuple of Category
        For ``kind == "category"``: the allowed values.
    ranked : bool
        For categories: the vocabulary is ordered from highest to lowest, so a cell
        naming several values (``"上海市不可移动文物名录; 上海市文物保护单位"``) takes the
        highest one it names. Unranked vocabularies reject cells naming two values.
    resolve : callable, optional
        For categories: the code of a cell that names no vocabulary value exactly
        (``"社区卫生服务中心（社区医院）"`` -> ``health_centre``), or ``None``.
    suggest : callable, optional
        For categories: the closest known name of an unknown cell, for a "did you mean".
    """

    name: str
    aliases: tuple[str, ...]
    required: bool = True
    kind: str = "str"
    vocabulary: tuple[Category, ...] = ()
    ranked: bool = False
    resolve: Callable[[str], str | None] | None = None
    suggest: Callable[[str], str | None] | None = None


@dataclass(frozen=True)
class LayerSchema:
    """The schema of one layer: its columns and allowed geometry types."""

    layer: str
    zh: str
    columns: tuple[ColumnSpec, ...]
    geometry_types: tuple[str, ...]
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def column_names(self) -> list[str]:
        """Canonical column names in output order (without ``geometry``)."""
        return [c.name for c in self.columns]


_ID = ColumnSpec("id", ("id", "编号", "序号", "编码", "代码", "fid", "objectid", "code"))
_NAME = ColumnSpec(
    "name",
    (
        "name",
        "名称",
        "名字",
        "中文名称",
        "中文名",
        "站点名称",
        "点位名称",
        "地点",
        "title",
        "name_zh",
        "name_cn",
        # Shanghai Library open data: nameS (简体), nameT (繁體), nameE (pinyin)
        "nameS",
    ),
)

#: Headers that carry point coordinates in tabular files (CSV/XLSX).
LONGITUDE_ALIASES: tuple[str, ...] = ("lon", "lng", "long", "longitude", "x", "经度", "东经")
LATITUDE_ALIASES: tuple[str, ...] = ("lat", "latitude", "y", "纬度", "北纬")

LAYER_SCHEMAS: dict[str, LayerSchema] = {
    "grids": LayerSchema(
        "grids",
        "网格",
        (
            _ID,
            _NAME,
            ColumnSpec(
                "level",
                ("level", "级别", "层级", "网格级别"),
                kind="category",
                vocabulary=GRID_LEVELS,
                ranked=True,
            ),
            ColumnSpec(
                "parent_id",
                ("parent_id", "parent", "上级", "上级编号", "上级网格", "父级"),
                required=False,
            ),
            ColumnSpec(
                "kind",
                ("kind", "类别", "性质", "网格类型", "type", "类型"),
                required=False,
                kind="category",
                vocabulary=GRID_KINDS,
            ),
            ColumnSpec(
                "population",
                ("population", "pop", "人口", "常住人口", "居民数"),
                required=False,
                kind="float",
            ),
        ),
        ("Polygon", "MultiPolygon"),
    ),
    "seats": LayerSchema(
        "seats",
        "公共座椅",
        (
            _ID,
            ColumnSpec("name", _NAME.aliases, required=False),
            ColumnSpec(
                "seats",
                ("seats", "seat_count", "座位数", "座椅数", "座位", "数量", "count"),
                kind="int",
            ),
            ColumnSpec(
                "armrest",
                ("armrest", "armrests", "扶手", "有扶手", "带扶手"),
                required=False,
                kind="bool",
            ),
            ColumnSpec(
                "charging", ("charging", "共享充电", "充电", "charger"), required=False, kind="bool"
            ),
        ),
        ("Point",),
    ),
    "elderly": LayerSchema(
        "elderly",
        "为老服务设施",
        (
            _ID,
            _NAME,
            ColumnSpec(
                "type",
                ("type", "类型", "设施类型", "服务类型", "category"),
                kind="category",
                vocabulary=ELDERLY_TYPES,
            ),
            ColumnSpec(
                "capacity",
                ("capacity", "床位", "床位数", "容量", "规模"),
                required=False,
                kind="float",
            ),
        ),
        ("Point",),
    ),
    "heritage": LayerSchema(
        "heritage",
        "历史文化遗产",
        (
            _ID,
            _NAME,
            ColumnSpec(
                "level",
                ("level", "保护级别", "级别", "类型", "type"),
                kind="category",
                vocabulary=HERITAGE_LEVELS,
                ranked=True,
            ),
            ColumnSpec(
                "category",
                ("category", "保护类别", "类别"),
                required=False,
                kind="category",
                vocabulary=HERITAGE_CATEGORIES,
            ),
        ),
        ("Polygon", "MultiPolygon", "Point"),
    ),
    "conservation": LayerSchema(
        "conservation",
        "历史文化风貌区",
        (_ID, _NAME),
        ("Polygon", "MultiPolygon"),
    ),
    "buildings": LayerSchema(
        "buildings",
        "居住建筑",
        (
            _ID,
            ColumnSpec("name", _NAME.aliases, required=False),
            ColumnSpec(
                "population", ("population", "pop", "人口", "居住人口", "户籍人口"), kind="float"
            ),
            ColumnSpec("grid_id", ("grid_id", "grid", "所属网格", "网格编号"), required=False),
        ),
        ("Polygon", "MultiPolygon", "Point"),
    ),
    "facilities": LayerSchema(
        "facilities",
        "生活圈服务设施",
        (
            _ID,
            ColumnSpec("name", _NAME.aliases, required=False),
            ColumnSpec(
                "category",
                (
                    "category",
                    "设施类别",
                    "设施类型",
                    "设施分类",
                    "类别",
                    "类型",
                    "分类",
                    "type",
                    "kind",
                ),
                kind="category",
                vocabulary=FACILITY_CATEGORIES,
                resolve=resolve_category,
                suggest=suggest_category,
            ),
            ColumnSpec(
                "capacity",
                ("capacity", "容量", "规模", "床位", "床位数", "学位", "学位数", "托位"),
                required=False,
                kind="float",
            ),
        ),
        ("Point",),
    ),
    # candidate sites for new facilities (lifecircle suggest --service): vacant units...
    "candidates": LayerSchema(
        "candidates",
        "候选设施点位",
        (
            _ID,
            ColumnSpec("name", _NAME.aliases, required=False),
            ColumnSpec(
                "capacity", ("capacity", "容量", "规模", "服务人数"), required=False, kind="float"
            ),
        ),
        ("Point", "Polygon", "MultiPolygon"),
    ),
}


def _category_key(value: object) -> str:
    """Case-, width- and white-space-insensitive form of a category name."""
    return " ".join(unicodedata.normalize("NFKC", str(value)).strip().lower().split())


def find_category(vocabulary: tuple[Category, ...], value: str) -> Category | None:
    """Return the category whose code, labels or synonyms match ``value``.

    Matching ignores case, full-width forms (NFKC) and surrounding white space.
    Returns ``None`` when nothing matches.
    """
    key = _category_key(value)
    for cat in vocabulary:
        names = (cat.code, cat.en, cat.zh, *cat.synonyms)
        if any(key == _category_key(n) for n in names):
            return cat
    return None


#: Separators between the values of a multi-valued category cell
#: (``"上海市不可移动文物名录; 上海市文物保护单位; 红色旅游景点"``).
_VALUE_SEPARATORS = re.compile(r"\s*[;；,，、|/\n]\s*")


def match_category(
    vocabulary: tuple[Category, ...], value: str, *, ranked: bool = False
) -> tuple[Category | None, list[Category]]:
    """Match a category cell that may name several values.

    The whole cell is matched first (:func:`find_category`). Otherwise it is split at
    ``;`` ``,`` ``、`` ``|`` ``/`` (and their full-width forms) and every part is
    matched; parts that name no category (e.g. "红色旅游景点") are ignored.

    Parameters
    ----------
    vocabulary : tuple of Category
        The allowed values, highest first when ``ranked``.
    value : str
        The cell text.
    ranked : bool
        Take the highest category named (first in ``vocabulary``).

    Returns
    -------
    category : Category or None
        The match; None when nothing matches or, unranked, when the cell names
        several different categories.
    named : list of Category
        Every distinct category the cell names, in vocabulary order.
    """
    whole = find_category(vocabulary, value)
    if whole is not None:
        return whole, [whole]
    found = {find_category(vocabulary, part) for part in _VALUE_SEPARATORS.split(str(value))}
    named = [cat for cat in vocabulary if cat in found]
    if len(named) == 1 or (named and ranked):
        return named[0], named
    return None, named


def category_label(vocabulary: tuple[Category, ...], code: str, lang: str = "zh") -> str:
    """Return the display label of ``code`` in ``lang``; ``code`` itself when unknown."""
    for cat in vocabulary:
        if cat.code == code:
            return cat.label(lang)
    return code
