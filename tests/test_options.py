"""Options objects: one check per setting, the keyword form on top, the study and CLI on them.

Issue 11 §3: the wide functions take frozen, validated options (``CoverageOptions``,
``SeatOptions``, ``MapOptions``, ``ReportOptions``); each setting is checked when its
options object is made, and the study file and the command line report those checks
under their own names instead of checking again.
"""

from __future__ import annotations

import ast
import dataclasses
import html
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from typer.testing import CliRunner

import lifecircle as lc
from lifecircle.cli import app
from lifecircle.coverage.options import DEFAULT_TARGET_SHARE, CoverageOptions, SeatOptions
from lifecircle.errors import ConfigError, OptionError, OptionTypeError, ParameterError
from lifecircle.maps import MapOptions, ReportOptions, coverage_map, map_html, report_html
from lifecircle.options import check_number
from lifecircle.study import load_study, study_from_text
from lifecircle.study.template import STUDY_TEMPLATE

PACKAGE = Path(lc.__file__).resolve().parent
UTM = "EPSG:32651"


@pytest.fixture(scope="module")
def demo():
    return lc.load_demo_layers(), lc.load_demo_network()


@pytest.fixture(scope="module")
def care(demo):
    """Coverage of one service at the defaults, without isochrones (quick)."""
    layers, network = demo
    return lc.compute_coverage(
        layers, network, services={"care": ("care_home",)}, isochrones=False, progress=False
    )


# ----------------------------------------------------------------------------- one check each
@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (15, None, None),
        (np.float32(2.5), None, None),
        ("15", OptionTypeError, "walk_minutes must be a number > 0, got '15'"),
        (True, OptionError, "walk_minutes must be a finite number > 0, got True"),
        (np.True_, OptionError, "walk_minutes must be a finite number > 0"),
        (0, OptionError, "walk_minutes must be a finite number > 0, got 0"),
        (float("inf"), OptionError, "walk_minutes must be a finite number > 0, got inf"),
    ],
)
def test_check_number_keeps_the_option_value_and_rule(value, error, message):
    if error is None:
        assert check_number("walk_minutes", value) == float(value)
        return
    with pytest.raises(error, match=message) as info:
        check_number("walk_minutes", value)
    assert (info.value.option, info.value.expected) == ("walk_minutes", "a positive number")
    assert info.value.value is value
    assert isinstance(info.value, lc.LifecircleError)  # the CLI reports it as bad input


def test_option_errors_are_the_usual_python_errors():
    with pytest.raises(ValueError, match=r"target_share must be within \[0, 1\], got 1.5"):
        CoverageOptions(target_share=1.5)
    with pytest.raises(ParameterError):
        CoverageOptions(access_m=-1)
    with pytest.raises(TypeError, match="isochrones must be True or False, got 'no'"):
        CoverageOptions(isochrones="no")
    with pytest.raises(ValueError, match="unknown walking profile 'jogger'"):
        CoverageOptions(profile="jogger")


def test_options_are_frozen_and_normalised_and_variants_are_checked_again():
    options = CoverageOptions(walk_minutes=10, max_snap_m=np.int64(50))
    assert (options.walk_minutes, options.max_snap_m) == (10.0, 50.0)
    assert type(options.max_snap_m) is float
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.walk_minutes = 20  # type: ignore[misc]
    slow = dataclasses.replace(options, profile="elderly", speed_m_s=0.7)
    assert slow.walk_profile.speed_m_s == 0.7 and slow.walk_minutes == 10.0
    with pytest.raises(OptionError, match="spacing_m"):
        dataclasses.replace(options, spacing_m=0)
    assert options == CoverageOptions(walk_minutes=10.0, max_snap_m=50)
    assert hash(options) == hash(CoverageOptions(walk_minutes=10.0, max_snap_m=50))


