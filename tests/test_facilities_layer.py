"""The facilities layer: life-circle services from a planner's list or from OpenStreetMap."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, Polygon

import lifecircle.coverage.presets as presets
import lifecircle.geo.facility_categories as table
from lifecircle.errors import LayerError
from lifecircle.geo import LAYER_SCHEMAS, Layers, load_demo_layers, load_layers, read_facilities
from lifecircle.geo.osm_layers import layers_from_osm

OSM_DIR = Path(__file__).resolve().parent / "data" / "osm"


def _csv(tmp_path: Path, categories: list[str], name: str = "设施.csv") -> Path:
    frame = pd.DataFrame(
        {
            "编号": [f"F{i}" for i in range(1, len(categories) + 1)],
            "名称": [f"设施{i}" for i in range(1, len(categories) + 1)],
            "设施类型": categories,
            "经度": [121.44 + 0.001 * i for i in range(len(categories))],
            "纬度": [31.22] * len(categories),
        }
    )
    path = tmp_path / name
    frame.to_csv(path, index=False, encoding="utf-8")
    return path


def test_category_names_in_chinese_english_and_as_facility_names(tmp_path):
    written = [
        "幼儿园",
        "Kindergarten",
        "fresh food market",
        "菜场",
        "社区卫生服务中心（社区医院）",
        "静安区第一中心小学",
        "bus_stop",
        "ＰＡＲＫ",
    ]
    layer = read_facilities(_csv(tmp_path, written))
    assert layer["category"].tolist() == [
        "kindergarten",
        "kindergarten",
        "market",
        "market",
        "health_centre",
        "primary_school",
        "bus_stop",
        "park",
    ]
    assert list(layer.columns[:4]) == LAYER_SCHEMAS["facilities"].column_names
    assert layer["capacity"].isna().all()


def test_unknown_category_names_file_row_column_known_and_a_suggestion(tmp_path):
    path = _csv(tmp_path, ["幼儿园", "幼儿圆", "bakery"], name="服务设施.csv")
    with pytest.raises(LayerError) as caught:
        read_facilities(path)
    message = str(caught.value)
    assert message.startswith("服务设施.csv")
    assert "column 'category'" in message
    assert "'幼儿圆' at id 'F2' (row 3) (did you mean '幼儿园'?)" in message
    assert "'bakery' at id 'F3' (row 4)" in message
    assert "bakery' at id 'F3' (row 4) (did you mean" not in message
    for code, zh in (("kindergarten", "幼儿园"), ("rail_station", "轨道交通站"), ("park", "公园")):
        assert f"{code} ({zh})" in message


def test_two_categories_in_one_cell_is_an_error(tmp_path):
    with pytest.raises(LayerError, match="naming several values"):
        read_facilities(_csv(tmp_path, ["幼儿园;托儿所"]))


def test_the_osm_and_name_table_lives_in_geo_and_presets_reuse_it():
    assert presets.category_for_name is table.category_for_name
    assert presets.category_for_osm_tags is table.category_for_osm_tags
    codes = set(table.facility_categories())
    for name in presets.preset_names():
        assert set(presets.load_preset(name).codes) <= codes


def test_osm_xml_gives_a_facilities_layer():
    layer = layers_from_osm(OSM_DIR / "pois.osm")["facilities"].set_index("id")
    assert layer["category"].to_dict() == {
        "node/201": "elderly_care_home",
        "node/202": "nursery",  # social_facility=day_care for children, named 托儿所
        "node/601": "kindergarten",
        "node/602": "primary_school",  # amenity=school refined by its name …小学
        "node/603": "market",
        "node/604": "bus_stop",
        "way/621": "park",  # a polygon becomes a point inside it
    }
    assert layer.loc["node/601", "capacity"] == 270.0
    assert layer.loc["node/604", "name"] == "bus_stop (node/604)"
    assert layer.loc["way/621", "osm_tag"] == "leisure=park"
    assert set(layer.geometry.geom_type) == {"Point"}
    park = Polygon([(121.4450, 31.2250), (121.4455, 31.2250), (121.4455, 31.2255)])
    assert layer.loc["way/621"].geometry.within(park)


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"amenity": "school", "isced:level": "2"}, "middle_school"),
        ({"amenity": "school"}, "school"),
        ({"amenity": "clinic", "name": "临汾路街道社区卫生服务中心"}, "health_centre"),
        ({"railway": "subway_entrance"}, "rail_station"),
        ({"public_transport": "platform", "bus": "yes"}, "bus_stop"),
        ({"public_transport": "platform"}, None),
        ({"social_facility": "day_care", "amenity": "social_facility"}, "elderly_day_care"),
        ({"social_facility": "day_care", "social_facility:for": "disabled"}, None),
        ({"shop": "bakery"}, None),
    ],
)
def test_osm_tag_rules(tags, expected):
    frame = gpd.GeoDataFrame([tags], geometry=[Point(121.44, 31.22)], crs="EPSG:4326")
    layer = layers_from_osm(frame)["facilities"]
    assert layer["category"].tolist() == ([expected] if expected else [])


def test_layers_carry_facilities_and_the_demo_has_them():
    demo = load_demo_layers()
    assert isinstance(demo.facilities, gpd.GeoDataFrame)
    assert "facilities" in dict(demo.items())
    assert "facilities=65" in repr(demo)
    details = demo.summary().loc["facilities", "details"]
    assert "convenience_store 13" in details
    again = load_layers(
        grids=demo.grids,
        seats=demo.seats,
        elderly=demo.elderly,
        heritage=demo.heritage,
        facilities=demo.facilities,
    )
    assert again.facilities["category"].tolist() == demo.facilities["category"].tolist()
    assert Layers(demo.grids, demo.seats, demo.elderly, demo.heritage).facilities is None


def test_layers_reject_a_facilities_table_that_is_not_a_geodataframe():
    demo = load_demo_layers()
    with pytest.raises(TypeError, match=r"Layers\.facilities"):
        Layers(demo.grids, demo.seats, demo.elderly, demo.heritage, facilities=[])  # type: ignore[arg-type]


def test_geo_imports_nothing_from_coverage_or_maps():
    import ast

    folder = Path(__file__).resolve().parents[1] / "lifecircle" / "geo"
    for path in sorted(folder.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith(("lifecircle.coverage", "lifecircle.maps")), path
