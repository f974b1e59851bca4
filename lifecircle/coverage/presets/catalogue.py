"""Service catalogues of Chinese planning standards, loaded from TOML presets.

A :class:`ServiceCatalogue` says which services a planning document requires within each
life-circle tier (5, 10, 15 minutes) and how far residents may walk to them. Presets ship as
TOML files in ``standards/`` (one per document) and are read with :mod:`tomllib` through
:mod:`importlib.resources`. The single table that maps OpenStreetMap tags and Chinese facility
names to category codes (:func:`category_for_osm_tags`, :func:`category_for_name`) lives in
:mod:`lifecircle.geo.facility_categories` (geo reads the facilities layer with it) and is
re-exported here.

Every figure carries its source and a status (``docs/presets.md`` lists them all):

``read``
    read in the document's own text;
``secondary``
    read in a secondary source that quotes or reports the document (the source names it);
``unread``
    cited to the clause that states it, but the text could not be read while the preset was
    written — check it before relying on it;
``unsourced``
    no figure was found: the value is left unset (``None``) for the user to set
    (:meth:`ServiceCatalogue.with_walk_m`). Numbers are never made up.

Metres, not minutes
-------------------
The standards give walking *distances*. A preset keeps the metres as written
(``max_walk_m``, tier ``walk_m_max``); converting them to minutes is a run-time choice of
walking profile (:mod:`lifecircle.coverage.profiles`: 500 m is 6.4 minutes at the adult
1.3 m/s, 9.3 minutes at the elderly 0.9 m/s). ``max_walk_minutes`` exists for documents that
state minutes only.
"""

from __future__ import annotations

import difflib
import functools
import math
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from lifecircle.errors import ConfigError
from lifecircle.frozen_mapping import FrozenMapping
from lifecircle.geo.facility_categories import (
    FacilityCategory,
    category_for_name,
    category_for_osm_tags,
    facility_categories,
)

__all__ = [
    "STATUSES",
    "TIERS",
    "ServiceCatalogue",
    "ServiceCategory",
    "TierDistance",
    "catalogue_from_file",
    "category_for_name",
    "category_for_osm_tags",
    "load_preset",
    "preset_names",
]

#: How well a figure is sourced, from best to none (see the module docstring).
STATUSES = ("read", "secondary", "unread", "unsourced")
#: Life-circle tiers in walking minutes.
TIERS = (5, 10, 15)
UNSOURCED = "unsourced"
_PACKAGE = "lifecircle.coverage.presets"


def _sourced(what: str, source: str, status: str, has_value: bool) -> list[str]:
    """Problems with one figure's (value, source, status) triple."""
    if status not in STATUSES:
        return [f"{what}: status must be one of {list(STATUSES)}, got {status!r}"]
    if status == UNSOURCED:
        problems = [] if source == UNSOURCED else [f"{what}: unsourced, so source = 'unsourced'"]
        if has_value:
            problems.append(f"{what}: unsourced, so the value must be left unset")
        return problems
    if not source.strip() or source == UNSOURCED:
        return [f"{what}: a {status} figure needs its source (document and clause)"]
    if not has_value:
        return [f"{what}: status {status!r} but no value; use status 'unsourced'"]
    return []


@dataclass(frozen=True)
class TierDistance:
    """The walking distance of one life-circle tier.

    Parameters
    ----------
    minutes : int
        5, 10 or 15.
    walk_m_min, walk_m_max : float, optional
        The distance range the document gives (``walk_m_min`` may be absent).
    source, status : str
        Where the figures come from and how well (see the module docstring).
    note : str
        Anything the user should know (approximations, gaps).
    """

    minutes: int
    walk_m_min: float | None
    walk_m_max: float | None
    source: str
    status: str
    note: str = ""

    def __post_init__(self) -> None:
        what = f"tier {self.minutes}"
        problems = _sourced(what, self.source, self.status, self.walk_m_max is not None)
        if self.minutes not in TIERS:
            problems.append(f"{what}: tiers are {list(TIERS)} minutes")
        low, high = self.walk_m_min, self.walk_m_max
        if low is not None and (high is None or not (0 < low <= high)):
            problems.append(f"{what}: need 0 < walk_m_min <= walk_m_max, got {low}, {high}")
        if high is not None and not (math.isfinite(high) and high > 0):
            problems.append(f"{what}: walk_m_max must be a positive number, got {high}")
        if problems:
            raise ValueError("; ".join(problems))


