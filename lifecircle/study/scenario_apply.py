"""Apply a :class:`~lifecircle.study.scenario.Scenario` to a study run or a coverage state.

Which changes are incremental and which recompute (the note in the README repeats this):

=====================  ====================================================================
change                 how it is applied
=====================  ====================================================================
add / move / remove    coverage: :class:`~lifecircle.coverage.CoverageState` edits, exact
a facility             and incremental (one solve per coverage group for the baseline,
                       shared by every scenario of a comparison); rest gaps and the life
                       circle (they route from the facilities): full recompute
add / remove a seat    seat reach and rest gaps: full recompute; coverage unchanged
close a street,        everything: full recompute on the edited network (the incremental
open a passage         engine edits facility sites, not streets)
``[profile]``          everything: full recompute at the other pace
=====================  ====================================================================

Before anything is computed, every change is checked against the study's layers and
network and all problems are reported at once (an unknown id with a did-you-mean, a new
point kilometres outside the network — wrong datum? —, a closed street that is not near any
street).
"""

from __future__ import annotations

import dataclasses
import difflib
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from lifecircle.errors import ConfigError, CoordinateWarning
from lifecircle.study.config import Study
from lifecircle.study.run import StudyRun, coverage_groups, evaluate_study, study_profile
from lifecircle.study.scenario import (
    AddFacility,
    AddSeat,
    Change,
    ClosePassage,
    MoveFacility,
    OpenPassage,
    RemoveFacility,
    Scenario,
)

if TYPE_CHECKING:
    from lifecircle.coverage.measures.what_if.what_if import CoverageState
    from lifecircle.coverage.network.walk_network import WalkNetwork
    from lifecircle.geo.layers import Layers

__all__ = [
    "ScenarioRun",
    "apply_scenario",
    "apply_to_state",
    "edited_layers",
    "edited_network",
    "scenario_problems",
    "scenario_states",
]

#: A new facility or seat farther than this from every street corner is refused: it is
#: outside the study (or in another datum).
MAX_OFFSITE_M = 1000.0
#: A closed street or a passage end must lie within this of a street (a corner).
MAX_STREET_M = 50.0

States = Mapping[tuple[str, float], "CoverageState"]


@dataclass(frozen=True)
class ScenarioRun:
    """A scenario applied to a study: the study run on the edited inputs, and how.

    ``incremental`` is True when coverage was updated by the incremental engine;
    ``recomputed`` names what was recomputed in full (``"coverage"``, ``"seat targets"``,
    ``"life circle"``).
    """

    scenario: Scenario
    run: StudyRun
    incremental: bool
    recomputed: tuple[str, ...]


def _table_names(changes: tuple[Change, ...]) -> list[str]:
    """``add[1]``, ``remove[2]``... : each change's key as in the scenario file."""
    counts: dict[str, int] = {}
    names = []
    for change in changes:
        table = {
            AddFacility: "add", AddSeat: "add", RemoveFacility: "remove",
            MoveFacility: "move", ClosePassage: "close", OpenPassage: "open",
        }[type(change)]  # fmt: skip
        counts[table] = counts.get(table, 0) + 1
        names.append(f"{table}[{counts[table]}]")
    return names


def _to_metric(network: WalkNetwork, lon: float, lat: float) -> shapely.Point:
    transformer = pyproj.Transformer.from_crs(4326, network.crs, always_xy=True)
    return shapely.Point(*transformer.transform(lon, lat))


def _nearest_node_m(network: WalkNetwork, point: shapely.Point) -> tuple[int, float]:
    xy = network.node_xy
    d = np.hypot(xy[:, 0] - point.x, xy[:, 1] - point.y)
    i = int(np.argmin(d))
    return i, float(d[i])


def _nearest_edge_m(network: WalkNetwork, point: shapely.Point) -> tuple[int, float]:
    d = shapely.distance(network.edges.geometry.array, point)
    i = int(np.argmin(d))
    return i, float(d[i])


