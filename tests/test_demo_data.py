"""The embedded synthetic demo district: reproducible, labelled, and as designed.

Areas and lengths are measured in UTM 51N (EPSG:32651). The design numbers checked
here are documented in ``lifecircle/data/demo/README.md``.
"""

from __future__ import annotations

import itertools
import json
import re
import warnings

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, dijkstra

from lifecircle.coverage import load_demo_network
from lifecircle.data import DEMO_LAYER_FILES, demo_path
from lifecircle.data.demo_features import allocate
from lifecircle.data.make_demo import DEMO_NAME, write_demo
from lifecircle.errors import LayerError
from lifecircle.geo import load_demo_layers

UTM = "EPSG:32651"
WALK_SPEED_M_S = 0.9
POINT_LAYERS = ("grids", "buildings", "seats", "elderly", "heritage", "conservation", "facilities")
HIGHWAYS = {
    "primary", "secondary", "tertiary", "residential", "living_street", "footway", "path",
    "pedestrian", "steps", "service", "trunk",
}  # fmt: skip


@pytest.fixture(scope="module")
def layers() -> dict[str, gpd.GeoDataFrame]:
    """Every committed demo layer read with geopandas, projected to UTM 51N."""
    return {name: gpd.read_file(demo_path(name)).to_crs(UTM) for name in DEMO_LAYER_FILES}


