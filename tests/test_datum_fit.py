"""Datum slips: GCJ-02 / BD-09 layers read as WGS-84 are caught against the streets.

The demo district (in open sea east of Shanghai, inside China's GCJ-02 box) is the
synthetic ground truth: its layers sit on its streets, so as read they must never warn,
and moved into GCJ-02 or BD-09 they must. Real Jing'an data (skipped when absent) gives
the measured offsets. CLI cases run the installed console script, as users do.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import lifecircle as lc
from lifecircle.data import demo_path
from lifecircle.errors import DatumWarning
from lifecircle.geo.crs import wgs84_to_bd09, wgs84_to_gcj02
from lifecircle.geo.datum_fit import anchor_points, fit_datum, prepare_reference
from lifecircle.geo.datum_slips import (
    datum_check_done,
    find_datum_slips,
    name_datum,
    warn_datum_slips,
)
from lifecircle.study.datum_review import streets_from_osm_xml

SCRIPT = Path(sys.executable).with_name("lifecircle")
README = Path(__file__).resolve().parents[1] / "README.md"
SHIFTS = {"gcj02": wgs84_to_gcj02, "bd09": wgs84_to_bd09}


@pytest.fixture(scope="module")
def demo():
    return lc.load_demo_layers(), lc.load_demo_network()


def _streets(network):
    return network.edges.geometry.to_numpy()


def _shifted(frame: gpd.GeoDataFrame, datum: str) -> gpd.GeoDataFrame:
    """``frame`` with its coordinates moved into ``datum`` (what a Chinese map app gives)."""
    func = SHIFTS[datum]
    moved = shapely.transform(
        frame.geometry.to_numpy(), lambda xy: np.column_stack(func(xy[:, 0], xy[:, 1]))
    )
    return frame.set_geometry(gpd.GeoSeries(moved, index=frame.index, crs=4326))


# --------------------------------------------------------------------------- the fit itself
def test_demo_layers_as_read_never_slip(demo):
    layers, network = demo
    slips = find_datum_slips(dict(layers.items()), _streets(network), reference_crs=network.crs)
    assert slips == []
    fit = fit_datum(*anchor_points(layers.seats.geometry.to_numpy())[:2], _streets(network),
                    reference_crs=network.crs)  # fmt: skip
    assert fit is not None and fit.slipped is None and fit.confirms_as_is


@pytest.mark.parametrize("datum", ["gcj02", "bd09"])
@pytest.mark.parametrize("layer", ["seats", "conservation", "grids"])
def test_demo_layer_moved_into_a_chinese_datum_slips(demo, layer, datum):
    layers, network = demo
    frames = {layer: _shifted(getattr(layers, layer), datum)}
    (slip,) = find_datum_slips(frames, _streets(network), reference_crs=network.crs)
    assert slip.layer == layer and slip.datum == datum
    assert slip.fit is not None
    # the conversion moves points ~490 m (GCJ-02) / ~1.1 km (BD-09) off here, east of Shanghai
    expected = {"gcj02": (400, 600), "bd09": (900, 1400)}[datum]
    assert expected[0] < slip.fit.offset_m[datum] < expected[1]
    assert slip.fit.median_m[datum] < slip.fit.median_m["wgs84"]


def test_a_second_check_of_the_same_layers_reuses_the_fits(demo, monkeypatch):
    """Each coverage computation checks the same layers against the same streets: the fit is
    measured once; a layer that changed in place, or another reference, is measured again."""
    from collections import OrderedDict

    import lifecircle.geo.datum_slips as slips_module

    monkeypatch.setattr(slips_module, "_FITS", OrderedDict())  # nothing measured before
    layers, network = demo
    seats = layers.seats.copy()
    first = find_datum_slips({"seats": seats}, _streets(network), reference_crs=network.crs)
    measured = []
    real_fit = slips_module._fit_layer
    monkeypatch.setattr(
        slips_module, "_fit_layer", lambda *a: measured.append(a[0]) or real_fit(*a)
    )
    again = find_datum_slips({"seats": seats}, _streets(network), reference_crs=network.crs)
    assert again == first == [] and measured == []
    seats[seats.geometry.name] = _shifted(seats, "gcj02").geometry  # edited in place
    (slip,) = find_datum_slips({"seats": seats}, _streets(network), reference_crs=network.crs)
    assert slip.datum == "gcj02" and len(measured) == 1
    half = _streets(network)[: network.n_edges // 2]
    find_datum_slips({"seats": seats}, half, reference_crs=network.crs)
    assert len(measured) == 2


def test_fit_ignores_points_beyond_the_streets_reach(demo):
    """Half the layer far away (a network clipped to part of the area) still decides."""
    layers, network = demo
    seats = _shifted(layers.seats, "gcj02")
    far = seats.geometry.to_numpy()[: len(seats) // 2]
    far = shapely.transform(far, lambda xy: xy + np.array([0.05, 0.0]))  # ~5 km east
    frame = seats.set_geometry(
        gpd.GeoSeries(np.concatenate([far, seats.geometry.to_numpy()[len(far) :]]), crs=4326)
    )
    (slip,) = find_datum_slips({"seats": frame}, _streets(network), reference_crs=network.crs)
    assert slip.datum == "gcj02" and slip.fit is not None
    assert slip.fit.n_points <= len(seats) - len(far)


def test_reference_in_lon_lat_degrees_gives_the_same_verdict(demo):
    layers, network = demo
    streets = network.edges.to_crs(4326).geometry.to_numpy()
    (slip,) = find_datum_slips({"seats": _shifted(layers.seats, "gcj02")}, streets)
    assert slip.datum == "gcj02"


def test_outside_china_nothing_is_tested(demo):
    """GCJ-02 does not exist outside China: a layer there is never tested."""
    layers, network = demo
    lon, lat, _ = anchor_points(layers.seats.geometry.to_numpy())
    assert fit_datum(lon - 130.0, lat, _streets(network), reference_crs=network.crs) is None


# --------------------------------------------------------------------------- hostile inputs
def test_hostile_tiny_layer_too_few_points_to_decide(demo):
    layers, network = demo
    tiny = _shifted(layers.seats.head(3), "gcj02")
    assert find_datum_slips({"seats": tiny}, _streets(network), reference_crs=network.crs) == []


def test_hostile_empty_and_missing_geometries_are_skipped(demo):
    layers, network = demo
    grids = _shifted(layers.grids, "gcj02")
    geoms = grids.geometry.to_numpy().copy()
    geoms[::4] = None
    geoms[1::4] = shapely.Polygon()
    frame = grids.set_geometry(gpd.GeoSeries(geoms, index=grids.index, crs=4326))
    (slip,) = find_datum_slips({"grids": frame}, _streets(network), reference_crs=network.crs)
    assert slip.datum == "gcj02"
    assert find_datum_slips({"seats": frame.iloc[:0]}, _streets(network),
                            reference_crs=network.crs) == []  # fmt: skip


def test_hostile_scattered_points_off_every_street_do_not_warn(demo):
    """Points with no relation to the streets (mid-block) must not be called a slip."""
    layers, network = demo
    rng = np.random.default_rng(7)
    min_x, min_y, max_x, max_y = layers.grids.total_bounds
    for _ in range(20):
        lon = rng.uniform(min_x, max_x, 40)
        lat = rng.uniform(min_y, max_y, 40)
        fit = fit_datum(lon, lat, _streets(network), reference_crs=network.crs)
        assert fit is None or fit.slipped is None


@pytest.mark.parametrize(
    ("name", "datum"),
    [("seats_gcj02.csv", "gcj02"), ("养老_GCJ-02.xlsx", "gcj02"), ("poi-bd09.geojson", "bd09"),
     ("百度坐标.csv", "bd09"), ("seats.csv", None), ("gcj_bd09_mix.csv", None)],
)  # fmt: skip
def test_name_datum(name, datum):
    assert name_datum(name) == datum


def test_hostile_file_named_gcj02_declared_wgs84_is_mentioned(demo):
    layers, network = demo
    (slip,) = find_datum_slips(
        {"seats": layers.seats}, _streets(network), reference_crs=network.crs,
        declared={"seats": "wgs84"}, file_names={"seats": "seats_gcj02.csv"},
        study_file="study.toml",
    )  # fmt: skip
    assert slip.datum == "gcj02"
    assert "seats_gcj02.csv" in slip.message and 'crs = "wgs84"' in slip.message
    assert "fit the streets as read" in slip.message  # the data back the declaration


def test_hostile_file_named_gcj02_declared_wgs84_but_really_gcj02(demo):
    layers, network = demo
    (slip,) = find_datum_slips(
        {"seats": _shifted(layers.seats, "gcj02")}, _streets(network),
        reference_crs=network.crs, declared={"seats": "wgs84"},
        file_names={"seats": "seats_gcj02.csv"}, study_file="study.toml",
    )  # fmt: skip
    assert slip.datum == "gcj02" and "its file name also says GCJ-02" in slip.message
    assert 'replace crs = "wgs84" by crs = "gcj02" under [layers.seats]' in slip.message


def test_hostile_wgs84_file_declared_gcj02_is_moved_off_and_caught(demo):
    """crs = "gcj02" on a file that was WGS-84: the conversion moved it ~490 m off."""
    layers, network = demo
    from lifecircle.geo.crs import to_wgs84

    wrongly_converted = to_wgs84(layers.seats, "gcj02")  # what the reader did to it
    (slip,) = find_datum_slips(
        {"seats": wrongly_converted}, _streets(network), reference_crs=network.crs,
        declared={"seats": "gcj02"}, file_names={"seats": "seats.csv"}, study_file="study.toml",
    )  # fmt: skip
    assert slip.datum == "wgs84" and slip.fit is not None
    assert 400 < slip.fit.offset_m["unconverted"] < 600
    assert "look like WGS-84 already" in slip.message
    assert 'replace crs = "gcj02" by crs = "wgs84" under [layers.seats]' in slip.message
    # correctly declared and converted: the unconverted hypothesis loses, nothing to say
    assert find_datum_slips({"seats": layers.seats}, _streets(network), reference_crs=network.crs,
                            declared={"seats": "gcj02"}) == []  # fmt: skip


def test_file_named_gcj02_correctly_declared_is_silent(demo):
    layers, network = demo
    slips = find_datum_slips(
        {"seats": layers.seats}, _streets(network), reference_crs=network.crs,
        declared={"seats": "gcj02"}, file_names={"seats": "seats_gcj02.csv"},
    )  # fmt: skip
    assert slips == []


def test_file_name_hint_without_streets(demo):
    layers, _ = demo
    (slip,) = find_datum_slips(
        {"elderly": layers.elderly}, None, file_names={"elderly": "elderly_bd09.csv"},
        study_file="study.toml",
    )  # fmt: skip
    assert slip.datum == "bd09" and slip.fit is None
    assert 'add crs = "bd09" under [layers.elderly] in study.toml' in slip.message


# --------------------------------------------------------------------------- footprints
def test_point_layer_is_tested_against_the_other_layers_footprints(demo):
    """Building centres (mid-block) moved into GCJ-02 fall out of their footprints."""
    layers, _ = demo
    buildings = layers.buildings[layers.buildings.geom_type.str.endswith("Polygon")]
    centres = buildings.head(80).set_geometry(buildings.head(80).representative_point())
    frames = {"heritage": _shifted(centres, "gcj02"), "buildings": buildings}
    (slip,) = find_datum_slips(frames, None, study_file="study.toml")  # no streets at all
    assert slip.layer == "heritage" and slip.datum == "gcj02"
    assert "fit the footprints of the buildings layer far better as GCJ-02" in slip.message
    assert find_datum_slips({"heritage": centres, "buildings": buildings}, None) == []


def test_footprints_of_a_slipped_layer_are_not_trusted(demo):
    layers, network = demo
    buildings = layers.buildings[layers.buildings.geom_type.str.endswith("Polygon")]
    centres = buildings.head(80).set_geometry(buildings.head(80).representative_point())
    frames = {"heritage": centres, "buildings": _shifted(buildings, "gcj02")}
    slips = find_datum_slips(frames, _streets(network), reference_crs=network.crs)
    assert [(s.layer, s.datum) for s in slips] == [("buildings", "gcj02")]


def test_prepared_reference_gives_the_same_fit(demo):
    layers, network = demo
    lon, lat, _ = anchor_points(_shifted(layers.seats, "gcj02").geometry.to_numpy())
    prepared = prepare_reference(_streets(network), network.crs)
    assert prepared is not None
    raw = fit_datum(lon, lat, _streets(network), reference_crs=network.crs)
    assert fit_datum(lon, lat, prepared) == raw


# --------------------------------------------------------------------------- the API warning
def test_compute_coverage_warns_visibly_about_a_gcj02_layer(demo):
    layers, network = demo
    import dataclasses

    moved = dataclasses.replace(layers, seats=_shifted(layers.seats, "gcj02"))
    with pytest.warns(DatumWarning) as record:
        lc.compute_coverage(moved, network, services={"elderly": ("day_care",)}, isochrones=False)
    (message,) = [str(w.message) for w in record if w.category is DatumWarning]
    assert message.startswith("seats: coordinates look like GCJ-02")
    assert " m off" in message and 'crs={"seats": "gcj02"}' in message
    assert "/" not in message.split("Fix:")[0]  # no paths, no reprs in the finding


def test_warning_is_silent_inside_datum_check_done(demo):
    layers, network = demo
    frames = {"seats": _shifted(layers.seats, "gcj02")}
    with datum_check_done():
        assert warn_datum_slips(frames, _streets(network), reference_crs=network.crs) == []
    with pytest.warns(DatumWarning):
        warn_datum_slips(frames, _streets(network), reference_crs=network.crs)


# --------------------------------------------------------------------------- OSM XML streets
def test_streets_from_osm_xml(tmp_path):
    path = tmp_path / "tiny.osm"
    path.write_text(
        """<?xml version="1.0"?><osm version="0.6">
        <node id="1" lat="31.22" lon="121.44"/><node id="2" lat="31.221" lon="121.44"/>
        <node id="3" lat="31.221" lon="121.441"/>
        <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="residential"/></way>
        <way id="11"><nd ref="1"/><nd ref="3"/><tag k="building" v="yes"/></way>
        <way id="12"><nd ref="2"/><nd ref="99"/><tag k="highway" v="footway"/></way>
        </osm>""",
        encoding="utf-8",
    )
    lines = streets_from_osm_xml(path)
    assert len(lines) == 1 and shapely.get_num_coordinates(lines[0]) == 3


# --------------------------------------------------------------------------- the CLI
def _demo_study(folder: Path, seats_file: str, seats_crs: str | None) -> Path:
    """The demo study (coverage target only) with its seats replaced by ``seats_file``."""
    data = demo_path("grids.geojson").parent.as_posix()
    crs = f', crs = "{seats_crs}"' if seats_crs else ""
    text = f"""[study]
