"""A demanding first user: bad input gets one clear error, outputs stay whole, text stays inert.

Regression tests for problems found by trying to break lifecircle from the README: every
user error names the file/row/column and what was expected (the CLI exits 2 with one
``error:`` line, never a traceback), failed writes leave nothing behind, and user strings
never run as HTML, JavaScript or Jinja template code.
"""

from __future__ import annotations

import dataclasses
import errno
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from shapely.geometry import Point
from test_maps_fixtures import make_layers, make_result
from typer.testing import CliRunner

import lifecircle as lc
from lifecircle.atomic_files import atomic_path, write_text_atomic
from lifecircle.cli import app
from lifecircle.coverage.measures.demand import demand_from_layers
from lifecircle.data import demo_path
from lifecircle.errors import LayerError
from lifecircle.maps.coverage_map import coverage_map
from lifecircle.maps.save import map_html
from lifecircle.study import demo_study_path

#: If branca's second template pass evaluated user text, this would set the variable.
SSTI = "{{ lipsum.__globals__.os.environ.setdefault(dict(LC_SSTI=1)|join, dict(ran=1)|join) }}"
runner = CliRunner()
#: Shown by Leaflet's layer control with innerHTML: must arrive escaped.
IMG = "<img src=x onerror=window.__pwned=1>"


@pytest.fixture(scope="module")
def demo():
    return lc.load_demo_layers(), lc.load_demo_network()


# ----------------------------------------------------------------------------- maps
def test_template_code_in_names_is_never_evaluated(monkeypatch):
    """Names with ``{{ }}``/``{% %}`` render literally instead of running as Jinja (RCE)."""
    monkeypatch.delenv("LC_SSTI", raising=False)
    layers = make_layers()
    leaves = layers.grids.index[layers.grids["level"] == "microgrid"]
    layers.grids.loc[leaves, "name"] = [SSTI, "{% if 1 %}JINJA{% endif %}", "{{ unclosed", "{#"]
    layers.seats["name"] = "{{ 6*7 }}"
    page = map_html(
        coverage_map(layers, make_result(layers), lang="en", title="{{ 6*7 }} {%", data_date="{#")
    )
    assert "LC_SSTI" not in os.environ
    assert "\\u007b{ 6*7 }}" in page  # the seat names, still shown, only escaped
    assert "\\u007b% if 1 %}JINJA\\u007b% endif %}" in page


def test_service_names_are_escaped_in_the_layer_list(demo):
    """A service name (study ``[services]`` key) reaches the layer control as text."""
    layers, network = demo
    result = lc.compute_coverage(
        layers, network, services={IMG: ("life_centre", "care_home")}, progress=False
    )
    page = map_html(coverage_map(layers, result, service=IMG, lang="en"))
    assert "\\u003cimg" not in page  # a raw tag inside the page's JSON
    assert "\\u0026lt;img src=x" in page


def test_tianditu_key_must_be_a_plain_key():
    with pytest.raises(ValueError, match="tianditu_key must be letters and digits"):
        coverage_map(make_layers(), basemap="tianditu", tianditu_key="abc{{ 1 }}")


@pytest.mark.browser
def test_service_name_does_not_execute_in_chromium(demo, tmp_path, browser):
    layers, network = demo
    result = lc.compute_coverage(
        layers, network, services={IMG: ("life_centre",)}, isochrones=False, progress=False
    )
    path = lc.save_map(coverage_map(layers, result, service=IMG), tmp_path / "m.html")
    page = browser.new_page()
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
    page.goto(path.as_uri())
    page.wait_for_selector(".leaflet-control-layers")
    page.wait_for_timeout(200)
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert IMG in page.inner_text(".leaflet-control-layers")  # shown as text
    page.close()


# ----------------------------------------------------------------------------- check outputs
@pytest.fixture(scope="module")
def ctrl_char_study(tmp_path_factory):
    """A coverage-only demo study whose grid names hold a vertical tab (from a spreadsheet)."""
    folder = tmp_path_factory.mktemp("ctrl")
    grids = gpd.read_file(demo_path("grids.geojson"))
    grids["name"] = grids["name"] + "\x0b<b>"
    grids.to_file(folder / "grids.geojson")
    text = demo_study_path().read_text(encoding="utf-8")
    text = text.replace('"demo/grids.geojson"', '"grids.geojson"')
    text = text.replace('"demo/', f'"{demo_path("grids.geojson").parent.as_posix()}/')
    head, *blocks = text.split("[[targets]]")
    tail = blocks[-1][blocks[-1].index("[outputs]") :]
    kept = [b.split("[outputs]")[0] for b in blocks if 'metric = "coverage"' in b]
    (folder / "study.toml").write_text("[[targets]]".join([head, *kept]) + tail, "utf-8")
    return folder / "study.toml"


