"""The study extent: clipping the network to it, and street measures counted inside it."""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pytest
import shapely
from typer.testing import CliRunner

import lifecircle as lc
from lifecircle.cli import app
from lifecircle.coverage import WalkProfile, compute_coverage
from lifecircle.coverage.measures.seats import gaps_along_routes, rest_gaps, seat_reach
from lifecircle.coverage.network.extent import (
    bbox_problem,
    clip_network,
    network_extent,
    read_boundary,
    study_extent,
    walking_buffer_m,
)
from lifecircle.coverage.network.synthetic import network_from_arrays
from lifecircle.errors import ConfigError, LayerError, LifecircleWarning, NetworkError
from lifecircle.study import demo_study_path, load_study_layers, load_study_network
from lifecircle.study.config import study_from_text
from lifecircle.study.run import study_buffer_m

CRS = "EPSG:32651"
X0, Y0 = 350_000.0, 3_450_000.0  # central Shanghai in UTM 51N
UNIT = WalkProfile("unit", 1.0)  # 1 m/s: 600 m in 10 minutes
KEYS = (
    "extent_source",
    "extent_area_km2",
    "extent_buffer_m",
    "length_inside_extent_m",
    "length_total_m",
    "length_input_m",
)


def _box(x1, y1, x2, y2):
    return shapely.box(X0 + x1, Y0 + y1, X0 + x2, Y0 + y2)


def _frame(geoms, **columns):
    return gpd.GeoDataFrame(columns, geometry=list(geoms), crs=CRS)


def _street():
    """One straight street, nodes every 100 m from x = -1000 to 3000 m::

    -1000 --- ... --- 0 ===== 450 --- ... --- 3000      (=== inside the extent)
    """
    xy = [(X0 + 100.0 * i, Y0) for i in range(-10, 31)]
    return network_from_arrays(xy, [(i, i + 1) for i in range(40)], crs=CRS)


EXTENT = _frame([_box(0, -50, 450, 50)])  # 450 m of the street inside


def _points(xy, **columns):
    pts = shapely.points(np.asarray([(X0 + x, Y0 + y) for x, y in xy], float).reshape(-1, 2))
    return gpd.GeoDataFrame(columns, geometry=pts, crs=CRS)


def _grids(boxes):
    n = len(boxes)
    return _frame(
        [_box(*b) for b in boxes],
        id=[f"G{i}" for i in range(n)],
        name=[f"G{i}" for i in range(n)],
        level=["microgrid"] * n,
        parent_id=[None] * n,
        kind=["residential"] * n,
        population=[100.0] * n,
    )


# ------------------------------------------------------------------ clipping
def test_clip_keeps_whole_edges_touching_the_buffer_and_states_the_facts():
    """Buffer 260 m around x 0..450: edges -300..-200 up to 700..800 are kept, whole."""
    net = _street()
    clipped = clip_network(net, EXTENT, buffer_m=260)
    assert clipped.n_edges == 11 and clipped.n_nodes == 12
    x = shapely.get_coordinates(clipped.edges.geometry.to_numpy())[:, 0] - X0
    assert x.min() == pytest.approx(-300) and x.max() == pytest.approx(800)
    meta = clipped.meta
    assert all(k in meta for k in KEYS)
    assert meta["extent_source"] == "boundary"
    assert meta["extent_buffer_m"] == 260.0
    assert meta["extent_area_km2"] == pytest.approx(0.045, rel=1e-6)
    assert meta["length_input_m"] == pytest.approx(4000)
    assert meta["length_total_m"] == pytest.approx(1100)
    assert meta["length_inside_extent_m"] == pytest.approx(450, abs=1e-3)
    inside = clipped.edges["inside_m"].to_numpy()
    assert inside.sum() == pytest.approx(450, abs=1e-3)
    assert sorted(np.round(inside[inside > 0.01], 3)) == [50, 100, 100, 100, 100]
    # edges re-indexed consistently: each geometry still runs from node u to node v
    start = shapely.get_coordinates(shapely.get_point(clipped.edges.geometry.to_numpy(), 0))
    np.testing.assert_allclose(start, clipped.node_xy[clipped.edges["u"].to_numpy()])
    assert net.n_edges == 40 and "inside_m" not in net.edges  # input untouched
    assert network_extent(clipped).area == pytest.approx(45_000, rel=1e-4)


