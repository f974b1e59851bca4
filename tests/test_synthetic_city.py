"""The synthetic city's layers: valid, reproducible, and as documented."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from lifecircle.coverage import compute_coverage
from lifecircle.coverage.network.synthetic import synthetic_city
from lifecircle.geo.hierarchy import leaf_grids
from lifecircle.geo.layers import load_layers
from lifecircle.geo.schema import ELDERLY_TYPES
from lifecircle.study.synthetic_city import synthetic_city_layers, synthetic_city_study


@pytest.fixture(scope="module")
def city():
    return synthetic_city_study(3_000, seed=5)


def test_layers_pass_validation(city):
    """load_layers accepts the grids and facilities (it refuses empty layers: one of each)."""
    layers, _ = city
    one = gpd.GeoDataFrame(geometry=[shapely.Point(121.45, 31.23)], crs=4326)
    loaded = load_layers(
        grids=layers.grids,
        elderly=layers.elderly,
        seats=one.assign(id="s", name="s", seats=1),
        heritage=one.assign(id="h", name="h", level="district"),
    )
    assert len(loaded.grids) == len(layers.grids)
    assert len(loaded.elderly) == len(layers.elderly)


def test_hierarchy_and_residents(city):
    layers, network = city
    grids = layers.grids
    assert grids["level"].value_counts()["subdistrict"] == 1
    micro = grids[grids["level"] == "microgrid"]
    areas = grids[grids["level"] == "area"]
    assert set(micro["parent_id"]) == set(areas["id"])
    assert set(areas["parent_id"]) == {"S"}
    assert set(leaf_grids(grids)["id"]) == set(micro["id"])
    # parents hold the sum of their children
    by_area = micro.groupby("parent_id")["population"].sum()
    np.testing.assert_allclose(areas.set_index("id")["population"], by_area[areas["id"]])
    assert grids.loc[grids["id"] == "S", "population"].item() == micro["population"].sum()
    # micro-grids tile the network's bounding box, cut to it
    metric = micro.to_crs(network.crs)
    x0, y0 = network.node_xy.min(axis=0)
    x1, y1 = network.node_xy.max(axis=0)
    assert metric.area.sum() == pytest.approx((x1 - x0) * (y1 - y0), rel=1e-6)
    assert metric.area.max() <= 500.0**2 * (1 + 1e-6)
    # about 25 residents per node
    assert micro["population"].sum() == pytest.approx(25 * network.n_nodes, rel=0.05)


def test_facilities(city):
    layers, network = city
    elderly = layers.elderly
    assert len(elderly) == network.n_nodes // 100
    counts = elderly["type"].value_counts()
    assert set(counts.index) == {c.code for c in ELDERLY_TYPES}
    assert counts.max() - counts.min() <= 1  # the types in turn
    assert elderly["id"].is_unique
    assert elderly["capacity"].isna().all()
    near = elderly.to_crs(network.crs).distance(shapely.multipoints(network.node_xy))
    assert near.max() <= 15 * np.sqrt(2) + 1e-6
    assert len(layers.seats) == 0 and len(layers.heritage) == 0
    assert layers.synthetic


def test_reproducible():
    net = synthetic_city(1_500, seed=2)
    a, b = (synthetic_city_layers(net, seed=3) for _ in range(2))
    c = synthetic_city_layers(net, seed=4)
    pd.testing.assert_frame_equal(a.grids, b.grids)
    pd.testing.assert_frame_equal(a.elderly, b.elderly)
    assert not a.elderly.geometry.equals(c.elderly.geometry)


def test_parameters():
    net = synthetic_city(1_500, seed=2)
    layers = synthetic_city_layers(net, seed=1, grid_m=250, area_grids=2, nodes_per_facility=50)
    assert len(layers.elderly) == 30
    micro = layers.grids[layers.grids["level"] == "microgrid"].to_crs(net.crs)
    assert micro.area.max() <= 250.0**2 * (1 + 1e-6)
    with pytest.raises(ValueError, match="grid_m"):
        synthetic_city_layers(net, seed=1, grid_m=0)
    with pytest.raises(ValueError, match="area_grids"):
        synthetic_city_layers(net, seed=1, area_grids=0)
    with pytest.raises(ValueError, match="residents_per_node"):
        synthetic_city_layers(net, seed=1, residents_per_node=-1)


def test_coverage_runs_without_warnings():
    """The benchmark's analysis at a small size: every grid gets a share, no warning."""
    layers, network = synthetic_city_study(1_000, seed=7)
    result = compute_coverage(layers, network, isochrones=False, progress=False)
    leaf = result.grid_table("leaf")
    assert len(leaf) == (layers.grids["level"] == "microgrid").sum()
    assert leaf["share_elderly"].between(0, 1).all()
    assert result.summary().loc["elderly", "share"] > 0.5
