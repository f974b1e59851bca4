"""Grid hierarchy: checks, leaves, ancestors and the weighted roll-up.

The hand-built tree used here (ids, populations)::

            S
          /   \\
        A1     C1 (leaf, pop 100)
       /  \\
    M1     M2
  (1000)  (3000)
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

import lifecircle.geo as geo
from lifecircle.errors import LayerError

X0, Y0, D = 121.44, 31.22, 0.006


def _tree() -> gpd.GeoDataFrame:
    half = X0 + D / 2
    rows = [
        ("S", "subdistrict", None, box(X0, Y0, X0 + D, Y0 + D)),
        ("A1", "area", "S", box(X0, Y0, half, Y0 + D)),
        ("C1", "area", "S", box(half, Y0, X0 + D, Y0 + D)),
        ("M1", "microgrid", "A1", box(X0, Y0, half, Y0 + D / 2)),
        ("M2", "microgrid", "A1", box(X0, Y0 + D / 2, half, Y0 + D)),
    ]
    return gpd.GeoDataFrame(
        pd.DataFrame(rows, columns=["id", "level", "parent_id", "geometry"]), crs=4326
    )


def test_valid_tree_passes():
    geo.validate_hierarchy(_tree())
    assert geo.hierarchy_problems(_tree()) == []


def test_rootless_layer_areas_are_roots():
    grids = _tree().iloc[1:].copy()
    grids.loc[grids["id"].isin(["A1", "C1"]), "parent_id"] = None
    geo.validate_hierarchy(grids)


def test_orphan_microgrid_and_second_subdistrict():
    grids = _tree()
    grids.loc[grids["id"] == "M2", "parent_id"] = None
    extra = gpd.GeoDataFrame(
        {"id": ["T"], "level": ["subdistrict"], "parent_id": [None]},
        geometry=[box(X0 + 0.02, Y0, X0 + 0.03, Y0 + 0.01)],
        crs=4326,
    )
    grids = pd.concat([grids, extra], ignore_index=True)
    with pytest.raises(LayerError, match=r"<grids>: 2 problems") as info:
        geo.validate_hierarchy(grids)
    text = str(info.value)
    assert "2 subdistrict grids (S, T)" in text
    assert "'M2' (microgrid)" in text and "below the top level (subdistrict)" in text


def test_containment_uses_metric_tolerance():
    grids = _tree()
    # shift M1 ~3 m west (inside the 5 m tolerance), then ~30 m (outside)
    for shift_deg, ok in [(3 / 95000, True), (30 / 95000, False)]:
        moved = grids.copy()
        shifted = box(X0 - shift_deg, Y0, X0 + D / 2 - shift_deg, Y0 + D / 2)
        moved.loc[moved["id"] == "M1", "geometry"] = shifted
        problems = geo.hierarchy_problems(moved, tolerance_m=5.0, max_overlap_share=0.05)
        assert any("'M1' has" in p for p in problems) is not ok


def test_ancestors_and_leaves():
    grids = _tree()
    assert geo.ancestors(grids) == {
        "S": [],
        "A1": ["S"],
        "C1": ["S"],
        "M1": ["A1", "S"],
        "M2": ["A1", "S"],
    }
    assert geo.leaf_grids(grids)["id"].tolist() == ["C1", "M1", "M2"]


def test_roll_up_known_answer():
    values = pd.DataFrame(
        {"population": [1000.0, 3000.0, 100.0], "covered": [1.0, 0.5, 0.0]},
        index=["M1", "M2", "C1"],
    )
    out = geo.roll_up(_tree(), values, weight="population")
    assert out.index.tolist() == ["S", "A1", "C1", "M1", "M2"]
    assert out.loc["A1", "population"] == 4000
    assert out.loc["A1", "covered"] == pytest.approx((1000 * 1 + 3000 * 0.5) / 4000)
    assert out.loc["S", "covered"] == pytest.approx(2500 / 4100)
    assert out.loc["M2", "covered"] == 0.5


def test_roll_up_nan_values_and_zero_weight():
    values = pd.DataFrame(
        {"population": [0.0, 3000.0], "covered": [1.0, np.nan]}, index=["M1", "M2"]
    )
    out = geo.roll_up(_tree(), values, weight="population")
    assert np.isnan(out.loc["A1", "covered"])  # M2 has no value, M1 has no weight
    assert out.loc["C1", "population"] == 0 and np.isnan(out.loc["C1", "covered"])


def test_roll_up_rejects_non_leaf_ids_and_negative_weights():
    with pytest.raises(LayerError, match="not leaf grids: 'A1'"):
        geo.roll_up(_tree(), pd.DataFrame({"population": [1.0], "v": [1.0]}, index=["A1"]))
    with pytest.raises(LayerError, match="negative"):
        geo.roll_up(_tree(), pd.DataFrame({"population": [-1.0], "v": [1.0]}, index=["M1"]))
    with pytest.raises(LayerError, match="no weight column 'pop'"):
        geo.roll_up(_tree(), pd.DataFrame({"v": [1.0]}, index=["M1"]), weight="pop")


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    st.lists(st.floats(0, 1e4), min_size=3, max_size=3),
    st.lists(st.floats(0, 1), min_size=3, max_size=3),
)
def test_roll_up_properties(weights, shares):
    values = pd.DataFrame({"w": weights, "v": shares}, index=["M1", "M2", "C1"])
    out = geo.roll_up(_tree(), values, weight="w")
    assert out.loc["S", "w"] == pytest.approx(sum(weights))
    for gid in ("S", "A1"):
        if out.loc[gid, "w"] > 0:
            assert min(shares) - 1e-9 <= out.loc[gid, "v"] <= max(shares) + 1e-9
    constant = values.assign(v=0.7)
    rolled = geo.roll_up(_tree(), constant, weight="w")["v"].dropna()
    assert np.allclose(rolled, 0.7)


def test_demo_grids_form_a_valid_hierarchy():
    layers = geo.load_demo_layers()
    assert geo.hierarchy_problems(layers.grids) == []
    leaves = geo.leaf_grids(layers.grids)
    values = leaves.set_index("id")[["population"]].assign(one=1.0)
    out = geo.roll_up(layers.grids, values, weight="population")
    root = layers.grids.loc[layers.grids["level"] == "subdistrict", "id"].iloc[0]
    assert out.loc[root, "population"] == pytest.approx(leaves["population"].sum())