@dataclass(frozen=True)
class ServiceCategory:
    """One service a catalogue requires, with its tier, walking limit and sources.

    Parameters
    ----------
    code : str
        Category code shared by all presets (``"kindergarten"``), from
        ``lifecircle/geo/facility_categories.toml``.
    name_zh, name_en : str
        Names; ``name_zh`` is the document's own term where it has one.
    tier : int or None
        Life-circle tier in minutes (5, 10, 15); ``None`` when unsourced.
    max_walk_m : float or None
        The document's own walking distance for this service, in metres.
    max_walk_minutes : float or None
        The same in minutes, for documents that give minutes only.
    source, status : str
        Source and status of ``tier`` (see the module docstring).
    walk_source, walk_status : str
        Source and status of ``max_walk_m`` / ``max_walk_minutes``.
    note : str
        Remarks for the user.
    osm_tags : tuple of str
        OpenStreetMap tag rules (``"amenity=kindergarten"``, ``"a=b+c=d"`` for all of them).
    zh_aliases : tuple of str
        Chinese names the category goes by.
    """

    code: str
    name_zh: str
    name_en: str
    tier: int | None
    max_walk_m: float | None
    max_walk_minutes: float | None
    source: str
    status: str
    walk_source: str = UNSOURCED
    walk_status: str = UNSOURCED
    note: str = ""
    osm_tags: tuple[str, ...] = ()
    zh_aliases: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        problems = _sourced(f"{self.code}.tier", self.source, self.status, self.tier is not None)
        if self.tier is not None and self.tier not in TIERS:
            problems.append(f"{self.code}.tier must be one of {list(TIERS)}, got {self.tier!r}")
        has_walk = self.max_walk_m is not None or self.max_walk_minutes is not None
        problems += _sourced(f"{self.code}.max_walk", self.walk_source, self.walk_status, has_walk)
        for name in ("max_walk_m", "max_walk_minutes"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value > 0):
                problems.append(f"{self.code}.{name} must be a positive number, got {value}")
        if problems:
            raise ValueError("; ".join(problems))
        object.__setattr__(self, "osm_tags", tuple(self.osm_tags))
        object.__setattr__(self, "zh_aliases", tuple(self.zh_aliases))


@dataclass(frozen=True)
class ServiceCatalogue:
    """The services one planning document requires (:func:`load_preset`).

    Parameters
    ----------
    name : str
        Preset name (``"gb50180_2018"``).
    title_zh, title_en : str
        The document's title.
    document : str
        Its reference (``"GB 50180-2018"``).
    categories : tuple of ServiceCategory
        One per code, in the document's order.
    tiers : mapping of int to TierDistance
        Walking distance of each tier the document defines.
    """

    name: str
    title_zh: str
    title_en: str
    document: str
    categories: tuple[ServiceCategory, ...]
    tiers: Mapping[int, TierDistance] = field(default_factory=dict)

    def __post_init__(self) -> None:
        codes = [c.code for c in self.categories]
        twice = sorted({c for c in codes if codes.count(c) > 1})
        if twice:
            raise ValueError(f"{self.name}: categories listed twice: {twice}")
        object.__setattr__(self, "categories", tuple(self.categories))
        object.__setattr__(self, "tiers", FrozenMapping(dict(self.tiers)))

    @property
    def codes(self) -> tuple[str, ...]:
        """The category codes, in the document's order."""
        return tuple(c.code for c in self.categories)

    def category(self, code: str) -> ServiceCategory:
        """The category ``code``; ``KeyError`` naming the known codes (with a suggestion)."""
        for candidate in self.categories:
            if candidate.code == code:
                return candidate
        raise KeyError(f"{self.name} has no category {code!r}{_suggest(code, self.codes)}")

    def walk_limit_m(self, code: str) -> float | None:
        """The walking limit in metres: the category's own, else its tier's upper distance.

        ``None`` when neither is sourced (set one with :meth:`with_walk_m`).
        """
        category = self.category(code)
        if category.max_walk_m is not None:
            return category.max_walk_m
        tier = self.tiers.get(category.tier) if category.tier is not None else None
        return tier.walk_m_max if tier is not None else None

    def unsourced(self) -> tuple[str, ...]:
        """Every figure left unset, as ``"code.tier"``, ``"code.max_walk"`` or ``"tier 5"``."""
        gaps = [f"tier {t}" for t, d in sorted(self.tiers.items()) if d.status == UNSOURCED]
        for c in self.categories:
            gaps += [f"{c.code}.tier"] if c.status == UNSOURCED else []
            gaps += [f"{c.code}.max_walk"] if c.walk_status == UNSOURCED else []
        return tuple(gaps)

    def with_walk_m(self, code: str, max_walk_m: float, *, source: str) -> ServiceCatalogue:
        """A copy where ``code`` has the walking limit ``max_walk_m``, citing ``source``.

        The figure gets status ``"read"``: the user vouches for having read ``source``.
        """
        old = self.category(code)
        new = replace(
            old,
            max_walk_m=max_walk_m,
            max_walk_minutes=None,
            walk_source=source,
            walk_status="read",
        )
        categories = tuple(new if c.code == code else c for c in self.categories)
        return replace(self, categories=categories)


