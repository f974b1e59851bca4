"""The batch study's configuration and inputs: every problem at once, before any task runs.

No Dask cluster here (see test_batch.py and test_batch_cluster.py): the study file's
[batch] table, the districts and grids layers, the lattice of a district without grids,
file names, the options object, and the overview map's escaping.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from lifecircle.errors import ConfigError, ParameterError
from lifecircle.study import load_study, study_from_text
from lifecircle.study.batch import BatchOptions
from lifecircle.study.batch_inputs import lattice_grids, read_city
from lifecircle.study.batch_run import district_file_stem
from lifecircle.study.demo_city import write_demo_city

LIFECIRCLE = Path(sys.executable).parent / "lifecircle"


@pytest.fixture(scope="module")
def small_city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo city of 1,200 street nodes in 2 x 1 districts (the second without grids)."""
    return write_demo_city(tmp_path_factory.mktemp("small"), n_nodes=1_200, columns=2, rows=1)


def batch_text(**batch: str) -> str:
    keys = "\n".join(f"{k} = {v}" for k, v in batch.items())
    return f"""
[layers]
seats = "seats.gpkg"
elderly = "elderly.gpkg"
heritage = "heritage.gpkg"
[network]
source = "city-network.gpkg"
[batch]
{keys}
[[targets]]
metric = "coverage"
service = "elderly"
minimum = 0.9
level = "subdistrict"
"""


def test_every_batch_problem_at_once_with_the_fix(small_city: Path) -> None:
    text = batch_text(
        districs='"districts.gpkg"',
        scheduler='"localhost:8786"',
        workers="0",
        network_to_workers='"scater"',
        cell_m='"500 m"',
    )
    with pytest.raises(ConfigError) as info:
        study_from_text(text, small_city)
    message = str(info.value)
    assert message.startswith("city.toml: 6 problems:")
    assert 'batch.districs: unknown key; did you mean "districts"?' in message
    assert 'batch.districts: missing: name the districts file, e.g. "districts.gpkg"' in message
    assert 'batch.scheduler: expected a Dask scheduler address such as "tcp://' in message
    assert "batch.workers: expected a whole number >= 1, got 0" in message
    assert 'batch.network_to_workers: expected one of cache, scatter, got "scater"; did you ' \
           'mean "scatter"?' in message  # fmt: skip
    assert "batch.cell_m: expected" in message


def test_a_batch_study_needs_no_grids_layer_but_a_study_does(small_city: Path) -> None:
    study = study_from_text(batch_text(districts='"districts.gpkg"'), small_city)
    assert study.batch is not None and "grids" not in study.layers
    assert study.batch.district_column == "district" and study.batch.cell_m == 500
    text = batch_text(districts='"districts.gpkg"').replace("[batch]\ndistricts", "#")
    with pytest.raises(ConfigError, match=r"layers\.grids: missing: this layer is required"):
        study_from_text(text, small_city)


@pytest.mark.slow
def test_check_on_a_batch_study_says_to_run_batch(small_city: Path, tmp_path: Path) -> None:
    path = small_city.parent / "no-grids.toml"
    path.write_text(batch_text(districts='"districts.gpkg"'), encoding="utf-8")
    proc = subprocess.run([str(LIFECIRCLE), "check", str(path)], capture_output=True,
                          text=True, timeout=300, check=False)  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert "run `lifecircle batch no-grids.toml`" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_batch_command_line_errors_exit_2(small_city: Path) -> None:
    bad = small_city.parent / "bad.toml"
    bad.write_text(batch_text(districts='"districts.gpkg"', workers="-1"), encoding="utf-8")
    for args, expected in (
        ([], "give a study file or --demo-city"),
        ([str(bad)], "batch.workers: expected a whole number >= 1, got -1"),
        ([str(small_city), "--scheduler", "tcp://127.0.0.1:9"], "cannot reach the Dask scheduler"),
    ):
        proc = subprocess.run([str(LIFECIRCLE), "batch", *args], capture_output=True,
                              text=True, timeout=300, check=False)  # fmt: skip
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert expected in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stderr
    assert not (small_city.parent / "out").exists()  # nothing written


def rewrite(path: Path, frame: gpd.GeoDataFrame) -> None:
    path.unlink()
    frame.to_file(path, driver="GPKG")


