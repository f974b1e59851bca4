"""Run a study: load its layers and network, compute what its targets need, evaluate them.

Only the computations the targets need are run: one coverage computation per distinct
(profile, walking minutes) pair, covering every service those targets name; seat metrics
only when a seat target exists. The walking network is cached in the study's cache folder
by the network builders (keyed by the content of the input file and the parameters), so an
edited network file is rebuilt and an unchanged one is loaded. Layers are always read fresh.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd
from tqdm import tqdm

from lifecircle.errors import ConfigError
from lifecircle.study.config import Study, Target, walk_profile
from lifecircle.study.datum_review import checks_study_datums, study_datum_check
from lifecircle.study.targets import CheckReport, evaluate_targets

if TYPE_CHECKING:
    import geopandas as gpd
    from shapely.geometry.base import BaseGeometry

    from lifecircle.coverage.measures.coverage_result import CoverageResult
    from lifecircle.coverage.measures.life_circle.life_circle_result import LifeCircleResult
    from lifecircle.coverage.network.walk_network import WalkNetwork
    from lifecircle.coverage.routing.profiles import WalkProfile
    from lifecircle.geo.layers import Layers

__all__ = [
    "StudyRun",
    "compute_study_coverage",
    "compute_study_life_circle",
    "coverage_groups",
    "evaluate_study",
    "load_study_layers",
    "load_study_network",
    "run_study",
    "study_area",
    "study_buffer_m",
    "study_profile",
]

logger = logging.getLogger(__name__)

_GRID_COLUMNS = ["id", "name", "level", "parent_id", "kind"]


@dataclass(frozen=True)
class StudyRun:
    """Everything one ``run_study`` computed: inputs, per-target tables and the report."""

    study: Study
    layers: Layers
    network: WalkNetwork
    report: CheckReport
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    coverage: Mapping[tuple[str, float], CoverageResult] = field(default_factory=dict)
    #: The life circle of the completeness targets (``None`` without any).
    life_circle: LifeCircleResult | None = None


def _read_study_layer(study: Study, name: str) -> gpd.GeoDataFrame:
    from lifecircle import geo

    src = study.layers[name]
    reader = getattr(geo, f"read_{name}")
    return reader(
        src.path, crs=src.crs, layer=src.layer, encoding=src.encoding,
        columns=dict(src.columns) or None, x=src.x, y=src.y,
    )  # fmt: skip


def load_study_layers(study: Study) -> Layers:
    """Read and cross-check the study's layers (``lifecircle.geo`` readers + ``load_layers``).

    The study's boundary file (``[study] boundary`` / ``[network] boundary``), when it has
    one, is read and checked too, so that ``lifecircle validate`` reports its problems.
    """
    from lifecircle import geo
    from lifecircle.errors import hint_style

    if "grids" not in study.layers:  # a batch study: the grids are per district
        raise ConfigError(
            f"{study.label}: layers.grids: missing; this is a batch study (its grids are "
            f"per district): run `lifecircle batch {study.label}`"
        )
    frames = {
        name: geo.LayerInput(
            src.path,
            crs=src.crs,
            layer=src.layer,
            encoding=src.encoding,
            columns=dict(src.columns) or None,
            x=src.x,
            y=src.y,
        )
        for name, src in study.layers.items()
    }
    with hint_style("toml"):  # fixes written for the study file; every file's problems
        layers = geo.load_layers(
            grids=frames["grids"], seats=frames["seats"], elderly=frames["elderly"],
            heritage=frames["heritage"], conservation=frames.get("conservation"),
            buildings=frames.get("buildings"), facilities=frames.get("facilities"),
            name=study.name,
        )  # fmt: skip
    if study.synthetic and not layers.synthetic:
        layers = dataclasses.replace(layers, synthetic=True)
    if study.network.boundary is not None or study.boundary is not None:
        study_area(study, layers)
    return layers


def study_buffer_m(study: Study) -> float:
    """The walking buffer of the study's network: its longest walk at its fastest pace.

    The longest ``walk_minutes`` of ``[analysis]`` and of the coverage targets, at the
    fastest of the profiles they use, or the longest seat ``reach_m`` — or twice the
    ``[services] preset``'s longest walking limit, as far as the life circle routes — when
    longer, plus ``max_snap_m`` (see :func:`lifecircle.coverage.network.extent.walking_buffer_m`).
    """
    from lifecircle.coverage.network.extent import walking_buffer_m

    coverage = [t for t in study.targets if t.metric == "coverage"]
    minutes = max([study.coverage.walk_minutes, *(t.walk_minutes for t in coverage)])
    profiles = {study.profile, *(t.profile for t in coverage)}
    speed = max(study_profile(study, name).speed_m_s for name in sorted(profiles))
    reach = max([0.0, *(t.reach_m for t in study.targets if t.metric == "seat_reach")])
    if study.life_circle is not None:  # facilities are routed up to twice the longest limit
        from lifecircle.coverage.measures.life_circle.life_circle import SEARCH_FACTOR

        reach = max(reach, SEARCH_FACTOR * study.life_circle.max_limit_m)
    snap = study.coverage.max_snap_m
    return walking_buffer_m(minutes, speed, max_snap_m=snap, reach_m=reach)


def study_area(study: Study, layers: Layers | None = None) -> tuple[BaseGeometry, str]:
    """The study's extent in EPSG:4326 and its plain-words source.

    ``[network] bbox`` or ``boundary`` when given, else ``[study] boundary``, else the
    union of the grids (read from ``layers``, or from the grids file).

    Raises
    ------
    ConfigError
        When the boundary file is unusable, naming the key and the file.
    """
    import shapely

    from lifecircle.coverage.network.extent import check_overlap, grids_extent, read_boundary
    from lifecircle.errors import CRSError, LayerError

    net = study.network
    key, src = (
        ("network.boundary", net.boundary) if net.boundary else ("study.boundary", study.boundary)
    )
    try:
        grids = layers.grids if layers is not None else _read_study_layer(study, "grids")
        if net.bbox is not None:
            area, label, key = shapely.box(*net.bbox), "bbox", "network.bbox"
        elif src is not None:
            area, label = read_boundary(src.path, crs=src.crs, layer=src.layer), src.path.name
        else:
            return grids_extent(grids), "grids"
        check_overlap(area, grids, name=label)
    except (LayerError, CRSError) as exc:
        raise ConfigError(f"{study.label}: {key}: {exc}") from None
    return area, label


def load_study_network(
    study: Study, *, refresh: bool = False, layers: Layers | None = None, clip: bool | None = None
) -> WalkNetwork:
    """Build (or load from the study's cache) the walking network, clipped to the study.

    The cache holds the whole network; it is clipped after loading (a few milliseconds) to
    the study's extent plus its walking buffer (:func:`study_area`, :func:`study_buffer_m`,
    :func:`lifecircle.coverage.network.extent.clip_network`) unless ``[network] clip = false``.

    Parameters
    ----------
    study : Study
    refresh : bool
        Delete the cached copy first so that the network is rebuilt from its source.
    layers : Layers, optional
        The study's layers (their grids are the default extent); read when omitted.
    clip : bool, optional
        Override ``[network] clip``.
    """
    network = _build_study_network(study, refresh=refresh)
    return _clip_study_network(study, network, layers=layers, clip=clip)


def _clip_study_network(
    study: Study, network: WalkNetwork, *, layers: Layers | None, clip: bool | None = None
) -> WalkNetwork:
    """The whole network clipped to the study (see :func:`load_study_network`)."""
    if not (study.network.clip if clip is None else clip):
        return network
    from lifecircle.coverage.network.extent import clip_network

    area, label = study_area(study, layers)
    return clip_network(network, area, buffer_m=study_buffer_m(study), extent_source=label)


def _build_study_network(study: Study, *, refresh: bool) -> WalkNetwork:
    from lifecircle.coverage.network import build

    net = study.network
    cache = str(study.cache_dir) if study.cache_dir is not None else None
    if refresh and cache is not None:
        _clear_network_cache(study)
    penalties = dict(net.penalties) or None
    if net.kind == "demo":
        from lifecircle.data import demo_path

        return build.network_from_lines(
            demo_path("network.geojson"), penalties=penalties, cache_dir=cache
        )
    if net.kind == "place":
        from lifecircle.coverage.network import download

        return download.network_from_place(str(net.place), penalties=penalties, cache_dir=cache)
    path = net.path
    if path is None:  # a study read by load_study always has one for a network file
        raise ConfigError(f"{study.label}: network.source: missing")
    if net.kind == "pbf":
        return build.network_from_pbf(path, penalties=penalties, cache_dir=cache)
    if net.kind == "xml":
        return build.network_from_xml(path, penalties=penalties, cache_dir=cache)
    if net.kind == "graphml":
        return build.network_from_graphml(path, penalties=penalties, cache_dir=cache)
    return build.network_from_lines(path, penalties=penalties, cache_dir=cache)


def _clear_network_cache(study: Study) -> None:
    cache_dir = study.cache_dir
    if cache_dir is None or not cache_dir.is_dir():
        return
    for path in sorted(cache_dir.iterdir()):
        if path.is_file():
            logger.info("removing cached network %s", path)
            path.unlink(missing_ok=True)


def study_profile(study: Study, name: str | None = None) -> WalkProfile:
    """Return the :class:`~lifecircle.coverage.routing.profiles.WalkProfile` called ``name``
    (default: the study's ``[analysis] profile``)."""
    return walk_profile(study.profiles, name or study.profile)


@checks_study_datums  # datum warnings phrased for the study file
def compute_study_coverage(
    study: Study,
    layers: Layers,
    network: WalkNetwork,
    *,
    profile: str | None = None,
    services: tuple[str, ...] | None = None,
    progress: bool = False,
    **overrides: object,
) -> CoverageResult:
    """Run ``compute_coverage`` with the study's services and ``[analysis]`` settings.

    Parameters
    ----------
    study : Study
    layers, network :
        The study's layers and walking network.
    profile : str, optional
        A walking profile of the study (built in or under ``[profiles]``) instead of its
        ``[analysis] profile``.
    services : tuple of str, optional
        The study's services to measure (default: all).
    progress : bool
        Show a progress bar.
    **overrides
        Options of :class:`~lifecircle.coverage.options.CoverageOptions` to change from
        the study's (``study.coverage``), e.g. ``walk_minutes=10, isochrones=False``.
    """
    from lifecircle.coverage.measures.service_coverage import compute_coverage

    names = services or tuple(study.services)
    options = study.coverage
    if profile is not None:
        options = dataclasses.replace(options, profile=study_profile(study, profile))
    return compute_coverage(
        layers, network, options=options, progress=progress,
        services={s: tuple(study.services[s]) for s in names}, **overrides,
    )  # fmt: skip


def _grid_table(grids: pd.DataFrame, values: pd.Series) -> pd.DataFrame:
    table = pd.DataFrame({c: grids.get(c) for c in _GRID_COLUMNS})
    table["value"] = values.to_numpy(dtype=float)
    return table.reset_index(drop=True)


def coverage_groups(study: Study) -> dict[tuple[str, float], tuple[str, ...]]:
    """The coverage computations the study's targets need: (profile, walking minutes) ->
    the services they name, in the order :func:`run_study` computes them."""
    groups: dict[tuple[str, float], set[str]] = {}
    for t in study.targets:
        if t.metric == "coverage":
            groups.setdefault((t.profile, t.walk_minutes), set()).add(t.service)
    return {key: tuple(sorted(groups[key])) for key in sorted(groups)}


def _coverage_tables(
    study: Study,
    layers: Layers,
    network: WalkNetwork,
    targets: list[Target],
    bar: tqdm[Any],
    computed: Mapping[tuple[str, float], CoverageResult],
) -> tuple[dict[str, pd.DataFrame], dict[tuple[str, float], CoverageResult]]:
    groups: dict[tuple[str, float], list[Target]] = {}
    for t in targets:
        groups.setdefault((t.profile, t.walk_minutes), []).append(t)
    tables, results = {}, {}
    for (profile, minutes), members in sorted(groups.items()):
        bar.set_description(f"coverage {profile} {minutes:g} min")
        services = tuple(sorted({t.service for t in members}))
        result = computed.get((profile, minutes)) or compute_study_coverage(
            study, layers, network, profile=profile, services=services,
            walk_minutes=minutes, isochrones=False,
        )  # fmt: skip
        results[(profile, minutes)] = result
        for t in members:
            tables[t.id] = _grid_table(result.grids, result.share(t.service))
        bar.update(1)
    return tables, results


def _leaf_shares(grids: pd.DataFrame, leaf: pd.DataFrame, share: str) -> pd.Series:
    """Roll per-leaf ``share`` (weighted by ``weight``) up to every grid, in ``grids`` order.

    Leaves missing from ``leaf`` (nothing to measure) get NaN and are skipped by the check;
    ``leaf`` may be empty, even without columns.
    """
    from lifecircle.geo import roll_up

    values = leaf.reindex(columns=["weight", share]).astype(float)
    values.index = values.index.astype(str)
    rolled = roll_up(grids, values, weight="weight", columns=[share])
    return rolled[share].reindex(grids["id"].astype(str)).reset_index(drop=True)


def _seat_tables(
    study: Study, layers: Layers, network: WalkNetwork, targets: list[Target], bar: tqdm[Any]
) -> dict[str, pd.DataFrame]:
    tables: dict[str, pd.DataFrame] = {}
    if not targets:
        return tables
    from lifecircle.coverage.measures.demand import demand_from_layers
    from lifecircle.coverage.measures.seats import elderly_routes, rest_gaps, seat_reach

    grids, snap_m = layers.grids, study.coverage.max_snap_m  # [analysis] max_snap_m
    # one set of demand points for every seat target (each measure would lay them out again)
    demand = demand_from_layers(grids, crs=network.crs, buildings=layers.buildings)
    routes = None
    for t in targets:
        bar.set_description(f"{t.metric} {t.id}")
        if t.metric == "seat_reach":
            reach = seat_reach(layers, network, reach_m=t.reach_m, demand=demand, max_snap_m=snap_m)
            if t.measure == "street":
                roots = grids["parent_id"].isna() if "parent_id" in grids else True
                values = pd.Series(reach.length_share, index=grids.index).where(roots)
            else:
                values = _leaf_shares(grids, reach.grids, "share")
        else:
            if routes is None:
                routes = elderly_routes(layers, network, demand=demand, max_snap_m=snap_m)
            gaps = rest_gaps(layers, network, max_gap_m=t.max_gap_m, routes=routes)
            values = _leaf_shares(grids, gaps.grids, "share_ok")
        tables[t.id] = _grid_table(grids, values)
        bar.update(1)
    return tables


def run_study(
    study: Study,
    *,
    progress: bool = False,
    layers: Layers | None = None,
    network: WalkNetwork | None = None,
) -> StudyRun:
    """Load the study's inputs, compute what its targets need and evaluate them.

    Parameters
    ----------
    study : Study
        From :func:`~lifecircle.study.config.load_study`.
    progress : bool
        Show a tqdm progress bar on standard error.
    layers : Layers, optional
        The study's layers when the caller has already read them (from the files the
        study names, e.g. :func:`load_study_layers`): not read a second time.
    network : WalkNetwork, optional
        The study's whole walking network when the caller has already built it from the
        study's ``[network] source`` (before clipping): it is clipped to the study as
        :func:`load_study_network` clips it, and not built a second time.

    Returns
    -------
    StudyRun
        ``report`` holds the verdict; ``tables`` the per-grid values of each target.

    Raises
    ------
    ConfigError
        When the study has no targets or a target's scope selects no grid.
    """
    _check_target_ids(study)
    with tqdm(total=2, disable=not progress, unit="step", leave=False) as bar:
        bar.set_description("layers")
        layers = load_study_layers(study) if layers is None else layers
        bar.update(1)
        bar.set_description("network")
        if network is None:
            network = load_study_network(study, layers=layers)
        else:
            network = _clip_study_network(study, network, layers=layers)
        bar.update(1)
    return evaluate_study(study, layers, network, progress=progress)


def _check_target_ids(study: Study) -> None:
    if not study.targets:
        raise ConfigError(f"{study.label}: no [[targets]] to check; add at least one")
    ids = [t.id for t in study.targets]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise ConfigError(f"{study.label}: target ids must be unique, got {duplicated} twice")


def evaluate_study(
    study: Study,
    layers: Layers,
    network: WalkNetwork,
    *,
    coverage: Mapping[tuple[str, float], CoverageResult] | None = None,
    progress: bool = False,
) -> StudyRun:
    """Compute what the study's targets need on these layers and network, and evaluate them.

    :func:`run_study` after loading; a scenario (:mod:`lifecircle.study.scenario_apply`)
    calls it with edited layers or network.

    Parameters
    ----------
    study : Study
    layers, network :
        The layers and walking network to measure.
    coverage : mapping, optional
        Coverage results already computed, by ``(profile, walk_minutes)`` (see
        :func:`coverage_groups`); the groups missing are computed.
    progress : bool
        Show a tqdm progress bar on standard error.
    """
    _check_target_ids(study)
    coverage_targets = [t for t in study.targets if t.metric == "coverage"]
    circle_targets = [t for t in study.targets if t.metric == "completeness"]
    seat_targets = [t for t in study.targets if t.metric in ("seat_reach", "rest_gap")]
    n_groups = len({(t.profile, t.walk_minutes) for t in coverage_targets})
    total = n_groups + len(seat_targets) + bool(circle_targets)
    with (
        tqdm(total=total, disable=not progress, unit="step", leave=False) as bar,
        study_datum_check(study, layers, network),
        _each_warning_once(),
    ):
        tables, results = _coverage_tables(
            study, layers, network, coverage_targets, bar, coverage or {}
        )
        tables.update(_seat_tables(study, layers, network, seat_targets, bar))
        circle = _completeness_tables(study, layers, network, circle_targets, tables, bar)
    report = evaluate_targets(
        study.targets, tables, study=study.name, label=study.label, synthetic=study.synthetic
    )
    return StudyRun(study, layers, network, report, tables, results, circle)


@contextlib.contextmanager
def _each_warning_once() -> Iterator[None]:
    """Give each warning raised inside once, when the block ends (also when it fails).

    Every coverage group (and the life circle) snaps the same homes to the same network, so
    each would say the same "demand points lie farther than max_snap_m" warning; Python's
    own once-per-place registry is reset whenever any library touches the warning filters,
    so it does not stop the repeats. The warnings keep their category and place and pass
    through the caller's filters when given.
    """
    caught: list[warnings.WarningMessage] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield
    finally:
        seen: set[tuple[type[Warning], str]] = set()
        for item in caught:
            key = (item.category, str(item.message))
            if key not in seen:
                seen.add(key)
                warnings.warn_explicit(item.message, item.category, item.filename, item.lineno)


def compute_study_life_circle(
    study: Study, layers: Layers, network: WalkNetwork
) -> LifeCircleResult | None:
    """The study's life circle (``[services] preset``), ``None`` when it names no preset."""
    from lifecircle.coverage.measures.life_circle.life_circle import compute_life_circle

    spec = study.life_circle
    if spec is None:
        return None
    return compute_life_circle(layers, network, catalogue=spec.preset, options=spec.options)


def _completeness_tables(
    study: Study,
    layers: Layers,
    network: WalkNetwork,
    targets: list[Target],
    tables: dict[str, pd.DataFrame],
    bar: tqdm[Any],
) -> LifeCircleResult | None:
    """Add each completeness target's per-grid table; one life-circle computation for all."""
    if not targets:
        return None
    bar.set_description(f"life circle {study.life_circle.preset if study.life_circle else ''}")
    result = compute_study_life_circle(study, layers, network)
    if result is None:  # the config refuses completeness targets without a preset
        raise ConfigError(f"{study.label}: completeness targets need [services] preset")
    for t in targets:
        tables[t.id] = _grid_table(result.grids, result.grids["completeness"])
    bar.update(1)
    return result
