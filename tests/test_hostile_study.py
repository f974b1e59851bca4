"""Hostile study files, scenario files and output paths on the command line.

Each case runs the real command on a copy of the ``lifecircle init --demo-data`` study and
asserts the whole outcome: exit code 2, one ``error:`` message naming the file and key (or
option) and the fix, no traceback or Python repr, and no file written or overwritten.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lifecircle.cli import app

runner = CliRunner()

#: What a planner must never see: Python internals in place of plain words.
_PYTHON = re.compile(r"Traceback|PosixPath\(|np\.float64\(|array\(|\{'|\['|<class |dtype=")


def _invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture()
def study(tmp_path: Path) -> Path:
    assert _invoke("init", tmp_path / "study.toml", "--demo-data").exit_code == 0
    return tmp_path / "study.toml"


def _edit(study: Path, old: str, new: str) -> Path:
    text = study.read_text(encoding="utf-8")
    assert old in text, old
    study.write_text(text.replace(old, new, 1), encoding="utf-8")
    return study


def _files(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and ".lifecircle-cache" not in p.parts
    }


def _refused(study: Path, *args: object, needles: tuple[str, ...]) -> str:
    """Run a command expected to refuse its input; nothing in the study folder changes."""
    before = _files(study.parent)
    result = _invoke(*args)
    message = result.stderr.strip()
    assert result.exit_code == 2, result.output
    assert message.startswith("error: "), message
    assert not _PYTHON.search(message), message
    for needle in needles:
        assert needle in message, message
    assert _files(study.parent) == before
    return message


# ------------------------------------------------------------------------------ TOML
@pytest.mark.parametrize("nested", ["[" * 3000 + "]" * 3000, "{a=" * 3000 + "1" + "}" * 3000])
def test_absurdly_nested_toml_is_refused_not_a_crash(study: Path, nested: str) -> None:
    """Python's TOML parser recurses per level: 3,000 levels hit its recursion limit
    (was exit 3, "unexpected internal error (RecursionError ...)")."""
    with study.open("a", encoding="utf-8") as handle:
        handle.write(f"\n[deep]\nx = {nested}\n")
    _refused(study, "validate", study, needles=("study.toml:", "nested", "brackets"))


def test_absurdly_nested_scenario_is_refused(study: Path) -> None:
    scenario = study.parent / "plan.toml"
    scenario.write_text("x = " + "[" * 3000 + "]" * 3000 + "\n", encoding="utf-8")
    _refused(study, "compare", study, scenario, needles=("plan.toml:", "nested"))


# ---------------------------------------------------------------- absurd numbers
@pytest.mark.parametrize(
    ("old", "new", "needle"),
    [
        ("walk_minutes = 15                  #", "walk_minutes = 1e308  #",
         "analysis.walk_minutes: expected a positive number of at most 1,440 minutes"),
        ("# max_snap_m = 150", "max_snap_m = 1e308",
         "analysis.max_snap_m: expected a positive number of at most 100,000 metres"),
        ("reach_m = 100", "reach_m = 1e308", "targets[2].reach_m: expected a positive number"),
        ("max_gap_m = 300", "max_gap_m = 1e300", "targets[3].max_gap_m: expected a positive"),
        ("walk_minutes = 15\nlevel", "walk_minutes = 1e300\nlevel", "targets[1].walk_minutes"),
        ("[analysis]", "[profiles.fast]\nspeed_m_s = 1e308\n[analysis]",
         "profiles.fast.speed_m_s: expected a positive number of at most 10 m/s"),
    ],
)  # fmt: skip
def test_absurdly_large_distances_and_times_are_refused(study, old, new, needle) -> None:
    """Finite but absurd values made the walking buffer or a street buffer infinite and
    stopped ``check`` with exit 3 (GEOSException / "buffer_m must be finite")."""
    _edit(study, old, new)
    _refused(study, "check", study, needles=(needle,))


def test_the_largest_allowed_values_still_run(study) -> None:
    """A day's walk at 10 m/s with 100 km snapping and reach: a result, not a crash."""
    _edit(study, "walk_minutes = 15                  #", "walk_minutes = 1440  #")
    _edit(study, "# max_snap_m = 150", "max_snap_m = 100000")
    _edit(study, "reach_m = 100", "reach_m = 100000")
    _edit(study, "[analysis]", "[profiles.fast]\nspeed_m_s = 10\n[analysis]")
    _edit(
        study, 'profile = "elderly"\nwalk_minutes = 15\n', 'profile = "fast"\nwalk_minutes = 1440\n'
    )
    result = _invoke("check", study)
    assert result.exit_code in (0, 1), result.output
    assert "T1" in result.stdout


# ------------------------------------------------------------------- target scopes
def test_validate_checks_listed_grid_ids_against_the_grids_layer(study) -> None:
    """Unknown ids in a target's ``grids`` passed ``validate`` and failed only in ``check``,
    as a Python list (``unknown grid ids ['5', 'NOPE']``)."""
    _edit(study, 'level = "microgrid"', 'grids = ["NOPE", 5, "A01-1"]')
    message = _refused(study, "validate", study, needles=("targets[1].grids", '"5", "NOPE"'))
    assert "write ids as in its id column" in message
    _refused(study, "check", study, needles=('unknown grid ids "5", "NOPE"',))