def test_seat_options_hold_required_and_forbidden_ids_as_tuples():
    assert SeatOptions(required="C00001").required == ("C00001",)
    assert SeatOptions(forbidden=["a", "b"]).forbidden == ("a", "b")
    with pytest.raises(OptionError, match="both required and forbidden: 'a'"):
        SeatOptions(required=["a", "b"], forbidden="a")
    with pytest.raises(OptionError, match=r"method must be one of \('auto', 'greedy', 'milp'\)"):
        SeatOptions(method="simplex")
    with pytest.raises(OptionError, match="min_spacing_m must be a finite number >= 0"):
        SeatOptions(min_spacing_m=-1)
    assert SeatOptions(gap_weight=0).gap_weight == 0.0


# ----------------------------------------------------------------------------- keyword form
def test_the_keyword_form_is_the_options_form(demo, care):
    layers, network = demo
    options = CoverageOptions(isochrones=False)
    same = lc.compute_coverage(
        layers, network, options=options, services={"care": ("care_home",)}, progress=False
    )
    pd.testing.assert_frame_equal(same.grid_table(), care.grid_table())
    assert dict(same.params) == dict(care.params)


def test_keywords_override_the_options_given(demo):
    layers, network = demo
    base = CoverageOptions(walk_minutes=5, isochrones=False)
    result = lc.compute_coverage(
        layers, network, options=base, walk_minutes=12, services={"care": ("care_home",)},
        progress=False,
    )  # fmt: skip
    assert result.walk_minutes == 12.0 and base.walk_minutes == 5.0


@pytest.mark.parametrize(
    ("call", "typo", "hint"),
    [
        (lambda lay, net, **kw: lc.compute_coverage(lay, net, **kw), "walk_minute", "walk_minutes"),
        (lambda lay, net, **kw: lc.suggest_seats(lay, net, k=1, **kw), "radius", "radius_m"),
        (lambda lay, net, **kw: coverage_map(lay, **kw), "basemp", "basemap"),
        (lambda lay, net, **kw: lc.write_report(lay, None, "r.html", **kw), "langs", "lang"),
    ],
)
def test_an_unknown_keyword_names_the_closest_option(demo, call, typo, hint):
    layers, network = demo
    with pytest.raises(TypeError, match=rf"unexpected keyword argument '{typo}'; did you mean "
                       rf"'{hint}'\?"):  # fmt: skip
        call(layers, network, **{typo: 1})


def test_options_of_another_kind_are_refused(demo):
    layers, network = demo
    with pytest.raises(TypeError, match="options must be a CoverageOptions, got SeatOptions"):
        lc.compute_coverage(layers, network, options=SeatOptions())
    with pytest.raises(TypeError, match="options must be a MapOptions, got ReportOptions"):
        coverage_map(layers, options=ReportOptions())


def test_suggest_checks_its_goal_before_any_work(demo, monkeypatch):
    import lifecircle.coverage.measures.seat_suggestions as suggest

    def boom(*args, **kwargs):
        raise AssertionError("the analysis ran before the arguments were checked")

    monkeypatch.setattr(suggest, "seat_reach", boom)
    layers, network = demo
    with pytest.raises(ParameterError, match="give exactly one of k"):
        lc.suggest_seats(layers, network)
    with pytest.raises(ParameterError, match="give exactly one of k"):
        lc.suggest_seats(layers, network, k=2, target_share=0.5)
    with pytest.raises(ParameterError, match="k must be a positive integer, got 0"):
        lc.suggest_seats(layers, network, k=0)


def test_suggest_takes_seat_options(demo):
    layers, network = demo
    options = SeatOptions(required="C00001", time_limit_s=5)
    result = lc.suggest_seats(layers, network, k=1, options=options)
    assert list(result.sites["candidate"]) == ["C00001"]


