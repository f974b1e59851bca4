"""The walkability table, rule by rule, and edge penalties."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString

from lifecircle.coverage.network.build import network_from_lines
from lifecircle.coverage.network.walkability import (
    NOT_WALKABLE_HIGHWAYS,
    WALKABLE_HIGHWAYS,
    edge_penalties,
    osmnx_walk_filter,
    walkable_mask,
)
from lifecircle.errors import NetworkError

X0, Y0 = 350_000.0, 3_450_000.0


def one(**tags) -> pd.DataFrame:
    return pd.DataFrame([tags])


@pytest.mark.parametrize("highway", sorted(WALKABLE_HIGHWAYS))
def test_walkable_highways_are_kept(highway):
    assert walkable_mask(one(highway=highway)).tolist() == [True]


@pytest.mark.parametrize("highway", sorted(NOT_WALKABLE_HIGHWAYS))
def test_forbidden_highways_are_removed(highway):
    assert walkable_mask(one(highway=highway)).tolist() == [False]


def test_unknown_highway_is_removed():
    assert walkable_mask(one(highway="spaceport")).tolist() == [False]


def test_missing_highway_column_or_value_is_walkable():
    assert walkable_mask(pd.DataFrame({"name": ["a"]})).tolist() == [True]
    assert walkable_mask(one(highway=None)).tolist() == [True]


@pytest.mark.parametrize("highway", ["footway", "cycleway", "primary"])
def test_foot_no_overrides_highway(highway):
    assert walkable_mask(one(highway=highway, foot="no")).tolist() == [False]


def test_cycleway_is_walkable_unless_foot_no():
    frame = pd.DataFrame({"highway": ["cycleway", "cycleway"], "foot": [None, "no"]})
    assert walkable_mask(frame).tolist() == [True, False]


@pytest.mark.parametrize("access", ["private", "no"])
def test_private_or_no_access_is_removed(access):
    assert walkable_mask(one(highway="service", access=access)).tolist() == [False]


@pytest.mark.parametrize("foot", ["yes", "designated", "permissive"])
def test_foot_permission_overrides_access(foot):
    assert walkable_mask(one(highway="service", access="private", foot=foot)).tolist() == [True]


def test_access_destination_is_walkable():
    assert walkable_mask(one(highway="service", access="destination")).tolist() == [True]


def test_osmnx_list_cells_need_every_value_walkable():
    frame = pd.DataFrame({"highway": [["residential", "footway"], ["primary", "trunk"]]})
    assert walkable_mask(frame).tolist() == [True, False]


def test_pyrosm_tags_json_column_is_read():
    frame = pd.DataFrame({"highway": ["footway"], "tags": ['{"access": "private"}']})
    assert walkable_mask(frame).tolist() == [False]


def test_rules_apply_to_line_layers_and_oneway_is_ignored():
    """Five parallel 100 m lines; only the walkable ones stay, each once, both ways."""
    geoms = [LineString([(X0, Y0 + 10 * i), (X0 + 100, Y0 + 10 * i)]) for i in range(5)]
    frame = gpd.GeoDataFrame(
        {
            "highway": ["residential", "motorway", "footway", "service", "construction"],
            "oneway": ["yes", "no", "-1", "yes", None],
            "access": [None, None, None, "private", None],
        },
        geometry=geoms,
        crs="EPSG:32651",
    )
    net = network_from_lines(frame)
    assert sorted(net.edges["highway"]) == ["footway", "residential"]
    assert net.n_edges == 2 and net.n_nodes == 4


def test_penalties_by_highway_and_signalised_crossing():
    frame = pd.DataFrame(
        {
            "highway": ["steps", "footway", "footway", "crossing", "residential"],
            "footway": [None, "crossing", "crossing", None, None],
            "crossing": [None, "traffic_signals", "uncontrolled", "marked", None],
            "crossing_signals": [None, None, None, "yes", None],
        }
    )
    seconds = edge_penalties(frame, {"steps": 10.0, "crossing_signals": 20.0, "crossing": 1.0})
    np.testing.assert_allclose(seconds, [10.0, 20.0, 0.0, 21.0, 0.0])
    np.testing.assert_allclose(edge_penalties(frame, None), 0.0)


@pytest.mark.parametrize("bad", [-1.0, "ten", None])
def test_invalid_penalty_is_rejected(bad):
    with pytest.raises(NetworkError, match="seconds >= 0"):
        edge_penalties(one(highway="steps"), {"steps": bad})


def test_walk_filter_lists_every_walkable_highway():
    text = osmnx_walk_filter()
    assert all(h in text for h in WALKABLE_HIGHWAYS)
    assert "motorway" not in text
