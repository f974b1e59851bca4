"""compute_coverage on hand-built districts with known answers, and on the demo district."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from lifecircle.coverage import WalkProfile, compute_coverage, default_services
from lifecircle.coverage.measures.demand import DemandWarning, demand_from_layers
from lifecircle.coverage.network.synthetic import network_from_arrays
from lifecircle.errors import CoordinateWarning

CRS = "EPSG:32651"
UNIT = WalkProfile("unit", 1.0)  # 1 m/s: 600 m in 10 minutes


def _street():
    """One straight 2 km street, nodes every 100 m::

    0 --- 1 --- 2 --- ... --- 20        (x = 0 .. 2000 m, y = 0)
    """
    xy = [(100.0 * i, 0.0) for i in range(21)]
    return network_from_arrays(xy, [(i, i + 1) for i in range(20)], crs=CRS)


def _grids(population=(np.nan, np.nan, np.nan, np.nan, np.nan)):
    """S = {A = {A1 (x 0-500), A2 (x 500-1000)}, B (x 1000-2000)}; all 100 m tall."""
    return gpd.GeoDataFrame(
        {
            "id": ["S", "A", "B", "A1", "A2"],
            "name": ["S", "A", "B <b>", "A1", "A2"],
            "level": ["subdistrict", "area", "area", "microgrid", "microgrid"],
            "parent_id": [None, "S", "S", "A", "A"],
            "kind": ["residential"] * 5,
            "population": list(population),
        },
        geometry=[
            shapely.box(0, -50, 2000, 50),
            shapely.box(0, -50, 1000, 50),
            shapely.box(1000, -50, 2000, 50),
            shapely.box(0, -50, 500, 50),
            shapely.box(500, -50, 1000, 50),
        ],
        crs=CRS,
    )


def _elderly(xy, types):
    return gpd.GeoDataFrame(
        {
            "id": [f"E{i}" for i in range(len(xy))],
            "name": [f"<i>E{i}</i>" for i in range(len(xy))],
            "type": list(types),
        },
        geometry=shapely.points(np.asarray(xy, float)),
        crs=CRS,
    )


def _buildings():
    return gpd.GeoDataFrame(
        {
            "id": ["b1", "b2", "b3", "b4"],
            "population": [10.0, 30.0, 20.0, 40.0],
            "grid_id": [None, "A2", None, None],
        },
        geometry=shapely.points([(100, 10), (700, 10), (1500, 10), (400, -10)]),
        crs=CRS,
    )


def _layers(elderly, buildings=None, grids=None):
    return SimpleNamespace(
        grids=_grids() if grids is None else grids, elderly=elderly, buildings=buildings
    )


def test_known_answer_with_buildings_and_rollup():
    """Facility 5 m off the street at x=0; 10 minutes at 1 m/s reaches 600 m::

    E
    0 ---b1(100)----b4(400)--|--b2(700)---------|---b3(1500)--- 2000
    |<------ A1 ------>|<------ A2 ------>|<------- B ------->|
    """
    layers = _layers(_elderly([(0, 5)], ["life_centre"]), _buildings())
    result = compute_coverage(
        layers,
        _street(),
        services={"elderly": ("life_centre",)},
        profile=UNIT,
        walk_minutes=10,
        isochrones=False,
    )
    minutes = result.demand.set_index("building_id")["minutes_elderly"]
    np.testing.assert_allclose(minutes[["b1", "b4"]], [(5 + 100 + 10) / 60, (5 + 400 + 10) / 60])
    assert np.isfinite(minutes["b2"]) and minutes["b2"] > 10  # 715 s: reported, not covered
    table = result.grid_table().set_index("id")
    np.testing.assert_allclose(
        table.loc[["S", "A", "B", "A1", "A2"], "share_elderly"], [0.5, 50 / 80, 0, 1, 0]
    )
    np.testing.assert_allclose(table.loc[["S", "A", "B"], "weight"], [100, 80, 20])
    assert table.loc["A1", "covered_elderly"] and not table.loc["A", "covered_elderly"]
    fac = result.facilities.set_index("id")
    assert fac.loc["E0", "served_weight"] == pytest.approx(50)
    assert fac.loc["E0", "grids"] == "A1" and fac.loc["E0", "n_grids"] == 1


def test_nearest_facility_and_minutes_grow_with_speed():
    elderly = _elderly([(0, 0), (2000, 0)], ["day_care", "canteen"])
    layers = _layers(elderly, _buildings())
    slow = compute_coverage(layers, _street(), profile="elderly", isochrones=False)
    fast = compute_coverage(layers, _street(), profile="adult", isochrones=False)
    by_b = slow.demand.set_index("building_id")
    assert by_b.loc["b3", "facility_elderly"] == "E1"
    assert by_b.loc["b1", "facility_elderly"] == "E0"
    assert by_b.loc["b1", "minutes_care"] == pytest.approx((100 + 10) / 0.9 / 60)
    assert np.isinf(by_b.loc["b3", "minutes_bathing"])
    assert by_b.loc["b3", "facility_bathing"] is None
    assert (fast.demand["minutes_elderly"] < slow.demand["minutes_elderly"]).all()
    assert fast.params["speed_m_s"] == 1.3 and slow.params["profile"] == "elderly"


def test_unsnapped_points_are_listed_and_unreachable():
    buildings = _buildings()
    buildings.loc[3, "geometry"] = shapely.Point(400, -45)  # 45 m off the street
    layers = _layers(_elderly([(0, 5), (1000, 48)], ["care_home", "care_home"]), buildings)
    with pytest.warns(CoordinateWarning, match=r"1 of 4 demand points \(25%\).*median 45 m") as rec:
        result = compute_coverage(
            layers, _street(), services={"care": ("care_home",)}, max_snap_m=30, isochrones=False
        )
    assert "1 of 2 facilities" in str(rec[0].message)
    assert "GCJ-02" not in str(rec[0].message)  # 45 m off is not a datum mix-up
    assert set(result.unsnapped["kind"]) == {"demand", "facility"}
    far = result.unsnapped.set_index("kind")
    assert far.loc["facility", "id"] == "E1" and far.loc["facility", "service"] == "care"
    assert far.loc["demand", "grid_id"] == "A1"
    assert far.loc["demand", "snap_m"] == pytest.approx(45)
    b4 = result.demand.set_index("building_id").loc["b4"]
    assert np.isinf(b4["minutes_care"])


def test_lattice_demand_population_and_area():
    grids = _grids(population=(np.nan, np.nan, 200.0, 100.0, 300.0))
    demand = demand_from_layers(grids, crs=CRS, spacing_m=50)
    totals = demand.groupby("grid_id")["weight"].sum()
    np.testing.assert_allclose(totals[["A1", "A2", "B"]], [100, 300, 200])
    assert set(demand["weight_kind"]) == {"population"}
    # every lattice point lies inside its own grid
    geoms = grids.set_index("id").geometry
    assert all(geoms[g].covers(p) for g, p in zip(demand["grid_id"], demand.geometry, strict=True))

    with pytest.warns(DemandWarning, match="weighting every grid by area"):
        mixed = demand_from_layers(_grids(population=(1, 1, np.nan, 5, 5)), crs=CRS, spacing_m=50)
    area = mixed.groupby("grid_id")["weight"].sum()
    np.testing.assert_allclose(area[["A1", "A2", "B"]], [50_000, 50_000, 100_000])


def test_tiny_grid_gets_one_point():
    grids = _grids(population=(np.nan, np.nan, 10, 10, 10))
    grids.loc[4, "geometry"] = shapely.box(500, 0, 510, 5)
    demand = demand_from_layers(grids, crs=CRS, spacing_m=100)
    assert (demand["grid_id"] == "A2").sum() == 1


def test_building_outside_every_grid_warns():
    buildings = _buildings()
    buildings.loc[0, "geometry"] = shapely.Point(2300, 0)
    with pytest.warns(DemandWarning, match="outside every leaf grid"):
        demand = demand_from_layers(_grids(), crs=CRS, buildings=buildings)
    assert demand.set_index("building_id").loc["b1", "grid_id"] == "B"


def test_service_given_as_frame_and_bad_services():
    street = _street()
    layers = _layers(_elderly([(0, 5)], ["life_centre"]), _buildings())
    seats = gpd.GeoDataFrame({"id": ["s1"]}, geometry=[shapely.Point(1500, 3)], crs=CRS)
    result = compute_coverage(
        layers, street, services={"seat": seats}, profile=UNIT, walk_minutes=1, isochrones=False
    )
    assert result.demand.set_index("building_id").loc["b3", "facility_seat"] == "s1"
    with pytest.raises(ValueError, match="unknown elderly type"):
        compute_coverage(layers, street, services={"x": ("hospital",)})
    with pytest.raises(TypeError, match="GeoDataFrame or a tuple"):
        compute_coverage(layers, street, services={"x": 3})
    with pytest.raises(ValueError, match="walk_minutes"):
        compute_coverage(layers, street, walk_minutes=-1)
    with pytest.raises(ValueError, match="unknown walking profile"):
        compute_coverage(layers, street, profile="cyclist")


def test_default_services():
    services = default_services()
    assert "bathing" not in services["elderly"] and "canteen" in services["elderly"]
    assert services["bathing"] == ("bathing",)
    assert set(services["care"]) == {"life_centre", "care_home", "day_care"}


def test_result_is_frozen_and_renders_escaped():
    layers = _layers(_elderly([(0, 5)], ["life_centre"]), _buildings())
    result = compute_coverage(layers, _street(), profile=UNIT, walk_minutes=10)
    with pytest.raises(FrozenInstanceError):
        result.demand = None  # type: ignore[misc]
    with pytest.raises(TypeError):
        result.params["walk_minutes"] = 5  # type: ignore[index]
    html = result._repr_html_()
    assert "<b>" not in html and "B &lt;b&gt;" in html  # worst grid is 'B <b>'
    assert "CoverageResult" in repr(result)
    summary = result.summary()
    assert summary.loc["elderly", "leaf_grids"] == 3
    assert summary.loc["elderly", "share"] == pytest.approx(0.5)
    assert result.grid_table("leaf")["id"].tolist() == ["B", "A1", "A2"]
    assert result.grid_table("area")["id"].tolist() == ["A", "B"]
    with pytest.raises(ValueError, match="unknown grid level"):
        result.grid_table("block")
    assert result.demand.crs.to_epsg() == 4326 and result.grids.crs.to_epsg() == 4326


def _demo():
    from lifecircle.coverage.network.build import load_demo_network
    from lifecircle.geo.layers import load_demo_layers

    return load_demo_layers(), load_demo_network()


def test_demo_rollup_is_weighted_mean_of_children():
    layers, network = _demo()
    result = compute_coverage(layers, network, isochrones=False)
    table = result.grid_table()
    assert table["is_leaf"].sum() == 37
    for _, parent in table[~table["is_leaf"]].iterrows():
        kids = table[table["parent_id"] == parent["id"]]
        assert parent["weight"] == pytest.approx(kids["weight"].sum())
        for s in result.services:
            mean = np.average(kids[f"share_{s}"], weights=kids["weight"])
            assert parent[f"share_{s}"] == pytest.approx(mean)
    leaf_weight = table.loc[table["is_leaf"], "weight"].sum()
    assert leaf_weight == pytest.approx(result.demand["weight"].sum())
    from_buildings = result.demand.loc[result.demand["source"] == "building", "weight"].sum()
    assert from_buildings == pytest.approx(layers.buildings["population"].sum())


def test_demo_slower_walkers_cover_less():
    layers, network = _demo()
    slow = compute_coverage(layers, network, profile="elderly", isochrones=False)
    fast = compute_coverage(layers, network, profile="adult", isochrones=False)
    s, f = slow.grid_table(), fast.grid_table()
    for svc in slow.services:
        assert (f[f"share_{svc}"] >= s[f"share_{svc}"] - 1e-12).all()
    assert pd.Series(slow.summary()["share"]).between(0, 1).all()


def test_no_elderly_facility_at_all_gives_zero_coverage_and_a_warning() -> None:
    """An empty elderly layer is a finding (nobody reaches a service), not a crash."""
    from dataclasses import replace

    import lifecircle as lc
    from lifecircle.errors import LifecircleWarning

    layers = lc.load_demo_layers()
    empty = replace(layers, elderly=layers.elderly.iloc[0:0])
    with pytest.warns(LifecircleWarning, match="has no facilities"):
        result = compute_coverage(empty, lc.load_demo_network(), isochrones=False, progress=False)
    assert (result.share("elderly") == 0).all()
    assert len(result.facilities) == 0 and len(result.unsnapped) == 0