# ----------------------------------------------------------------------------- result columns
def test_result_columns_are_reached_through_methods(care):
    assert care.services == ["care"]
    pd.testing.assert_series_equal(care.share("care"), care.grids["share_care"])
    assert (care.covered("care") == (care.share("care") >= care.target_share)).all()
    assert care.minutes("care").index.equals(care.demand.index)
    assert (care.walk_minutes, care.max_snap_m, care.profile_name) == (15.0, 100.0, "elderly")
    assert care.speed_m_s == lc.PROFILES["elderly"].speed_m_s
    with pytest.raises(ValueError, match="service 'elderly' is not in the coverage result"):
        care.share("elderly")


# ----------------------------------------------------------------------------- one default share
def test_one_default_target_share_for_metrics_report_and_template(map_layers, care):
    """The share a grid must reach is 90% everywhere a default is needed."""
    assert CoverageOptions().target_share == DEFAULT_TARGET_SHARE == 0.9
    assert care.target_share == DEFAULT_TARGET_SHARE
    assert f"minimum = {DEFAULT_TARGET_SHARE:g}" in STUDY_TEMPLATE.split('metric = "seat')[0]
    from test_maps_fixtures import make_result

    page = html.unescape(
        report_html(map_layers, make_result(map_layers, target_share=DEFAULT_TARGET_SHARE),
                    lang="en", static_map=False)
    )  # fmt: skip
    assert "at least 90% of each grid's residents within a 15-minute walk" in page


# ----------------------------------------------------------------------------- maps
def test_map_options_check_the_basemap_and_key_when_made():
    assert MapOptions(basemap="gaode").basemap == "amap"
    with pytest.raises(OptionError, match="needs a Tianditu key") as info:
        MapOptions(basemap="tianditu")
    assert info.value.option == "tianditu_key"
    with pytest.raises(OptionError, match="basemap must be one of") as info:
        ReportOptions(basemap="google")
    assert info.value.expected == "one of none, osm, tianditu, amap, gaode"
    with pytest.raises(OptionError, match="lang must be 'zh' or 'en', got 'fr'"):
        MapOptions(lang="fr")
    with pytest.raises(TypeError, match="width must be a CSS size"):
        MapOptions(width=None)


def test_the_extent_is_kept_as_one_geometry_in_its_crs():
    squares = gpd.GeoDataFrame(
        geometry=[shapely.box(0, 0, 100, 100), shapely.box(100, 0, 200, 100)], crs=UTM
    )
    options = MapOptions(extent=squares)
    assert options.extent.equals(shapely.box(0, 0, 200, 100))
    assert options.study_area().crs == squares.crs
    assert options == MapOptions(extent=options.extent, extent_crs=UTM)
    assert hash(options) == hash(dataclasses.replace(options, lang="zh"))
    point = shapely.Point(121.45, 31.22).buffer(0.001)
    assert MapOptions(extent=point).study_area().crs.to_epsg() == 4326
    assert MapOptions(extent=gpd.GeoSeries([], crs=4326)).extent is None
    with pytest.raises(TypeError, match="extent must be a shapely geometry"):
        MapOptions(extent=(121.4, 31.2, 121.5, 31.3))


def test_report_options_share_the_page_settings_with_its_maps():
    options = ReportOptions(lang="en", basemap="osm", data_date="2024-05", sources="OSM 2024")
    assert options.sources == ("OSM 2024",)  # one line, not one per letter
    maps = options.map_options("care")
    assert (maps.service, maps.lang, maps.basemap, maps.data_date) == (
        "care",
        "en",
        "osm",
        "2024-05",
    )
    with pytest.raises(OptionError, match=r"target_share must be within \(0, 1\]"):
        ReportOptions(target_share=1.5)


def test_map_options_and_keywords_draw_the_same_map(map_layers, map_result):
    import re

    def strip(page: str) -> str:
        return re.sub(r"_[0-9a-f]{32}", "", page)

    options = MapOptions(service="care", lang="en", title="Care")
    by_options = map_html(coverage_map(map_layers, map_result, options=options))
    by_keywords = map_html(
        coverage_map(map_layers, map_result, service="care", lang="en", title="Care")
    )
    assert strip(by_options) == strip(by_keywords)