def test_districts_and_grids_problems_name_file_feature_and_fix(
    small_city: Path, tmp_path: Path
) -> None:
    import shutil

    city = tmp_path / "city"
    shutil.copytree(small_city.parent, city, ignore=shutil.ignore_patterns(".lifecircle-cache"))
    study = load_study(city / "city.toml")
    from lifecircle.study.run import load_study_network

    network = load_study_network(study, clip=False)
    districts = gpd.read_file(city / "districts.gpkg")
    rewrite(city / "districts.gpkg", districts.rename(columns={"name": "label"}))
    with pytest.raises(ConfigError) as info:
        read_city(study, network)
    assert str(info.value).startswith("batch.districts: districts.gpkg: 1 problem: missing "
                                      "required column 'name'")  # fmt: skip
    assert "[batch.districts]" in str(info.value)
    rewrite(city / "districts.gpkg", districts)

    grids = gpd.read_file(city / "grids.gpkg")
    rewrite(city / "grids.gpkg", grids.rename(columns={"district": "town"}))
    with pytest.raises(
        ConfigError,
        match="no column 'district' naming each grid's district "
        r".*set district_column = \"<column>\" under \[batch\]",
    ):
        read_city(study, network)
    stray = grids.copy()
    stray.loc[3, "district"] = "D77"
    rewrite(city / "grids.gpkg", stray)
    with pytest.raises(
        ConfigError,
        match=r"names no district of districts.gpkg in 1 grid\(s\): "
        r"D77 \(feature 4\)",
    ):
        read_city(study, network)
    orphan = grids.copy()
    orphan.loc[5, "parent_id"] = "nowhere"
    rewrite(city / "grids.gpkg", orphan)
    with pytest.raises(ConfigError, match=r"(?s)grids of 1 district.* district D01: .*nowhere"):
        read_city(study, network)


def test_lattice_of_a_district_without_grids() -> None:
    box = shapely.box(121.0, 31.0, 121.023, 31.018)  # about 2.2 x 2 km
    district = pd.Series({"id": "T9", "name": "镇 <b>", "population": 10_001,
                          "geometry": box})  # fmt: skip
    grids = lattice_grids(district, cell_m=500, crs_m="EPSG:32651")
    root, cells = grids.iloc[0], grids.iloc[1:]
    assert (root["id"], root["level"], root["name"]) == ("T9", "subdistrict", "镇 <b>")
    assert set(cells["parent_id"]) == {"T9"} and set(cells["level"]) == {"microgrid"}
    assert cells["population"].sum() == root["population"] == 10_001
    assert np.all(cells["population"] == np.round(cells["population"]))  # whole residents
    cover = shapely.union_all(cells.geometry.to_numpy())
    assert cover.symmetric_difference(box).area < 1e-3 * box.area  # only slivers dropped
    no_people = lattice_grids(district.drop("population"), cell_m=500, crs_m="EPSG:32651")
    assert no_people["population"].sum() == 0


def test_file_names_of_districts_are_safe_and_distinct() -> None:
    assert district_file_stem("D01") == "D01"
    odd = [district_file_stem(i) for i in ("静安寺", "a/b", "a_b", "../x", "a b")]
    assert len(set(odd)) == len(odd)
    assert all("/" not in s and ".." not in s and " " not in s for s in odd)


def test_batch_options_are_checked_once() -> None:
    with pytest.raises(ParameterError, match="scheduler: expected a Dask scheduler address"):
        BatchOptions(scheduler="8786")
    with pytest.raises(ParameterError, match="workers: expected a whole number >= 1"):
        BatchOptions(workers=0)
    with pytest.raises(ParameterError, match="lang"):
        BatchOptions(lang="fr")
    assert BatchOptions(output_dir="x").output_dir == Path("x")


def test_city_map_escapes_district_names_and_links() -> None:
    from lifecircle.maps.city_map import city_map, met_colour
    from lifecircle.maps.save import external_urls, map_html

    evil = "<img src=x onerror=alert(1)>{{ 7*7 }}"
    frame = gpd.GeoDataFrame(
        {"id": ["A", "B"], "name": [evil, "ok"], "status": ["ok", "error"],
         "targets_met": [2, 0], "residents": [100, 0],
         "href": ['reports/A"><script>x</script>-zh.html', None]},
        geometry=[shapely.box(121, 31, 121.01, 31.01), shapely.box(121.01, 31, 121.02, 31.01)],
        crs=4326,
    )  # fmt: skip
    page = map_html(city_map(frame, n_targets=2, lang="en", title="City <x>"))
    assert "<img src=x onerror" not in page
    assert "<script>x</script>" not in page
    assert "{{ 7*7 }}" not in page
    assert external_urls(page) == []
    assert "City \\u0026lt;x\\u0026gt;" in page  # escaped, then JSON in the script
    assert met_colour(2, 2) == "#1a9850" and met_colour(0, 2) == "#d73027"