def test_clip_labels_and_inputs():
    net = _street()
    lon, lat = gpd.GeoSeries([shapely.Point(X0 + 200, Y0)], crs=CRS).to_crs(4326).iloc[0].coords[0]
    bbox = (lon - 0.001, lat - 0.001, lon + 0.001, lat + 0.001)
    assert clip_network(net, bbox, buffer_m=0).meta["extent_source"] == "bbox"
    layers = SimpleNamespace(grids=_grids([(0, -50, 450, 50)]))
    assert clip_network(net, layers, buffer_m=0).meta["extent_source"] == "grids"
    named = clip_network(net, bbox, buffer_m=0, extent_source="静安寺街道")
    assert named.meta["extent_source"] == "静安寺街道"
    default = clip_network(net, bbox)  # 15 min at 1.3 m/s + 100 m = 1,270 m
    assert default.meta["extent_buffer_m"] == pytest.approx(1270)
    with pytest.raises(ValueError, match="buffer_m"):
        clip_network(net, bbox, buffer_m=-1)
    with pytest.raises(TypeError, match="buffer_m"):
        clip_network(net, bbox, buffer_m="100")
    with pytest.raises(TypeError, match="extent"):
        clip_network(net, 42, buffer_m=10)
    with pytest.raises(ValueError, match="EPSG:4326"):
        clip_network(net, _box(0, 0, 10, 10), buffer_m=10)  # projected polygon
    with pytest.raises(NetworkError, match="none of the 40 streets"):
        clip_network(net, (100.0, 10.0, 100.1, 10.1), buffer_m=500)


def test_clipped_network_survives_the_cache_file(tmp_path):
    clipped = clip_network(_street(), EXTENT, buffer_m=260)
    lc.save_network(clipped, tmp_path / "clipped.gpkg")
    loaded = lc.load_network(tmp_path / "clipped.gpkg")
    assert {k: loaded.meta[k] for k in KEYS} == pytest.approx({k: clipped.meta[k] for k in KEYS})
    np.testing.assert_allclose(loaded.edges["inside_m"], clipped.edges["inside_m"])
    assert network_extent(loaded).equals_exact(network_extent(clipped), tolerance=0.05)


def test_walking_buffer_rule():
    assert walking_buffer_m(15, 0.9) == pytest.approx(15 * 60 * 0.9 + 100)
    assert walking_buffer_m(10, 1.3, max_snap_m=50) == pytest.approx(830)
    assert walking_buffer_m(1, 1.0, max_snap_m=0, reach_m=300) == pytest.approx(300)
    with pytest.raises(ValueError, match="walk_minutes"):
        walking_buffer_m(-1, 1.0)
    with pytest.raises(TypeError, match="speed_m_s"):
        walking_buffer_m(15, None)


