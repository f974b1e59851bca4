"""lifecircle batch on a LocalCluster: figures equal the single-district check, outputs,
fault isolation, resume.

The city: :func:`lifecircle.study.demo_city.write_demo_city` at 3,000 street nodes cut into
2 x 2 districts (the last has no grids, so its lattice is generated), plus a fifth
district far out at sea whose task fails (no street within its walking buffer). Elderly
services are spread over the whole city, so residents near a district boundary are served
from the next district (checked below). One batch runs on a LocalCluster of two worker
processes (module fixture); the other tests reuse it.
"""

from __future__ import annotations

import fcntl
import json
import os
import shlex
import shutil
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from lifecircle.errors import CoordinateWarning
from lifecircle.maps.save import external_urls
from lifecircle.study import load_study, run_study
from lifecircle.study.batch import BatchOptions, run_batch
from lifecircle.study.batch_outputs import batch_to_junit
from lifecircle.study.demo_city import write_demo_city

pytestmark = pytest.mark.slow

SEA = "D09"  # the district whose task fails


def add_sea_district(folder: Path) -> None:
    """A fifth district 30 km east of the city: no street within its walking buffer."""
    path = folder / "districts.gpkg"
    districts = gpd.read_file(path)
    box = shapely.affinity.translate(districts.geometry.iloc[0], xoff=0.3)
    sea = gpd.GeoDataFrame({"id": [SEA], "name": ["海上 Sea"], "population": [1000]},
                           geometry=[box], crs=districts.crs)  # fmt: skip
    pd.concat([districts, sea], ignore_index=True).to_file(path, driver="GPKG")


def make_city(folder: Path) -> Path:
    study = write_demo_city(folder, n_nodes=3_000, columns=2, rows=2, seed=11)
    add_sea_district(folder)
    return study


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    """The city and its batch, computed once per test session: under pytest-xdist the
    first worker runs it, the others resume it from its result files (a lock file in the
    session's shared folder orders them)."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = shared / "batch-city"
    with open(shared / "batch-city.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not (folder / "city" / "city.toml").is_file():
                make_city(folder / "city")
            study = load_study(folder / "city" / "city.toml")
            run = run_batch(study, options=BatchOptions(output_dir=folder / "out", workers=2))
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return folder, run


def district_study(folder: Path, run, ident: str) -> Path:
    """The single-district study of ``ident``: its grids and polygon, the city's files."""
    city = folder / "city"
    job = next(j for j in run.inputs.jobs if j.id == ident)
    one = folder / f"one-{ident}"
    one.mkdir(exist_ok=True)
    grids = job.layers.grids.drop(columns=[c for c in job.layers.grids if c == "district"])
    grids.to_file(one / "grids.gpkg", driver="GPKG")
    gpd.GeoDataFrame({"id": [ident]}, geometry=[job.polygon], crs=4326).to_file(
        one / "boundary.gpkg", driver="GPKG"
    )
    text = (city / "city.toml").read_text(encoding="utf-8")
    head, targets = text.split("[batch]", 1)[0], text[text.index("[[targets]]") :]
    targets = targets.split("[outputs]", 1)[0]
    head = head.replace('grids = "grids.gpkg"', f'grids = "{one / "grids.gpkg"}"')
    for name in ("seats", "elderly", "heritage", "city-network"):
        head = head.replace(f'"{name}.gpkg"', f'"{city / name}.gpkg"')
    head = head.replace(
        "synthetic = true", f'synthetic = true\nboundary = "{one / "boundary.gpkg"}"'
    )
    cache = f'[cache]\ndir = "{city / ".lifecircle-cache"}"\n'
    path = one / "study.toml"
    path.write_text(head + targets + cache, encoding="utf-8")
    return path


