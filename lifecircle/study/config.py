"""Study configuration: one TOML file describing data, network, analysis and targets.

A *study* is what a planning team keeps in a repository next to its data: which layer
files to read (and in which coordinate system), where the walking network comes from,
the walking speeds and services to analyse, the **targets** the plan must meet and where
outputs go. :func:`load_study` parses it with the standard library's :mod:`tomllib` and
validates everything before any expensive work, collecting every problem into one
:class:`~lifecircle.errors.ConfigError`::

    study.toml: 2 problems:
      targets[2].minimum: expected a number between 0 and 1, got "90%" (write 0.9 for 90%)
      layers.seatz: unknown key; did you mean "seats"?

Targets are numbered from 1 in messages, like the ``T1``, ``T2``... ids of ``lifecircle
check``. Relative paths are resolved against the folder of the study file. Run
``lifecircle init`` for a commented template of every key.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lifecircle.errors import ConfigError
from lifecircle.frozen_mapping import FrozenMapping
from lifecircle.geo.schema import ELDERLY_TYPES, find_category
from lifecircle.input_files import input_file_problem
from lifecircle.maps.basemaps import BASEMAPS as MAP_BASEMAPS
from lifecircle.maps.labels import LANGS
from lifecircle.study.batch_config import BatchSpec, parse_batch
from lifecircle.study.config_problems import ProblemCollector, parse_toml, show_value
from lifecircle.study.life_circle import LIFE_CIRCLE_KEYS, LifeCircleSpec, parse_life_circle
from lifecircle.study.siting_config import SitingSpec, parse_siting
from lifecircle.study.target_config import (
    TARGET_KEYS,
    Target,
    parse_targets,
)
from lifecircle.study.tianditu_key import (
    parse_tianditu_key,
    resolve_tianditu_key,
)

if TYPE_CHECKING:
    from lifecircle.coverage.options import CoverageOptions
    from lifecircle.coverage.routing.profiles import WalkProfile

__all__ = [
    "DEFAULT_SERVICES",
    "LayerSource",
    "NetworkSource",
    "ProfileSpec",
    "Study",
    "Target",
    "load_study",
    "resolve_tianditu_key",
    "study_from_text",
]

REQUIRED_LAYERS = ("grids", "seats", "elderly", "heritage")
OPTIONAL_LAYERS = ("conservation", "buildings", "facilities")
NETWORK_KINDS = ("pbf", "xml", "graphml", "lines", "place", "demo")
BUILTIN_PROFILES = ("adult", "elderly", "wheelchair", "pram")
#: ``[outputs] basemap``: the maps' basemaps, with "none" for no tiles.
BASEMAPS = ("none", *(b for b in MAP_BASEMAPS if b is not None))

#: Services analysed when a study has no ``[services]`` table: name -> elderly ``type`` codes.
DEFAULT_SERVICES: Mapping[str, tuple[str, ...]] = FrozenMapping(
    {
        "elderly": tuple(c.code for c in ELDERLY_TYPES if c.code != "bathing"),
        "care": ("life_centre", "care_home", "day_care"),
        "bathing": ("bathing",),
    }
)

_SUFFIX_KIND = {
    ".pbf": "pbf",
    ".osm": "xml",
    ".xml": "xml",
    ".graphml": "graphml",
    ".geojson": "lines",
    ".json": "lines",
    ".gpkg": "lines",
    ".shp": "lines",
    ".zip": "lines",
}

_KEYS: dict[str, tuple[str, ...]] = {
    "": (
        "study",
        "layers",
        "network",
        "analysis",
        "profiles",
        "services",
        "targets",
        "outputs",
        "cache",
        "siting",
        "batch",
    ),
    "study": ("name", "description", "synthetic", "boundary"),
    "layers": (*REQUIRED_LAYERS, *OPTIONAL_LAYERS, "crs"),
    "layer": ("path", "crs", "layer", "x", "y", "columns", "encoding"),
    "network": ("source", "kind", "place", "penalties", "bbox", "boundary", "clip"),
    "boundary": ("path", "crs", "layer"),
    "analysis": ("profile", "walk_minutes", "max_snap_m", "spacing_m"),
    "profile": ("base", "speed_m_s", "penalties"),
    "target": TARGET_KEYS,
    "outputs": ("dir", "lang", "basemap", "tianditu_key"),
    "cache": ("dir", "enabled"),
}


@dataclass(frozen=True)
class LayerSource:
    """Where one layer comes from and how to read it (arguments of ``lifecircle.geo.read_*``)."""

    path: Path
    crs: str | int | None = None
    layer: str | None = None
    x: str | None = None
    y: str | None = None
    columns: Mapping[str, str] = field(default_factory=dict)
    encoding: str | None = None


@dataclass(frozen=True)
class NetworkSource:
    """Where the walking network comes from: a file of ``kind``, a place name or ``"demo"``."""

    kind: str
    path: Path | None = None
    place: str | None = None
    penalties: Mapping[str, float] = field(default_factory=dict)
    #: ``[west, south, east, north]`` (WGS-84) or a boundary file: the network's extent,
    #: instead of the study's (``[study] boundary`` or the grids).
    bbox: tuple[float, float, float, float] | None = None
    boundary: LayerSource | None = None
    #: Clip the network to the extent plus the walking buffer (``clip = false``: use it whole).
    clip: bool = True


@dataclass(frozen=True)
class ProfileSpec:
    """A walking profile of the study: a built-in ``base`` with optional overrides."""

    name: str
    base: str = "elderly"
    speed_m_s: float | None = None
    penalties: Mapping[str, float] | None = None


def _default_coverage() -> CoverageOptions:
    from lifecircle.coverage.options import CoverageOptions

    return CoverageOptions()


@dataclass(frozen=True)
class Study:
    """A validated study configuration (see :func:`load_study`).

    ``profile`` names the default walking profile of targets (a built-in one or one of
    ``profiles``); ``coverage`` holds the ``[analysis]`` settings as the options of
    :func:`~lifecircle.coverage.compute_coverage`, that profile resolved.
    """

    path: Path
    name: str
    layers: Mapping[str, LayerSource]
    network: NetworkSource
    targets: tuple[Target, ...] = ()
    profiles: Mapping[str, ProfileSpec] = field(default_factory=dict)
    services: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_SERVICES))
    profile: str = "elderly"
    coverage: CoverageOptions = field(default_factory=_default_coverage)
    description: str = ""
    synthetic: bool = False
    output_dir: Path = Path("lifecircle-output")
    lang: str = "zh"
    basemap: str | None = None
    tianditu_key: str | None = None
    cache_dir: Path | None = None
    #: The study area when it is not the union of the grids (``[study] boundary``).
    boundary: LayerSource | None = None
    #: ``[services] preset = ...``: the planning standard of the completeness targets.
    life_circle: LifeCircleSpec | None = None
    #: ``[siting]``: where new facilities should go (``lifecircle suggest --service``).
    siting: SitingSpec | None = None
    #: ``[batch]``: the districts of a city-wide batch (see :mod:`lifecircle.study.batch`).
    batch: BatchSpec | None = None

    @property
    def label(self) -> str:
        """The file name used in messages."""
        return self.path.name


def _parse_layer(
    ck: ProblemCollector, value: Any, name: str, default_crs: Any
) -> LayerSource | None:
    where = f"layers.{name}"
    if isinstance(value, str):
        path = ck.path(value, where)
        return LayerSource(path, crs=default_crs) if path else None
    if not isinstance(value, dict):
        ck.add(where, f"expected a file path or a table with path = ..., got {show_value(value)}")
        return None
    ck.known_keys(value, where, _KEYS["layer"])
    if "path" not in value:
        ck.add(where, 'missing key "path"')
        return None
    path = ck.path(value["path"], f"{where}.path")
    crs = value.get("crs", default_crs)
    if crs is not None and (isinstance(crs, bool) or not isinstance(crs, str | int)):
        ck.add(
            f"{where}.crs", f'expected a CRS such as "EPSG:4326" or "gcj02", got {show_value(crs)}'
        )
    columns = value.get("columns", {})
    if not isinstance(columns, dict) or not all(isinstance(v, str) for v in columns.values()):
        ck.add(f"{where}.columns", 'expected a table of "source header" = "canonical name"')
        columns = {}
    texts = {k: ck.string(value, k, where) for k in ("layer", "x", "y", "encoding")}
    if path is None:
        return None
    return LayerSource(path, crs=crs, columns=dict(columns), **texts)


def _parse_layers(ck: ProblemCollector, doc: Mapping[str, Any]) -> dict[str, LayerSource]:
    table = ck.table(doc, "layers", "")
    if "layers" not in doc:
        ck.add("layers", f"missing table; give at least {', '.join(REQUIRED_LAYERS)}")
        return {}
    ck.known_keys(table, "layers", _KEYS["layers"])
    default_crs = table.get("crs")
    layers = {}
    for name in (*REQUIRED_LAYERS, *OPTIONAL_LAYERS):
        if name not in table:
            if name in REQUIRED_LAYERS and not (name == "grids" and "batch" in doc):
                ck.add(f"layers.{name}", "missing: this layer is required")
            continue
        source = _parse_layer(ck, table[name], name, default_crs)
        if source is not None:
            layers[name] = source
    return layers


def _parse_network(ck: ProblemCollector, doc: Mapping[str, Any]) -> NetworkSource:
    table = ck.table(doc, "network", "")
    ck.known_keys(table, "network", _KEYS["network"])
    kind = ck.string(table, "kind", "network", choices=NETWORK_KINDS)
    source = table.get("source")
    place = ck.string(table, "place", "network")
    penalties = ck.numbers(table, "penalties", "network")
    extent = _parse_network_extent(ck, table)
    if source == "demo" or (kind == "demo" and source is None):
        return NetworkSource("demo", penalties=penalties, **extent)
    if place is not None or kind == "place":
        if place is None:
            ck.add("network.place", 'missing: kind = "place" needs place = "name, city"')
        return NetworkSource("place", place=place, penalties=penalties, **extent)
    if source is None:
        ck.add("network.source", 'missing: give a network file, place = "...", or "demo"')
        return NetworkSource("demo", penalties=penalties, **extent)
    path = ck.path(source, "network.source")
    if kind is None and path is not None:
        kind = _SUFFIX_KIND.get(path.suffix.lower())
        if kind is None:
            ck.add(
                "network.kind",
                f"cannot tell the network format from {path.name!r}; "
                f"add kind = one of {', '.join(NETWORK_KINDS)}",
            )
    return NetworkSource(kind or "lines", path=path, penalties=penalties, **extent)


def _parse_boundary(ck: ProblemCollector, value: object, where: str) -> LayerSource | None:
    """A boundary file: a path or ``{ path, crs, layer }``."""
    if isinstance(value, dict):
        ck.known_keys(value, where, _KEYS["boundary"])
        if "path" not in value:
            ck.add(where, 'missing key "path"')
            return None
        path = ck.path(value["path"], f"{where}.path")
        crs = value.get("crs")
        if crs is not None and (isinstance(crs, bool) or not isinstance(crs, str | int)):
            ck.add(
                f"{where}.crs",
                f'expected a CRS such as "EPSG:4326" or "gcj02", got {show_value(crs)}',
            )
        layer = ck.string(value, "layer", where)
        return LayerSource(path, crs=crs, layer=layer) if path else None
    if not isinstance(value, str):
        ck.add(where, f"expected a polygon file path or {{ path = ... }}, got {show_value(value)}")
        return None
    path = ck.path(value, where)
    return LayerSource(path) if path else None


def _show_list(value: object) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(show_value(v) for v in value) + "]"
    return show_value(value)


def _parse_network_extent(ck: ProblemCollector, table: Mapping[str, Any]) -> dict[str, Any]:
    """``[network] bbox``, ``boundary`` and ``clip``."""
    from lifecircle.coverage.network.extent import bbox_problem

    out: dict[str, Any] = {"clip": ck.boolean(table, "clip", "network", True)}
    if "bbox" in table and "boundary" in table:
        ck.add("network.bbox", "give either bbox or boundary, not both")
    if "bbox" in table:
        problem = bbox_problem(table["bbox"])
        if problem:
            ck.add("network.bbox", f"{problem}; got {_show_list(table['bbox'])}")
        else:
            out["bbox"] = tuple(float(v) for v in table["bbox"])
    if "boundary" in table:
        out["boundary"] = _parse_boundary(ck, table["boundary"], "network.boundary")
    return out


def _parse_profiles(ck: ProblemCollector, doc: Mapping[str, Any]) -> dict[str, ProfileSpec]:
    profiles = {}
    for name, spec in ck.table(doc, "profiles", "").items():
        where = f"profiles.{name}"
        if not isinstance(spec, dict):
            ck.add(where, f"expected a table such as {{ speed_m_s = 0.8 }}, got {show_value(spec)}")
            continue
        ck.known_keys(spec, where, _KEYS["profile"])
        base = ck.string(spec, "base", where, default="elderly", choices=BUILTIN_PROFILES)
        penalties = ck.numbers(spec, "penalties", where) if "penalties" in spec else None
        speed = ck.number_option(_coverage_options_class(), spec, "speed_m_s", where)
        profiles[name] = ProfileSpec(name, base or "elderly", speed, penalties)
    return profiles


def _parse_services(ck: ProblemCollector, doc: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    table = {
        k: v for k, v in ck.table(doc, "services", "").items() if k not in LIFE_CIRCLE_KEYS
    }  # the life-circle keys (preset...) are read by parse_life_circle
    if "services" not in doc or not table:
        return dict(DEFAULT_SERVICES)
    services = {}
    allowed = ", ".join(f"{c.code} ({c.zh})" for c in ELDERLY_TYPES)
    for name, types in table.items():
        where = f"services.{name}"
        if isinstance(types, list) and not types:
            ck.add(where, f"the list is empty; give at least one facility type: {allowed}")
            continue
        if not isinstance(types, list):
            hint = f' (write {name} = ["{types}"])' if isinstance(types, str) else ""
            ck.add(where, f"expected a list of facility types, got {show_value(types)}{hint}")
            continue
        codes = []
        for value in types:
            cat = find_category(ELDERLY_TYPES, value) if isinstance(value, str) else None
            if cat is None:
                ck.add(
                    where, f"unknown facility type {show_value(value)}; expected one of {allowed}"
                )
            else:
                codes.append(cat.code)
        services[name] = tuple(dict.fromkeys(codes))
    return services


def _coverage_options_class() -> type[CoverageOptions]:
    from lifecircle.coverage.options import CoverageOptions

    return CoverageOptions


def walk_profile(profiles: Mapping[str, ProfileSpec], name: str) -> WalkProfile:
    """The walking profile called ``name``: built in, or one of the study's ``profiles``."""
    from lifecircle.coverage.routing.profiles import PROFILES

    spec = profiles.get(name)
    if spec is None:
        return PROFILES[name]
    profile = dataclasses.replace(PROFILES[spec.base], name=name)
    if spec.speed_m_s is not None:
        profile = dataclasses.replace(profile, speed_m_s=spec.speed_m_s)
    if spec.penalties is not None:
        profile = profile.with_penalties(spec.penalties)
    return profile


