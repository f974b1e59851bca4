"""Study configuration: parsing, defaults, path resolution and collected error messages."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lifecircle.data import demo_path
from lifecircle.errors import ConfigError
from lifecircle.study import DEFAULT_SERVICES, load_study, study_from_text
from lifecircle.study.config import _KEYS

LAYERS = ("grids", "seats", "elderly", "heritage")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder with empty placeholder layer files (config validation only checks existence)."""
    data = tmp_path / "data"
    data.mkdir()
    for name in (*LAYERS, "network"):
        (data / f"{name}.geojson").write_text("{}", encoding="utf-8")
    (data / "roads.pbf").write_bytes(b"")
    return tmp_path


def _study(body: str = "", *, layers: str | None = None, network: str | None = None) -> str:
    layers = (
        layers
        if layers is not None
        else "\n".join(f'{name} = "data/{name}.geojson"' for name in LAYERS)
    )
    network = network if network is not None else 'source = "data/network.geojson"'
    return f"[layers]\n{layers}\n\n[network]\n{network}\n\n{body}"


def _error(text: str, folder: Path) -> str:
    with pytest.raises(ConfigError) as info:
        study_from_text(text, folder / "study.toml")
    return str(info.value)


def test_minimal_study_defaults_and_relative_paths(folder: Path) -> None:
    study = study_from_text(_study(), folder / "study.toml")
    assert study.name == "study"
    assert study.layers["grids"].path == folder / "data" / "grids.geojson"
    assert study.network.kind == "lines"
    assert study.network.path == folder / "data" / "network.geojson"
    assert study.services == dict(DEFAULT_SERVICES)
    assert study.output_dir == folder / "lifecircle-output"
    assert study.cache_dir == folder / ".lifecircle-cache"
    assert (study.lang, study.basemap, study.coverage.walk_minutes) == ("zh", None, 15.0)
    assert study.targets == ()


def test_relative_paths_resolve_against_study_file_not_cwd(
    folder: Path, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
    study = load_study(_write(folder, _study()))
    assert study.layers["seats"].path == folder / "data" / "seats.geojson"


def _write(folder: Path, text: str, name: str = "study.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_layer_tables_and_default_crs(folder: Path) -> None:
    layers = "\n".join(
        [
            'crs = "gcj02"',
            'grids = { path = "data/grids.geojson", crs = "EPSG:4549", layer = "g" }',
            'seats = { path = "data/seats.geojson", x = "经度", y = "纬度",'
            ' columns = { "点位" = "name" }, encoding = "gb18030" }',
            'elderly = "data/elderly.geojson"',
            'heritage = "data/heritage.geojson"',
        ]
    )
    study = study_from_text(_study(layers=layers), folder / "s.toml")
    assert study.layers["grids"].crs == "EPSG:4549"
    assert study.layers["grids"].layer == "g"
    assert study.layers["seats"].crs == "gcj02"
    assert study.layers["seats"].columns == {"点位": "name"}
    assert (study.layers["seats"].x, study.layers["seats"].encoding) == ("经度", "gb18030")
    assert study.layers["elderly"].crs == "gcj02"


def test_targets_parse_with_defaults_and_ids(folder: Path) -> None:
    body = """
[analysis]
profile = "adult"
walk_minutes = 10

[[targets]]
minimum = 0.9

[[targets]]
metric = "seat_reach"
level = "subdistrict"
reach_m = 80
minimum = 0.95

[[targets]]
metric = "rest_gap"
grids = ["A01-1", 7]
minimum = 1
"""
    study = study_from_text(_study(body), folder / "study.toml")
    first, second, third = study.targets
    assert [t.id for t in study.targets] == ["T1", "T2", "T3"]
    assert (first.metric, first.level, first.profile, first.walk_minutes) == (
        "coverage", "microgrid", "adult", 10.0,
    )  # fmt: skip
    assert (second.metric, second.reach_m, second.scope) == ("seat_reach", 80.0, "subdistrict")
    assert third.grids == ("A01-1", "7") and third.level is None and third.minimum == 1.0
    assert third.scope == "A01-1,7"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("[studdy]\nname = 'x'", 'studdy: unknown key; did you mean "study"?'),
        ("[[targets]]\nminimum = 0.5\nminimun = 0.9", 'targets[1].minimun: unknown key; did you '
         'mean "minimum"?'),
        ("[analysis]\nwalk_minute = 15", 'analysis.walk_minute: unknown key; did you mean '
         '"walk_minutes"?'),
        ("[outputs]\nlang = 'fr'", 'outputs.lang: expected one of zh, en, got "fr"'),
        ("[[targets]]\nmetric = 'coverag'\nminimum = 0.9", 'did you mean "coverage"?'),
        ("[[targets]]\nlevel = 'microgrids'\nminimum = 0.9", 'did you mean "microgrid"?'),
    ],
)  # fmt: skip
def test_did_you_mean(folder: Path, body: str, expected: str) -> None:
    message = _error(_study(body), folder)
    assert message.startswith("study.toml: 1 problem:")
    assert expected in message


