"""Planning-standard presets: every figure sourced or explicitly unset; the tag/name table."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from lifecircle.coverage.presets import (
    STATUSES,
    TIERS,
    ServiceCategory,
    catalogue_from_file,
    category_for_name,
    category_for_osm_tags,
    load_preset,
    preset_names,
)
from lifecircle.errors import ConfigError, LifecircleError

DOCS = Path(__file__).resolve().parents[1] / "docs" / "presets.md"


def test_both_required_presets_ship() -> None:
    assert {"gb50180_2018", "shanghai_2016"} <= set(preset_names())


@pytest.mark.parametrize("name", preset_names())
def test_every_figure_is_sourced_or_left_unset(name: str) -> None:
    catalogue = load_preset(name)
    assert catalogue.name == name and catalogue.document and catalogue.title_zh
    for tier in catalogue.tiers.values():
        assert tier.status in STATUSES
        if tier.status == "unsourced":
            assert tier.walk_m_max is None and tier.source == "unsourced"
        else:
            assert tier.walk_m_max is not None and len(tier.source) > 10
    for category in catalogue.categories:
        assert category.status in STATUSES and category.walk_status in STATUSES
        if category.status == "unsourced":
            assert category.tier is None and category.source == "unsourced"
        else:
            assert category.tier in TIERS and len(category.source) > 10
        has_walk = category.max_walk_m is not None or category.max_walk_minutes is not None
        assert has_walk == (category.walk_status != "unsourced")
        if has_walk:
            assert category.walk_source != "unsourced"


def test_gb50180_tier_distances() -> None:
    """15-min 800-1000 m, 10-min 500 m, 5-min 300 m (表3.0.4); a category holds its tier's."""
    gb = load_preset("gb50180_2018")
    assert (gb.tiers[15].walk_m_min, gb.tiers[15].walk_m_max) == (800, 1000)
    assert gb.tiers[10].walk_m_max == 500 and gb.tiers[5].walk_m_max == 300
    assert gb.tiers[10].status == "secondary"  # 中国大百科全书: 步行十分钟（约500米）
    assert gb.category("primary_school").tier == 10
    assert gb.walk_limit_m("primary_school") == 500
    assert gb.walk_limit_m("kindergarten") == 300
    assert gb.walk_limit_m("middle_school") == 1000
    assert "表" in gb.category("middle_school").source


def test_shanghai_figures_and_gaps() -> None:
    sh = load_preset("shanghai_2016")
    day_care = sh.category("elderly_day_care")
    assert (day_care.tier, day_care.max_walk_m, day_care.walk_status) == (5, 500, "secondary")
    assert sh.category("nursery").tier == 10
    assert sh.tiers[5].status == "unsourced" and sh.tiers[5].walk_m_max is None
    assert sh.walk_limit_m("bus_stop") is None
    assert {"tier 5", "bus_stop.tier", "bus_stop.max_walk"} <= set(sh.unsourced())


def test_user_sets_an_unsourced_value() -> None:
    sh = load_preset("shanghai_2016")
    mine = sh.with_walk_m("bus_stop", 300, source="our district plan, table 4")
    assert mine.walk_limit_m("bus_stop") == 300
    assert mine.category("bus_stop").walk_status == "read"
    assert sh.walk_limit_m("bus_stop") is None  # the preset itself is unchanged


def test_presets_are_frozen() -> None:
    gb = load_preset("gb50180_2018")
    with pytest.raises(dataclasses.FrozenInstanceError):
        gb.name = "x"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        gb.categories[0].max_walk_m = 1.0  # type: ignore[misc]
    with pytest.raises(TypeError):
        gb.tiers[15] = gb.tiers[10]  # type: ignore[index]


def test_unknown_preset_names_the_known_ones_with_a_suggestion() -> None:
    with pytest.raises(ConfigError) as info:
        load_preset("gb50180")
    message = str(info.value)
    assert "did you mean 'gb50180_2018'" in message
    assert "shanghai_2016" in message
    assert isinstance(info.value, LifecircleError) and isinstance(info.value, ValueError)
    with pytest.raises(KeyError, match="did you mean 'primary_school'"):
        load_preset("gb50180_2018").category("primary_schol")