def _parse_analysis(
    ck: ProblemCollector, analysis: Mapping[str, Any], profile: WalkProfile
) -> CoverageOptions:
    """``[analysis]`` as the options of ``compute_coverage``; each key is checked by them."""
    kind = _coverage_options_class()
    default = kind(profile=profile)
    walk_minutes, max_snap_m, spacing_m = (
        ck.number_option(kind, analysis, key, "analysis")
        for key in ("walk_minutes", "max_snap_m", "spacing_m")
    )
    return dataclasses.replace(
        default,
        walk_minutes=walk_minutes or default.walk_minutes,
        max_snap_m=max_snap_m or default.max_snap_m,
        spacing_m=spacing_m or default.spacing_m,
    )


def _parse_document(ck: ProblemCollector, doc: Mapping[str, Any], path: Path) -> dict[str, Any]:
    ck.known_keys(doc, "", _KEYS[""])
    head = ck.table(doc, "study", "")
    ck.known_keys(head, "study", _KEYS["study"])
    analysis = ck.table(doc, "analysis", "")
    ck.known_keys(analysis, "analysis", _KEYS["analysis"])
    outputs = ck.table(doc, "outputs", "")
    ck.known_keys(outputs, "outputs", _KEYS["outputs"])
    cache = ck.table(doc, "cache", "")
    ck.known_keys(cache, "cache", _KEYS["cache"])
    profiles = _parse_profiles(ck, doc)
    profile_names = (*BUILTIN_PROFILES, *profiles)
    fields: dict[str, Any] = {
        "path": path,
        "name": ck.string(head, "name", "study", default=path.stem),
        "description": ck.string(head, "description", "study", default=""),
        "synthetic": ck.boolean(head, "synthetic", "study", False),
        "boundary": _parse_boundary(ck, head["boundary"], "study.boundary")
        if "boundary" in head
        else None,
        "layers": _parse_layers(ck, doc),
        "network": _parse_network(ck, doc),
        "profiles": profiles,
        "services": _parse_services(ck, doc),
        "profile": (
            profile := ck.string(analysis, "profile", "analysis", "elderly", profile_names)
            or "elderly"
        ),
        "coverage": _parse_analysis(ck, analysis, walk_profile(profiles, profile)),
        "lang": ck.string(outputs, "lang", "outputs", "zh", LANGS),
        "basemap": ck.string(outputs, "basemap", "outputs", None, BASEMAPS),
        "tianditu_key": parse_tianditu_key(ck, outputs),
        "output_dir": ck.folder(outputs.get("dir"), "outputs.dir", "lifecircle-output"),
        "cache_dir": ck.folder(cache.get("dir"), "cache.dir", ".lifecircle-cache")
        if ck.boolean(cache, "enabled", "cache", True)
        else None,
    }  # fmt: skip
    services = ck.table(doc, "services", "")
    fields["life_circle"] = parse_life_circle(ck, services, fields["coverage"])
    fields["siting"] = parse_siting(ck, doc, fields["services"])
    context = {**fields, "profile_names": profile_names}
    fields["targets"] = tuple(parse_targets(ck, doc, context))
    fields["batch"] = parse_batch(ck, doc)
    return fields


