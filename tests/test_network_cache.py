"""save_network / load_network and the on-disk network cache."""

from __future__ import annotations

import logging
import os
import threading

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString

from lifecircle.coverage.network import cached_network, load_network, save_network
from lifecircle.coverage.network.build import network_from_lines
from lifecircle.errors import NetworkError

X0, Y0 = 350_000.0, 3_450_000.0


def lines_file(tmp_path, n: int = 3):
    geoms = [LineString([(X0 + 100 * i, Y0), (X0 + 100 * (i + 1), Y0)]) for i in range(n)]
    frame = gpd.GeoDataFrame(
        {"highway": ["footway"] * n, "name": [None] + ["路"] * (n - 1)},
        geometry=geoms,
        crs="EPSG:32651",
    )
    path = tmp_path / "paths.gpkg"
    frame.to_file(path, driver="GPKG")
    return path


def test_save_load_round_trip(tmp_path):
    net = network_from_lines(lines_file(tmp_path), penalties={"footway": 1.5})
    out = save_network(net, tmp_path / "out" / "net.gpkg")
    back = load_network(out)
    assert (back.n_nodes, back.n_edges) == (net.n_nodes, net.n_edges)
    assert back.crs == net.crs
    assert back.source == net.source
    np.testing.assert_array_equal(back.edges["u"], net.edges["u"])
    np.testing.assert_allclose(back.edges["length_m"], net.edges["length_m"])
    np.testing.assert_allclose(back.edges["penalty_s"], 1.5)
    assert back.edges["name"].tolist() == net.edges["name"].tolist()
    assert back.edges["name"].iloc[0] is None
    assert back.meta["n_components"] == net.meta["n_components"]
    assert not list(out.parent.glob("*.tmp*"))


def test_cache_miss_then_hit(tmp_path):
    src = lines_file(tmp_path)
    cache = tmp_path / "cache"
    first = network_from_lines(src, cache_dir=cache)
    second = network_from_lines(src, cache_dir=cache)
    assert first.meta["cache"] == "miss"
    assert second.meta["cache"] == "hit"
    assert len(list(cache.glob("*.gpkg"))) == 1
    np.testing.assert_allclose(second.edges["length_m"], first.edges["length_m"])


def test_parameters_are_part_of_the_key(tmp_path):
    src = lines_file(tmp_path)
    cache = tmp_path / "cache"
    network_from_lines(src, cache_dir=cache)
    other = network_from_lines(src, cache_dir=cache, penalties={"footway": 3.0})
    assert other.meta["cache"] == "miss"
    assert len(list(cache.glob("*.gpkg"))) == 2


def test_changed_input_invalidates(tmp_path):
    src = lines_file(tmp_path, n=3)
    cache = tmp_path / "cache"
    assert network_from_lines(src, cache_dir=cache).n_edges == 3
    src.unlink()
    src = lines_file(tmp_path, n=4)
    rebuilt = network_from_lines(src, cache_dir=cache)
    assert rebuilt.meta["cache"] == "miss"
    assert rebuilt.n_edges == 4


def test_geodataframe_input_is_cached_by_content(tmp_path):
    frame = gpd.read_file(lines_file(tmp_path))
    cache = tmp_path / "cache"
    assert cached_network("network_from_lines", frame, cache_dir=cache).meta["cache"] == "miss"
    assert cached_network("network_from_lines", frame, cache_dir=cache).meta["cache"] == "hit"
    changed = frame.assign(highway=["footway", "motorway", "footway"])
    assert cached_network("network_from_lines", changed, cache_dir=cache).meta["cache"] == "miss"


@pytest.mark.parametrize("damage", ["truncate", "garbage", "flip"])
def test_corrupt_cache_is_rebuilt_with_warning(tmp_path, caplog, damage):
    src = lines_file(tmp_path)
    cache = tmp_path / "cache"
    network_from_lines(src, cache_dir=cache)
    (path,) = cache.glob("*.gpkg")
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[: len(data) // 3])
    elif damage == "garbage":
        path.write_bytes(b"\x00garbage" * 100)
    else:  # change one coordinate of the stored edges: only the checksum can tell
        import pyogrio

        edges = gpd.read_file(path, layer="edges")
        edges.loc[0, "length_m"] += 1.0
        pyogrio.write_dataframe(edges, path, layer="edges", driver="GPKG")
    with caplog.at_level(logging.WARNING, logger="lifecircle.coverage.network.cache"):
        again = network_from_lines(src, cache_dir=cache)
    assert again.meta["cache"] == "miss"
    assert "rebuilding" in caplog.text
    assert load_network(path).n_edges == 3


def test_load_network_reports_damage(tmp_path):
    bad = tmp_path / "bad.gpkg"
    bad.write_bytes(b"not a geopackage")
    with pytest.raises(NetworkError, match=r"bad\.gpkg"):
        load_network(bad)
    with pytest.raises(NetworkError, match="not found"):
        load_network(tmp_path / "missing.gpkg")


def test_concurrent_writers_leave_a_valid_file(tmp_path):
    net = network_from_lines(lines_file(tmp_path))
    target = tmp_path / "shared.gpkg"
    errors: list[BaseException] = []

    def write() -> None:
        try:
            for _ in range(2):
                save_network(net, target)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert load_network(target).n_edges == net.n_edges
    assert [p for p in os.listdir(tmp_path) if ".tmp" in p] == []