def test_junit_file_parses_with_control_characters_in_names(ctrl_char_study, tmp_path):
    result = _invoke("check", ctrl_char_study, "--junit", tmp_path / "j.xml")
    assert result.exit_code in (0, 1), result.output
    root = ET.parse(tmp_path / "j.xml").getroot()  # raised ParseError before
    names = [c.get("name") for c in root.iter("testcase")]
    assert any("\ufffd<b>" in n for n in names)


# ----------------------------------------------------------------------------- CLI
def _invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def _one_error_line(result, *needles: str) -> None:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.fixture()
def study(tmp_path):
    assert _invoke("init", tmp_path / "study.toml", "--demo-data").exit_code == 0
    return tmp_path / "study.toml"


def _network(study: Path, source: str) -> Path:
    text = study.read_text(encoding="utf-8")
    study.write_text(text.replace('"data/network.geojson"', f'"{source}"'), encoding="utf-8")
    return study


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("junk.graphml", "hello", "cannot read as GraphML"),
        ("osm.graphml", '<?xml version="1.0"?><osm version="0.6"></osm>', "cannot read as GraphML"),
    ],
)
def test_unreadable_graphml_is_a_one_line_error(study, name, content, needle):
    (study.parent / "data" / name).write_text(content, encoding="utf-8")
    _one_error_line(_invoke("network", _network(study, f"data/{name}")), name, needle)


def test_graphml_without_node_coordinates_is_a_one_line_error(study):
    graph = nx.MultiDiGraph(crs="EPSG:4326")
    graph.add_edge(1, 2)
    nx.write_graphml(graph, study.parent / "data" / "bare.graphml")
    result = _invoke("network", _network(study, "data/bare.graphml"))
    _one_error_line(result, "bare.graphml", "no 'x'/'y' coordinates")


@pytest.mark.parametrize("command", ["map", "report"])
def test_output_folder_fails_before_the_analysis(study, command, monkeypatch):
    import lifecircle.study.run as run

    def boom(*args, **kwargs):
        raise AssertionError("the analysis ran before the output path was checked")

    monkeypatch.setattr(run, "load_study_layers", boom)
    (study.parent / "out").mkdir()
    _one_error_line(_invoke(command, study, "-o", study.parent / "out"), "out", "is a folder")
    _one_error_line(_invoke(command, study, "--service", "nope"), "--service 'nope'")


def test_check_output_under_a_file_is_one_clear_line(study):
    (study.parent / "afile").write_text("x", encoding="utf-8")
    result = _invoke("check", study, "--json", study.parent / "afile" / "r.json")
    _one_error_line(result, "afile", "a file stands where a folder should be")


def test_suggest_needs_at_least_one_seat_and_a_known_format(study):
    assert _invoke("suggest", study, "--seats", "0").exit_code == 2  # was a ValueError traceback
    for name in ("new.txt", "new.shp", "new"):
        result = _invoke("suggest", study, "--seats", "1", "-o", study.parent / name)
        assert (
            result.exit_code == 2 and "expected a file name ending in .xlsx, .csv" in result.output
        )
    assert sorted(p.name for p in study.parent.iterdir()) == ["data", "study.toml"]


@pytest.mark.slow
def test_suggest_writes_a_geopackage_named_after_the_file(study):
    out = study.parent / "new-seats.gpkg"
    result = _invoke("suggest", study, "--seats", "2", "-o", out)
    assert result.exit_code == 0, result.output  # crashed on the temporary layer name
    assert [name for name, _ in pyogrio.list_layers(out)] == ["new-seats"]
    assert len(gpd.read_file(out)) == 2
    assert [p.name for p in study.parent.iterdir() if p.name.startswith(".")] == [
        ".lifecircle-cache"
    ]


# ----------------------------------------------------------------------------- atomic writes
def test_failed_writes_name_the_users_file_and_leave_nothing(tmp_path):
    (tmp_path / "folder").mkdir()
    with pytest.raises(IsADirectoryError, match="is a folder") as err:
        write_text_atomic(tmp_path / "folder", "x")
    assert err.value.filename == str(tmp_path / "folder")

    def fail(path: Path) -> None:  # a writer that leaves a shapefile's sidecars behind
        path.with_suffix(".dbf").write_text("x")
        Path(str(path)).mkdir()
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    with (
        pytest.raises(OSError, match="the disk is full") as err,
        atomic_path(tmp_path / "a.shp") as p,
    ):
        fail(p)
    assert err.value.filename == str(tmp_path / "a.shp")  # not the temporary name
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder"]


