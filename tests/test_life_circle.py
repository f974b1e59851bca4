"""The 15-minute life circle per grid: hand-computed completeness, time matrix vs networkx,
grid accessibility (cumulative, 2SFCA) and walking profiles for wheelchairs and prams."""

from __future__ import annotations

import itertools
import warnings

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from life_circle_fixtures import CRS, X0, Y0, make_street
from shapely.geometry import LineString, Point

from lifecircle.coverage.measures.life_circle.equity import gini
from lifecircle.coverage.measures.life_circle.grid_access import AccessOptions, grid_accessibility
from lifecircle.coverage.measures.life_circle.life_circle import (
    LifeCircleOptions,
    compute_life_circle,
)
from lifecircle.coverage.network.build import network_from_lines
from lifecircle.coverage.presets import load_preset
from lifecircle.coverage.routing.profiles import IMPASSABLE_S, PROFILES, WalkProfile
from lifecircle.coverage.routing.snap import snap_points
from lifecircle.coverage.routing.split_graph import build_split_graph
from lifecircle.coverage.routing.time_matrix import travel_time_matrix
from lifecircle.coverage.routing.travel_times import nearest_facility, seconds_to_points
from lifecircle.errors import LayerError, LifecircleWarning
from lifecircle.geo import Layers  # noqa: F401

METRES = WalkProfile("metres", 1.0)


@pytest.fixture(scope="module")
def street():
    """See :func:`life_circle_fixtures.make_street` (drawn there)."""
    return make_street()


def test_completeness_by_hand(street):
    layers, network, catalogue = street
    result = compute_life_circle(layers, network, catalogue=catalogue)
    grids = result.grids.set_index("id")
    # b1 -> K 50 m, b2 -> K 150 m, b3 -> K 350 m (> 300); every building is within 500 m of M
    assert grids.loc["G1", "share_kindergarten"] == pytest.approx(1.0)
    assert grids.loc["G2", "share_kindergarten"] == pytest.approx(0.0)
    assert grids.loc["S", "share_kindergarten"] == pytest.approx(0.5)
    assert grids["share_market"].tolist() == pytest.approx([1.0, 1.0, 1.0])
    assert grids["completeness"].tolist() == pytest.approx([0.5, 1.0, 0.5])
    assert grids["missing"].tolist() == ["kindergarten", "", "kindergarten"]
    assert grids["resident_completeness"].tolist() == pytest.approx([0.75, 1.0, 0.5])
    assert result.missing("G2") == [("kindergarten", "kindergarten", "kindergarten")]
    metres = result.demand.set_index("building_id")["metres_kindergarten"]
    assert metres.to_dict() == pytest.approx({"b1": 50.0, "b2": 150.0, "b3": 350.0})
    # two groups of 100 residents with 1.0 and 0.5: Gini = 100*100*0.5*2 / (2 * 200^2 * 0.75)
    assert result.equity.gini == pytest.approx(1 / 6)
    assert result.equity.worst_served is None
    assert "not available" in result.equity.note
    assert "completeness mean" in repr(result) and "TEST-1" in repr(result)
    assert list(result.categories["share"]) == pytest.approx([0.5, 1.0])


def test_met_share_and_older_residents(street):
    layers, network, catalogue = street
    options = LifeCircleOptions(met_share=0.5, older_residents="older")
    result = compute_life_circle(layers, network, catalogue=catalogue, options=options)
    assert result.grids.set_index("id").loc["S", "completeness"] == pytest.approx(1.0)
    worst = result.equity.worst_served
    # the worst-served 10 % (20 residents) all live in G2, where 40 % are older
    assert worst is not None
    assert worst.subgroup_share == pytest.approx(0.4)
    assert worst.overall_share == pytest.approx(0.25)


def test_unset_limits_are_listed_not_evaluated(street):
    layers, network, _ = street
    preset = load_preset("shanghai_2016")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LifecircleWarning)
        result = compute_life_circle(layers, network, catalogue=preset)
    skipped = result.categories[~result.categories["evaluated"]]
    assert set(skipped["code"]) == {"bus_stop", "rail_station"}
    assert skipped["note"].str.contains("with_walk_m").all()
    assert "share_bus_stop" not in result.grids.columns
    assert (result.grids["n_evaluated"] == len(preset.codes) - 2).all()


def test_a_category_without_facilities_warns_and_is_missing_everywhere(street):
    layers, network, catalogue = street
    only_market = layers.facilities[layers.facilities["category"] == "market"]
    with pytest.warns(LifecircleWarning, match="no facility of 1 required categories"):
        result = compute_life_circle(layers, network, catalogue=catalogue, facilities=only_market)
    assert result.grids["missing"].tolist() == ["kindergarten"] * 3


def test_options_are_checked():
    with pytest.raises(ValueError, match="met_share"):
        LifeCircleOptions(met_share=1.5)
    with pytest.raises(TypeError, match="include_elderly"):
        LifeCircleOptions(include_elderly="yes")  # type: ignore[arg-type]


