"""The live map's logic through its Python API (no browser): edits, figures, export, widget."""

from __future__ import annotations

import numpy as np
import pytest

from lifecircle.coverage.measures.service_coverage import compute_coverage
from lifecircle.study import demo_study_path, load_study, run_study
from lifecircle.study.explore import explore
from lifecircle.study.scenario_apply import apply_scenario
from lifecircle.study.scenario_files import scenario_from_text


@pytest.fixture(scope="module")
def baseline():
    return run_study(load_study(demo_study_path()))


@pytest.fixture
def explorer(baseline):
    return explore(baseline)


def test_edits_update_figures_like_a_full_solve(baseline, explorer):
    fid = explorer.add(123.003, 30.996)
    explorer.move("E03", 122.996, 31.001)
    explorer.remove("E02")
    # the same facility set computed from scratch
    plan = explorer.scenario()
    run = apply_scenario(baseline, plan).run
    layers, network = run.layers, run.network
    state = explorer.state
    full = compute_coverage(layers, network, options=state.options,
                            services=dict(state.specs), isochrones=False)  # fmt: skip
    np.testing.assert_allclose(state.share("elderly").to_numpy(),
                               full.share("elderly").to_numpy(), rtol=0, atol=1e-12)  # fmt: skip
    assert fid in set(state.facilities["id"])
    assert "E02" not in set(state.facilities["id"])
    table = explorer.target_table()
    assert list(table["target"]) == ["T1", "T2"]  # the elderly-pace coverage targets
    report = run.report.to_frame().set_index("target")
    for row in table.itertuples(index=False):
        assert row.achieved_now == pytest.approx(report.loc[row.target, "achieved"], abs=1e-12)
        assert row.met_now == bool(report.loc[row.target, "passed"])


def test_undo_restores_the_previous_state_and_scenario(explorer):
    before = explorer.state.share("elderly").to_numpy().copy()
    explorer.remove("E05")
    assert len(explorer.scenario().changes) == 1
    explorer.undo()
    np.testing.assert_array_equal(explorer.state.share("elderly").to_numpy(), before)
    assert explorer.scenario().changes == ()
    explorer.undo()  # nothing left: no error


def test_export_round_trips_and_folds_edits_of_new_facilities(explorer):
    fid = explorer.add(123.003, 30.996)
    explorer.move(fid, 123.002, 30.997)  # a new facility moves inside its [[add]]
    explorer.move("E03", 122.996, 31.001)
    explorer.move("E03", 122.9961, 31.0011)  # one [[move]] per facility, the last place
    explorer.add(122.999, 30.998)
    explorer.remove("NEW2")  # removing a new facility drops its [[add]]
    plan = scenario_from_text(explorer.to_toml(), "explored.toml")
    kinds = [(type(c).__name__, c.id) for c in plan.changes]
    assert kinds == [("AddFacility", fid), ("MoveFacility", "E03")]
    assert (plan.changes[0].lon, plan.changes[0].lat) == (123.002, 30.997)
    assert (plan.changes[1].lon, plan.changes[1].lat) == (122.9961, 31.0011)


def test_headline_and_colours_follow_the_edits(explorer):
    start = explorer.headline()
    assert start["share_before"] == start["share_now"]
    for fid in ("E01", "E03", "E04", "E05"):
        explorer.remove(fid)
    after = explorer.headline()
    assert after["share_now"] < after["share_before"]
    assert after["grids_met_now"] <= after["grids_met_before"]
    colours = explorer.grid_colours()
    assert set(colours) == set(explorer.state.grids["id"].astype(str))
    assert (explorer.latencies()["edit"] == "remove").sum() == 4


def test_the_widget_is_wired_to_the_explorer(explorer):
    pytest.importorskip("ipyleaflet", reason="the test extra installs ipyleaflet")
    import ipyleaflet

    box = explorer.widget
    assert not [x for x in box.map.layers if isinstance(x, ipyleaflet.TileLayer)]  # offline
    n_markers = len(box.markers.layers)
    # a click on the map in "add" mode adds a facility, as the browser would send it
    for handler in box.map._interaction_callbacks.callbacks:
        handler(type="click", coordinates=[30.996, 123.003])
    assert len(explorer.history) == 1 and explorer.history[0].kind == "add"
    assert len(box.markers.layers) == n_markers + 2  # a dot and a draggable pin
    colours = {f["properties"]["id"]: f["properties"]["style"]["fillColor"]
               for f in box.grids.data["features"]}  # fmt: skip
    assert all(colours[k] == v for k, v in explorer.grid_colours().items() if k in colours)
    # drag a pin: the marker's move event moves the facility
    pin = next(m for m in box.markers.layers if getattr(m, "title", "") == "E03")
    for handler in pin._move_callbacks.callbacks:
        handler(event="move", location=[31.001, 122.996])
    assert explorer.history[-1].kind == "move"
    box.mode.value = "remove"
    pin = next(m for m in box.markers.layers if getattr(m, "title", "") == "E04")
    for handler in pin._click_callbacks.callbacks:
        handler(event="click", coordinates=[0, 0])
    assert "E04" not in set(explorer.state.facilities["id"])
    box.children[1].children[2].click()  # export
    assert "[[remove]]" in box.toml.value and 'id = "E04"' in box.toml.value
    assert "→" in box.headline.value and "T1" in box.targets.value