@pytest.fixture(scope="module")
def grids(layers: dict[str, gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    return layers["grids"]


def _walkable(network: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    foot = network["foot"].fillna("")
    access = network["access"].fillna("")
    return network[(network["highway"] != "trunk") & (foot != "no") & (access != "private")]


def _endpoint_graph(lines: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Node coordinates and (u, v) node indices of lines, nodes = exact shared endpoints."""
    coords = shapely.get_coordinates(lines.geometry.boundary)  # two endpoints per line
    if len(coords) != 2 * len(lines):
        raise AssertionError("a line is closed or degenerate")
    xy, inverse = np.unique(coords, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    return xy, inverse[0::2], inverse[1::2]


def _components(lines: gpd.GeoDataFrame) -> np.ndarray:
    xy, u, v = _endpoint_graph(lines)
    adj = coo_matrix((np.ones(len(u)), (u, v)), shape=(len(xy), len(xy)))
    return np.bincount(connected_components(adj, directed=False)[1])


# ----------------------------------------------------------------- reproducibility
def test_regenerating_gives_byte_identical_files(tmp_path):
    written = write_demo(tmp_path)
    assert sorted(p.name for p in written) == sorted(DEMO_LAYER_FILES.values())
    for path in written:
        assert path.read_bytes() == demo_path(path.name).read_bytes(), path.name


def test_a_different_seed_gives_a_different_district(tmp_path):
    write_demo(tmp_path, seed=1)
    assert (tmp_path / "seats.geojson").read_bytes() != demo_path("seats").read_bytes()


def test_files_are_small_and_rounded_to_seven_decimals():
    total = sum(demo_path(name).stat().st_size for name in DEMO_LAYER_FILES)
    assert total < 2_000_000
    text = demo_path("network").read_text(encoding="utf-8")
    assert not re.search(r"\d\.\d{8,}", text)


# ----------------------------------------------------------------------- labelling
@pytest.mark.parametrize("name", sorted(DEMO_LAYER_FILES))
def test_every_file_says_synthetic(name):
    data = json.loads(demo_path(name).read_text(encoding="utf-8"))
    assert data["type"] == "FeatureCollection"
    assert list(data)[:3] == ["type", "name", "description"]
    phrase = "lifecircle synthetic demo district — fictional, not real streets"
    assert data["name"] == DEMO_NAME == phrase
    assert phrase in data["description"]
    assert "open sea" in data["description"]


def test_readme_says_synthetic_and_where():
    text = demo_path("README.md").read_text(encoding="utf-8")
    assert "SYNTHETIC" in text and "fictional, not real streets" in text
    assert "open sea" in text and "lon 123.000, lat 31.000" in text


def test_names_are_obviously_fictional(layers):
    for name in POINT_LAYERS:
        names = layers[name]["name"].dropna()
        assert len(names) == len(layers[name]), name
        assert names.str.contains("示范").all() and names.str.contains("Demo").all(), name
    streets = layers["network"]["name"].dropna()
    assert streets.str.contains("示范").all() and streets.str.contains("Demo").all()


def test_district_sits_in_open_sea_near_123e_31n(grids):
    root = grids.loc[grids["level"] == "subdistrict"].to_crs(4326).geometry.iloc[0]
    assert abs(root.centroid.x - 123.0) < 0.005 and abs(root.centroid.y - 31.0) < 0.005


# ----------------------------------------------------------------------------- grids
def test_grid_counts_and_ids(grids):
    leaves = grids[~grids["id"].isin(grids["parent_id"].dropna())]
    assert len(leaves) == 37
    assert (grids["level"] == "subdistrict").sum() == 1
    areas = grids[grids["level"] == "area"]
    assert (areas["kind"] == "residential").sum() == 11
    assert (areas["kind"] == "commercial").sum() == 5
    micro = grids[grids["level"] == "microgrid"]
    assert len(micro) == 32 and (micro["kind"] == "residential").all()
    assert sorted(areas.loc[areas["kind"] == "commercial", "id"]) == [f"C{i}" for i in range(1, 6)]
    per_area = micro.groupby("parent_id").size()
    assert per_area.between(2, 4).all() and len(per_area) == 11
    assert micro["id"].str.fullmatch(r"A(0[1-9]|1[01])-[1-4]").all()
    assert (micro["id"].str[:3] == micro["parent_id"]).all()


def test_populations(grids):
    micro = grids[grids["level"] == "microgrid"]
    assert micro["population"].between(500, 1500).all()
    assert 27_000 <= micro["population"].sum() <= 33_000
    commercial = grids[grids["kind"] == "commercial"]
    assert commercial["population"].between(50, 300).all()
    for parent_id, kids in grids.dropna(subset=["parent_id"]).groupby("parent_id"):
        parent = grids.loc[grids["id"] == parent_id, "population"].item()
        assert parent == kids["population"].sum(), parent_id


def test_children_tile_their_parent_exactly(grids):
    by_id = grids.set_index("id").geometry
    for parent_id, kids in grids.dropna(subset=["parent_id"]).groupby("parent_id"):
        union = shapely.union_all(kids.geometry.to_numpy())
        assert union.symmetric_difference(by_id[parent_id]).area < 1.0, parent_id
        for a, b in itertools.combinations(kids.geometry, 2):
            assert a.intersection(b).area < 1.0, parent_id


def test_subdistrict_size_and_irregular_outline(grids):
    root = grids.loc[grids["level"] == "subdistrict"].geometry.iloc[0]
    assert root.geom_type == "Polygon" and not root.interiors
    assert 1.5e6 <= root.area <= 1.7e6
    assert root.area / root.minimum_rotated_rectangle.area < 0.97  # not a rectangle


def test_grids_are_bounded_by_streets(layers, grids):
    streets = layers["network"]
    streets = streets[~streets["highway"].isin(["footway", "service", "path", "steps", "trunk"])]
    street_lines = shapely.union_all(streets.geometry.to_numpy()).buffer(0.01)
    areas = grids[grids["level"] == "area"]
    for gid, geom in zip(areas["id"], areas.geometry, strict=True):
        outside = geom.exterior.difference(street_lines).length
        assert outside < 0.01 * geom.exterior.length, gid


# ------------------------------------------------------------------------- buildings
def test_buildings_population_matches_micro_grids(layers, grids):
    buildings = layers["buildings"]
    assert 300 <= len(buildings) <= 900
    assert (buildings["population"] >= 0).all()
    assert set(buildings.geom_type) == {"Polygon", "Point"}
    micro = grids[grids["level"] == "microgrid"].set_index("id")
    sums = buildings.groupby("grid_id")["population"].sum()
    assert set(sums.index) == set(micro.index)
    assert (sums == micro.loc[sums.index, "population"]).all()


def test_buildings_lie_in_their_grid(layers, grids):
    buildings = layers["buildings"]
    grid_geom = grids.set_index("id").geometry
    inside = [
        grid_geom[g].contains(geom.representative_point())
        for g, geom in zip(buildings["grid_id"], buildings.geometry, strict=True)
    ]
    assert all(inside)


# ----------------------------------------------------------------------------- seats
def test_seat_counts_and_attributes(layers):
    seats = layers["seats"]
    assert 95 <= len(seats) <= 110
    assert 550 <= seats["seats"].sum() <= 700
    assert seats["seats"].between(2, 12).all()
    assert 0.35 <= seats["armrest"].mean() <= 0.45
    assert 0.10 <= seats["charging"].mean() <= 0.20
    assert seats["id"].is_unique and (seats.geom_type == "Point").all()


def test_seats_stand_a_few_metres_off_a_street(layers):
    network = _walkable(layers["network"])
    lines = network.geometry.to_numpy()
    tree = shapely.STRtree(lines)
    pts = layers["seats"].geometry.to_numpy()
    _, dist = tree.query_nearest(pts, return_distance=True, all_matches=False)
    assert (dist > 2.0).all() and (dist < 10.0).all()


def test_seats_leave_gaps_along_streets(layers):
    """A sizeable share of street length has no seat within 100 m (room for suggestions)."""
    network = layers["network"]
    streets = network[
        network["highway"].isin(
            ["primary", "secondary", "tertiary", "residential", "living_street"]
        )
    ]
    covered = shapely.union_all(layers["seats"].geometry.buffer(100.0).to_numpy())
    total = streets.length.sum()
    bare = streets.geometry.difference(covered).length.sum()
    assert 0.1 < bare / total < 0.6


# --------------------------------------------------------------------------- elderly
def test_elderly_facilities_by_type(layers):
    counts = layers["elderly"]["type"].value_counts().to_dict()
    assert counts.pop("canteen", 0) <= 2
    assert counts == {"life_centre": 1, "care_home": 1, "day_care": 2, "life_station": 7,
                      "bathing": 7}  # fmt: skip
    assert (layers["elderly"].geom_type == "Point").all()
    assert layers["elderly"]["capacity"].gt(0).all()


def test_some_bathing_sites_are_co_located(layers):
    elderly = layers["elderly"]
    bathing = elderly[elderly["type"] == "bathing"].geometry
    others = shapely.union_all(elderly[elderly["type"] != "bathing"].geometry.to_numpy())
    co_located = bathing.distance(others) < 10.0
    assert 1 <= co_located.sum() < len(bathing)


# -------------------------------------------------------------------------- heritage
def test_heritage_counts(layers):
    heritage = layers["heritage"]
    relics = heritage[heritage["level"] != "historic_building"]
    historic = heritage[heritage["level"] == "historic_building"]
    assert 90 <= len(relics) <= 110 and relics["category"].isna().all()
    levels = relics["level"].value_counts()
    assert 1 <= levels["national"] <= 5
    assert 8 <= levels["municipal"] <= 12
    assert 12 <= levels["district"] <= 18
    assert (
        levels["protection_point"]
        == len(relics) - levels[["national", "municipal", "district"]].sum()
    )
    assert 270 <= len(historic) <= 290
    assert set(historic["category"]) == {"I", "II", "III", "IV", "V"}
    assert set(heritage.geom_type) == {"Polygon", "Point"}


def test_conservation_areas_cover_85_percent(layers, grids):
    conservation = layers["conservation"]
    assert 2 <= len(conservation) <= 3
    root = grids.loc[grids["level"] == "subdistrict"].geometry.iloc[0]
    covered = shapely.union_all(conservation.geometry.to_numpy()).intersection(root).area
    assert 0.80 <= covered / root.area <= 0.90
    inside = (
        layers["heritage"]
        .geometry.representative_point()
        .within(shapely.union_all(conservation.geometry.to_numpy()))
    )
    assert inside.mean() > 0.85


# --------------------------------------------------------------------------- network
def test_network_tags(layers):
    network = layers["network"]
    assert set(network["highway"]) == HIGHWAYS
    assert (network["oneway"] == "yes").any()
    assert network["access"].eq("private").any() and network["foot"].eq("no").any()
    trunk = network[network["highway"] == "trunk"]
    assert len(trunk) == 1
    assert trunk.iloc[0][["bridge", "layer", "foot"]].tolist() == ["yes", "2", "no"]
    lanes = network[network["name"].fillna("").str.contains("弄")]
    assert len(lanes) > 100 and lanes["highway"].isin(["footway", "service"]).all()


def test_network_size(layers):
    xy, _, _ = _endpoint_graph(layers["network"][layers["network"]["highway"] != "trunk"])
    assert 1500 <= len(xy) <= 3000


def test_lines_touch_only_at_shared_endpoints(layers):
    """Where two ways meet (other than the expressway) they share an exact endpoint."""
    network = layers["network"]
    lines = network[network["highway"] != "trunk"].geometry.to_numpy()
    ends = {tuple(p) for p in shapely.get_coordinates(shapely.boundary(lines))}
    left, right = shapely.STRtree(lines).query(lines, predicate="intersects")
    for i, j in zip(left, right, strict=True):
        if i < j:
            meet = shapely.get_coordinates(lines[i].intersection(lines[j]))
            assert all(tuple(p) in ends for p in meet), (i, j, meet)


def test_expressway_shares_no_node(layers):
    network = layers["network"]
    trunk = network[network["highway"] == "trunk"].geometry.iloc[0]
    rest = shapely.get_coordinates(network[network["highway"] != "trunk"].geometry.to_numpy())
    trunk_xy = {tuple(p) for p in shapely.get_coordinates(trunk)}
    assert not trunk_xy & {tuple(p) for p in rest}
    assert trunk.crosses(shapely.union_all(network[network["highway"] == "primary"].geometry))


@pytest.mark.parametrize("walk_only", [False, True])
def test_network_has_main_piece_and_one_fragment(layers, walk_only):
    network = layers["network"]
    lines = _walkable(network) if walk_only else network[network["highway"] != "trunk"]
    sizes = np.sort(_components(lines))[::-1]
    assert len(sizes) == 2
    assert 3 <= sizes[1] <= 12 < 1000 < sizes[0]


def _minutes_to_elderly(layers: dict[str, gpd.GeoDataFrame]) -> np.ndarray:
    """Walking minutes from each building to its nearest elderly service (not bathing)."""
    lines = _walkable(layers["network"]).reset_index(drop=True)
    xy, u, v = _endpoint_graph(lines)
    length = lines.length.to_numpy()
    adj = coo_matrix((length, (u, v)), shape=(len(xy), len(xy)))
    labels = connected_components(adj, directed=False)[1]
    main = labels[u] == np.bincount(labels).argmax()
    tree = shapely.STRtree(lines.geometry.to_numpy()[main])
    edge_ids = np.flatnonzero(main)

    def snap(points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        idx = edge_ids[tree.query_nearest(points, all_matches=False)[1]]
        geoms = lines.geometry.to_numpy()[idx]
        along = shapely.line_locate_point(geoms, points)
        off = shapely.distance(points, geoms)
        return idx, along, off, length[idx] - along

    elderly = layers["elderly"]
    fac = elderly[elderly["type"] != "bathing"].geometry.to_numpy()
    f_idx, f_along, f_off, f_rest = snap(fac)
    # a virtual source node (index n) linked to both ends of every facility's edge
    n = len(xy)
    heads = np.concatenate([u, u[f_idx], v[f_idx]])
    tails = np.concatenate([v, np.full(2 * len(fac), n)])
    weights = np.concatenate([length, f_off + f_along, f_off + f_rest])
    graph = coo_matrix((weights, (heads, tails)), shape=(n + 1, n + 1)).tocsr()
    dist = dijkstra(graph, directed=False, indices=n)
    pts = layers["buildings"].geometry.representative_point().to_numpy()
    b_idx, b_along, b_off, b_rest = snap(pts)
    metres = np.minimum(dist[u[b_idx]] + b_along, dist[v[b_idx]] + b_rest) + b_off
    return metres / WALK_SPEED_M_S / 60.0


def test_elderly_coverage_has_a_realistic_peripheral_gap(layers, grids):
    """At 0.9 m/s most micro-grids reach an elderly service in 15 min; 1-3 do not."""
    buildings = layers["buildings"].assign(minutes=_minutes_to_elderly(layers))
    buildings["ok"] = buildings["minutes"] <= 15.0
    reached = (buildings["population"] * buildings["ok"]).groupby(buildings["grid_id"]).sum()
    share = reached / buildings.groupby("grid_id")["population"].sum()
    below = share[share < 0.9].index
    assert 1 <= len(below) <= 3, share.sort_values().head()
    boundary = grids.loc[grids["level"] == "subdistrict"].geometry.iloc[0].exterior
    gid = grids.set_index("id").geometry
    assert all(gid[g].intersects(boundary) for g in below)  # peripheral


# ----------------------------------------------------------------------- public API
def test_demo_path_resolves_layers_and_file_names():
    for name, file_name in DEMO_LAYER_FILES.items():
        assert demo_path(name) == demo_path(file_name)
        assert demo_path(name).name == file_name and demo_path(name).is_file()
    assert demo_path("README.md").is_file()


def test_demo_path_rejects_unknown_names():
    with pytest.raises(LayerError, match=r"unknown demo layer 'roads'.*'grids'"):
        demo_path("roads")
    with pytest.raises(LayerError):
        demo_path("../make_demo.py")


def test_demo_layers_load_through_the_readers_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        demo = load_demo_layers()
    assert demo.synthetic
    assert len(demo.grids) == 49 and len(demo.seats) == len(gpd.read_file(demo_path("seats")))
    assert len(demo.elderly) == 19 and len(demo.heritage) == 380
    micro = demo.grids["level"] == "microgrid"
    assert demo.buildings["population"].sum() == demo.grids.loc[micro, "population"].sum()


def test_demo_network_builds_with_two_components_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        network = load_demo_network()
    comps = network.components()
    assert len(comps) == 2 and comps["n_nodes"].iloc[1] < 20
    assert "trunk" not in set(network.edges["highway"])


# ------------------------------------------------------------------------- helpers
@settings(derandomize=True, max_examples=100)
@given(
    total=st.integers(min_value=0, max_value=5000),
    weights=st.lists(st.floats(min_value=0.01, max_value=1e4), min_size=1, max_size=40),
)
def test_allocate_splits_totals_exactly_and_proportionally(total, weights):
    w = np.array(weights)
    out = np.array(allocate(total, w))
    assert out.sum() == total and (out >= 0).all()
    assert np.all(np.abs(out - total * w / w.sum()) < 1.0 + 1e-9)