def test_older_residents_column_must_exist(street):
    layers, network, catalogue = street
    with pytest.raises(LayerError, match="no column 'elderly_pop'"):
        compute_life_circle(
            layers,
            network,
            catalogue=catalogue,
            options=LifeCircleOptions(older_residents="elderly_pop"),
        )


def test_grid_accessibility_cumulative_and_2sfca_by_hand(street):
    layers, network, _ = street
    count = grid_accessibility(
        layers, network, category="kindergarten", profile=METRES, max_minutes=5
    )
    access = count.grids.set_index("id")["access"]
    assert access.to_dict() == pytest.approx({"S": 0.5, "G1": 1.0, "G2": 0.0})
    # 2SFCA: K (50 places) is reached by b1 and b2 (100 residents): 0.5 places each
    fca = grid_accessibility(
        layers, network, category="kindergarten", measure="2sfca", profile=METRES, max_minutes=5
    )
    access = fca.grids.set_index("id")["access"]
    assert access.to_dict() == pytest.approx({"S": 0.25, "G1": 0.5, "G2": 0.0})
    demand = fca.demand
    assert float((demand["weight"] * demand["access"]).sum()) == pytest.approx(50.0)


def test_grid_accessibility_refuses_missing_inputs(street):
    layers, network, _ = street
    with pytest.raises(ValueError, match="needs a decay function"):
        grid_accessibility(layers, network, category="market", measure="gravity")
    with pytest.raises(LayerError, match="no capacity"):
        grid_accessibility(layers, network, category="market", measure="2sfca")
    with pytest.raises(ValueError, match="measure must be one of"):
        grid_accessibility(layers, network, category="market", measure="isochrone")
    with pytest.raises(TypeError, match="did you mean 'max_minutes'"):
        grid_accessibility(layers, network, category="market", max_minute=10)
    with pytest.raises(ValueError, match="unknown walking profile"):
        AccessOptions(profile="runner")


# --------------------------------------------------------------------------- time matrix
def _lattice_network():
    """A 3 x 3 lattice of 100 m streets (12 edges)::

    6 -- 7 -- 8
    |    |    |
    3 -- 4 -- 5
    |    |    |
    0 -- 1 -- 2
    """
    lines = []
    for i in range(3):
        for j in range(2):
            lines.append(
                LineString([(X0 + 100 * j, Y0 + 100 * i), (X0 + 100 * j + 100, Y0 + 100 * i)])
            )
            lines.append(
                LineString([(X0 + 100 * i, Y0 + 100 * j), (X0 + 100 * i, Y0 + 100 * j + 100)])
            )
    return network_from_lines(gpd.GeoDataFrame(geometry=lines, crs=CRS))


def _networkx_reference(network, points: pd.DataFrame, facilities: pd.DataFrame) -> np.ndarray:
    """Brute force: subdivide every edge at the snapped points, add the legs, run networkx."""
    graph = nx.Graph()
    stops: dict[int, list[tuple[float, str]]] = {}
    for kind, frame in (("p", points), ("f", facilities)):
        for i, row in enumerate(frame.itertuples()):
            stops.setdefault(int(row.edge), []).append((float(row.offset_m), f"{kind}{i}@"))
            graph.add_edge(f"{kind}{i}", f"{kind}{i}@", weight=float(row.snap_m))
    edges = network.edges
    for e, (u, v, length) in enumerate(zip(edges["u"], edges["v"], edges["length_m"], strict=True)):
        chain = [(0.0, int(u)), *sorted(stops.get(e, [])), (float(length), int(v))]
        for (a_off, a), (b_off, b) in itertools.pairwise(chain):
            graph.add_edge(a, b, weight=b_off - a_off)
    out = np.full((len(points), len(facilities)), np.inf)
    for j in range(len(facilities)):
        lengths = nx.single_source_dijkstra_path_length(graph, f"f{j}")
        for i in range(len(points)):
            out[i, j] = lengths.get(f"p{i}", np.inf)
    return out


def test_travel_time_matrix_equals_networkx_and_the_nearest_facility():
    network = _lattice_network()
    rng = np.random.default_rng(7)
    xy = rng.uniform(-10, 210, size=(25, 2))
    points = gpd.GeoDataFrame(geometry=[Point(X0 + x, Y0 + y) for x, y in xy[:18]], crs=CRS)
    facilities = gpd.GeoDataFrame(geometry=[Point(X0 + x, Y0 + y) for x, y in xy[18:]], crs=CRS)
    p_snap = snap_points(network, points)
    f_snap = snap_points(network, facilities)
    graph = build_split_graph(network, f_snap, profile=METRES)
    limit = 250.0
    matrix = travel_time_matrix(graph, p_snap, limit_s=limit)
    expected = _networkx_reference(network, p_snap, f_snap)
    dense = np.full(matrix.shape, np.inf)
    rows, cols = matrix.nonzero()
    dense[rows, cols] = matrix.toarray()[rows, cols]
    within = expected <= limit
    np.testing.assert_allclose(dense[within], expected[within], atol=1e-6)
    assert np.isinf(dense[~within]).all()
    nearest, _ = seconds_to_points(graph, nearest_facility(graph, limit_s=limit), p_snap)
    np.testing.assert_allclose(np.min(dense, axis=1), nearest, atol=1e-6)
    # a subset of facilities, in the order asked, and a tiny memory budget give the same
    subset = travel_time_matrix(graph, p_snap, limit_s=limit, facilities=np.array([3, 0]))
    np.testing.assert_allclose(subset.toarray(), matrix.toarray()[:, [3, 0]])