def _id_problem(fid: str, ids: list[str], layer: str) -> str:
    close = difflib.get_close_matches(fid, ids, n=1, cutoff=0.6)
    hint = f'did you mean "{close[0]}"?' if close else f"the layer has e.g. {', '.join(ids[:5])}"
    return f'no feature "{fid}" in the {layer} layer; {hint}'


def scenario_problems(scenario: Scenario, layers: Layers, network: WalkNetwork) -> list[str]:
    """Every problem of ``scenario`` against the study's layers and network (empty: none)."""
    ids = {layer: list(getattr(layers, layer)["id"].astype(str)) for layer in ("elderly", "seats")}
    present = {layer: set(v) for layer, v in ids.items()}
    problems = []
    done: dict[tuple[str, str], str] = {}  # (layer, id) -> the change that added/removed it
    for where, change in zip(_table_names(scenario.changes), scenario.changes, strict=True):
        layer = "seats" if isinstance(change, AddSeat) else getattr(change, "layer", "elderly")
        earlier = done.get((layer, change.id)) if hasattr(change, "id") else None
        if isinstance(change, AddFacility | AddSeat):
            if change.id in present[layer]:
                taken = f"added by {earlier}" if earlier else f"taken in the {layer} layer"
                problems.append(f'{where}.id: "{change.id}" is {taken}; give a new id')
            present[layer].add(change.id)
            done[(layer, change.id)] = where
        elif isinstance(change, RemoveFacility | MoveFacility):
            if change.id not in present[layer] and earlier is not None:
                problems.append(
                    f'{where}.id: "{change.id}" is already removed by {earlier}; '
                    f"remove or move it once"
                )
            elif change.id not in present[layer]:
                problems.append(f"{where}.id: {_id_problem(change.id, ids[layer], layer)}")
            elif isinstance(change, RemoveFacility):
                present[layer].discard(change.id)
                done[(layer, change.id)] = where
        if isinstance(change, AddFacility | AddSeat | MoveFacility):
            _, far = _nearest_node_m(network, _to_metric(network, change.lon, change.lat))
            if far > MAX_OFFSITE_M:
                problems.append(
                    f"{where}: the point ({change.lon:.6f}, {change.lat:.6f}) is {far / 1000:.1f} "
                    "km from the nearest street of the study; check x/y and crs (gcj02? bd09?)"
                )
        elif isinstance(change, ClosePassage):
            _, far = _nearest_edge_m(network, _to_metric(network, change.lon, change.lat))
            if far > MAX_STREET_M:
                problems.append(
                    f"{where}: no street within {MAX_STREET_M:.0f} m of the point (nearest "
                    f"{far:.0f} m); put x/y on the street to close"
                )
        elif isinstance(change, OpenPassage):
            problems += _open_problems(where, change, network)
    return problems


def _open_problems(where: str, change: OpenPassage, network: WalkNetwork) -> list[str]:
    problems, nodes = [], []
    ends = (("from", change.from_lon, change.from_lat), ("to", change.to_lon, change.to_lat))
    for key, lon, lat in ends:
        node, far = _nearest_node_m(network, _to_metric(network, lon, lat))
        nodes.append(node)
        if far > MAX_STREET_M:
            problems.append(
                f"{where}.{key}: no street corner within {MAX_STREET_M:.0f} m (nearest "
                f"{far:.0f} m); put the end of the passage on a street corner"
            )
    if not problems and nodes[0] == nodes[1]:
        problems.append(f"{where}: both ends are at the same street corner; move one end")
    return problems


def _check(scenario: Scenario, layers: Layers, network: WalkNetwork) -> None:
    problems = scenario_problems(scenario, layers, network)
    if problems:
        count = len(problems)
        noun = "problem" if count == 1 else "problems"
        lines = "\n".join(f"  {p}" for p in problems)
        raise ConfigError(f"{scenario.label}: {count} {noun}:\n{lines}")


