"""The command line: help, exit codes 0/1/2, check outputs, init, validate, network, map."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from lifecircle import _cli_support
from lifecircle.cli import app
from lifecircle.data import demo_path
from lifecircle.study import demo_study_path, load_study

runner = CliRunner()
COMMANDS = ("demo", "check", "map", "report", "suggest", "network", "validate", "init", "compare")
SCRIPT = Path(sys.executable).with_name("lifecircle")


def _demo_study_text(data_dir: Path | None = None) -> str:
    """The shipped demo study, with its layer paths pointing at ``data_dir`` (absolute)."""
    folder = data_dir or demo_path("grids.geojson").parent
    text = demo_study_path().read_text(encoding="utf-8")
    return text.replace('"demo/', f'"{folder.as_posix()}/')


def _coverage_only(text: str) -> str:
    """Drop the seat targets (the slow part of a check) from a study text."""
    head, *blocks = text.split("[[targets]]")
    tail = blocks[-1][blocks[-1].index("[outputs]") :]
    kept = [b.split("[outputs]")[0] for b in blocks if 'metric = "coverage"' in b]
    return "[[targets]]".join([head, *kept]) + tail


def _write_study(folder: Path, extra: str = "", *, data_dir: Path | None = None) -> Path:
    """A coverage-only copy of the demo study (plus ``extra`` TOML) in ``folder``."""
    path = folder / "study.toml"
    path.write_text(_coverage_only(_demo_study_text(data_dir)) + extra, encoding="utf-8")
    return path


def _invoke(*args: str | Path):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def demo_check(tmp_path_factory: pytest.TempPathFactory):
    """One `check` run of the shipped demo study with every output requested."""
    out = tmp_path_factory.mktemp("check")
    result = _invoke(
        "check", demo_study_path(), "--junit", out / "j.xml", "--json", out / "r.json",
        "--markdown", out / "s.md", "--xlsx", out / "t.xlsx", "--lang", "en",
    )  # fmt: skip
    return result, out


@pytest.mark.slow
def test_check_xlsx_has_a_target_sheet_and_every_grid(demo_check) -> None:
    result, out = demo_check
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out / "t.xlsx")
    targets, grids = book["Targets"], book["Grids"]
    study = load_study(demo_study_path())
    assert targets.max_row == 1 + len(study.targets)
    assert [c.value for c in targets[1]][:3] == ["Target", "Description", "Metric"]
    report = json.loads((out / "r.json").read_text(encoding="utf-8"))
    assert grids.max_row == 1 + sum(len(t["grids"]) for t in report["targets"])
    first = report["targets"][0]
    row = [c.value for c in targets[2]]
    assert row[0] == first["id"] and row[4] == round(100 * first["minimum"], 1)
    assert row[6] == first["grids_evaluated"] - first["grids_failed"]


@pytest.mark.slow
def test_suggest_xlsx_in_chinese_with_gcj02(tmp_path: Path) -> None:
    out = tmp_path / "座椅.xlsx"
    result = _invoke("suggest", _write_study(tmp_path), "-k", "2", "-o", out, "--gcj02")
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(out).active
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["排序", "最近街道", "经度（WGS-84）", "纬度（WGS-84）"]
    assert header[4:6] == ["经度（GCJ-02 高德）", "纬度（GCJ-02 高德）"]
    lon, lat, glon, glat = (sheet.cell(2, c).value for c in (3, 4, 5, 6))
    assert round(lon, 6) == lon and 0.001 < abs(glon - lon) + abs(glat - lat) < 0.02
    residents = sheet.cell(2, 7).value
    assert isinstance(residents, int)  # whole residents


@pytest.mark.slow
def test_suggest_geojson_layer_is_named_after_the_file(tmp_path: Path) -> None:
    out = tmp_path / "new-seats.geojson"
    result = _invoke("suggest", _write_study(tmp_path), "-k", "2", "-o", out)
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["name"] == "new-seats"  # not the staging file's temporary name
    assert len(data["features"]) == 2


# ----------------------------------------------------------------------------- help
@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command: str) -> None:
    result = _invoke(command, "--help")
    assert result.exit_code == 0, result.output
    assert "Example" in result.output
    assert f"lifecircle {command}" in result.output


def test_root_help_lists_commands_and_version() -> None:
    result = _invoke("--help")
    assert result.exit_code == 0
    for command in COMMANDS:
        assert command in result.output
    version = _invoke("--version")
    assert version.exit_code == 0 and version.output.startswith("lifecircle ")


@pytest.mark.slow
def test_console_script_runs_as_a_real_process(tmp_path: Path) -> None:
    """The installed script: help, a CI-style check (no progress-bar noise), a user error."""
    proc = subprocess.run([SCRIPT, "check", "--help"], capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "--junit" in proc.stdout
    env = {**os.environ, "CI": "true"}
    run = subprocess.run([SCRIPT, "check", _write_study(tmp_path), "--lang", "en"],
                         capture_output=True, text=True, env=env, timeout=300,
                         check=False)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "targets met." in run.stdout
    assert "\r" not in run.stderr and "it/s" not in run.stderr
    bad = subprocess.run([SCRIPT, "check", "nope.toml"], capture_output=True, text=True,
                         timeout=120, check=False)  # fmt: skip
    assert bad.returncode == 2
    assert "nope.toml: study file not found" in bad.stderr
    assert "Traceback" not in bad.stderr


# ----------------------------------------------------------------------------- check
def test_check_demo_study_passes_and_writes_outputs(demo_check) -> None:
    result, out = demo_check
    assert result.exit_code == 0, result.output
    n = len(load_study(demo_study_path()).targets)
    assert f"All {n} targets met." in result.output
    root = ET.parse(out / "j.xml").getroot()
    assert root.get("failures") == "0"
    assert len(root.findall("testsuite")) == len(load_study(demo_study_path()).targets)
    doc = json.loads((out / "r.json").read_text(encoding="utf-8"))
    assert doc["passed"] is True and doc["synthetic"] is True
    assert all(t["achieved"] >= t["minimum"] for t in doc["targets"])
    assert (out / "s.md").read_text(encoding="utf-8").startswith("## ✅")


@pytest.mark.slow
def test_check_exits_1_with_junit_failures_for_an_unmet_target(tmp_path: Path) -> None:
    """A target set just above the worst micro-grid fails exactly for the grids below it."""
    from lifecircle.study.run import compute_study_coverage, load_study_layers, load_study_network

    base = load_study(_write_study(tmp_path))
    layers = load_study_layers(base)
    result = compute_study_coverage(base, layers, load_study_network(base), isochrones=False)
    micro = result.grids[result.grids["level"] == "microgrid"]
    shares = micro.set_index("id")["share_elderly"]
    minimum = round(float(shares.min()) + 0.005, 4)
    assert minimum <= 1.0
    extra = (f'\n[[targets]]\nname = "strict"\nlevel = "microgrid"\nservice = "elderly"\n'
             f'profile = "elderly"\nminimum = {minimum}\n')  # fmt: skip
    study = _write_study(tmp_path, extra)
    run = _invoke("check", study, "--junit", tmp_path / "j.xml", "--lang", "zh")
    assert run.exit_code == 1, run.output
    n = len(load_study(study).targets)
    assert "未达标" in run.output and f"{n} 项目标中有 1 项未达标" in run.output
    root = ET.parse(tmp_path / "j.xml").getroot()
    failed = {c.get("name").split()[0] for c in root.iter("testcase")
              if c.find("failure") is not None}  # fmt: skip
    assert failed == set(shares[shares < minimum].index)
    assert failed


# ----------------------------------------------------------------------------- exit code 2
@pytest.mark.parametrize("command", ["check", "validate", "network", "map", "report", "suggest"])
def test_missing_study_file_exits_2_without_traceback(command: str, tmp_path: Path) -> None:
    result = _invoke(command, tmp_path / "missing.toml")
    assert result.exit_code == 2
    assert "missing.toml: study file not found" in result.output
    assert "Traceback" not in result.output


def test_config_errors_exit_2_with_did_you_mean(tmp_path: Path) -> None:
    study = _write_study(tmp_path, "\n[[targets]]\nminimun = 0.9\nlevel = 'microgrids'\n")
    result = _invoke("check", study)
    assert result.exit_code == 2
    assert "study.toml: 3 problems:" in result.output
    n = sum(t.metric == "coverage" for t in load_study(demo_study_path()).targets) + 1
    assert f'targets[{n}].minimun: unknown key; did you mean "minimum"?' in result.output
    assert 'did you mean "microgrid"?' in result.output


def test_missing_layer_file_exits_2_naming_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(demo_path("grids.geojson").parent, data)
    (data / "seats.geojson").unlink()
    result = _invoke("validate", _write_study(tmp_path, data_dir=data))
    assert result.exit_code == 2
    assert "layers.seats: file not found" in result.output and "seats.geojson" in result.output


def test_bad_layer_content_exits_2_with_the_layer_error(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(demo_path("grids.geojson").parent, data)
    (data / "elderly.geojson").write_text("not json at all", encoding="utf-8")
    result = _invoke("check", _write_study(tmp_path, data_dir=data))
    assert result.exit_code == 2
    assert "elderly.geojson" in result.output and "Traceback" not in result.output


def test_unknown_option_is_a_usage_error() -> None:
    result = _invoke("check", demo_study_path(), "--junitt", "x.xml")
    assert result.exit_code == 2


def test_unwritable_output_exits_2(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    result = _invoke("check", demo_study_path(), "--json", blocker / "sub" / "r.json")
    assert result.exit_code == 2 and "error:" in result.output


# ----------------------------------------------------------------------------- init / validate
def test_init_writes_template_and_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "study.toml"
    assert _invoke("init", path).exit_code == 0
    first = path.read_text(encoding="utf-8")
    assert first.startswith("# lifecircle study")
    again = _invoke("init", path)
    assert again.exit_code == 2 and "--force" in again.output
    assert _invoke("init", path, "--force").exit_code == 0
    # Without data the template names every file it expects.
    result = _invoke("validate", path)
    assert result.exit_code == 2
    for name in ("grids", "seats", "elderly", "heritage"):
        assert f'layers.{name}: file not found: "data/{name}.geojson"' in result.output


@pytest.mark.slow
def test_init_with_demo_data_validates(tmp_path: Path) -> None:
    path = tmp_path / "proj" / "study.toml"
    path.parent.mkdir()
    assert _invoke("init", path, "--demo-data").exit_code == 0
    assert (path.parent / "data" / "network.geojson").is_file()
    study = load_study(path)
    assert [t.metric for t in study.targets] == ["coverage", "seat_reach", "rest_gap"]
    result = _invoke("validate", path)
    assert result.exit_code == 0, result.output
    assert "study.toml: OK" in result.output and "T3" in result.output


# ----------------------------------------------------------------------------- network / map
@pytest.mark.slow
def test_network_command_builds_then_reuses_cache(tmp_path: Path) -> None:
    study = _write_study(tmp_path)
    text = study.read_text(encoding="utf-8").replace("enabled = false", 'dir = "cache"')
    study.write_text(text, encoding="utf-8")
    first = _invoke("network", study)
    assert first.exit_code == 0, first.output
    assert first.output.startswith("walking network: ") and "WalkNetwork" not in first.output
    cached = sorted(p.name for p in (tmp_path / "cache").rglob("*") if p.is_file())
    assert cached
    second = _invoke("network", study)
    assert second.output == first.output
    refreshed = _invoke("network", study, "--refresh")
    assert refreshed.exit_code == 0 and refreshed.output == first.output


@pytest.mark.slow
def test_map_writes_offline_html(tmp_path: Path) -> None:
    out = tmp_path / "m.html"
    result = _invoke("map", _write_study(tmp_path), "-o", out, "--lang", "en")
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "<html" in page.lower() and "leaflet" in page.lower()
    bad = _invoke("map", _write_study(tmp_path), "-o", out, "--service", "spa")
    assert bad.exit_code == 2 and "--service 'spa'" in bad.output


@pytest.mark.slow
def test_report_and_suggest(tmp_path: Path) -> None:
    study = _write_study(tmp_path)
    sites = tmp_path / "new-seats.csv"
    result = _invoke("suggest", study, "--seats", "3", "-o", sites, "--lang", "en")
    assert result.exit_code == 0, result.output
    assert "3 new seat sites chosen from" in result.output
    assert "SeatSuggestions" not in result.output  # no Python repr for planners
    assert sites.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel reads it as UTF-8
    frame = pd.read_csv(sites, encoding="utf-8-sig")
    assert list(frame["Rank"]) == [1, 2, 3]
    assert {"Longitude (WGS-84)", "Latitude (WGS-84)", "Nearest street"} <= set(frame.columns)
    assert frame["Nearest street"].str.contains("Demo").all()
    page = tmp_path / "report.html"
    result = _invoke("report", study, "-o", page, "--lang", "en", "--seats", "2")
    assert result.exit_code == 0, result.output
    assert page.stat().st_size > 0
    assert "<html" in page.read_text(encoding="utf-8").lower()
    workbook = openpyxl.load_workbook(tmp_path / "report.xlsx")  # written beside the HTML
    assert workbook.sheetnames == ["Grid coverage", "Suggested seats"]
    assert workbook["Suggested seats"].max_row == 3  # header + 2 sites


@pytest.mark.slow
def test_warnings_are_one_line_messages_and_silenced_by_quiet(tmp_path: Path) -> None:
    """Seats shifted ~11 km east (a wrong CRS) warn with the layer name, without a traceback."""
    data = tmp_path / "data"
    shutil.copytree(demo_path("grids.geojson").parent, data)
    seats = gpd.read_file(data / "seats.geojson")
    seats.geometry = seats.geometry.translate(xoff=0.11)
    seats.to_file(data / "seats.geojson", driver="GeoJSON")
    study = _write_study(tmp_path, data_dir=data)
    proc = subprocess.run([SCRIPT, "validate", study], capture_output=True, text=True,
                          timeout=300, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    lines = [x for x in proc.stderr.splitlines() if x.strip()]
    assert lines and all(x.startswith("warning: ") for x in lines), proc.stderr
    assert "seats" in proc.stderr
    quiet = subprocess.run([SCRIPT, "-q", "validate", study], capture_output=True, text=True,
                           timeout=300, check=False)  # fmt: skip
    assert quiet.returncode == 0 and quiet.stderr == ""


# ----------------------------------------------------------------------------- progress
@pytest.mark.parametrize(("tty", "ci", "quiet", "expected"), [
    (True, None, False, True), (True, "true", False, False), (False, None, False, False),
    (True, None, True, False),
])  # fmt: skip
def test_progress_only_on_an_interactive_terminal(monkeypatch, tty, ci, quiet, expected) -> None:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: tty, raising=False)
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    monkeypatch.setitem(_cli_support.STATE, "quiet", quiet)
    assert _cli_support.progress_wanted() is expected


def test_steps_name_each_long_step_in_plain_words(capsys) -> None:
    """What a person at a terminal sees while report/suggest work (issue 9 §7)."""
    steps = _cli_support.Steps(2, enabled=True)
    steps.next("reading the layers")
    steps.next("walking network")
    steps.close()
    err = capsys.readouterr().err
    assert "reading the layers… (0/2 steps done)" in err
    assert "walking network… (1/2 steps done)" in err
    with _cli_support.steps(2) as quiet:  # not a terminal here: nothing shown
        quiet.next("reading the layers")
    assert capsys.readouterr().err == ""


@pytest.mark.slow
def test_report_uses_the_tianditu_key_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The key checked before the analysis is the one the report's map loads tiles with."""
    monkeypatch.setenv("LIFECIRCLE_TIANDITU_KEY", "abc123key")
    out = tmp_path / "r.html"
    result = _invoke("report", _write_study(tmp_path), "-o", out, "--lang", "en")
    assert result.exit_code == 0, result.output
    assert "abc123key" not in out.read_text(encoding="utf-8")  # no basemap asked for
    study = _write_study(tmp_path)
    text = study.read_text(encoding="utf-8").replace("[outputs]", "[outputs]\nbasemap = 'tianditu'")
    study.write_text(text, encoding="utf-8")
    result = _invoke("report", study, "-o", out, "--lang", "en")
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "tianditu.gov.cn" in page and "abc123key" in page