def test_validate_names_a_study_without_python_quotes(study) -> None:
    _edit(study, 'name = "My subdistrict"', 'name = "O\'Brien \\"east\\""')
    result = _invoke("validate", study)
    assert result.exit_code == 0, result.output
    assert 'OK — study "O\'Brien "east""' in result.stdout


# ------------------------------------------------------------------- output paths
@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("check", "{s}", "--json", "{s}"), "--json"),
        (("check", "{s}", "--junit", "{d}/data/seats.geojson"), "--junit"),
        (("check", "{s}", "--markdown", "{d}/data/network.geojson"), "--markdown"),
        (("compare", "{s}", "{d}/plan.toml", "--markdown", "{d}/data/../study.toml"), "--markdown"),
        (("suggest", "{s}", "-o", "{d}/data/elderly.geojson", "-k", "1"), "--output"),
        (("compare", "{s}", "{d}/plan.toml", "--json", "{d}/plan.toml"), "--json"),
    ],
)
def test_an_output_never_overwrites_an_input(study, args, needle) -> None:
    """``check study.toml --json study.toml`` replaced the study file with the JSON report
    (exit 1, the study lost); any output naming an input file is now refused first."""
    (study.parent / "plan.toml").write_text('[[remove]]\nid = "E02"\n', encoding="utf-8")
    argv = [a.format(s=study, d=study.parent) for a in args]
    _refused(study, *argv, needles=(needle, "input of the study", "another file"))


def test_two_outputs_naming_one_file_are_refused(study) -> None:
    out = study.parent / "out" / "x.json"
    _refused(study, "check", study, "--json", out, "--junit", out,
             needles=("--json", "--junit writes the same file"))  # fmt: skip


@pytest.mark.parametrize(
    ("command", "name"),
    [("map", "map.pdf"), ("report", "report.docx"), ("report", "report.xlsx")],
)
def test_pages_need_an_html_name(study, command, name) -> None:
    """``map -o map.pdf`` wrote an HTML page named .pdf; ``report -o report.xlsx`` wrote
    the page and then its workbook over it."""
    _refused(study, command, study, "-o", study.parent / name,
             needles=(f"--output {name}: expected a file name ending in .html",))  # fmt: skip


def test_a_building_without_residents_is_named_by_its_id(study) -> None:
    """A blank (NaN) population passed the reader ("blank when unknown") and was then
    refused as ``column 'population' must be a number >= 0; bad in rows 0``."""
    buildings = study.parent / "data" / "buildings.geojson"
    text = buildings.read_text(encoding="utf-8")
    assert '"population":53' in text
    buildings.write_text(text.replace('"population":53', '"population":NaN', 1), "utf-8")
    message = _refused(study, "validate", study, needles=("column 'population' is blank",))
    assert "1 building (id 'B0001')" in message
    assert "0 for none" in message


# ------------------------------------------------------------------------ scenarios
_ADD = '[[add]]\nid = "N1"\ntype = "life_station"\nx = 123.003\ny = 30.996\n'


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('[[add]]\nlayer = "seats"\nid = "NS1"\nseats = 1e300\nx = 123.003\ny = 30.996\n',
         "add[1].seats: expected a whole number of seats (1, 2, 3...), got 1e+300"),
        ('[[add]]\nlayer = "seats"\nid = "NS1"\nseats = 2.5\nx = 123.003\ny = 30.996\n',
         "add[1].seats: expected a whole number of seats (1, 2, 3...), got 2.5"),
        (_ADD.replace("x = 123.003\ny = 30.996", "x = 500.0\ny = 95.0"),
         "add[1]: x = 500, y = 95 is no place on Earth in EPSG:4326"),
        (_ADD.replace("y = 30.996\n", ""), "add[1].y: missing; give the coordinate (e.g. y = "),
        ('[[remove]]\nid = "E02"\n[[remove]]\nid = "E02"\n',
         'remove[2].id: "E02" is already removed by remove[1]'),
        ('[[remove]]\nid = "E02"\n[[move]]\nid = "E02"\nx = 123.0\ny = 31.0\n',
         'move[1].id: "E02" is already removed by remove[1]'),
        (_ADD + _ADD.replace("123.003", "123.004"), 'add[2].id: "N1" is added by add[1]'),
    ],
)  # fmt: skip
def test_hostile_scenarios_name_the_change_and_the_fix(study, text, needle) -> None:
    """Were: exit 3 (OverflowError) for 1e300 seats, 2.5 seats taken as 2, a point at
    lon 500 "inf km from the nearest street", 'no feature "E02" ...; did you mean "E02"?'
    for an id removed twice."""
    (study.parent / "plan.toml").write_text(text, encoding="utf-8")
    _refused(study, "compare", study, study.parent / "plan.toml", needles=(needle,))