def test_every_district_equals_its_single_district_check(city) -> None:
    folder, run = city
    assert {*run.computed, *run.skipped} == {"D01", "D02", "D03", "D04", SEA}
    assert SEA in run.computed  # a failed district is never taken as done
    assert [j.lattice for j in run.inputs.jobs] == [False, False, False, True, True]
    for job in run.inputs.jobs:
        if job.id == SEA:
            continue
        with warnings.catch_warnings():  # city-wide layers lie beyond one district's grids
            warnings.simplefilter("ignore", CoordinateWarning)
            single = run_study(load_study(district_study(folder, run, job.id)))
        result = run.results[job.id]
        assert result["status"] == "ok", result["message"]
        for outcome in single.report.outcomes:
            table = single.tables[outcome.target.id]
            batch = dict(zip(result["grids"]["id"], result["grids"][outcome.target.id],
                             strict=True))  # fmt: skip
            values = [np.nan if batch[str(i)] is None else batch[str(i)] for i in table["id"]]
            np.testing.assert_array_equal(table["value"].to_numpy(dtype=float), values)
            mine = next(t for t in result["targets"] if t["id"] == outcome.target.id)
            assert mine["passed"] == outcome.passed
            assert mine["achieved"] == pytest.approx(outcome.achieved, abs=0)