def test_unknown_layer_key_suggests_layer_name(folder: Path) -> None:
    layers = _study().split("[network]")[0].replace("[layers]\n", "").replace("seats", "seatz")
    message = _error(_study(layers=layers), folder)
    assert 'layers.seatz: unknown key; did you mean "seats"?' in message
    assert "layers.seats: missing: this layer is required" in message


@pytest.mark.parametrize(
    ("value", "hint"),
    [('"90%"', 'got "90%" (write 0.9 for 90%)'), ("90", "got 90 (write 0.9 for 90%)"),
     ("-0.1", "got -0.1"), ("true", "got true"), ('"abc"', 'got "abc"')],
)  # fmt: skip
def test_minimum_must_be_a_share(folder: Path, value: str, hint: str) -> None:
    message = _error(_study(f"[[targets]]\nminimum = 0.9\n[[targets]]\nminimum = {value}"), folder)
    assert f"targets[2].minimum: expected a number between 0 and 1, {hint}" in message


def test_wrong_types_are_named_with_their_key_path(folder: Path) -> None:
    body = """
[study]
synthetic = "yes"
[analysis]
walk_minutes = "15"
max_snap_m = -5
[network.penalties]
steps = "ten"
"""
    message = _error(_study(body, network='source = "data/network.geojson"'), folder)
    assert 'study.synthetic: expected true or false, got "yes"' in message
    assert 'analysis.walk_minutes: expected a positive number, got "15"' in message
    assert "analysis.max_snap_m: expected a positive number, got -5" in message
    assert 'network.penalties.steps: expected seconds (a number >= 0), got "ten"' in message
    assert message.startswith("study.toml: 4 problems:")


def test_missing_files_are_all_listed_in_one_error(folder: Path) -> None:
    (folder / "data" / "seats.geojson").unlink()
    (folder / "data" / "network.geojson").unlink()
    message = _error(_study(), folder)
    assert message.startswith("study.toml: 2 problems:")
    assert 'layers.seats: file not found: "data/seats.geojson"' in message
    assert 'network.source: file not found: "data/network.geojson"' in message
    assert str(folder / "data" / "seats.geojson") in message


def test_missing_layers_table_and_required_layer(folder: Path) -> None:
    message = _error("[network]\nsource = 'demo'\n", folder)
    assert "layers: missing table" in message
    message = _error(_study(layers='grids = "data/grids.geojson"'), folder)
    for name in ("seats", "elderly", "heritage"):
        assert f"layers.{name}: missing: this layer is required" in message


def test_invalid_toml_names_the_file(folder: Path) -> None:
    with pytest.raises(ConfigError, match=r"^broken\.toml: not valid TOML: .*line 2"):
        study_from_text("[layers]\ngrids = \n", folder / "broken.toml")


def test_missing_study_file(folder: Path) -> None:
    with pytest.raises(ConfigError, match=r"study file not found.*lifecircle init"):
        load_study(folder / "nope.toml")


def test_network_sources(folder: Path) -> None:
    assert study_from_text(_study(network='source = "demo"'), folder / "s.toml").network.kind == (
        "demo"
    )
    pbf = study_from_text(_study(network='source = "data/roads.pbf"'), folder / "s.toml")
    assert (pbf.network.kind, pbf.network.path) == ("pbf", folder / "data" / "roads.pbf")
    place = study_from_text(_study(network='place = "静安寺街道, 上海"'), folder / "s.toml")
    assert (place.network.kind, place.network.place) == ("place", "静安寺街道, 上海")
    (folder / "data" / "roads.dat").write_bytes(b"")
    message = _error(_study(network='source = "data/roads.dat"'), folder)
    assert "network.kind: cannot tell the network format from 'roads.dat'" in message
    message = _error(_study(network='kind = "pbff"\nsource = "data/roads.pbf"'), folder)
    assert 'did you mean "pbf"?' in message


