"""Facility categories of the 15-minute life circle: one table for OSM tags and Chinese names.

``facility_categories.toml`` beside this module is the single table that maps OpenStreetMap
tags and Chinese facility names to category codes (``"kindergarten"``, ``"market"``...). The
facilities layer (:data:`lifecircle.geo.schema.LAYER_SCHEMAS` ``["facilities"]``), the OSM
reader (:func:`lifecircle.geo.osm_layers.layers_from_osm`) and the planning-standard presets
(:mod:`lifecircle.coverage.presets`) all read it; it lives in :mod:`lifecircle.geo` because
reading a file is geo's job and geo imports nothing from coverage.

Three ways to name a category, tried in this order by :func:`resolve_category`:

1. its code, English or Chinese name, or one of its Chinese aliases, exactly (case, width and
   spacing ignored): ``"kindergarten"``, ``"Fresh food market"``, ``"菜场"``;
2. :func:`category_for_name`: a Chinese facility name that ends with or contains an alias
   (``"临汾路街道社区卫生服务中心"`` -> ``health_centre``).

Anything else is unknown; :func:`suggest_category` offers the closest known name.
"""

from __future__ import annotations

import difflib
import functools
import re
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType

__all__ = [
    "FacilityCategory",
    "category_for_name",
    "category_for_osm_tags",
    "facility_categories",
    "osm_tag_filter",
    "osm_tag_keys",
    "resolve_category",
    "suggest_category",
]

_PACKAGE = "lifecircle.geo"
_TABLE = "facility_categories.toml"


@dataclass(frozen=True)
class FacilityCategory:
    """One facility category of the shared table.

    Parameters
    ----------
    code : str
        Category code shared by every preset (``"kindergarten"``).
    name_zh, name_en : str
        Chinese and English names.
    osm_tags : tuple of str
        OpenStreetMap tag rules (``"amenity=kindergarten"``; ``"a=b+c=d"`` needs both tags).
    zh_aliases : tuple of str
        Chinese names the category goes by (longest match wins in :func:`category_for_name`).
    parent : str or None
        A generic category this one refines by name (``primary_school`` refines ``school``).
    """

    code: str
    name_zh: str
    name_en: str
    osm_tags: tuple[str, ...]
    zh_aliases: tuple[str, ...]
    parent: str | None = None


@functools.cache
def _table() -> Mapping[str, FacilityCategory]:
    text = resources.files(_PACKAGE).joinpath(_TABLE).read_text(encoding="utf-8")
    entries = {}
    for row in tomllib.loads(text)["category"]:
        entry = FacilityCategory(
            row["code"],
            row["name_zh"],
            row["name_en"],
            tuple(row["osm_tags"]),
            tuple(row["zh_aliases"]),
            row.get("parent"),
        )
        entries[entry.code] = entry
    return MappingProxyType(entries)


def facility_categories() -> Mapping[str, FacilityCategory]:
    """Every category of the table, by code, in the table's order (read-only)."""
    return _table()


def osm_tag_filter() -> dict[str, list[str]]:
    """``{key: [values]}`` of the first tag of every OSM rule, to pre-select features.

    Examples
    --------
    >>> osm_tag_filter()["leisure"]
    ['fitness_station', 'park', 'pitch', 'sports_centre', 'sports_hall', 'track']
    """
    wanted: dict[str, set[str]] = {}
    for entry in _table().values():
        for text in entry.osm_tags:
            key, value = text.split("+", 1)[0].split("=", 1)
            wanted.setdefault(key, set()).add(value)
    return {key: sorted(values) for key, values in sorted(wanted.items())}


def osm_tag_keys() -> tuple[str, ...]:
    """Every OSM key that some rule of the table reads, sorted."""
    rules = (rule for entry in _table().values() for rule in entry.osm_tags)
    return tuple(sorted({part.split("=", 1)[0] for rule in rules for part in rule.split("+")}))


def _rule(text: str) -> dict[str, str]:
    """``"amenity=school+isced:level=1"`` -> ``{"amenity": "school", "isced:level": "1"}``."""
    return dict(part.split("=", 1) for part in text.split("+"))


@functools.cache
def _alias_table() -> tuple[tuple[str, str], ...]:
    """``(alias, code)`` pairs, longest alias first."""
    pairs = [(a, e.code) for e in _table().values() for a in e.zh_aliases]
    return tuple(sorted(pairs, key=lambda p: (-len(p[0]), p[0])))