# ------------------------------------------------------------------ coverage on the extent
def test_facility_just_outside_counts_and_one_beyond_the_buffer_does_not():
    """Budget 10 min at 1 m/s = 600 m, buffer 700 m; grid x 0..450::

        B(-900)  ...  |===grid===| A(520)  ...  C(2500)
    A is 70 m outside the extent (within the buffer): reached by everyone. B and C lie beyond the
    buffer: left out quietly (no far-from-network warning), never reached.
    """
    layers = SimpleNamespace(
        grids=_grids([(0, -50, 450, 50)]),
        elderly=_points(
            [(520, 5), (-900, 5), (2500, 5)],
            id=["A", "B", "C"],
            name=["A", "B", "C"],
            type=["life_centre", "care_home", "care_home"],
        ),
        buildings=None,
    )
    services = {"near": ("life_centre",), "far": ("care_home",)}
    clipped = clip_network(_street(), layers, buffer_m=walking_buffer_m(10, 1.0))
    options = dict(services=services, profile=UNIT, walk_minutes=10, isochrones=False)
    result = compute_coverage(layers, clipped, **options)  # LifecircleWarning -> error
    whole = compute_coverage(layers, _street(), **options)
    assert set(result.facilities["id"]) == {"A"}
    assert len(result.unsnapped) == 0
    shares = result.grids.set_index("id")
    assert shares.loc["G0", "share_near"] == pytest.approx(1.0)
    assert shares.loc["G0", "share_far"] == 0.0
    np.testing.assert_allclose(
        result.demand["minutes_near"], whole.demand["minutes_near"], rtol=1e-12
    )
    assert np.isinf(result.demand["minutes_far"]).all()


def _lattice(n=31, step=100.0):
    """An n x n street lattice (100 m blocks) with a diagonal shortcut in every block row."""
    xy = [(X0 + step * i, Y0 + step * j) for j in range(n) for i in range(n)]
    edges = [(j * n + i, j * n + i + 1) for j in range(n) for i in range(n - 1)]
    edges += [(j * n + i, (j + 1) * n + i) for j in range(n - 1) for i in range(n)]
    edges += [(j * n + i, (j + 1) * n + i + 1) for j in range(0, n - 1, 3) for i in range(n - 1)]
    return network_from_arrays(xy, edges, crs=CRS)


def test_clipped_and_whole_networks_agree_within_the_walking_budget():
    """Random facilities on a 3 km lattice; grids in the middle; every resident whose walk
    is within the budget gets the same minutes on the clipped network."""
    rng = np.random.default_rng(7)
    net = _lattice()
    grids = _grids([(1000, 1000, 1600, 1500), (1600, 1000, 2000, 1500)])
    xy = rng.uniform(0, 3000, size=(40, 2))
    elderly = _points(
        xy, id=[f"E{i}" for i in range(40)], name=["e"] * 40, type=["life_centre"] * 40
    )
    # random homes: none is equally far from two streets (a tie could snap either way)
    homes = rng.uniform((1000, 1000), (2000, 1500), size=(300, 2))
    buildings = _points(
        homes,
        id=[f"b{i}" for i in range(300)],
        population=np.full(300, 10.0),
        grid_id=np.where(homes[:, 0] < 1600, "G0", "G1"),
    )
    layers = SimpleNamespace(grids=grids, elderly=elderly, buildings=buildings)
    clipped = clip_network(net, layers, buffer_m=walking_buffer_m(8, 1.0))
    assert clipped.meta["length_total_m"] < clipped.meta["length_input_m"]
    options = dict(services={"s": ("life_centre",)}, profile=UNIT, walk_minutes=8, isochrones=False)
    a = compute_coverage(layers, net, **options).demand["minutes_s"].to_numpy()
    b = compute_coverage(layers, clipped, **options).demand["minutes_s"].to_numpy()
    within = a <= 8
    assert within.any() and (~within).any()
    np.testing.assert_allclose(b[within], a[within], rtol=1e-9)
    assert (b[~within] > 8).all()