# ----------------------------------------------------------------------------- layers
def test_non_finite_coordinates_are_a_listed_problem():
    frame = gpd.GeoDataFrame(
        {"id": ["a", "b", "c"], "seats": [2, 2, 2]},
        geometry=[Point(np.nan, np.nan), Point(np.inf, 31.0), Point(121.4, 31.2)],
        crs=4326,
    )
    with pytest.raises(LayerError, match="NaN or infinite coordinates in 2 features") as err:
        lc.read_seats(frame)
    assert "id 'a' (feature 1)" in str(err.value) and "id 'b' (feature 2)" in str(err.value)


def test_absurd_counts_are_out_of_range_not_an_overflow():
    frame = pd.DataFrame({"id": ["a"], "seats": [1e30], "lon": [121.4], "lat": [31.2]})
    with pytest.raises(LayerError, match=r"column 'seats' has out-of-range values.*1e\+30"):
        lc.read_seats(frame)
    grids = make_layers().grids.assign(population=np.inf)
    with pytest.raises(LayerError, match="column 'population' has out-of-range values"):
        lc.read_grids(grids)


# ----------------------------------------------------------------------------- coverage
def test_layers_beyond_max_snap_m_give_empty_routes_not_a_crash(demo):
    layers, network = demo
    far = {
        name: getattr(layers, name).set_geometry(getattr(layers, name).geometry.translate(0.5, 0.5))
        for name in ("grids", "seats", "elderly", "heritage")
    }
    moved = lc.load_layers(**far)
    gaps = lc.rest_gaps(moved, network)  # IndexError before
    assert gaps.points.empty  # no resident reaches a facility, so no route to measure


def _moved(layers, *, dlon: float = 0.0, datum: bool = False):
    """The layers translated by ``dlon`` degrees, or GCJ-02 coordinates read as WGS-84."""
    from lifecircle.geo.datums import wgs84_to_gcj02

    def gcj(xy):
        return np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1]))

    def move(frame):
        geoms = frame.geometry.to_crs(4326)
        if datum:
            geoms = gpd.GeoSeries(shapely.transform(geoms.to_numpy(), gcj), crs=4326)
        return frame.to_crs(4326).set_geometry(geoms.translate(dlon, dlon).to_numpy())

    names = ("grids", "seats", "elderly", "heritage", "buildings")
    return lc.load_layers(
        **{n: move(getattr(layers, n)) for n in names if getattr(layers, n) is not None}
    )


def test_layers_in_another_place_are_a_network_error_not_zero_coverage(demo):
    """Every home beyond max_snap_m: one clear error instead of a silent 0 % (or a KeyError)."""
    layers, network = demo
    moved = _moved(layers, dlon=0.5)
    n = len(demand_from_layers(moved.grids, crs=network.crs, buildings=moved.buildings))
    pattern = rf"none of the {n} demand points lies within max_snap_m=100 m of the walking network"
    pattern += r" \(median distance 7\d,\d{3} m\).*same place / coordinate system.*crs='gcj02'"
    with pytest.raises(lc.NetworkError, match=pattern):
        lc.compute_coverage(moved, network, progress=False)
    with pytest.raises(lc.NetworkError, match="none of the"):
        lc.seat_reach(moved, network)
    with pytest.raises(lc.NetworkError, match="none of the"):
        lc.suggest_seats(moved, network, k=1)  # KeyError before


@pytest.mark.slow
def test_gcj02_read_as_wgs84_warns_with_counts_share_and_median(demo):
    layers, network = demo
    with pytest.warns(lc.CoordinateWarning) as record:
        result = lc.compute_coverage(_moved(layers, datum=True), network, progress=False)
    # every layer moved into GCJ-02: the datum check names them too (its own category)
    assert any(w.category is lc.DatumWarning for w in record)
    (message,) = [str(w.message) for w in record if w.category is not lc.DatumWarning]
    far = result.unsnapped
    n_far, n_all = int((far["kind"] == "demand").sum()), len(result.demand)
    median = np.median(far.loc[far["kind"] == "demand", "snap_m"])
    assert 0 < n_far < n_all
    assert f"{n_far} of {n_all} demand points ({n_far / n_all:.0%})" in message
    assert f"(median {median:,.0f} m)" in message and "result.unsnapped" in message
    assert "crs='gcj02'" in message