def study_from_text(text: str, path: str | Path = "study.toml") -> Study:
    """Parse and validate study TOML ``text`` as if read from ``path``.

    Parameters
    ----------
    text : str
        The TOML document.
    path : str or Path
        The file it came from: names it in messages and anchors relative paths.

    Returns
    -------
    Study

    Raises
    ------
    ConfigError
        Listing every problem found, each with its key path.
    """
    path = Path(path)
    doc = parse_toml(text, path)
    ck = ProblemCollector(path.resolve().parent)
    fields = _parse_document(ck, doc, path)
    if ck.problems:
        count = len(ck.problems)
        noun = "problem" if count == 1 else "problems"
        lines = "\n".join(f"  {p}" for p in ck.problems)
        raise ConfigError(f"{path.name}: {count} {noun}:\n{lines}")
    if fields["basemap"] == "none":
        fields["basemap"] = None
    return Study(**fields)


def load_study(path: str | Path) -> Study:
    """Read and validate a study file.

    Parameters
    ----------
    path : str or Path
        A ``.toml`` study file (see ``lifecircle init`` for a template).

    Returns
    -------
    Study
        Paths resolved against the study file's folder; files checked to exist.

    Raises
    ------
    ConfigError
        When the file is missing, not TOML, or any key is unknown, mistyped or out of range.

    Examples
    --------
    >>> from lifecircle.study import demo_study_path
    >>> load_study(demo_study_path()).name  # doctest: +SKIP
    'lifecircle demo district (synthetic)'
    """
    path = Path(path)
    problem = input_file_problem(path)
    if problem == "file not found":
        raise ConfigError(
            f"{path}: study file not found (run `lifecircle init {path}` to create one)"
        )
    if problem:
        raise ConfigError(f"{path}: {problem} (the study's .toml file)")
    try:
        text = path.read_text(encoding="utf-8-sig")  # Windows editors add a BOM
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path.name}: not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from None
    return study_from_text(text, path)
