"""Overpass/Nominatim downloads, with osmnx's HTTP layer replaced by recorded responses.

The fixtures in tests/data/osm are generated (not real OSM data): overpass_walk.json has
the layout of tiny.osm plus an elevated primary road tagged foot=no (way 17);
nominatim_place.json is a square polygon around it. osmnx's real parsing, graph building
and truncation run; only ``_overpass_request`` / ``_nominatim_request`` are replaced.
"""

from __future__ import annotations

import json
from pathlib import Path

import osmnx as ox
import pytest
import requests
from shapely.geometry import Point, box

from lifecircle.coverage.network.download import network_from_place, network_from_polygon
from lifecircle.errors import NetworkError

OSM_DIR = Path(__file__).resolve().parent / "data" / "osm"
AREA = box(121.4390, 31.2180, 121.4440, 31.2220)


@pytest.fixture
def overpass(monkeypatch):
    queries: list[str] = []
    response = json.loads((OSM_DIR / "overpass_walk.json").read_text(encoding="utf-8"))

    def fake_request(data):
        queries.append(data["data"])
        return response

    monkeypatch.setattr(ox._overpass, "_overpass_request", fake_request)
    monkeypatch.setattr(ox.settings, "use_cache", False)
    return queries


def test_polygon_download_applies_walkability(overpass):
    net = network_from_polygon(AREA, penalties={"steps": 10.0})
    assert len(overpass) == 1
    assert '"highway"~' in overpass[0] and "footway" in overpass[0]
    # motorway 13, private service 14 and the foot=no primary 17 are removed;
    # footway 1-2-3 stays two edges (ways 11 and 12: simplification keeps way boundaries so
    # that way penalties are charged once per way); residential 3-4 is kept although oneway=yes.
    assert sorted(net.edges["highway"]) == ["footway", "footway", "residential", "steps"]
    assert sorted(net.nodes["osmid"]) == [1, 2, 3, 4, 7]
    assert net.meta["dropped_by_reason"] == {
        "access=private": 1,
        "foot=no": 1,
        "highway=motorway": 1,
    }
    steps = net.edges["highway"] == "steps"
    assert net.edges.loc[steps, "penalty_s"].tolist() == [10.0]
    assert net.crs.to_epsg() == 32651
    assert "Overpass" in net.source


def test_place_download_geocodes_then_downloads(overpass, monkeypatch):
    places = json.loads((OSM_DIR / "nominatim_place.json").read_text(encoding="utf-8"))
    asked: list[dict] = []

    def fake_nominatim(params, request_type="search", pause=1, error_pause=60):
        asked.append(dict(params))
        return places

    monkeypatch.setattr(ox._nominatim, "_nominatim_request", fake_nominatim)
    net = network_from_place("静安寺街道, 上海市")
    assert asked and asked[0]["q"] == "静安寺街道, 上海市"
    assert net.n_edges == 4  # footway ways 11 and 12 stay two edges
    assert "静安寺街道" in net.source


def test_download_failure_is_a_network_error(monkeypatch):
    def offline(data):
        raise requests.ConnectionError("no route to host")

    monkeypatch.setattr(ox._overpass, "_overpass_request", offline)
    monkeypatch.setattr(ox.settings, "use_cache", False)
    with pytest.raises(NetworkError, match=r"download failed.*network_from_pbf"):
        network_from_polygon(AREA)


def test_empty_response_is_a_network_error(monkeypatch):
    monkeypatch.setattr(ox._overpass, "_overpass_request", lambda data: {"elements": []})
    monkeypatch.setattr(ox.settings, "use_cache", False)
    with pytest.raises(NetworkError, match="no walkable ways"):
        network_from_polygon(AREA)


@pytest.mark.parametrize("bad", [Point(121.44, 31.22), box(350000, 3450000, 351000, 3451000)])
def test_bad_polygons_are_rejected(bad):
    with pytest.raises(NetworkError):
        network_from_polygon(bad)


def test_download_cache_is_keyed_on_the_polygon(overpass, tmp_path):
    cache = tmp_path / "cache"
    first = network_from_polygon(AREA, cache_dir=cache)
    second = network_from_polygon(AREA, cache_dir=cache)
    assert (first.meta["cache"], second.meta["cache"]) == ("miss", "hit")
    assert len(overpass) == 1
    network_from_polygon(box(121.4389, 31.2180, 121.4440, 31.2220), cache_dir=cache)
    assert len(overpass) == 2


def test_place_cache_is_keyed_on_the_query(overpass, monkeypatch, tmp_path):
    places = json.loads((OSM_DIR / "nominatim_place.json").read_text(encoding="utf-8"))
    monkeypatch.setattr(ox._nominatim, "_nominatim_request", lambda params, **kw: places)
    cache = tmp_path / "cache"
    assert network_from_place("静安寺街道", cache_dir=cache).meta["cache"] == "miss"
    assert network_from_place("静安寺街道", cache_dir=cache).meta["cache"] == "hit"
    assert len(overpass) == 1