def test_a_service_whose_facilities_all_miss_the_network_is_named(demo):
    layers, network = demo
    far = layers.elderly[layers.elderly["type"] == "bathing"].geometry.translate(0.05, 0.05)
    elderly = layers.elderly.copy()
    elderly.loc[far.index, "geometry"] = far
    moved = dataclasses.replace(layers, elderly=elderly)  # load_layers would warn first
    with pytest.warns(lc.CoordinateWarning, match="service 'bathing': none of its 7 facilities"):
        result = lc.compute_coverage(moved, network, isochrones=False, progress=False)
    assert result.summary().loc["bathing", "share"] == 0


def _frames(layers):
    names = ("grids", "seats", "elderly", "heritage", "buildings")
    return {n: getattr(layers, n) for n in names if getattr(layers, n) is not None}


def test_check_on_layers_off_the_network_is_one_error_line(study):
    for path in (study.parent / "data").glob("*.geojson"):
        if path.name != "network.geojson":
            frame = gpd.read_file(path)
            frame.set_geometry(frame.geometry.translate(0.5, 0.5)).to_file(path)
    _one_error_line(_invoke("check", study), "none of the", 'add crs = "gcj02"')


def test_grids_with_nothing_to_measure_are_skipped_not_a_key_error(demo, monkeypatch):
    """A rest-gap target on layers no route reaches: grids are skipped (KeyError before)."""
    import lifecircle.study.run as run

    layers, network = demo
    moved = _moved(layers, dlon=0.5)
    gaps = lc.rest_gaps(moved, network)
    assert gaps.grids.empty and {"weight", "share_ok"} <= set(gaps.grids.columns)
    assert run._leaf_shares(layers.grids, pd.DataFrame(), "share_ok").isna().all()
    study = lc.load_study(demo_study_path())
    rest_only = dataclasses.replace(
        study,
        targets=tuple(t for t in study.targets if t.metric == "rest_gap"),
        # unclipped: clipping to grids 48 km from every street is itself an error
        network=dataclasses.replace(study.network, clip=False),
    )
    monkeypatch.setattr(run, "load_study_layers", lambda study: moved)
    (outcome,) = lc.run_study(rest_only).report.outcomes
    assert outcome.grids and not outcome.evaluated and not outcome.passed


# ----------------------------------------------------------------------------- arguments
@pytest.mark.parametrize(
    ("kwargs", "error", "needle"),
    [
        ({"services": {"x": ()}}, ValueError, "service 'x' has no elderly type codes"),
        ({"services": ["care_home"]}, TypeError, "services must be a mapping"),
        ({"walk_minutes": True}, ValueError, "walk_minutes must be a finite number > 0"),
        ({"walk_minutes": np.nan}, ValueError, "walk_minutes must be a finite number > 0"),
        ({"max_snap_m": np.inf}, ValueError, "max_snap_m must be a finite number > 0"),
        ({"access_m": 0}, ValueError, "access_m must be a finite number > 0"),
        ({"walk_minutes": "15"}, TypeError, "walk_minutes must be a number > 0, got '15'"),
        ({"target_share": 1.5}, ValueError, "target_share must be within"),
        ({"spacing_m": 0.01}, ValueError, r"spacing_m=0.01 would lay out about [\d,]+ demand"),
    ],
)
def test_compute_coverage_arguments_are_checked(demo, kwargs, error, needle):
    layers, network = demo
    with pytest.raises(error, match=needle):
        lc.compute_coverage(layers, network, progress=False, **kwargs)


def test_compute_coverage_needs_layers_and_a_network(demo):
    layers, network = demo
    with pytest.raises(TypeError, match=r"layers must be a Layers object .* got dict"):
        lc.compute_coverage(_frames(layers), network)
    with pytest.raises(TypeError, match=r"network must be a WalkNetwork .* got str"):
        lc.compute_coverage(layers, "network.graphml")


def test_numpy_numbers_are_accepted(demo):
    layers, network = demo
    kwargs = {"isochrones": False, "progress": False, "services": {"care": ("care_home",)}}
    plain = lc.compute_coverage(layers, network, walk_minutes=15, spacing_m=25, **kwargs)
    numpy = lc.compute_coverage(
        layers, network, walk_minutes=np.float32(15), max_snap_m=np.int64(100),
        target_share=np.float64(0.9), **kwargs,
    )  # fmt: skip
    assert numpy.params["walk_minutes"] == 15.0
    pd.testing.assert_frame_equal(plain.grid_table(), numpy.grid_table())


