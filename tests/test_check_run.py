"""run_study on the demo district agrees with the library computed directly."""

from __future__ import annotations

import math

import pytest

from lifecircle.coverage.measures.seats import rest_gaps, seat_reach
from lifecircle.study import demo_study_path, load_study, study_from_text
from lifecircle.study.run import (
    compute_study_coverage,
    load_study_layers,
    load_study_network,
    run_study,
    study_profile,
)

SEAT_TARGETS = """
[[targets]]
metric = "seat_reach"
measure = "street"
reach_m = 80
level = "subdistrict"
minimum = 0.0

[[targets]]
metric = "seat_reach"
measure = "residents"
reach_m = 80
level = "all"
minimum = 0.0

[[targets]]
metric = "rest_gap"
max_gap_m = 250
level = "all"
minimum = 0.0

[profiles.slow]
base = "elderly"
speed_m_s = 0.5

[[targets]]
profile = "slow"
walk_minutes = 10
level = "microgrid"
minimum = 0.0
"""


@pytest.fixture(scope="module")
def run():
    path = demo_study_path()
    head = path.read_text(encoding="utf-8").split("[[targets]]")[0]
    study = study_from_text(head + SEAT_TARGETS + "\n[cache]\nenabled = false\n", path)
    return run_study(study)


def _values(run, target_id: str) -> dict[str, float]:
    table = run.tables[target_id]
    return dict(zip(table["id"], table["value"], strict=True))


def test_street_seat_reach_is_the_network_length_share_on_the_root_grid(run) -> None:
    expected = seat_reach(run.layers, run.network, reach_m=80).length_share
    values = _values(run, "T1")
    roots = set(run.layers.grids.loc[run.layers.grids["parent_id"].isna(), "id"])
    assert values.pop(next(iter(roots))) == pytest.approx(expected)
    assert all(math.isnan(v) for v in values.values())  # no per-grid street share
    assert [g.id for g in run.report.outcomes[0].grids] == sorted(roots)


def test_resident_seat_reach_rolls_leaf_shares_up_by_residents(run) -> None:
    reach = seat_reach(run.layers, run.network, reach_m=80)
    values = _values(run, "T2")
    for leaf, row in reach.grids.iterrows():
        assert values[str(leaf)] == pytest.approx(row["share"], nan_ok=True)
    root = run.layers.grids.loc[run.layers.grids["parent_id"].isna(), "id"].iloc[0]
    assert values[root] == pytest.approx(reach.weight_share, rel=1e-9)


def test_rest_gap_target_matches_rest_gaps(run) -> None:
    gaps = rest_gaps(run.layers, run.network, max_gap_m=250)
    values = _values(run, "T3")
    for leaf, row in gaps.grids.iterrows():
        assert values[str(leaf)] == pytest.approx(row["share_ok"], nan_ok=True)
    root = run.layers.grids.loc[run.layers.grids["parent_id"].isna(), "id"].iloc[0]
    assert values[root] == pytest.approx(gaps.share_ok, rel=1e-9)


def test_custom_profile_target_uses_its_speed(run) -> None:
    study = run.study
    profile = study_profile(study, "slow")
    assert (profile.speed_m_s, dict(profile.penalties)) == (0.5, {"steps": 30.0})
    direct = compute_study_coverage(study, run.layers, run.network, profile="slow",
                                    walk_minutes=10, isochrones=False)  # fmt: skip
    grids = direct.grids[direct.grids["level"] == "microgrid"]
    values = _values(run, "T4")
    for gid, share in zip(grids["id"], grids["share_elderly"], strict=True):
        assert values[gid] == pytest.approx(share)
    assert run.coverage[("slow", 10.0)].params["speed_m_s"] == 0.5


def test_slower_pace_never_covers_more(run) -> None:
    """Property on real data: at 0.5 m/s for 10 min no grid beats the 0.9 m/s/15 min share."""
    study = load_study(demo_study_path())
    fast = compute_study_coverage(study, run.layers, load_study_network(study), isochrones=False)
    slow = run.coverage[("slow", 10.0)]
    merged = fast.grids.set_index("id")["share_elderly"]
    for gid, share in zip(slow.grids["id"], slow.grids["share_elderly"], strict=True):
        assert share <= merged[gid] + 1e-12


def test_layers_are_read_through_the_study(run) -> None:
    study = load_study(demo_study_path())
    layers = load_study_layers(study)
    assert layers.synthetic and layers.name == study.name
    assert len(layers.grids) == len(run.layers.grids)
