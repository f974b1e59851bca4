"""Scenario files and objects: validation (all problems at once), datums, round trip, apply."""

from __future__ import annotations

import math

import pytest

from lifecircle.errors import ConfigError
from lifecircle.geo import wgs84_to_bd09, wgs84_to_gcj02
from lifecircle.study.scenario import (
    AddFacility,
    AddSeat,
    ClosePassage,
    MoveFacility,
    OpenPassage,
    RemoveFacility,
    Scenario,
)
from lifecircle.study.scenario_files import (
    load_scenario,
    load_scenarios,
    scenario_from_text,
    scenario_to_toml,
)

GOOD = """
[scenario]
name = "new station"
description = "one more life station"

[[add]]
id = "N01"
name = "新乐龄生活站"
type = "乐龄生活站"
capacity = 20
x = 123.003
y = 30.996

[[add]]
layer = "seats"
id = "SEATN"
seats = 3
x = 123.001
y = 30.997

[[remove]]
id = "E02"

[[move]]
id = "E03"
x = 122.995
y = 31.002

[[close]]
x = 123.0
y = 31.0

[[open]]
from = [122.999, 31.001]
to = [123.001, 31.001]
name = "里弄 passage"

[profile]
base = "elderly"
speed_m_s = 0.7
"""


def test_good_file_reads_every_change_kind():
    s = scenario_from_text(GOOD, "plan.toml")
    assert s.name == "new station"
    assert [type(c) for c in s.changes] == [
        AddFacility, AddSeat, RemoveFacility, MoveFacility, ClosePassage, OpenPassage,
    ]  # fmt: skip
    assert s.changes[0].type == "life_station"  # the Chinese label is matched to its code
    assert s.changes[0].capacity == 20
    assert s.changes[1].seats == 3
    assert s.profile is not None and s.profile.speed_m_s == 0.7
    assert s.kinds == ("facilities", "seats", "network", "profile")


def test_round_trip_through_toml():
    s = scenario_from_text(GOOD, "plan.toml")
    again = scenario_from_text(scenario_to_toml(s), "plan.toml")
    assert again.changes == s.changes
    assert again.profile == s.profile
    assert (again.name, again.description) == (s.name, s.description)


def test_hostile_names_round_trip():
    name = 'a "quoted" name\\ with [brackets]\n and a newline'
    s = Scenario(name).add_facility("N'1", "day_care", (123.0, 31.0), name='x"y')
    assert scenario_from_text(scenario_to_toml(s)).changes == s.changes
    assert scenario_from_text(scenario_to_toml(s)).name == name


def test_every_problem_at_once_with_keys_and_did_you_mean():
    text = """
[scenario]
nmae = "typo"

[[add]]
id = "N01"
type = "life_staton"
x = "east"

[[remove]]
idd = "E02"

[[move]]
id = "E03"
x = 123.0
y = 31.0
crs = "mars"

[[opne]]
"""
    with pytest.raises(ConfigError) as info:
        scenario_from_text(text, "plan.toml")
    message = str(info.value)
    assert message.startswith("plan.toml: ")
    for expected in (
        'scenario.nmae: unknown key; did you mean "name"?',
        'add[1].type: unknown facility type "life_staton"; did you mean "life_station"?',
        'add[1].x: expected a number, got "east"',
        "add[1].y: missing",
        'remove[1].idd: unknown key; did you mean "id"?',
        "remove[1].id: missing",
        'move[1].crs: unknown CRS "mars"',
        'opne: unknown key; did you mean "open"?',
    ):
        assert expected in message, (expected, message)


def test_empty_scenario_is_refused():
    with pytest.raises(ConfigError, match="no change"):
        scenario_from_text('[scenario]\nname = "x"\n', "plan.toml")


def test_gcj02_and_bd09_coordinates_are_converted_to_wgs84():
    lon, lat = 121.4737, 31.2304
    gx, gy = wgs84_to_gcj02(lon, lat)
    bx, by = wgs84_to_bd09(lon, lat)
    text = f"""
[[add]]
id = "A"
type = "day_care"
x = {float(gx)!r}
y = {float(gy)!r}
crs = "gcj02"

[[add]]
id = "B"
type = "day_care"
x = {float(bx)!r}
y = {float(by)!r}
crs = "百度"
"""
    a, b = scenario_from_text(text).changes
    for change in (a, b):
        assert math.isclose(change.lon, lon, abs_tol=1e-6)
        assert math.isclose(change.lat, lat, abs_tol=1e-6)
    assert abs(float(gx) - lon) > 1e-3  # the datums really differ here


def test_files_problems_of_several_files_together(tmp_path):
    bad1 = tmp_path / "one.toml"
    bad1.write_text('[[remove]]\nid = 3\nlayre = "seats"\n', encoding="utf-8")
    bad2 = tmp_path / "two.toml"
    bad2.write_text("[[add]]\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_scenarios([bad1, bad2, tmp_path / "missing.toml"])
    message = str(info.value)
    assert "one.toml: 1 problem" in message and 'did you mean "layer"' in message
    assert "two.toml: " in message and "add[1].id: missing" in message
    assert "missing.toml: file not found" in message


def test_same_names_are_refused(tmp_path):
    for n in ("a", "b"):
        (tmp_path / f"{n}.toml").write_text('[scenario]\nname = "x"\n[[remove]]\nid = "E02"\n')
    with pytest.raises(ConfigError, match="names must differ"):
        load_scenarios([tmp_path / "a.toml", tmp_path / "b.toml"])


def test_load_scenario_names_the_file(tmp_path):
    path = tmp_path / "plan.toml"
    path.write_text("[[remove]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"plan\.toml: not valid TOML"):
        load_scenario(path)


def test_python_builders_check_types():
    with pytest.raises(ConfigError, match="unknown facility type"):
        Scenario("x").add_facility("N", "spaceport", (123.0, 31.0))
    with pytest.raises(ConfigError, match="layer must be one of"):
        Scenario("x").remove("E02", layer="buildings")
    with pytest.raises(ConfigError, match="needs a name"):
        Scenario(" ")