# ----------------------------------------------------------------------------- suggest_seats
def test_suggest_takes_one_string_as_one_required_id(demo):
    layers, network = demo
    result = lc.suggest_seats(layers, network, k=1, required="C00001", time_limit_s=5)
    assert list(result.sites["candidate"]) == ["C00001"]  # was split into 'C', '0', ...


def test_an_id_both_required_and_forbidden_is_named(demo):
    layers, network = demo
    with pytest.raises(ValueError, match="both required and forbidden: 'C00001'"):
        lc.suggest_seats(layers, network, k=2, required=["C00001"], forbidden="C00001")


def test_polygon_candidates_stand_for_a_point_inside_them(demo):
    layers, network = demo
    shops = layers.buildings.head(30).set_index("id")  # polygons (failed: wrong length)
    result = lc.suggest_seats(layers, network, k=1, candidates=shops, time_limit_s=5)
    (chosen,) = result.sites["candidate"]
    footprint = shops.to_crs(4326).geometry[chosen]
    assert footprint.contains(result.sites.geometry.iloc[0])


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"k": 1, "spacing_m": 0}, "spacing_m must be a finite number > 0, got 0"),
        ({"k": 1, "radius_m": np.nan}, "radius_m must be a finite number > 0"),
        ({"k": 1, "min_spacing_m": -1}, "min_spacing_m must be a finite number >= 0"),
        ({"target_share": 1.5}, r"target_share must be within \[0, 1\], got 1.5"),
        ({"target_share": -0.1}, "target_share must be a finite number >= 0, got -0.1"),
    ],
)
def test_suggest_arguments_are_checked_first(demo, kwargs, needle, monkeypatch):
    import lifecircle.coverage.measures.seat_suggestions as suggest

    def boom(*args, **kwargs):
        raise AssertionError("the analysis ran before the arguments were checked")

    monkeypatch.setattr(suggest, "seat_reach", boom)
    layers, network = demo
    with pytest.raises(ValueError, match=needle) as err:
        lc.suggest_seats(layers, network, **kwargs)
    assert not isinstance(err.value, lc.InfeasibleError)


# ----------------------------------------------------------------------------- messages
def test_a_folder_given_as_a_file_says_so(study, tmp_path):
    (tmp_path / "grids.geojson").mkdir()
    with pytest.raises(LayerError, match="is a folder, expected a file"):
        lc.read_grids(tmp_path / "grids.geojson")
    with pytest.raises(lc.ConfigError, match="is a folder, expected a file"):
        lc.load_study(tmp_path)
    _one_error_line(_invoke("check", tmp_path), "is a folder, expected a file")
    text = study.read_text(encoding="utf-8").replace('"data/grids.geojson"', '"data"')
    study.write_text(text, encoding="utf-8")
    result = _invoke("check", study)  # a config error lists its problems, one per line
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert 'layers.grids: is a folder, expected a file: "data"' in result.stderr


def test_duplicate_ids_show_five_features_then_a_count():
    frame = pd.DataFrame(
        {"id": ["a"] * 9, "seats": 1, "lon": 121.4 + np.arange(9) * 1e-4, "lat": 31.2}
    )
    with pytest.raises(LayerError, match="duplicate values") as err:
        lc.read_seats(frame)
    assert "'a' (row 1, row 2, row 3, row 4, row 5 and 4 more)" in str(err.value)


def test_wrong_geometry_names_the_layer_kind_it_was_read_as():
    points = make_layers().seats.head(3)[["id", "geometry"]].assign(name="x", level="microgrid")
    with pytest.raises(LayerError) as err:
        lc.read_grids(points)
    assert (
        "read as grids: expected Polygon or MultiPolygon geometries, got Point in 3 features"
        in str(err.value)
    )


def test_a_service_without_facilities_warns_instead_of_silent_zero() -> None:
    from lifecircle.coverage import compute_coverage, load_demo_network
    from lifecircle.errors import LifecircleWarning
    from lifecircle.geo import load_demo_layers

    layers, network = load_demo_layers(), load_demo_network()
    assert not (layers.elderly["type"] == "other").any()
    with pytest.warns(LifecircleWarning, match=r"service 'misc' has no facilities .*type other"):
        result = compute_coverage(
            layers, network, services={"elderly": ("life_station",), "misc": ("other",)},
            isochrones=False, progress=False,
        )  # fmt: skip
    assert result.grids["share_misc"].fillna(0).eq(0).all()
    assert result.grids["share_elderly"].max() > 0