def test_facilities_across_the_boundary_serve_a_district(city) -> None:
    """Each district's task holds elderly services outside its polygon (within its walking
    buffer), and they matter: without them a district's coverage is lower."""
    from lifecircle.coverage.network.extent import clip_network
    from lifecircle.study.run import evaluate_study, study_buffer_m

    _, run = city
    job = next(j for j in run.inputs.jobs if j.id == "D01")
    elderly = job.layers.elderly
    outside = ~elderly.geometry.within(job.polygon)
    assert outside.sum() >= 3
    network = load_network_of(run)
    clipped = clip_network(network, job.polygon, buffer_m=study_buffer_m(run.study))
    import dataclasses

    inside_only = dataclasses.replace(job.layers, elderly=elderly[~outside].reset_index(drop=True))
    study = dataclasses.replace(run.study, batch=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        poorer = evaluate_study(study, inside_only, clipped)
    ours = {t["id"]: t["achieved"] for t in run.results["D01"]["targets"]}
    assert poorer.report.outcomes[0].achieved < ours["T1"]


def load_network_of(run):
    from lifecircle.study.run import load_study_network

    return load_study_network(run.study, clip=False)


def test_a_bad_district_is_reported_and_the_others_complete(city) -> None:
    _, run = city
    assert list(run.failed) == [SEA]
    assert "none of the" in run.failed[SEA] and "streets" in run.failed[SEA]
    assert all(run.results[i]["status"] == "ok" for i in ("D01", "D02", "D03", "D04"))
    junit = ET.fromstring(batch_to_junit(run, lang="en"))
    suites = {s.get("name").split()[0]: s for s in junit.iter("testsuite")}
    assert list(suites) == ["D01", "D02", "D03", "D04", SEA]
    assert suites[SEA].find("testcase/error") is not None
    assert junit.get("errors") == "1"
    assert int(junit.get("tests")) == 4 * 2 + 1
    failures = sum(not t["passed"] for i in suites if i != SEA for t in run.results[i]["targets"])
    assert int(junit.get("failures")) == failures


def test_city_outputs(city) -> None:
    folder, run = city
    out = folder / "out"
    districts = gpd.read_file(out / "city.gpkg", layer="districts")
    grids = gpd.read_file(out / "city.gpkg", layer="grids")
    assert list(districts["id"]) == ["D01", "D02", "D03", "D04", SEA]
    assert set(grids["district"]) == {"D01", "D02", "D03", "D04", SEA}
    for job in run.inputs.jobs:
        if job.id != SEA:
            mine = grids[grids["district"] == job.id].set_index("id")["T1"]
            stored = dict(zip(run.results[job.id]["grids"]["id"],
                              run.results[job.id]["grids"]["T1"], strict=True))  # fmt: skip
            assert np.allclose(mine.to_numpy(), [np.nan if stored[i] is None else stored[i]
                                                 for i in mine.index], equal_nan=True)  # fmt: skip
    table = pd.read_csv(out / "ranking.csv", encoding="utf-8-sig")
    assert len(table) == 5 and pd.isna(table.iloc[-1, 0]) and table.iloc[-1, 1] == SEA
    met = [int(str(m).split("/")[0]) for m in table.iloc[:-1, 3]]
    assert met == sorted(met, reverse=True)
    assert (out / "ranking.xlsx").stat().st_size > 0
    markdown = (out / "ranking.md").read_text(encoding="utf-8")
    assert "合成城市 Synthetic City" in markdown and SEA in markdown
    page = (out / "city-map-zh.html").read_text(encoding="utf-8")
    assert external_urls(page) == []
    assert "<title>各街镇目标达成情况</title>" in page
    assert json.dumps("无法计算：1 个街镇")[1:-1] in page  # the legend, inside a script
    assert not list(out.rglob("*.tmp*"))
    assert str(folder) not in page + markdown


def test_rerun_skips_unchanged_districts_and_redoes_a_changed_one(city, tmp_path) -> None:
    folder, run = city
    city_dir, out = tmp_path / "city", tmp_path / "out"
    shutil.copytree(folder / "city", city_dir)
    shutil.copytree(folder / "out", out)
    grids = gpd.read_file(city_dir / "grids.gpkg")
    first = grids.index[(grids["district"] == "D02") & (grids["level"] == "microgrid")][0]
    grids.loc[first, "population"] += 500
    grids.to_file(city_dir / "grids.gpkg", driver="GPKG")
    again = run_batch(load_study(city_dir / "city.toml"),
                      options=BatchOptions(output_dir=out, workers=1))  # fmt: skip
    assert again.computed == ("D02", SEA)  # the failed one is tried again
    assert set(again.skipped) == {"D01", "D03", "D04"}
    for ident in again.skipped:
        assert again.results[ident]["grids"] == run.results[ident]["grids"]
    assert again.results["D02"]["grids"] != run.results["D02"]["grids"]


def readme_batch_command() -> list[str]:
    """The README's ``lifecircle batch --demo-city`` line (section "A whole city")."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## A whole city on a cluster", 1)[1].split("\n## ", 1)[0]
    block = section.split("```text\n", 1)[1].split("```", 1)[0]
    line = next(x for x in block.splitlines() if x.startswith("lifecircle batch --demo-city"))
    return shlex.split(line.split("#", 1)[0])


def test_demo_city_from_the_readme_command(tmp_path) -> None:
    """The README's ``lifecircle batch --demo-city`` line, offline, twice: the second run
    skips every district."""
    import subprocess
    import sys

    command = readme_batch_command()
    assert command == ["lifecircle", "batch", "--demo-city", "-o", "city-out", "--junit",
                       "city-out/junit.xml"]  # fmt: skip
    command[0] = str(Path(sys.executable).parent / "lifecircle")
    env = {**os.environ, "CI": "true"}
    first = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True,
                           timeout=600, check=False)  # fmt: skip
    assert first.returncode == 1, first.stdout + first.stderr  # some targets are missed
    assert "6 districts: 6 computed" in first.stdout
    assert "Traceback" not in first.stderr and "INFO" not in first.stderr
    out = tmp_path / "city-out"
    assert len(list((out / "districts").glob("*.json"))) == 6
    junit = ET.parse(out / "junit.xml").getroot()
    assert len(list(junit.iter("testsuite"))) == 6
    assert {p.name for p in out.iterdir()} >= {"city.gpkg", "ranking.xlsx", "ranking.csv",
                                                "ranking.md", "city-map-zh.html"}  # fmt: skip
    second = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=600, check=False)  # fmt: skip
    assert "6 districts: 0 computed, 6 unchanged" in second.stdout, second.stdout
    assert json.loads((out / "batch-run.json").read_text())["skipped"] == [
        f"D0{i}" for i in range(1, 7)
    ]


def test_reports_on_request_with_the_network_scattered(tmp_path) -> None:
    """``reports``: one committee report per district, linked from the overview map; the
    network sent once to each worker (``network_to_workers = "scatter"``) instead of read
    from the cache."""
    study = load_study(write_demo_city(tmp_path / "city", n_nodes=1_200, columns=2, rows=1))
    out = tmp_path / "out"
    options = BatchOptions(
        output_dir=out, workers=1, reports=True, network_to_workers="scatter", lang="en"
    )
    run = run_batch(study, options=options)
    assert run.failed == {}
    for ident in ("D01", "D02"):
        page = (out / "reports" / f"{ident}-en.html").read_text(encoding="utf-8")
        assert "合成街道" in page and str(tmp_path) not in page
    overview = (out / "city-map-en.html").read_text(encoding="utf-8")
    assert 'href=\\"reports/D01-en.html\\"' in overview
    assert "Open the district" in overview