_BRACKETS = re.compile(r"[（(][^（）()]*[）)]\s*$")


def category_for_name(text: str) -> str | None:
    """The category code a Chinese facility name belongs to, or ``None``.

    The name is trimmed of spaces and of a trailing bracketed branch (``（北部）``); an
    alias equal to the name wins, then the longest alias the name ends with, then the
    longest alias it contains.

    Examples
    --------
    >>> category_for_name("临汾路街道社区卫生服务中心")
    'health_centre'
    >>> category_for_name("静安区第一中心小学（西校区）")
    'primary_school'
    >>> category_for_name("永和菜场") , category_for_name("咖啡馆")
    ('market', None)
    """
    name = re.sub(r"\s+", "", str(text))
    while _BRACKETS.search(name):
        name = _BRACKETS.sub("", name)
    if not name:
        return None
    table = _alias_table()
    for test in (name.__eq__, name.endswith, name.__contains__):
        for alias, code in table:
            if test(alias):
                return code
    return None


def category_for_osm_tags(tags: Mapping[str, object]) -> str | None:
    """The category code of an OpenStreetMap feature, or ``None``.

    The tag rule with the most matching tags wins (``amenity=school`` + ``isced:level=1``
    beats ``amenity=school``). When it lands on a generic category (``school``,
    ``health_station``...), a ``name:zh``/``name`` that names one of its refinements
    decides (``amenity=school`` named ``…小学`` is a ``primary_school``).

    Examples
    --------
    >>> category_for_osm_tags({"amenity": "kindergarten"})
    'kindergarten'
    >>> category_for_osm_tags({"amenity": "school", "name": "市西初级中学"})
    'middle_school'
    >>> category_for_osm_tags({"amenity": "bench"}) is None
    True
    """
    present = {str(k): str(v) for k, v in tags.items() if v is not None}
    best, best_size = None, 0
    for entry in _table().values():
        for text in entry.osm_tags:
            rule = _rule(text)
            if len(rule) > best_size and all(present.get(k) == v for k, v in rule.items()):
                best, best_size = entry.code, len(rule)
    if best is None:
        return None
    for key in ("name:zh", "name:zh-Hans", "name"):
        named = category_for_name(present[key]) if key in present else None
        if named is not None and _table()[named].parent == best:
            return named
    return best


def _key(text: object) -> str:
    """Case-, width- and spacing-insensitive form of a name."""
    folded = unicodedata.normalize("NFKC", str(text)).strip().lower()
    return " ".join(folded.replace("_", " ").split())


@functools.cache
def _exact_names() -> Mapping[str, str]:
    """Every exact name (code, English, Chinese, alias) -> code."""
    names: dict[str, str] = {}
    for entry in _table().values():
        for name in (entry.code, entry.name_en, entry.name_zh, *entry.zh_aliases):
            names.setdefault(_key(name), entry.code)
    return MappingProxyType(names)


def resolve_category(text: object) -> str | None:
    """The category code a cell of a facilities layer names, or ``None``.

    Exact names first (code, English or Chinese name, alias; case and width ignored), then
    :func:`category_for_name` on the Chinese text.

    Examples
    --------
    >>> resolve_category("Fresh food market"), resolve_category("菜场")
    ('market', 'market')
    >>> resolve_category("社区卫生服务中心（社区医院）"), resolve_category("bakery")
    ('health_centre', None)
    """
    key = _key(text)
    if not key:
        return None
    exact = _exact_names().get(key)
    return exact if exact is not None else category_for_name(str(text))


def suggest_category(text: object) -> str | None:
    """The known category name closest to ``text`` (for a "did you mean"), or ``None``.

    Examples
    --------
    >>> suggest_category("kindergarden"), suggest_category("幼儿圆"), suggest_category("bakery")
    ('Kindergarten', '幼儿园', None)
    """
    names = {_key(n): n for e in _table().values() for n in (e.code, e.name_zh, *e.zh_aliases)}
    names.update({_key(e.name_en): e.name_en for e in _table().values()})
    close = difflib.get_close_matches(_key(text), list(names), n=1, cutoff=0.65)
    return names[close[0]] if close else None