# ----------------------------------------------------------------------------- study and CLI
def _study_file(folder: Path, body: str) -> Path:
    data = folder / "data"
    data.mkdir(exist_ok=True)
    for name in ("grids", "seats", "elderly", "heritage", "network"):
        (data / f"{name}.geojson").write_text("{}", encoding="utf-8")
    layers = "\n".join(
        f'{n} = "data/{n}.geojson"' for n in ("grids", "seats", "elderly", "heritage")
    )
    path = folder / "study.toml"
    path.write_text(
        f'[layers]\n{layers}\n[network]\nsource = "data/network.geojson"\n{body}', encoding="utf-8"
    )
    return path


def test_the_study_builds_coverage_options_from_analysis(tmp_path):
    body = """
[analysis]
profile = "slow"
walk_minutes = 10
max_snap_m = 150
[profiles.slow]
base = "elderly"
speed_m_s = 0.6
"""
    study = load_study(_study_file(tmp_path, body))
    options = study.coverage
    assert isinstance(options, CoverageOptions)
    assert (options.walk_minutes, options.max_snap_m, options.spacing_m) == (10.0, 150.0, 25.0)
    assert (options.walk_profile.name, options.walk_profile.speed_m_s) == ("slow", 0.6)
    assert study.profile == "slow"


def test_the_options_checks_are_reported_under_the_study_keys(tmp_path):
    body = """
[analysis]
spacing_m = inf
[profiles.slow]
speed_m_s = 0
[[targets]]
walk_minutes = true
minimum = 0.9
"""
    with pytest.raises(ConfigError) as info:
        study_from_text(_study_file(tmp_path, body).read_text(encoding="utf-8"),
                        tmp_path / "study.toml")  # fmt: skip
    message = str(info.value)
    assert message.startswith("study.toml: 3 problems:")
    assert "analysis.spacing_m: expected a positive number, got inf" in message
    assert "profiles.slow.speed_m_s: expected a positive number, got 0" in message
    assert "targets[1].walk_minutes: expected a positive number, got true" in message


def test_cli_basemap_problem_names_the_flag_before_any_analysis(tmp_path):
    study = _study_file(tmp_path, "")
    result = CliRunner().invoke(app, ["map", str(study), "--basemap", "google"])
    assert result.exit_code == 2
    assert "--basemap 'google': expected one of none, osm, tianditu, amap, gaode" in result.output


# ----------------------------------------------------------------------------- README
def test_readme_options_snippet_runs(tmp_path, monkeypatch):
    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Options objects / 参数对象", 1)[1].split("\n## ", 1)[0]
    snippet = section.split("```python\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__readme__"}
    exec(compile(snippet, "README.md:options", "exec"), namespace)
    slow, fast = namespace["slow"], namespace["fast"]
    assert (slow.walk_minutes, slow.profile_name, fast.profile_name) == (10.0, "elderly", "adult")
    faster = fast.share("elderly").fillna(0) >= slow.share("elderly").fillna(0) - 1e-12
    assert faster.all()  # the adult pace reaches at least as many
    assert len(namespace["seats"].sites) == 3 and namespace["seats"].radius_m == 80.0
    page = (tmp_path / "lifecircle-output" / "options-report.html").read_text(encoding="utf-8")
    assert "at least 80% of each grid" in html.unescape(page)


# ----------------------------------------------------------------------------- no wide signature
def _public_functions(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            yield node.name, node
        if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and not item.name.startswith("_"):
                    yield f"{node.name}.{item.name}", item


def test_no_public_function_takes_more_than_eight_parameters():
    """A wider function wants an options object (house style; issue 11 §3)."""
    wide = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for name, node in _public_functions(path):
            args = node.args
            names = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
            count = len([n for n in names if n not in ("self", "cls")])
            count += (args.vararg is not None) + (args.kwarg is not None)
            if count > 8:
                wide.append(f"{path.relative_to(PACKAGE.parent)}: {name} ({count})")
    assert wide == []
