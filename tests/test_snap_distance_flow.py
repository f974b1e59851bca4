"""One snapping distance per study: ``[analysis] max_snap_m`` reaches every measure.

Coverage, the life circle and facility siting already took the study's value; the seat
targets (``check``, ``compare``), ``suggest`` (seats) and ``report --seats`` snapped at the
library defaults (100 m; 50 m for candidates), and ``suggest_seats`` measured today's seat
reach at 100 m whatever its own ``max_snap_m``.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from typer.testing import CliRunner

import lifecircle as lc
from lifecircle.cli import app
from lifecircle.coverage.measures import seat_suggestions
from lifecircle.coverage.measures.seats import rest_gaps, seat_reach
from lifecircle.errors import CoordinateWarning


def _demo_study_snapping_at(folder: Path, max_snap_m: float) -> Path:
    demo = lc.demo_study_path().parent
    text = lc.demo_study_path().read_text(encoding="utf-8")
    text = text.replace('"demo/', f'"{(demo / "demo").as_posix()}/')
    text = text.replace("[analysis]\n", f"[analysis]\nmax_snap_m = {max_snap_m}\n", 1)
    path = folder / "study.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def demo():
    return lc.load_demo_layers(), lc.load_demo_network()


def _rest_gap_achieved(folder: Path, max_snap_m: float) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CoordinateWarning)  # 11% of homes beyond 15 m
        run = lc.run_study(lc.load_study(_demo_study_snapping_at(folder, max_snap_m)))
    table = run.report.to_frame()
    return float(table.loc[table["metric"] == "rest_gap", "achieved"].iloc[0])


@pytest.mark.slow
def test_seat_targets_snap_at_the_study_distance(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    near, default = _rest_gap_achieved(tmp_path / "a", 15), _rest_gap_achieved(tmp_path / "b", 100)
    # homes 15-100 m off a street have no walk at 15 m; at the old fixed 100 m both agreed
    assert near != pytest.approx(default, abs=1e-6)
    assert near > default  # as the measure itself: fewer, nearer homes have fewer gaps


def test_suggest_seats_measures_today_at_its_own_distance(demo) -> None:
    layers, network = demo
    for snap in (15.0, 50.0):  # 50: SeatOptions' default
        options = {} if snap == 50.0 else {"max_snap_m": snap}
        found = lc.suggest_seats(layers, network, k=1, **options)
        reach = seat_reach(layers, network, max_snap_m=snap)
        gaps = rest_gaps(layers, network, max_snap_m=snap)
        assert found.reach_before.weight_share == pytest.approx(reach.weight_share)
        assert found.gaps_before.share_ok == pytest.approx(gaps.share_ok)
    # and the distance matters on the demo: at 100 m more homes count
    assert seat_reach(layers, network, max_snap_m=100).weight_share != pytest.approx(
        seat_reach(layers, network, max_snap_m=15).weight_share
    )


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::lifecircle.errors.CoordinateWarning")  # 2 homes > 40 m
@pytest.mark.parametrize("command", ["suggest", "report"])
def test_seat_suggestions_of_a_study_use_its_distance(tmp_path: Path, monkeypatch, command):
    seen: list[object] = []
    real = seat_suggestions.suggest_seats

    def spy(*args: object, **kwargs: object):
        seen.append(kwargs.get("max_snap_m"))
        return real(*args, **kwargs)

    monkeypatch.setattr(seat_suggestions, "suggest_seats", spy)
    study = _demo_study_snapping_at(tmp_path, 40)
    args = [command, str(study), "--seats", "1"]
    if command == "report":
        args += ["-o", str(tmp_path / "report.html"), "--lang", "en"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code in (0, 1), result.output
    assert seen == [40.0]