def test_travel_time_matrix_chunks(monkeypatch):
    import lifecircle.coverage.routing.time_matrix as module

    network = _lattice_network()
    points = gpd.GeoDataFrame(geometry=[Point(X0 + 10, Y0 + 5), Point(X0 + 190, Y0 + 150)], crs=CRS)
    facs = gpd.GeoDataFrame(geometry=[Point(X0 + 100, Y0 + 40), Point(X0, Y0 + 170)], crs=CRS)
    graph = build_split_graph(network, snap_points(network, facs), profile=METRES)
    snapped = snap_points(network, points)
    whole = travel_time_matrix(graph, snapped, limit_s=1000)
    monkeypatch.setattr(module, "MAX_CELLS", 1)
    np.testing.assert_allclose(
        travel_time_matrix(graph, snapped, limit_s=1000).toarray(), whole.toarray()
    )


# --------------------------------------------------------------------------- profiles
def test_wheelchair_users_go_round_the_steps_and_prams_are_slow():
    """
    0 ==steps (40 m)== 1        the short way has steps; the long way round is 300 m
    |                  |
    +---- 260 m ramp --+
    """
    lines = gpd.GeoDataFrame(
        {"highway": ["steps", "footway", "footway", "footway"]},
        geometry=[
            LineString([(X0, Y0), (X0 + 40, Y0)]),
            LineString([(X0, Y0), (X0, Y0 - 110)]),
            LineString([(X0, Y0 - 110), (X0 + 40, Y0 - 110)]),
            LineString([(X0 + 40, Y0 - 110), (X0 + 40, Y0)]),
        ],
        crs=CRS,
    )
    network = network_from_lines(lines)
    start = gpd.GeoDataFrame(geometry=[Point(X0, Y0)], crs=CRS)
    goal = gpd.GeoDataFrame(geometry=[Point(X0 + 40, Y0)], crs=CRS)

    def seconds(profile: WalkProfile) -> float:
        graph = build_split_graph(network, snap_points(network, goal), profile=profile)
        found, _ = seconds_to_points(graph, nearest_facility(graph), snap_points(network, start))
        return float(found[0])

    assert seconds(PROFILES["wheelchair"]) == pytest.approx(260 / PROFILES["wheelchair"].speed_m_s)
    assert seconds(PROFILES["elderly"]) == pytest.approx(40 / 0.9 + 30)
    assert seconds(PROFILES["pram"]) == pytest.approx(40 / PROFILES["pram"].speed_m_s)
    assert PROFILES["wheelchair"].penalties["steps"] == IMPASSABLE_S
    # FHWA-HRT-04-103 Table 12: 15th percentiles 5 km/h (manual wheelchair), 4 km/h (stroller)
    assert PROFILES["wheelchair"].speed_m_s == pytest.approx(5 / 3.6, abs=0.005)
    assert PROFILES["pram"].speed_m_s == pytest.approx(4 / 3.6, abs=0.005)


def test_equity_of_a_constant_access_is_zero():
    assert gini([0.5, 0.5], weights=[1, 3]) == pytest.approx(0.0)


def test_readme_life_circle_snippet_runs(capsys):
    import re
    from pathlib import Path

    readme = Path(__file__).resolve().parents[1] / "README.md"
    blocks = re.findall(r"```python\n(.*?)```", readme.read_text(encoding="utf-8"), flags=re.S)
    (snippet,) = [b for b in blocks if "compute_life_circle" in b]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LifecircleWarning)  # the demo has no sports hall
        exec(compile(snippet, "README.md:life-circle", "exec"), {"__name__": "__readme__"})
    out = capsys.readouterr().out
    assert "GB 50180-2018" in out and "completeness mean" in out and "Gini" in out


def test_raw_facility_frames_are_resolved_or_refused(street):
    layers, network, catalogue = street
    raw = layers.facilities.assign(category=["幼儿园", "菜场"])
    result = compute_life_circle(layers, network, catalogue=catalogue, facilities=raw)
    assert result.facilities["category"].tolist() == ["kindergarten", "market"]
    wrong = layers.facilities.assign(category=["幼儿圆", "bakery"])
    with pytest.raises(LayerError, match=r"'幼儿圆' \(id 'K'\), did you mean '幼儿园'\?"):
        compute_life_circle(layers, network, catalogue=catalogue, facilities=wrong)
    with pytest.raises(ValueError, match="did you mean 'kindergarten'"):
        grid_accessibility(layers, network, category="kindergarden")