def test_a_bad_catalogue_file_lists_every_problem(tmp_path: Path) -> None:
    bad = tmp_path / "mine.toml"
    bad.write_text(
        """
name = "mine"
title_zh = "我的标准"
document = "X-1"
[tiers.15]
walk_m_max = 900
status = "secondary"
[[categories]]
code = "kindergartn"
[[categories]]
code = "park"
tier = 7
source = "X-1 table 2"
status = "read"
walk_source = "unsourced"
walk_status = "unsourced"
[[categories]]
code = "market"
max_walk_m = 400
source = "unsourced"
status = "unsourced"
walk_source = "unsourced"
walk_status = "unsourced"
""",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as info:
        catalogue_from_file(bad)
    message = str(info.value)
    assert message.startswith("mine.toml: 5 problems")
    assert "title_en is missing" in message
    assert "tier 15: a secondary figure needs its source" in message
    assert "did you mean 'kindergarten'" in message
    assert "park.tier must be one of [5, 10, 15]" in message
    assert "market.max_walk: unsourced, so the value must be left unset" in message


def test_unreadable_or_invalid_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot be read"):
        catalogue_from_file(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("name = ", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        catalogue_from_file(broken)


def test_category_invariants_are_checked() -> None:
    with pytest.raises(ValueError, match="no value"):
        ServiceCategory("park", "公园", "Park", None, None, None, "X table 1", "read")
    with pytest.raises(ValueError, match="needs its source"):
        ServiceCategory("park", "公园", "Park", 5, None, None, "", "read")


# ------------------------------------------------------------------ the mapping table
@pytest.mark.parametrize(
    ("tags", "code"),
    [
        ({"amenity": "school"}, "school"),
        ({"amenity": "school", "isced:level": "1"}, "primary_school"),
        ({"amenity": "school", "name": "静安区第一中心小学"}, "primary_school"),
        ({"amenity": "school", "name:zh": "市西初级中学", "name": "Shixi"}, "middle_school"),
        ({"amenity": "clinic"}, "health_station"),
        ({"amenity": "clinic", "name": "临汾路街道社区卫生服务中心"}, "health_centre"),
        ({"amenity": "clinic", "name": "某某小学"}, "health_station"),  # not a refinement
        ({"amenity": "pharmacy"}, "pharmacy"),
        ({"amenity": "marketplace"}, "market"),
        ({"amenity": "kindergarten"}, "kindergarten"),
        ({"amenity": "hospital"}, "hospital"),
        ({"amenity": "childcare"}, "nursery"),
        ({"amenity": "nursing_home"}, "elderly_care_home"),
        ({"amenity": "social_facility", "social_facility": "day_care"}, "elderly_day_care"),
        ({"amenity": "community_centre", "community_centre:for": "senior"}, "elderly_activity"),
        ({"amenity": "community_centre", "name": "曹家渡街道文化活动中心"}, "culture_centre"),
        ({"leisure": "park"}, "park"),
        ({"leisure": "sports_centre"}, "sports_centre"),
        ({"highway": "bus_stop"}, "bus_stop"),
        ({"railway": "station"}, "rail_station"),
        ({"shop": "supermarket"}, "supermarket"),
        ({"shop": "convenience"}, "convenience_store"),
        ({"amenity": "bench"}, None),
        ({}, None),
    ],
)
def test_category_for_osm_tags(tags: dict[str, str], code: str | None) -> None:
    assert category_for_osm_tags(tags) == code


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("幼儿园", "kindergarten"),
        ("小学", "primary_school"),
        ("中学", "middle_school"),
        ("社区卫生服务中心", "health_centre"),
        ("社区卫生服务站", "health_station"),
        ("菜市场", "market"),
        ("公园", "park"),
        ("公交站", "bus_stop"),
        ("地铁站", "rail_station"),
        ("养老院", "elderly_care_home"),
        ("日间照料中心", "elderly_day_care"),
        ("彭浦新村街道综合为老服务中心", "elderly_service_centre"),
        ("大宁灵石公园（南门）", "park"),
        (" 永和 菜场 ", "market"),
        ("上海市第一人民医院(北部)", "hospital"),
        ("咖啡馆", None),
        ("", None),
    ],
)
def test_category_for_name(name: str, code: str | None) -> None:
    assert category_for_name(name) == code


def test_every_preset_code_is_in_the_mapping_table() -> None:
    for name in preset_names():
        for category in load_preset(name).categories:
            assert category.zh_aliases, category.code
            assert category_for_name(category.zh_aliases[0]) == category.code


def test_docs_list_every_figure() -> None:
    """docs/presets.md has one row per (preset, category) and per tier, with its status."""
    text = DOCS.read_text(encoding="utf-8")
    for name in preset_names():
        catalogue = load_preset(name)
        assert f"`{name}`" in text
        section = text.split(f"`{name}`", 1)[1]
        for category in catalogue.categories:
            assert f"| `{category.code}` |" in section, (name, category.code)
        for minutes in catalogue.tiers:
            assert f"| {minutes} min |" in section, (name, minutes)