def _rows_added(frame: gpd.GeoDataFrame, rows: list[dict[str, object]]) -> gpd.GeoDataFrame:
    if not rows:
        return frame
    extra = gpd.GeoDataFrame(rows, geometry="geometry", crs=frame.crs)
    merged = pd.concat([frame, extra], ignore_index=True)
    for column in frame.columns:
        if column != "geometry" and frame[column].dtype != object:
            merged[column] = merged[column].astype(frame[column].dtype)
    return gpd.GeoDataFrame(merged, geometry="geometry", crs=frame.crs)


def edited_layers(layers: Layers, scenario: Scenario) -> Layers:
    """The study's layers with the scenario's facility and seat changes (EPSG:4326)."""
    frames = {"elderly": layers.elderly.copy(), "seats": layers.seats.copy()}
    added: dict[str, list[dict[str, object]]] = {"elderly": [], "seats": []}
    for change in scenario.changes:
        if isinstance(change, AddFacility):
            added["elderly"].append({
                "id": change.id, "name": change.name or change.id, "type": change.type,
                "capacity": np.nan if change.capacity is None else float(change.capacity),
                "geometry": shapely.Point(change.lon, change.lat),
            })  # fmt: skip
        elif isinstance(change, AddSeat):
            added["seats"].append({
                "id": change.id, "name": change.name or change.id, "seats": change.seats,
                "armrest": False, "charging": False,
                "geometry": shapely.Point(change.lon, change.lat),
            })  # fmt: skip
        elif isinstance(change, RemoveFacility | MoveFacility):
            frame = frames[change.layer]
            hit = frame["id"].astype(str) == change.id
            if isinstance(change, RemoveFacility):
                frames[change.layer] = frame[~hit].reset_index(drop=True)
            else:
                frame.loc[hit, "geometry"] = shapely.Point(change.lon, change.lat)
    for layer, rows in added.items():
        frames[layer] = _rows_added(frames[layer], rows)
    return dataclasses.replace(layers, elderly=frames["elderly"], seats=frames["seats"])


def edited_network(network: WalkNetwork, scenario: Scenario) -> WalkNetwork:
    """The walking network with the scenario's closed streets and opened passages."""
    from lifecircle.coverage.network.walk_network import WalkNetwork

    street = [c for c in scenario.changes if isinstance(c, ClosePassage | OpenPassage)]
    if not street:
        return network
    edges = network.edges
    for change in street:
        if isinstance(change, ClosePassage):
            edge, _ = _nearest_edge_m(network, _to_metric(network, change.lon, change.lat))
            edges = edges.drop(index=edges.index[edge]).reset_index(drop=True)
        else:
            u, _ = _nearest_node_m(network, _to_metric(network, change.from_lon, change.from_lat))
            v, _ = _nearest_node_m(network, _to_metric(network, change.to_lon, change.to_lat))
            a, b = network.nodes.geometry.iloc[u], network.nodes.geometry.iloc[v]
            row: dict[str, object] = {column: None for column in edges.columns}
            row.update(
                u=u, v=v, length_m=max(float(a.distance(b)), 0.01), penalty_s=0.0,
                highway="footway", name=change.name or "", geometry=shapely.LineString([a, b]),
            )  # fmt: skip
            if "way_share" in edges:
                row["way_share"] = 1.0
            extra = gpd.GeoDataFrame([row], geometry="geometry", crs=edges.crs)
            edges = gpd.GeoDataFrame(
                pd.concat([edges, extra], ignore_index=True), geometry="geometry", crs=edges.crs
            )
        network = WalkNetwork(network.nodes, edges, network.crs, network.source, dict(network.meta))
    return network


def edited_study(study: Study, scenario: Scenario) -> Study:
    """The study with the scenario's ``[profile]`` in place of every profile its
    coverage targets and ``[analysis]`` use."""
    spec = scenario.profile
    if spec is None:
        return study
    names = {study.profile, *(t.profile for t in study.targets if t.metric == "coverage")}
    profiles = dict(study.profiles)
    for name in names:
        profiles[name] = dataclasses.replace(spec, name=name)
    edited = dataclasses.replace(study, profiles=profiles)
    coverage = dataclasses.replace(study.coverage, profile=study_profile(edited))
    return dataclasses.replace(edited, coverage=coverage)