name = "datum test"
synthetic = true
[layers]
grids = "{data}/grids.geojson"
seats = {{ path = "{seats_file}"{crs} }}
elderly = "{data}/elderly.geojson"
heritage = "{data}/heritage.geojson"
[network]
source = "{data}/network.geojson"
kind = "lines"
[[targets]]
metric = "coverage"
service = "elderly"
level = "subdistrict"
minimum = 0.1
"""
    path = folder / "study.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _seats_csv(folder: Path, name: str, datum: str | None, n: int | None = None) -> str:
    seats = lc.load_demo_layers().seats
    seats = seats.head(n) if n else seats
    frame = _shifted(seats, datum) if datum else seats
    table = pd.DataFrame(
        {"id": frame["id"], "name": frame["name"], "seats": frame["seats"],
         "lon": frame.geometry.x, "lat": frame.geometry.y}
    )  # fmt: skip
    table.to_csv(folder / name, index=False)
    return name


def _run(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SCRIPT, *map(str, args)], capture_output=True, text=True,
                          timeout=600, check=False)  # fmt: skip


def _warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("warning: ")]


@pytest.mark.slow
@pytest.mark.parametrize(("datum", "label"), [("gcj02", "GCJ-02"), ("bd09", "BD-09")])
def test_hostile_cli_validate_warns_about_a_layer_without_crs(tmp_path, datum, label):
    study = _demo_study(tmp_path, _seats_csv(tmp_path, "seats.csv", datum), None)
    proc = _run("validate", study)
    assert proc.returncode == 0, proc.stderr
    # (BD-09 moves the seats ~1.1 km, partly out of the grids: the older range check of
    # load_layers may add its own line; the datum finding itself comes exactly once)
    (line,) = [w for w in _warnings(proc.stderr) if "coordinates look like" in w]
    assert line.startswith(f"warning: seats (seats.csv): coordinates look like {label}")
    assert f'Fix: add crs = "{datum}" under [layers.seats] in study.toml.' in line
    assert "Traceback" not in proc.stderr
    if datum == "gcj02":  # the README quotes this very line
        assert f"```text\n{line}\n```" in README.read_text(encoding="utf-8")


@pytest.mark.slow
def test_hostile_cli_correctly_declared_layer_does_not_warn(tmp_path):
    study = _demo_study(tmp_path, _seats_csv(tmp_path, "seats_gcj02.csv", "gcj02"), "gcj02")
    proc = _run("validate", study)
    assert proc.returncode == 0 and _warnings(proc.stderr) == [], proc.stderr


@pytest.mark.slow
def test_hostile_cli_wgs84_file_declared_gcj02(tmp_path):
    study = _demo_study(tmp_path, _seats_csv(tmp_path, "seats.csv", None), "gcj02")
    proc = _run("validate", study)
    assert proc.returncode == 0, proc.stderr
    (line,) = [w for w in _warnings(proc.stderr) if "WGS-84 already" in w]
    assert line.startswith('warning: seats (seats.csv): the layer is declared crs = "gcj02"')
    assert 'replace crs = "gcj02" by crs = "wgs84" under [layers.seats] in study.toml' in line


@pytest.mark.slow
def test_hostile_cli_tiny_layer_does_not_warn(tmp_path):
    study = _demo_study(tmp_path, _seats_csv(tmp_path, "seats.csv", "gcj02", n=3), None)
    proc = _run("validate", study)
    assert proc.returncode == 0 and _warnings(proc.stderr) == [], proc.stderr


@pytest.mark.slow
def test_cli_check_warns_once(tmp_path):
    study = _demo_study(tmp_path, _seats_csv(tmp_path, "seats.csv", "gcj02"), None)
    proc = _run("check", study)
    assert proc.returncode in (0, 1), proc.stderr
    slips = [w for w in _warnings(proc.stderr) if "look like GCJ-02" in w]
    assert len(slips) == 1, proc.stderr
    assert "[layers.seats]" in slips[0]


# --------------------------------------------------------------------------- real Jing'an data
@pytest.fixture(scope="module")
def jingan_streets(jingan_dir):
    return streets_from_osm_xml(jingan_dir / "roads_osm_drivable_2025-08-09.osm")


def _fit_of(frame_or_xy, streets):
    if isinstance(frame_or_xy, tuple):
        lon, lat = frame_or_xy
    else:
        lon, lat, _ = anchor_points(frame_or_xy.geometry.to_numpy())
    return fit_datum(np.asarray(lon), np.asarray(lat), streets, reference_crs=4326)


@pytest.mark.realdata
def test_realdata_gcj02_conservation_areas_slip(jingan_dir, jingan_streets):
    raw = gpd.read_file(jingan_dir / "conservation_areas_ditushu_gcj02.geojson")
    fit = _fit_of(raw, jingan_streets)
    assert fit is not None and fit.slipped == "gcj02"
    print(
        f"conservation GCJ-02: offset {fit.offset_m['gcj02']:.0f} m, median "
        f"{fit.median_m['wgs84']:.0f} -> {fit.median_m['gcj02']:.0f} m, {fit.n_places} places"
    )
    assert 450 < fit.offset_m["gcj02"] < 520
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lc.CoordinateWarning)
        converted = lc.geo.read_conservation(
            raw, crs="gcj02", columns={"_id": "id", "title": "name"}
        )
    assert _fit_of(converted, jingan_streets).slipped is None


@pytest.mark.realdata
@pytest.mark.parametrize("csv", ["heritage_excellent_historic_buildings_shlib.csv",
                                 "heritage_immovable_relics_shlib.csv"])  # fmt: skip
def test_realdata_bd09_heritage_slips_and_converted_does_not(jingan_dir, jingan_streets, csv):
    table = pd.read_csv(jingan_dir / csv)
    fit = _fit_of((table["lon_bd09"], table["lat_bd09"]), jingan_streets)
    assert fit is not None and fit.slipped == "bd09"
    print(
        f"{csv} BD-09: offset {fit.offset_m['bd09']:.0f} m, median "
        f"{fit.median_m['wgs84']:.0f} -> {fit.median_m['bd09']:.0f} m, {fit.n_places} places"
    )
    assert 1100 < fit.offset_m["bd09"] < 1220
    converted = _fit_of((table["lon_wgs84"], table["lat_wgs84"]), jingan_streets)
    assert converted is not None and converted.slipped is None and converted.confirms_as_is


@pytest.mark.realdata
@pytest.mark.parametrize("seed", range(5))
def test_realdata_eighteen_gcj02_services_near_streets_slip(jingan_streets, seed):
    """18 services 8–20 m off real streets (like the e2e study's elderly CSV), in GCJ-02."""
    rng = np.random.default_rng(seed)
    utm = "EPSG:32651"
    lines = gpd.GeoSeries(jingan_streets, crs=4326).to_crs(utm).to_numpy()
    lines = lines[shapely.length(lines) > 50]
    at = shapely.line_interpolate_point(lines[rng.choice(len(lines), 18)], rng.random(18),
                                        normalized=True)  # fmt: skip
    angle, dist = rng.uniform(0, 2 * np.pi, 18), rng.uniform(8, 20, 18)
    xy = shapely.get_coordinates(at) + np.column_stack([dist * np.cos(angle), dist * np.sin(angle)])
    points = gpd.GeoSeries(shapely.points(xy), crs=utm).to_crs(4326)
    lon, lat = points.x.to_numpy(), points.y.to_numpy()
    as_read = fit_datum(*wgs84_to_gcj02(lon, lat), jingan_streets, reference_crs=4326)
    assert as_read is not None and as_read.slipped == "gcj02"
    correct = fit_datum(lon, lat, jingan_streets, reference_crs=4326)
    assert correct is not None and correct.slipped is None


@pytest.mark.realdata
def test_realdata_gcj02_atlas_points_slip_against_osm_footprints(jingan_dir, jingan_streets):
    """The atlas's building points sit mid-block: streets cannot tell, footprints can."""
    atlas = gpd.read_file(jingan_dir / "historic_buildings_ditushu_gcj02.geojson")
    osm = gpd.read_file(jingan_dir / "heritage_osm_overpass_2025.geojson")
    assert _fit_of(atlas, jingan_streets).slipped is None  # undecided by streets
    frames = {"heritage": atlas, "buildings": osm}
    (slip,) = find_datum_slips(frames, jingan_streets, file_names={"heritage": "atlas.geojson"})
    assert slip.layer == "heritage" and slip.datum == "gcj02" and slip.fit is not None
    print(
        f"atlas vs footprints: offset {slip.fit.offset_m['gcj02']:.0f} m, median "
        f"{slip.fit.median_m['wgs84']:.0f} -> {slip.fit.median_m['gcj02']:.0f} m"
    )
    assert "footprints of the buildings layer" in slip.message
    lon, lat = lc.geo.gcj02_to_wgs84(atlas.geometry.x.to_numpy(), atlas.geometry.y.to_numpy())
    converted = atlas.set_geometry(gpd.points_from_xy(lon, lat), crs=4326)
    assert find_datum_slips({"heritage": converted, "buildings": osm}, jingan_streets) == []
    wikidata = gpd.read_file(jingan_dir / "heritage_wikidata_items.geojson")
    assert find_datum_slips({"seats": wikidata, "buildings": osm}, jingan_streets) == []


@pytest.mark.realdata
@pytest.mark.parametrize("name", ["heritage_wikidata_items.geojson",
                                  "heritage_osm_overpass_2025.geojson"])  # fmt: skip
def test_realdata_wgs84_layers_never_slip(jingan_dir, jingan_streets, name):
    fit = _fit_of(gpd.read_file(jingan_dir / name), jingan_streets)
    assert fit is not None and fit.slipped is None
