"""Shared fixtures and helpers (other test modules may append fixtures here)."""

from __future__ import annotations

import hashlib
import importlib.util
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, settings

# Property tests are seeded (derandomize) and never fail on timing: CI machines are shared and
# loaded, so hypothesis' per-example deadline would turn a slow example into a flaky failure.
settings.register_profile(
    "lifecircle",
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("lifecircle")

TESTS_DIR = Path(__file__).resolve().parent
DATA_DIR = TESTS_DIR / "data"
#: Real Jing'an extracts next to the repository (never copied into it).
JINGAN_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "jingan"


def _load_test_file_maker() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_test_files", DATA_DIR / "make_test_files.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def test_files() -> ModuleType:
    """The ``tests/data/make_test_files.py`` module (base layers and format writers)."""
    return _load_test_file_maker()


@pytest.fixture(scope="session")
def good_dir() -> Path:
    """Folder of small valid layer files in several formats."""
    return DATA_DIR / "good"


@pytest.fixture(scope="session")
def bad_dir() -> Path:
    """Folder of the bad-input corpus (one file per failure mode)."""
    return DATA_DIR / "bad"


@pytest.fixture(scope="session")
def jingan_dir() -> Path:
    """``../shared/data/jingan``; skips the test when it is absent."""
    if not JINGAN_DIR.is_dir():
        pytest.skip(f"real Jing'an data not found at {JINGAN_DIR}")
    return JINGAN_DIR


@pytest.fixture(scope="module")
def map_layers():
    """The small synthetic district of ``test_maps_fixtures`` (maps and report tests)."""
    from test_maps_fixtures import make_layers

    return make_layers()


@pytest.fixture(scope="module")
def map_result(map_layers):
    """A hand-built coverage result on :func:`map_layers`."""
    from test_maps_fixtures import make_result

    return make_result(map_layers)


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes (to prove readers never modify their input)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def median_offset_to_osm_m(
    points: gpd.GeoDataFrame, name_column: str, osm: gpd.GeoDataFrame
) -> tuple[float, int]:
    """Median distance (m) from named points to the OSM feature of the same name.

    Only names that occur exactly once in ``points`` and once in ``osm`` (column
    ``name``) are matched. Distances are measured in UTM zone 51N (Shanghai).

    Returns
    -------
    (median metres, number of matched names)
    """
    utm = "EPSG:32651"
    left = points[[name_column, "geometry"]].rename(columns={name_column: "match_name"})
    right = osm[["name", "geometry"]].rename(columns={"name": "match_name"})
    left = left[left["match_name"].notna()]
    right = right[right["match_name"].notna()]
    left = left[~left["match_name"].duplicated(keep=False)]
    right = right[~right["match_name"].duplicated(keep=False)]
    pairs = pd.merge(
        pd.DataFrame(left), pd.DataFrame(right), on="match_name", suffixes=("_pt", "_osm")
    )
    if pairs.empty:
        return float("nan"), 0
    a = gpd.GeoSeries(pairs["geometry_pt"], crs=points.crs).to_crs(utm)
    b = gpd.GeoSeries(pairs["geometry_osm"], crs=osm.crs).to_crs(utm)
    return float(np.median(a.distance(b, align=False))), len(pairs)


@pytest.fixture(scope="session")
def osm_offset() -> Callable[[gpd.GeoDataFrame, str, gpd.GeoDataFrame], tuple[float, int]]:
    """:func:`median_offset_to_osm_m` as a fixture (tests dir is not a package)."""
    return median_offset_to_osm_m


#: Debian's Chromium (CI installs it); Playwright never downloads a browser of its own.
CHROMIUM_PATH = Path("/usr/bin/chromium")
#: Flags for a root, offline, headless run: without the background-networking ones Chromium
#: keeps trying hosts this machine cannot reach.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium driven by Playwright; skips where Chromium is not installed."""
    from playwright import sync_api  # the test extra installs it; Chromium comes from apt

    if not CHROMIUM_PATH.exists():
        pytest.skip("needs /usr/bin/chromium (CI installs it)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM_PATH), args=CHROMIUM_ARGS)
        yield b
        b.close()
