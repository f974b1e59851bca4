"""`lifecircle check` reliability: fresh results after edits, parallel runs on one cache."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pytest
from typer.testing import CliRunner

from lifecircle._cli_support import describe_network
from lifecircle.cli import app
from lifecircle.data import demo_path
from lifecircle.study import demo_study_path, load_study
from lifecircle.study.run import compute_study_coverage, load_study_layers, load_study_network

#: Each test runs ``lifecircle check`` on a copy of the demo (twice, or in two processes).
pytestmark = pytest.mark.slow

SCRIPT = Path(sys.executable).with_name("lifecircle")
runner = CliRunner()


def _coverage_only(text: str) -> str:
    """Drop the seat targets (the slow part of a check) from a study text."""
    head, *blocks = text.split("[[targets]]")
    tail = blocks[-1][blocks[-1].index("[outputs]") :]
    kept = [b.split("[outputs]")[0] for b in blocks if 'metric = "coverage"' in b]
    return "[[targets]]".join([head, *kept]) + tail


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A study folder with its own copy of the demo data and a network cache in ``cache/``."""
    shutil.copytree(demo_path("grids.geojson").parent, tmp_path / "demo")
    text = demo_study_path().read_text(encoding="utf-8").replace("enabled = false", 'dir = "cache"')
    text = _coverage_only(text)
    (tmp_path / "study.toml").write_text(text, encoding="utf-8")
    return tmp_path


def _check_json(project: Path, name: str) -> dict:
    out = project / name
    result = runner.invoke(app, ["check", str(project / "study.toml"), "--json", str(out)])
    assert result.exit_code in (0, 1), result.output
    return json.loads(out.read_text(encoding="utf-8"))


def _achieved(doc: dict) -> dict[str, float]:
    return {t["id"]: t["achieved"] for t in doc["targets"]}


def test_edited_layer_files_give_fresh_results(project: Path) -> None:
    before = _check_json(project, "before.json")
    elderly_path = project / "demo" / "elderly.geojson"
    elderly = gpd.read_file(elderly_path)
    keep = elderly[elderly["type"].isin(["bathing", "care_home"])]  # drop most services
    assert len(keep) < len(elderly)
    keep.to_file(elderly_path, driver="GeoJSON")
    after = _check_json(project, "after.json")
    assert _achieved(after) != _achieved(before)
    # The CLI agrees with the library run directly on the edited files.
    study = load_study(project / "study.toml")
    layers = load_study_layers(study)
    result = compute_study_coverage(study, layers, load_study_network(study), isochrones=False)
    subdistrict = result.grids.set_index("id").loc["S", "share_elderly"]
    assert after["targets"][0]["achieved"] == round(float(subdistrict), 6)


def test_edited_network_file_is_rebuilt_not_served_from_cache(project: Path) -> None:
    study = project / "study.toml"
    first = runner.invoke(app, ["network", str(study)])
    assert first.exit_code == 0
    net_path = project / "demo" / "network.geojson"
    lines = gpd.read_file(net_path)
    lines.iloc[: len(lines) // 2].to_file(net_path, driver="GeoJSON")
    second = runner.invoke(app, ["network", str(study)])
    assert second.exit_code == 0
    assert second.output != first.output
    rebuilt = load_study_network(load_study(study))  # the edited file, clipped as the CLI does
    assert second.output.splitlines()[0] == describe_network(rebuilt)


def test_two_parallel_checks_share_a_cache_without_corrupting_it(project: Path) -> None:
    study = str(project / "study.toml")
    procs = [
        subprocess.Popen([SCRIPT, "-q", "check", study, "--json", str(project / f"p{i}.json"),
                          "--junit", str(project / f"p{i}.xml")],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for i in (1, 2)
    ]  # fmt: skip
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, out + err
    assert (project / "p1.json").read_bytes() == (project / "p2.json").read_bytes()
    assert (project / "p1.xml").read_bytes() == (project / "p2.xml").read_bytes()
    assert not [p for p in (project / "cache").rglob("*") if ".tmp" in p.name]
    # The cache left behind is sound: a third run loads it and agrees.
    third = runner.invoke(app, ["check", study, "--json", str(project / "p3.json")])
    assert third.exit_code == 0, third.output
    assert (project / "p3.json").read_bytes() == (project / "p1.json").read_bytes()
