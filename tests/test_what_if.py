"""Incremental what-if: every edit equals a full compute_coverage of the same facility set."""

from __future__ import annotations

import functools
import warnings
from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lifecircle.coverage import compute_coverage
from lifecircle.coverage.measures.what_if.what_if import CoverageState
from lifecircle.coverage.network.synthetic import network_from_arrays, synthetic_city
from lifecircle.errors import LifecircleWarning

TYPES = ("life_centre", "care_home", "day_care", "life_station", "bathing", "canteen")
SERVICES = {"any": TYPES, "care": ("care_home", "day_care")}
SETTINGS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


@functools.lru_cache(maxsize=1)
def _world() -> tuple[object, gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """A 300-node synthetic city, 2x2 micro-grids under 2 areas, 50 buildings, 30 sites."""
    net = synthetic_city(300, seed=5)
    x0, y0, x1, y1 = net.edges.total_bounds
    mx, my = (x0 + x1) / 2, (y0 + y1) / 2
    grids = gpd.GeoDataFrame(
        {
            "id": ["S", "A", "B", "A1", "A2", "B1", "B2"],
            "name": ["S", "A", "B", "A1", "A2", "B1", "B2"],
            "level": ["subdistrict", "area", "area"] + ["microgrid"] * 4,
            "parent_id": [None, "S", "S", "A", "A", "B", "B"],
            "kind": "residential",
            "population": np.nan,
        },
        geometry=[
            shapely.box(x0, y0, x1, y1),
            shapely.box(x0, y0, mx, y1),
            shapely.box(mx, y0, x1, y1),
            shapely.box(x0, y0, mx, my),
            shapely.box(x0, my, mx, y1),
            shapely.box(mx, y0, x1, my),
            shapely.box(mx, my, x1, y1),
        ],
        crs=net.crs,
    )
    rng = np.random.default_rng(5)
    buildings = gpd.GeoDataFrame(
        {"id": [f"b{i}" for i in range(50)], "population": rng.integers(0, 200, 50) * 1.0},
        geometry=shapely.points(rng.uniform([x0, y0], [x1, y1], size=(50, 2))),
        crs=net.crs,
    )
    # some sites on nodes, some sharing a spot: the split graph's special cases
    xy = rng.uniform([x0, y0], [x1, y1], size=(30, 2))
    xy[:4] = net.node_xy[rng.choice(net.n_nodes, 4)]
    xy[4] = xy[5]
    sites = gpd.GeoDataFrame(
        {
            "id": [f"e{i}" for i in range(30)],
            "name": [f"E{i}" for i in range(30)],
            "type": rng.choice(TYPES, 30),
        },
        geometry=shapely.points(xy),
        crs=net.crs,
    )
    return net, grids, buildings, sites


def _full(elderly: gpd.GeoDataFrame, minutes: float, grids: gpd.GeoDataFrame | None = None):
    net, world_grids, buildings, _ = _world()
    layers = SimpleNamespace(
        grids=world_grids if grids is None else grids, elderly=elderly, buildings=buildings
    )
    with warnings.catch_warnings():  # a service with no facility (yet) is the point here
        warnings.filterwarnings("ignore", "service .* has no facilities", LifecircleWarning)
        return compute_coverage(
            layers, net, services=SERVICES, walk_minutes=minutes, isochrones=False
        )


def _assert_same(state: CoverageState, elderly: gpd.GeoDataFrame, minutes: float) -> None:
    """Figures bit for bit; nearest facilities equal but for exact ties."""
    got, want = state.result(), _full(elderly, minutes)
    pd.testing.assert_frame_equal(got.grids, want.grids, check_exact=True)
    for s in SERVICES:
        np.testing.assert_array_equal(state.share(s).to_numpy(), want.share(s).to_numpy())
        np.testing.assert_array_equal(state.covered(s).to_numpy(), want.covered(s).to_numpy())
        np.testing.assert_array_equal(state.minutes(s), want.minutes(s).to_numpy())
        np.testing.assert_array_equal(got.minutes(s).to_numpy(), want.minutes(s).to_numpy())
        mine = got.demand[f"facility_{s}"].to_numpy()
        theirs = want.demand[f"facility_{s}"].to_numpy()
        differ = np.flatnonzero(pd.Series(mine).fillna("-") != pd.Series(theirs).fillna("-"))
        for fid in set(mine[differ]):  # a tie: the state's pick is exactly as near
            rows = differ[mine[differ] == fid]
            alone = _full(elderly[elderly["id"] == fid], minutes)
            np.testing.assert_array_equal(
                alone.minutes(s).to_numpy()[rows], want.minutes(s).to_numpy()[rows]
            )
    cols = ["service", "id", "name", "type", "snap_m", "snapped"]
    pd.testing.assert_frame_equal(
        got.facilities[cols], want.facilities[cols], check_exact=True, check_dtype=False
    )
    assert len(got.unsnapped) == len(want.unsnapped)


#: One edit: ("add", site), ("remove", pick), ("move", pick, site).
edits = st.lists(
    st.tuples(st.sampled_from(["add", "remove", "move"]), st.integers(0, 29), st.integers(0, 29)),
    min_size=1,
    max_size=6,
)


@SETTINGS
@given(
    st.sets(st.integers(0, 29), min_size=1, max_size=8), edits, st.sampled_from([3.0, 6.0, 12.0])
)
def test_edit_sequences_equal_a_full_recompute(start, steps, minutes):
    """Random add/remove/move sequences against compute_coverage after every step."""
    net, grids, buildings, sites = _world()
    elderly = sites.iloc[sorted(start)]
    layers = SimpleNamespace(grids=grids, elderly=elderly, buildings=buildings)
    state = CoverageState.from_layers(layers, net, services=SERVICES, walk_minutes=minutes)
    _assert_same(state, elderly, minutes)
    fresh = 0
    for kind, a, b in steps:
        present = list(elderly["id"])
        if kind == "add" or not present:
            site = sites.iloc[a]
            fresh += 1
            row = site.copy()
            row["id"] = f"n{fresh}"
            state = state.add_facility(
                row["type"], row.geometry, id=row["id"], crs=net.crs, name=row["name"]
            )
            elderly = pd.concat([elderly, gpd.GeoDataFrame([row], crs=net.crs)])
        elif kind == "remove" and len(present) > 1:  # compute_coverage needs a facility
            fid = present[a % len(present)]
            state = state.remove_facility(fid)
            elderly = elderly[elderly["id"] != fid]
        else:
            fid = present[a % len(present)]
            target = sites.geometry.iloc[b]
            state = state.move_facility(fid, target, crs=net.crs)
            elderly = elderly.copy()
            elderly.loc[elderly["id"] == fid, "geometry"] = target
        _assert_same(state, elderly, minutes)


def test_a_state_is_immutable_so_undo_is_the_previous_state():
    net, grids, buildings, sites = _world()
    layers = SimpleNamespace(grids=grids, elderly=sites.iloc[:5], buildings=buildings)
    before = CoverageState.from_layers(layers, net, services=SERVICES, walk_minutes=6)
    share = before.share("any").copy()
    after = before.add_facility("care", sites.geometry.iloc[20], id="x", crs=net.crs)
    after = after.remove_facility("e0")
    pd.testing.assert_series_equal(before.share("any"), share)
    assert "x" not in set(before.facilities["id"]) and "e0" in set(before.facilities["id"])
    assert set(after.facilities.loc[after.facilities["id"] == "x", "service"]) == {"care"}


def test_a_type_code_joins_every_service_listing_it():
    net, grids, buildings, sites = _world()
    layers = SimpleNamespace(grids=grids, elderly=sites.iloc[:3], buildings=buildings)
    state = CoverageState.from_layers(layers, net, services=SERVICES, walk_minutes=6)
    state = state.add_facility("care_home", sites.geometry.iloc[9], id="ch", crs=net.crs)
    assert sorted(state.facilities.loc[state.facilities["id"] == "ch", "service"]) == [
        "any",
        "care",
    ]
    state = state.add_facility("bathing", sites.geometry.iloc[8], id="ba", crs=net.crs)
    assert list(state.facilities.loc[state.facilities["id"] == "ba", "service"]) == ["any"]


def test_bad_edits_name_the_problem():
    net, grids, buildings, sites = _world()
    layers = SimpleNamespace(grids=grids, elderly=sites.iloc[:3], buildings=buildings)
    state = CoverageState.from_layers(layers, net, services=SERVICES, walk_minutes=6)
    where = sites.geometry.iloc[9]
    with pytest.raises(ValueError, match="exists"):
        state.add_facility("care", where, id="e0", crs=net.crs)
    with pytest.raises(ValueError, match="neither a service"):
        state.add_facility("hospital", where, id="h", crs=net.crs)
    with pytest.raises(KeyError, match="no facility has id"):
        state.remove_facility("nope")
    with pytest.raises(TypeError, match="shapely Point"):
        state.move_facility("e0", "here")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not in the analysis"):
        state.share("shops")


def test_parallel_edges_loops_and_shared_spots():
    """A hand-built network where the split graph's special cases meet::

    0 ===== 1 ----- 2        0-1: two parallel edges (one 20 s slower: steps)
            |     /          1-1: a zero-length loop; 1-3, 2-3 close a triangle
            3 ---
    """
    xy = [(0.0, 0.0), (100.0, 0.0), (200.0, 0.0), (100.0, -100.0)]
    pairs = [(0, 1), (1, 2), (1, 3), (2, 3), (0, 1), (1, 1)]
    net = network_from_arrays(xy, pairs, penalty_s=[20.0, 0, 0, 0, 0.0, 0])
    grids = gpd.GeoDataFrame(
        {"id": ["S", "L"], "name": ["S", "L"], "level": ["subdistrict", "microgrid"],
         "parent_id": [None, "S"], "kind": "residential", "population": [np.nan, 100.0]},
        geometry=[shapely.box(-10, -110, 210, 50)] * 2, crs=net.crs,
    )  # fmt: skip
    sites = gpd.GeoDataFrame(
        {"id": ["a", "b"], "name": ["a", "b"], "type": ["care_home", "day_care"]},
        geometry=[shapely.Point(60, 2), shapely.Point(200, -1)],
        crs=net.crs,
    )
    layers = SimpleNamespace(grids=grids, elderly=sites, buildings=None)
    opts = {"services": {"care": ("care_home", "day_care")}, "walk_minutes": 1.5, "spacing_m": 10}
    state = CoverageState.from_layers(layers, net, **opts)  # type: ignore[arg-type]
    moves = [
        ("add", "c", shapely.Point(60, 2)),  # the same spot as a
        ("add", "d", shapely.Point(100, 3)),  # at node 1, by the loop
        ("add", "e", shapely.Point(30, -1)),  # splits the parallel edges' fast one
        ("remove", "a", None),
        ("move", "e", shapely.Point(100, 0)),  # onto a node
        ("remove", "c", None),
        ("move", "b", shapely.Point(100, -50)),
    ]
    elderly = sites
    for kind, fid, where in moves:
        if kind == "add":
            state = state.add_facility("care", where, id=fid, crs=net.crs)
            row = {"id": fid, "name": fid, "type": "care_home"}
            elderly = pd.concat([elderly, gpd.GeoDataFrame([row], geometry=[where], crs=net.crs)])
        elif kind == "remove":
            state = state.remove_facility(fid)
            elderly = elderly[elderly["id"] != fid]
        else:
            state = state.move_facility(fid, where, crs=net.crs)
            elderly = elderly.copy()
            elderly.loc[elderly["id"] == fid, "geometry"] = where
        want = compute_coverage(
            SimpleNamespace(grids=grids, elderly=elderly, buildings=None), net,
            isochrones=False, **opts,  # type: ignore[arg-type]
        )  # fmt: skip
        np.testing.assert_array_equal(state.minutes("care"), want.minutes("care").to_numpy())
        pd.testing.assert_frame_equal(state.result().grids, want.grids, check_exact=True)


def test_the_readme_example_runs(capsys):
    """The README's "What if…" snippet runs as written on the demo and helps its grid."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## What if", 1)[1].split("\n## ", 1)[0]
    snippet = section.split("```python\n", 1)[1].split("```", 1)[0]
    exec(compile(snippet, "README.md:what-if", "exec"), {"__name__": "readme"})
    before, after = capsys.readouterr().out.splitlines()[0].split(" -> ")
    assert float(after.rstrip("%")) > float(before.rstrip("%"))