def scenario_states(run: StudyRun) -> dict[tuple[str, float], CoverageState]:
    """One :class:`~lifecircle.coverage.CoverageState` per coverage group of the run's
    study (the baseline of every incremental scenario; build once, share).

    The states snap the run's own layers to its own network with its own options, so their
    coordinate warnings (homes or facilities beyond ``max_snap_m``) are the ones the run
    already gave: they are not given a second time.
    """
    from lifecircle.coverage.measures.what_if.what_if import CoverageState

    study, states = run.study, {}
    for (profile, minutes), services in coverage_groups(study).items():
        options = dataclasses.replace(
            study.coverage, profile=study_profile(study, profile), walk_minutes=minutes
        )
        specs = {s: tuple(study.services[s]) for s in services}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CoordinateWarning)
            states[(profile, minutes)] = CoverageState.from_layers(
                run.layers, run.network, options=options, services=specs
            )
    return states


def apply_to_state(state: CoverageState, scenario: Scenario) -> CoverageState:
    """Apply the scenario's facility changes to a coverage state, incrementally.

    Seat changes do not change coverage and are skipped; a facility of a type that no
    service of the state lists is skipped too (it serves none of them).

    Raises
    ------
    ConfigError
        When the scenario closes or opens streets or changes the profile: those need a
        full recompute (:func:`apply_scenario` on a study run).
    """
    if {"network", "profile"} & set(scenario.kinds):
        raise ConfigError(
            f"{scenario.label}: streets and walking profiles cannot be changed incrementally; "
            "apply the scenario to a study run (apply_scenario) for a full recompute"
        )
    listed = {
        code for spec in state.specs.values() if isinstance(spec, tuple | list) for code in spec
    }
    for change in scenario.changes:
        present = set(state.facilities["id"].astype(str))
        if isinstance(change, AddFacility) and (
            change.type in listed or change.type in state.specs
        ):
            state = state.add_facility(
                change.type, (change.lon, change.lat), id=change.id, name=change.name
            )
        elif (
            isinstance(change, RemoveFacility)
            and change.layer == "elderly"
            and change.id in present
        ):
            state = state.remove_facility(change.id)
        elif (
            isinstance(change, MoveFacility) and change.layer == "elderly" and change.id in present
        ):
            state = state.move_facility(change.id, (change.lon, change.lat))
    return state


def apply_scenario(
    baseline: StudyRun,
    scenario: Scenario,
    *,
    states: States | None = None,
    progress: bool = False,
) -> ScenarioRun:
    """Run the baseline's study on the inputs the scenario edits.

    Parameters
    ----------
    baseline : StudyRun
        From :func:`~lifecircle.study.run.run_study`.
    scenario : Scenario
    states : mapping, optional
        :func:`scenario_states` of the baseline, to share between scenarios (built when
        the scenario needs them and they are not given).
    progress : bool
        Show a progress bar.

    Returns
    -------
    ScenarioRun

    Raises
    ------
    ConfigError
        Listing every change that does not fit the study (see :func:`scenario_problems`).
    """
    _check(scenario, baseline.layers, baseline.network)
    kinds = set(scenario.kinds)
    layers = edited_layers(baseline.layers, scenario)
    network = edited_network(baseline.network, scenario)
    study = edited_study(baseline.study, scenario)
    incremental = not ({"network", "profile"} & kinds)
    coverage = {}
    if incremental and "facilities" in kinds:
        states = scenario_states(baseline) if states is None else states
        coverage = {key: apply_to_state(state, scenario).result() for key, state in states.items()}
    elif incremental:
        coverage = dict(baseline.coverage)
    run = evaluate_study(study, layers, network, coverage=coverage, progress=progress)
    recomputed = [] if incremental else ["coverage"]
    if any(t.metric in ("seat_reach", "rest_gap") for t in study.targets):
        recomputed.append("seat targets")  # not incremental: a check's own computation
    if run.life_circle is not None:
        recomputed.append("life circle")
    return ScenarioRun(scenario, run, incremental, tuple(recomputed))