# --------------------------------------------------------------------------- batch
@pytest.fixture()
def city(tmp_path: Path) -> Path:
    from lifecircle.study.demo_city import write_demo_city

    return write_demo_city(tmp_path / "city")


def test_batch_output_folder_that_is_a_file_fails_first(city, monkeypatch) -> None:
    """``-o`` naming a file failed only after every district was computed."""
    import lifecircle.study.batch as batch

    def boom(*args, **kwargs):
        raise AssertionError("the districts ran before the output folder was checked")

    monkeypatch.setattr(batch, "run_batch", boom)
    (city.parent / "out.txt").write_text("x", encoding="utf-8")
    _refused(city, "batch", city, "-o", city.parent / "out.txt",
             needles=("out.txt: is a file; give a folder",))  # fmt: skip


def test_batch_lattice_too_fine_is_named_not_out_of_memory(city) -> None:
    """``cell_m = 0.001`` ran out of memory ("ran out of memory; use smaller inputs")."""
    _edit(city, "cell_m = 500", "cell_m = 0.001")
    needles = ("batch.cell_m: 0.001 m would cut district", "use a larger cell_m")
    _refused(city, "batch", city, "--workers", "1", needles=needles)


# ------------------------------------------------------------------------- networks
def test_a_network_layer_of_points_names_the_file_and_features_from_one(study) -> None:
    """Was ``/abs/path/seats.geojson: 1 problem(s): features 0, 1, 2, 3, 4 and 99 more are
    not lines`` (the full path, and features counted from 0 unlike every layer message)."""
    _edit(study, 'source = "data/network.geojson"', 'source = "data/seats.geojson"')
    message = _refused(study, "network", study, needles=("features 1, 2, 3, 4, 5 and 99 more",))
    assert message.startswith("error: seats.geojson: 1 problem: ")
    assert str(study.parent) not in message


@pytest.mark.parametrize(
    ("services", "needle"),
    [
        ("elderly = []", "services.elderly: the list is empty; give at least one facility type"),
        ('elderly = "life_centre"', 'got "life_centre" (write elderly = ["life_centre"])'),
    ],
)
def test_a_service_without_a_list_of_types_gets_one_clear_problem(study, services, needle):
    """Was ``expected a list of facility types, got an array`` for an empty list, followed
    by ``targets[1].service: unknown service "elderly"; expected one of  (see [services])``."""
    with study.open("a", encoding="utf-8") as handle:
        handle.write(f"\n[services]\n{services}\n")
    message = _refused(study, "validate", study, needles=(needle,))
    assert "study.toml: 1 problem:" in message


def test_an_unclosed_string_says_a_quote_is_missing(study) -> None:
    """Was ``not valid TOML: Illegal character '\\n' (at line 7, column 53)``."""
    _edit(study, 'name = "My subdistrict"', 'name = "My subdistrict')
    _refused(study, "validate", study,
             needles=("not valid TOML: the line ends inside a string (is a closing quote "
                      "missing?) (at line 7",))  # fmt: skip


@pytest.mark.parametrize(
    ("scope", "needle"),
    [
        ("grids = []", "targets[1].grids: the list is empty; give grid ids, or remove grids"),
        ('level = "microgrid"\ngrids = ["A01-1"]', "targets[1].grids: give either grids or level"),
    ],
)
def test_a_target_scope_that_says_nothing_or_two_things_is_refused(study, scope, needle):
    """``grids = []`` silently meant "every micro-grid"; ``grids`` silently beat ``level``."""
    _edit(study, 'level = "microgrid"', scope)
    _refused(study, "validate", study, needles=(needle,))


# ------------------------------------------------------------------ bidi overrides
def test_a_right_to_left_override_in_a_name_cannot_flip_the_figures(study, tmp_path) -> None:
    """A grid named with U+202E displayed the rest of its Markdown line and of the terminal
    table reversed (its share "59.4%" as "%4.95"); Arabic letters themselves stay."""
    import json

    grids = study.parent / "data" / "grids.geojson"
    doc = json.loads(grids.read_text(encoding="utf-8"))
    for feature in doc["features"]:
        props = feature["properties"]
        props["name"] = f"\u202e{props['id']} مقعد\u2066"
    grids.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    summary = tmp_path / "summary.md"
    result = _invoke("check", study, "--markdown", summary)
    assert result.exit_code == 1, result.output
    for text in (summary.read_text(encoding="utf-8"), result.stdout):
        assert not re.search("[\u202a-\u202e\u2066-\u2069]", text)
    assert "\ufffdA11-2 مقعد\ufffd: 59.4%" in summary.read_text(encoding="utf-8")


def test_a_bad_district_population_names_the_districts_file(city) -> None:
    """Was ``grids districts.gpkg (the districts): 1 problem: ...``."""
    import geopandas as gpd

    districts = city.parent / "districts.gpkg"
    gpd.read_file(districts).assign(population=-5).to_file(districts)
    message = _refused(city, "batch", city, "--workers", "1",
                       needles=("error: districts.gpkg (the districts): 1 problem: column "
                                "'population' has out-of-range values",))  # fmt: skip
    assert "grids districts.gpkg" not in message