# ------------------------------------------------------------------ street measures
def test_seat_reach_by_street_counts_only_the_inside_length():
    """Seat at x=430, reach 50 m: covers 380..480, of which 380..450 (70 m) is inside."""
    layers = SimpleNamespace(seats=_points([(430, 0)], seats=[3]))
    homes = _points([(100, 10)], grid_id=["G0"], weight=[1.0])
    clipped = clip_network(_street(), EXTENT, buffer_m=200)
    reach = seat_reach(layers, clipped, reach_m=50, demand=homes)
    assert reach.street_length_m == pytest.approx(450, abs=1e-3)
    assert reach.covered_length_m == pytest.approx(70, abs=1e-3)
    explicit = seat_reach(layers, _street(), reach_m=50, demand=homes, extent=EXTENT)
    assert explicit.covered_length_m == pytest.approx(70, abs=1e-3)
    assert explicit.length_share == pytest.approx(70 / 450, rel=1e-5)
    whole = seat_reach(layers, _street(), reach_m=50, demand=homes)
    assert whole.street_length_m == pytest.approx(4000)
    assert whole.covered_length_m == pytest.approx(100)
    # a seat outside the extent still serves the inside street next to it
    outside = seat_reach(
        SimpleNamespace(seats=_points([(480, 0)], seats=[1])), clipped, reach_m=50, demand=homes
    )
    assert outside.covered_length_m == pytest.approx(20, abs=1e-3)


def test_rest_gap_counts_the_stretch_inside_the_extent():
    """Walk 100 -> 1000 m along the street, no seat: 350 m of it lie inside (100..450)."""
    route = gpd.GeoSeries([shapely.LineString([(X0 + 100, Y0), (X0 + 1000, Y0)])], crs=CRS)
    area = _box(0, -50, 450, 50)
    none = _points(np.zeros((0, 2)))
    assert gaps_along_routes(route, none).iloc[0]["longest_gap_m"] == pytest.approx(900)
    row = gaps_along_routes(route, none, extent=area).iloc[0]
    assert row["longest_gap_m"] == pytest.approx(350)
    assert (row["gap_start_m"], row["gap_end_m"]) == pytest.approx((0, 900))
    # a seat at 300: stretches 100..300 (200 inside) and 300..1000 (150 inside)
    seat = _points([(300, 2)])
    assert gaps_along_routes(route, seat, extent=area).iloc[0]["longest_gap_m"] == pytest.approx(
        200
    )
    # a walk entirely outside has nothing to measure
    away = gpd.GeoSeries([shapely.LineString([(X0 + 600, Y0), (X0 + 900, Y0)])], crs=CRS)
    assert gaps_along_routes(away, none, extent=area).iloc[0]["longest_gap_m"] == 0.0


def test_rest_gaps_uses_the_extent_the_network_was_clipped_to():
    layers = SimpleNamespace(
        grids=_grids([(0, -50, 450, 50)]),
        elderly=_points([(900, 0)], id=["A"], name=["A"], type=["life_centre"]),
        seats=_points([(300, 2)], seats=[2]),
        buildings=None,
    )
    clipped = clip_network(_street(), layers, buffer_m=800)
    gaps = rest_gaps(layers, clipped, max_gap_m=300)
    whole = rest_gaps(layers, _street(), max_gap_m=300)
    assert (gaps.points["longest_gap_m"] <= 300 + 1e-3).all()
    assert (whole.points["longest_gap_m"] > 300).all()
    assert gaps.share_ok == 1.0 and whole.share_ok == 0.0


def test_seat_candidates_stay_inside_the_extent():
    from lifecircle.coverage.placement.candidates import candidates_along_streets

    clipped = clip_network(_street(), EXTENT, buffer_m=500)
    x = shapely.get_coordinates(candidates_along_streets(clipped).geometry)[:, 0] - X0
    assert len(x) == 23 and x.min() > 0 and x.max() <= 450  # every 20 m of 0..450 m
    assert len(candidates_along_streets(_street())) == 200


# ------------------------------------------------------------------ the extent itself
def test_grid_extent_closes_streets_between_grids_but_not_wide_gaps():
    """Two grids 20 m apart (a street between outlines) are one area; 200 m apart stay two."""
    near = SimpleNamespace(grids=_grids([(0, 0, 300, 300), (320, 0, 600, 300)]))
    far = SimpleNamespace(grids=_grids([(0, 0, 300, 300), (500, 0, 800, 300)]))
    closed = gpd.GeoSeries([study_extent(near)], crs=4326).to_crs(CRS).iloc[0]
    assert closed.geom_type == "Polygon"
    assert closed.area == pytest.approx(600 * 300, rel=1e-3)  # corners stay square
    apart = gpd.GeoSeries([study_extent(far)], crs=4326).to_crs(CRS).iloc[0]
    assert apart.geom_type == "MultiPolygon"
    assert apart.area == pytest.approx(2 * 300 * 300, rel=1e-3)