def test_services_accept_chinese_labels_and_reject_unknown_types(folder: Path) -> None:
    body = '[services]\nmeals = ["社区食堂", "canteen"]\ncare = ["乐龄生活馆", "照护之家"]\n'
    study = study_from_text(_study(body), folder / "s.toml")
    assert study.services == {"meals": ("canteen",), "care": ("life_centre", "care_home")}
    message = _error(_study('[services]\nx = ["spa"]\n'), folder)
    assert 'services.x: unknown facility type "spa"; expected one of life_centre (乐龄生活馆)' in (
        message
    )
    message = _error(_study(body + "[[targets]]\nservice = 'elderly'\nminimum = 0.9\n"), folder)
    assert 'targets[1].service: unknown service "elderly"; expected one of care, meals' in message


def test_custom_profiles(folder: Path) -> None:
    body = """
[profiles.slow]
base = "elderly"
speed_m_s = 0.7
penalties = { steps = 60 }

[[targets]]
profile = "slow"
minimum = 0.8
"""
    study = study_from_text(_study(body), folder / "s.toml")
    assert study.profiles["slow"].speed_m_s == 0.7
    assert study.profiles["slow"].penalties == {"steps": 60.0}
    assert study.targets[0].profile == "slow"
    message = _error(_study("[[targets]]\nprofile = 'fast'\nminimum = 0.8\n"), folder)
    assert 'targets[1].profile: unknown profile "fast"; expected one of adult, elderly' in message
    message = _error(_study("[profiles.x]\nbase = 'kid'\n"), folder)
    assert 'profiles.x.base: expected one of adult, elderly, wheelchair, pram, got "kid"' in message


@settings(max_examples=30, deadline=None)
@given(key=st.text(string.ascii_lowercase + "_", min_size=1, max_size=12))
def test_any_unknown_top_level_key_is_rejected(tmp_path_factory, key: str) -> None:
    """Property: no key outside the documented set passes silently."""
    if key in _KEYS[""]:
        return
    folder = tmp_path_factory.mktemp("prop")
    with pytest.raises(ConfigError) as info:
        study_from_text(f"{key} = 1\n[network]\nsource = 'demo'\n", folder / "study.toml")
    assert f"{key}: unknown key" in str(info.value)


def test_street_seat_reach_is_only_measured_for_the_whole_network(folder: Path) -> None:
    body = "[[targets]]\nmetric = 'seat_reach'\nlevel = 'microgrid'\nminimum = 0.5\n"
    message = _error(_study(body), folder)
    assert "targets[1].level: the street share is measured over the whole network" in message
    residents = body.replace("minimum", "measure = 'residents'\nminimum")
    target = study_from_text(_study(residents), folder / "s.toml").targets[0]
    assert (target.measure, target.level, target.reach_m) == ("residents", "microgrid", 50.0)
    bad = _error(_study(body.replace("minimum", "measure = 'street_length'\nminimum")), folder)
    assert 'targets[1].measure: expected one of street, residents, got "street_length"' in bad


def test_template_life_circle_keys_parse_when_uncommented(tmp_path: Path) -> None:
    from lifecircle.study.template import write_study_template

    path = write_study_template(tmp_path / "study.toml", demo_data=True)
    (tmp_path / "data" / "facilities.geojson").write_bytes(
        demo_path("facilities.geojson").read_bytes()
    )
    text = path.read_text(encoding="utf-8")
    for key in ("[services]", "preset = ", "met_share = ", "facilities = "):
        assert f"# {key}" in text, key
        text = text.replace(f"# {key}", key, 1)
    text = text.replace("[services]", '[services]\nelderly = ["life_station"]', 1)
    study = study_from_text(text, path)
    assert study.life_circle is not None and study.life_circle.preset == "gb50180_2018"
    assert study.layers["facilities"].path.name == "facilities.geojson"
