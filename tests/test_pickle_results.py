"""The results a planner keeps pickle (multiprocessing, joblib, dask) and stay read-only."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import cloudpickle
import pandas as pd
import pytest
from life_circle_fixtures import make_street

import lifecircle as lc
from lifecircle.coverage.measures.coverage_result import DemandPoints
from lifecircle.coverage.measures.life_circle.life_circle import compute_life_circle
from lifecircle.coverage.measures.what_if.what_if import CoverageState
from lifecircle.coverage.measures.what_if.what_if_seats import SeatState
from lifecircle.frozen_mapping import FrozenMapping

ROUND_TRIPS = {
    "pickle": lambda obj: pickle.loads(pickle.dumps(obj)),
    "cloudpickle": lambda obj: cloudpickle.loads(cloudpickle.dumps(obj)),
}


@pytest.fixture(scope="module")
def demo():
    return lc.load_demo_layers(), lc.load_demo_network()


@pytest.fixture(scope="module")
def coverage(demo):
    return lc.compute_coverage(*demo, progress=False)


@pytest.mark.parametrize("how", sorted(ROUND_TRIPS))
def test_coverage_result_round_trip_keeps_the_lazy_demand(demo, how) -> None:
    result = lc.compute_coverage(*demo, progress=False)
    assert isinstance(result.__dict__["demand"], DemandPoints)  # not built yet
    back = ROUND_TRIPS[how](result)
    assert isinstance(back.__dict__["demand"], DemandPoints)  # still lazy after the trip
    demand = back.demand  # built now, from the unpickled arrays
    assert demand.crs.to_epsg() == 4326
    pd.testing.assert_frame_equal(
        pd.DataFrame(demand.drop(columns="geometry")),
        pd.DataFrame(result.demand.drop(columns="geometry")),
    )
    assert demand.geometry.geom_equals_exact(result.demand.geometry, 1e-9).all()
    pd.testing.assert_frame_equal(back.summary(), result.summary())
    assert dict(back.params) == dict(result.params)


def test_params_stay_read_only_after_a_round_trip(coverage) -> None:
    back = pickle.loads(pickle.dumps(coverage))
    for params in (coverage.params, back.params):
        with pytest.raises(TypeError):
            params["walk_minutes"] = 10  # type: ignore[index]
        assert not hasattr(params, "update")
    assert isinstance(back.params, FrozenMapping)


@pytest.mark.slow
def test_unpickled_coverage_still_draws_facility_areas(coverage) -> None:
    back = pickle.loads(pickle.dumps(coverage))
    service = coverage.services[0]
    areas, again = coverage.facility_isochrones(service), back.facility_isochrones(service)
    assert len(areas) == len(again) > 0
    assert again.to_crs(32651).area.sum() == pytest.approx(areas.to_crs(32651).area.sum())
    # the walking profile comes back read-only too
    profile = back.isochrone_source.graph.profile
    with pytest.raises(TypeError):
        profile.penalties["steps"] = 1.0  # type: ignore[index]


@pytest.mark.slow
def test_a_fresh_interpreter_reads_the_pickle(coverage, tmp_path: Path) -> None:
    """What a worker process does: unpickle without having computed anything."""
    path = tmp_path / "coverage.pkl"
    path.write_bytes(pickle.dumps(coverage))
    code = (
        "import pickle, sys; r = pickle.loads(open(sys.argv[1], 'rb').read()); "
        "print(len(r.demand), round(float(r.summary()['share'].iloc[0]), 6))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=300,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    share = round(float(coverage.summary()["share"].iloc[0]), 6)
    assert done.stdout.split() == [str(len(coverage.demand)), str(share)]


@pytest.mark.parametrize("how", sorted(ROUND_TRIPS))
def test_life_circle_result_round_trip(how) -> None:
    layers, network, catalogue = make_street()
    result = compute_life_circle(layers, network, catalogue=catalogue)
    back = ROUND_TRIPS[how](result)
    pd.testing.assert_frame_equal(
        pd.DataFrame(back.grids.drop(columns="geometry")),
        pd.DataFrame(result.grids.drop(columns="geometry")),
    )
    assert dict(back.params) == dict(result.params)
    with pytest.raises(TypeError):
        back.params["x"] = 1  # type: ignore[index]


@pytest.mark.slow
@pytest.mark.parametrize("how", sorted(ROUND_TRIPS))
def test_what_if_states_round_trip_and_still_edit(demo, how) -> None:
    layers, network = demo
    state = CoverageState.from_layers(layers, network)
    back = ROUND_TRIPS[how](state)
    spot = (123.003, 30.996)
    edited = state.add_facility("life_station", spot, id="N1").result()
    edited_back = back.add_facility("life_station", spot, id="N1").result()
    pd.testing.assert_frame_equal(edited_back.summary(), edited.summary())
    seats = SeatState.from_layers(layers, network)
    seats_back = ROUND_TRIPS[how](seats)
    assert seats_back.add_seats([spot]).weight_share == seats.add_seats([spot]).weight_share


@pytest.mark.slow
def test_study_run_and_suggestions_round_trip(demo) -> None:
    layers, network = demo
    run = lc.run_study(lc.load_study(lc.demo_study_path()))
    seats = lc.suggest_seats(layers, network, k=2)
    sites = lc.coverage.suggest_facilities(layers, network, k=1, service="care")
    for how, trip in ROUND_TRIPS.items():
        back = trip(run)
        pd.testing.assert_frame_equal(back.report.to_frame(), run.report.to_frame(), obj=how)
        assert trip(seats).sites["candidate"].tolist() == seats.sites["candidate"].tolist()
        assert trip(sites).sites["candidate"].tolist() == sites.sites["candidate"].tolist()