@pytest.mark.parametrize(
    ("bbox", "needle"),
    [
        ([121.43, 31.21, 121.46], "four numbers"),
        ([121.43, 31.21, "121.46", 31.24], "four numbers"),
        ([31.21, 121.43, 31.24, 121.46], "longitude first"),
        ([121.46, 31.21, 121.43, 31.24], "west < east"),
        ([121.43, 31.24, 121.46, 31.21], "south < north"),
        ([200.0, 31.21, 201.0, 31.24], "within ±180"),
        ([121.43, float("nan"), 121.46, 31.24], "finite"),
        ([True, 31.21, 121.46, 31.24], "four numbers"),
    ],
)
def test_bad_bboxes_are_explained(bbox, needle):
    assert needle in bbox_problem(bbox)
    with pytest.raises(ValueError, match="bbox"):
        clip_network(_street(), tuple(bbox) if isinstance(bbox, list) else bbox, buffer_m=1)


def test_good_bbox():
    assert bbox_problem([121.432, 31.214, 121.462, 31.238]) is None
    assert "four numbers" in bbox_problem("121.43,31.21,121.46,31.24")


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("missing.geojson", None, "file not found"),
        ("junk.geojson", "not json at all {", "cannot read the boundary"),
        (
            "points.geojson",
            '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},'
            '"geometry":{"type":"Point","coordinates":[121.44,31.22]}}]}',
            "feature 1 is a Point",
        ),
        (
            "empty.geojson",
            '{"type":"FeatureCollection","features":[]}',
            "no feature",
        ),
        (
            "nogeom.geojson",
            '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},'
            '"geometry":null}]}',
            "no geometry in feature 1",
        ),
    ],
)
def test_bad_boundary_files_name_the_file_and_the_feature(tmp_path, name, content, needle):
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(LayerError, match=needle) as info:
        read_boundary(path)
    assert str(info.value).startswith(name)
    assert str(tmp_path) not in str(info.value)


def test_boundary_file_in_gcj02_is_converted(tmp_path):
    square = shapely.box(121.44, 31.22, 121.45, 31.23)
    path = tmp_path / "zone.geojson"
    gpd.GeoDataFrame(geometry=[square], crs=4326).to_file(path)
    raw = read_boundary(path)
    moved = read_boundary(path, crs="gcj02")
    shift = gpd.GeoSeries([raw.centroid, moved.centroid], crs=4326).to_crs(CRS)
    assert 300 < shift.iloc[0].distance(shift.iloc[1]) < 700  # GCJ-02 offset in Shanghai


# ------------------------------------------------------------------ the study file
def _demo_study(extra_study="", extra_network="", extra_tail=""):
    text = demo_study_path().read_text(encoding="utf-8")
    text = text.replace("synthetic = true\n", f"synthetic = true\n{extra_study}\n", 1)
    text = text.replace('kind = "lines"\n', f'kind = "lines"\n{extra_network}\n', 1)
    return study_from_text(text + extra_tail, demo_study_path())


