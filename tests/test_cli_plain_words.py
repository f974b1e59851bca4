"""The command line speaks a planner's language: no reprs, no local paths, no repeated warnings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import lifecircle as lc
from lifecircle import cli
from lifecircle._cli_support import describe_network, network_pieces_table, plain_message


def test_network_description_has_no_repr_or_path() -> None:
    network = lc.load_demo_network()
    text = describe_network(network)
    assert "WalkNetwork" not in text
    assert "/" not in text and "\\" not in text
    assert text.startswith("walking network: 1,579 junctions, 1,646 street segments, 66.8 km")
    assert text.endswith("from network.geojson")


@pytest.mark.slow
def test_network_description_states_the_extent() -> None:
    layers = lc.load_demo_layers()
    network = lc.clip_network(lc.load_demo_network(), lc.study_extent(layers), buffer_m=500)
    text = describe_network(network)
    inside = network.meta["length_inside_extent_m"] / 1000
    assert f"({inside:.1f} km inside the study area, kept up to 500 m beyond it)" in text


def test_pieces_table_is_plain() -> None:
    table = network_pieces_table(lc.load_demo_network())
    assert table.splitlines()[0].split() == ["junctions", "segments", "km", "share", "of", "length"]
    assert "99.7%" in table
    assert "n_nodes" not in table


def test_listed_in_attribute_is_dropped_for_both_result_kinds() -> None:
    for listed in ("result.unsnapped", "result().unsnapped"):
        text = plain_message(f"2 demand points lie farther than 15 m (listed in {listed})")
        assert text == "2 demand points lie farther than 15 m"


def test_snapping_hint_is_in_study_file_words() -> None:
    text = plain_message(
        "no point lies within 100 m — pass crs='gcj02' (or 'bd09') when reading the layers"
    )
    assert 'add crs = "gcj02" (or "bd09") to the layer under [layers] in the study file' in text
    assert "crs='" not in text


def test_the_same_warning_is_shown_once_per_command(capsys) -> None:
    cli._SHOWN_WARNINGS.clear()
    for _ in range(2):
        cli._show_warning(
            UserWarning("13 of 2788 demand points lie beyond 150 m"), UserWarning, "x.py", 1
        )
    cli._show_warning(UserWarning("another problem"), UserWarning, "x.py", 1)
    err = capsys.readouterr().err
    assert err.count("13 of 2788 demand points") == 1
    assert err.count("warning: ") == 2
    cli._SHOWN_WARNINGS.clear()


def _demo_study_snapping_at(tmp_path: Path, max_snap_m: float) -> Path:
    """The demo study, written to ``tmp_path`` with ``[analysis] max_snap_m`` set."""
    demo = lc.demo_study_path().parent
    text = lc.demo_study_path().read_text(encoding="utf-8")
    text = text.replace('"demo/', f'"{(demo / "demo").as_posix()}/')
    text = text.replace("[analysis]\n", f"[analysis]\nmax_snap_m = {max_snap_m}\n", 1)
    path = tmp_path / "study.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.slow
def test_compare_says_the_snapping_warning_once(tmp_path: Path) -> None:
    """The baseline (compute_coverage) and the scenarios' shared state (CoverageState) both
    snap the same homes; their warnings named different API attributes, so both were shown."""
    study = _demo_study_snapping_at(tmp_path, 15)
    scenario = lc.demo_study_path().parent / "demo_scenario.toml"
    done = subprocess.run(
        [sys.executable, "-m", "lifecircle", "compare", str(study), str(scenario)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stderr
    far = [line for line in done.stderr.splitlines() if "demand points" in line]
    assert len(far) == 1, done.stderr
    assert far[0].startswith("warning: ") and "farther than 15 m" in far[0]
    assert "result" not in done.stderr


@pytest.mark.slow
def test_python_compare_warns_about_far_homes_once(tmp_path: Path) -> None:
    """In a notebook too: the scenarios' shared states do not repeat the baseline's warning."""
    import warnings

    from lifecircle.errors import CoordinateWarning

    study = lc.load_study(_demo_study_snapping_at(tmp_path, 15))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        base = lc.run_study(study)
        lc.compare(base, [lc.load_scenario(lc.demo_study_path().parent / "demo_scenario.toml")])
    far = [w for w in caught if issubclass(w.category, CoordinateWarning)]
    assert len(far) == 1, [str(w.message) for w in far]
    assert "farther than max_snap_m=15 m" in str(far[0].message)


def test_notebook_bars_only_with_ipywidgets() -> None:
    """tqdm.auto in a Jupyter kernel without ipywidgets warns "IProgress not found" on every bar."""
    from importlib.util import find_spec

    from tqdm import tqdm as text_bar
    from tqdm.auto import tqdm as auto_bar

    from lifecircle.coverage.measures import service_coverage as metrics

    expected = auto_bar if find_spec("ipywidgets") is not None else text_bar
    assert metrics.tqdm is expected


def _with_kind_target(kind: str) -> str:
    base = lc.demo_study_path().read_text(encoding="utf-8")
    target = f'name = "k"\nmetric = "coverage"\nminimum = 0.5\nkind = "{kind}"\n'
    return base + "\n[[targets]]\n" + target


def test_target_kind_accepts_the_grid_layer_words() -> None:
    import pytest

    from lifecircle.errors import ConfigError
    from lifecircle.study.config import study_from_text

    for word, code in (
        ("居民区", "residential"),
        ("商务楼宇", "commercial"),
        ("commercial", "commercial"),
    ):
        study = study_from_text(_with_kind_target(word), lc.demo_study_path())
        assert study.targets[-1].kind == code
    with pytest.raises(ConfigError, match='did you mean "residential"'):
        study_from_text(_with_kind_target("residentail"), lc.demo_study_path())