# --------------------------------------------------------------------------- vocabulary
def _vocabulary() -> Mapping[str, FacilityCategory]:
    """The shared category table (:mod:`lifecircle.geo.facility_categories`)."""
    return facility_categories()


# --------------------------------------------------------------------------- loading
def _suggest(word: str, known: Iterable[str]) -> str:
    known = sorted(known)
    close = difflib.get_close_matches(word, known, n=1)
    hint = f" — did you mean {close[0]!r}?" if close else ""
    return f"{hint} Known: {', '.join(known)}"


def _standards() -> Any:
    return resources.files(_PACKAGE).joinpath("standards")


def preset_names() -> tuple[str, ...]:
    """Names of the shipped presets (``"gb50180_2018"``, ``"shanghai_2016"``...)."""
    names = (p.name[: -len(".toml")] for p in _standards().iterdir() if p.name.endswith(".toml"))
    return tuple(sorted(names))


@functools.cache
def load_preset(name: str) -> ServiceCatalogue:
    """Load a shipped preset by name.

    Raises
    ------
    ConfigError
        For an unknown name (listing the known ones, with a did-you-mean) or a preset file
        with problems (listing every one).
    """
    if not isinstance(name, str):
        raise TypeError(f"preset name must be a str, got {type(name).__name__}")
    known = preset_names()
    if name not in known:
        raise ConfigError(f"unknown preset {name!r}{_suggest(name, known)}")
    text = _standards().joinpath(f"{name}.toml").read_text(encoding="utf-8")
    return _catalogue_from_text(text, f"preset {name!r}")


def catalogue_from_file(path: str | Path) -> ServiceCatalogue:
    """Load a catalogue from your own TOML file, in the format of the shipped presets."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path.name}: cannot be read ({exc.strerror})") from None
    return _catalogue_from_text(text, path.name)


def _catalogue_from_text(text: str, where: str) -> ServiceCatalogue:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: not valid TOML ({exc})") from None
    problems: list[str] = []
    head = {k: data.get(k) for k in ("name", "title_zh", "title_en", "document")}
    problems += [f"{k} is missing" for k, v in head.items() if not isinstance(v, str)]
    tiers = _tiers(data.get("tiers", {}), problems)
    categories = [_category(i, row, problems) for i, row in enumerate(data.get("categories", []))]
    if not categories:
        problems.append("no [[categories]]")
    if not problems:
        try:
            return ServiceCatalogue(
                str(head["name"]),
                str(head["title_zh"]),
                str(head["title_en"]),
                str(head["document"]),
                tuple(c for c in categories if c is not None),
                tiers,
            )
        except ValueError as exc:
            problems.append(str(exc))
    noun = "problem" if len(problems) == 1 else "problems"
    raise ConfigError(f"{where}: {len(problems)} {noun}: " + "; ".join(problems))


def _number(row: Mapping[str, Any], key: str) -> float | None:
    value = row.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{key} must be a number, got {value!r}")
    return float(value)


def _tiers(table: Mapping[str, Any], problems: list[str]) -> dict[int, TierDistance]:
    tiers = {}
    for key, row in table.items():
        try:
            minutes = int(key)
            tiers[minutes] = TierDistance(
                minutes,
                _number(row, "walk_m_min"),
                _number(row, "walk_m_max"),
                str(row.get("source", "")),
                str(row.get("status", "")),
                str(row.get("note", "")),
            )
        except ValueError as exc:
            problems.append(f"tiers.{key}: {exc}")
    return tiers


def _category(index: int, row: Mapping[str, Any], problems: list[str]) -> ServiceCategory | None:
    code = row.get("code")
    vocabulary = _vocabulary()
    if not isinstance(code, str) or code not in vocabulary:
        problems.append(
            f"categories[{index}]: unknown code {code!r}{_suggest(str(code), vocabulary)}"
        )
        return None
    entry = vocabulary[code]
    unknown = set(row) - {
        "code",
        "name_zh",
        "name_en",
        "tier",
        "max_walk_m",
        "max_walk_minutes",
        "source",
        "status",
        "walk_source",
        "walk_status",
        "note",
    }
    if unknown:
        problems.append(f"{code}: unknown keys {sorted(unknown)}")
    tier = row.get("tier")
    if tier is not None and (isinstance(tier, bool) or not isinstance(tier, int)):
        problems.append(f"{code}.tier must be one of {list(TIERS)}, got {tier!r}")
        return None
    try:
        return ServiceCategory(
            code,
            str(row.get("name_zh", entry.name_zh)),
            str(row.get("name_en", entry.name_en)),
            tier,
            _number(row, "max_walk_m"),
            _number(row, "max_walk_minutes"),
            str(row.get("source", "")),
            str(row.get("status", "")),
            str(row.get("walk_source", "")),
            str(row.get("walk_status", "")),
            str(row.get("note", "")),
            entry.osm_tags,
            entry.zh_aliases,
        )
    except ValueError as exc:
        problems.append(str(exc))
        return None