@pytest.mark.parametrize(
    ("extra_study", "extra_network", "needles"),
    [
        ("", "bbx = [1, 2, 3, 4]", ['network.bbx: unknown key; did you mean "bbox"?']),
        ("boundry = 'x.geojson'", "", ['study.boundry: unknown key; did you mean "boundary"?']),
        ("", "bbox = [121.4, 31.2]", ["network.bbox: expected four numbers", "got [121.4, 31.2]"]),
        ("", "bbox = [31.2, 121.4, 31.3, 121.5]", ["network.bbox:", "longitude first"]),
        ("", 'bbox = "121.4 31.2 121.5 31.3"', ["network.bbox: expected four numbers"]),
        ("", "clip = 'no'", ['network.clip: expected true or false, got "no"']),
        ("", 'boundary = "nowhere.geojson"', ['network.boundary: file not found: "nowhere']),
        ("boundary = 42", "", ["study.boundary: expected a polygon file path"]),
        ("boundary = { crs = 'gcj02' }", "", ['study.boundary: missing key "path"']),
        ("boundary = { path = 'demo/grids.geojson', lyr = 'a' }", "", ["study.boundary.lyr"]),
        (
            "",
            'bbox = [121.4, 31.2, 121.5, 31.3]\nboundary = "demo/grids.geojson"',
            ["network.bbox: give either bbox or boundary, not both"],
        ),
    ],
)
def test_extent_keys_are_validated_with_their_key_path(extra_study, extra_network, needles):
    with pytest.raises(ConfigError) as info:
        _demo_study(extra_study, extra_network)
    for needle in needles:
        assert needle in str(info.value)


@pytest.mark.slow
def test_study_network_is_clipped_to_the_grids_plus_the_buffer():
    study = _demo_study()
    # 15 min at the adult pace (a target uses it) + 100 m snapping
    assert study_buffer_m(study) == pytest.approx(15 * 60 * 1.3 + 100)
    net = load_study_network(study)
    assert net.meta["extent_source"] == "grids"
    assert net.meta["extent_buffer_m"] == pytest.approx(1270)
    assert net.meta["length_inside_extent_m"] < net.meta["length_total_m"]
    whole = load_study_network(_demo_study(extra_network="clip = false"))
    assert "extent_source" not in whole.meta
    assert whole.edges["length_m"].sum() == pytest.approx(net.meta["length_input_m"])


@pytest.mark.slow
def test_study_bbox_and_boundary_files(tmp_path):
    # the demo's south-west quarter as a bbox: fewer streets are kept
    west, south, east, north = lc.load_demo_layers().grids.total_bounds
    mid_x, mid_y = (west + east) / 2, (south + north) / 2
    bbox = f"bbox = [{west}, {south}, {mid_x}, {mid_y}]"
    with pytest.warns(LifecircleWarning, match=r"\d+% of the grids' area lies outside .*\(bbox\)"):
        small = load_study_network(_demo_study(extra_network=bbox))
    assert small.meta["extent_source"] == "bbox"
    full = load_study_network(_demo_study())
    assert small.meta["extent_area_km2"] < 0.5 * full.meta["extent_area_km2"]
    assert small.meta["length_inside_extent_m"] < 0.5 * full.meta["length_inside_extent_m"]
    zone = tmp_path / "zone.geojson"
    gpd.GeoDataFrame(geometry=[shapely.box(west, south, mid_x, mid_y)], crs=4326).to_file(zone)
    study = _demo_study(extra_study=f"boundary = '{zone.as_posix()}'")
    with pytest.warns(LifecircleWarning, match="zone.geojson"):
        net = load_study_network(study)
    assert net.meta["extent_source"] == "zone.geojson"
    assert net.meta["length_inside_extent_m"] == pytest.approx(
        small.meta["length_inside_extent_m"], rel=1e-6
    )


def test_bad_boundary_content_is_one_cli_error_with_the_key(tmp_path):
    runner = CliRunner()
    assert runner.invoke(app, ["init", str(tmp_path / "study.toml"), "--demo-data"]).exit_code == 0
    (tmp_path / "zone.geojson").write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},'
        '"geometry":{"type":"LineString","coordinates":[[121.44,31.22],[121.45,31.23]]}}]}',
        encoding="utf-8",
    )
    toml = tmp_path / "study.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace("[layers]", 'boundary = "zone.geojson"\n\n[layers]', 1))
    result = runner.invoke(app, ["validate", str(toml)])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "study.boundary" in lines[0] and "zone.geojson" in lines[0]
    assert "LineString" in lines[0] and str(tmp_path) not in lines[0]
    with pytest.raises(ConfigError, match=r"study\.boundary"):
        load_study_layers(lc.load_study(toml))


@pytest.mark.slow
def test_readme_extent_snippet_runs():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Study extent", 1)[1]
    snippet = section.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, object] = {}
    exec(compile(snippet, "README.md", "exec"), namespace)
    network = namespace["network"]
    assert isinstance(network, lc.WalkNetwork)
    assert network.meta["extent_source"] == "grids"
    assert network.meta["extent_buffer_m"] == pytest.approx(1270)


def test_template_extent_keys_parse_when_uncommented(tmp_path):
    from lifecircle.study.template import write_study_template

    path = write_study_template(tmp_path / "study.toml", demo_data=True)
    text = path.read_text(encoding="utf-8")
    text = text.replace("# bbox = [", "bbox = [").replace("# clip = false", "clip = false")
    study = study_from_text(text, path)
    assert study.network.bbox == (121.432, 31.214, 121.462, 31.238)
    assert study.network.clip is False
    text = path.read_text(encoding="utf-8").replace(
        '# boundary = "data/boundary.geojson"', 'boundary = "data/grids.geojson"'
    )
    assert study_from_text(text, path).boundary.path.name == "grids.geojson"


@pytest.mark.slow
def test_boundary_elsewhere_or_in_another_datum_is_a_clear_error(tmp_path):
    west, south, east, north = lc.load_demo_layers().grids.total_bounds
    far = tmp_path / "far.geojson"
    box = shapely.box(west + 0.2, south, east + 0.2, north)  # about 19 km east
    gpd.GeoDataFrame(geometry=[box], crs=4326).to_file(far)
    study = _demo_study(extra_study=f"boundary = '{far.as_posix()}'")
    with pytest.raises(ConfigError, match=r"study\.boundary: far\.geojson: .*does not overlap"):
        load_study_network(study)
    with pytest.raises(ConfigError, match='crs = "gcj02"'):
        load_study_layers(study)
    bbox = f"bbox = [{west + 0.2}, {south}, {east + 0.2}, {north}]"
    with pytest.raises(ConfigError, match=r"network\.bbox: bbox: .*nearest is [\d,]+ m away"):
        load_study_network(_demo_study(extra_network=bbox))


def test_projected_boundary_without_crs_names_the_key(tmp_path):
    zone = tmp_path / "zone.geojson"
    zone.write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},'
        '"geometry":{"type":"Polygon","coordinates":[[[350000,3450000],[351000,3450000],'
        "[351000,3451000],[350000,3450000]]]}}]}",
        encoding="utf-8",
    )
    study = _demo_study(extra_network=f"boundary = '{zone.as_posix()}'")
    with pytest.raises(ConfigError, match=r"network\.boundary: zone\.geojson: .*EPSG:4549"):
        load_study_network(study)


# ------------------------------------------------------------------ real data
@pytest.mark.slow
@pytest.mark.realdata
def test_jingan_network_clipped_to_the_core(jingan_dir: Path):
    """Real OSM streets of central Shanghai clipped to Jing'an Temple's core bbox."""
    net = lc.network_from_xml(jingan_dir / "roads_osm_drivable_2025-08-09.osm")
    started = time.perf_counter()
    clipped = clip_network(net, (121.432, 31.214, 121.462, 31.238), buffer_m=0)
    assert time.perf_counter() - started < 2.0
    meta = clipped.meta
    assert meta["length_input_m"] > 200_000
    assert 70_000 < meta["length_inside_extent_m"] < 80_000
    assert meta["length_inside_extent_m"] < meta["length_total_m"] < 90_000
    buffered = clip_network(net, (121.432, 31.214, 121.462, 31.238), buffer_m=910)
    assert buffered.meta["length_total_m"] > meta["length_total_m"]
    assert buffered.meta["length_inside_extent_m"] == pytest.approx(meta["length_inside_extent_m"])
