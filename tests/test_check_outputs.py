"""Target evaluation on hand-built grid tables, and the text/JUnit/JSON/Markdown writers.

The grid hierarchy used here::

    S (subdistrict)
    ├── A1 (area, residential)      ├── m1 0.70   ├── m2 (no residents: NaN)
    ├── A2 (area, residential)      └── m3 0.99
    └── C1 (area, commercial, leaf)
"""

from __future__ import annotations

import json
import math
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lifecircle.errors import ConfigError
from lifecircle.study import (
    Target,
    evaluate_target,
    evaluate_targets,
    report_to_json,
    report_to_junit,
    report_to_markdown,
    report_to_text,
    write_text_atomic,
)

NAN = math.nan


def _grids(values: dict[str, float] | None = None) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "id": ["S", "A1", "A2", "C1", "m1", "m2", "m3"],
            "name": ["街道", "Area 1", "Area | 2", "Mall", "m one", "m two", "m three"],
            "level": ["subdistrict", "area", "area", "area", "microgrid", "microgrid",
                      "microgrid"],
            "parent_id": [None, "S", "S", "S", "A1", "A1", "A2"],
            "kind": ["residential", "residential", "residential", "commercial", "residential",
                     "residential", "residential"],
            "value": [0.9, 0.95, 0.8, 0.5, 0.7, NAN, 0.99],
        }
    )  # fmt: skip
    if values:
        frame["value"] = frame["id"].map(values).fillna(frame["value"])
    return frame


def _target(number: int = 1, **kw: object) -> Target:
    return Target(id=f"T{number}", name=kw.pop("name", ""), metric=kw.pop("metric", "coverage"),
                  minimum=kw.pop("minimum", 0.9), **kw)  # type: ignore[arg-type]  # fmt: skip


@pytest.mark.parametrize(
    ("target", "ids"),
    [
        (_target(level="microgrid"), {"m1", "m2", "m3"}),
        (_target(level="area"), {"A1", "A2", "C1"}),
        (_target(level="area", kind="residential"), {"A1", "A2"}),
        (_target(level="leaf"), {"C1", "m1", "m2", "m3"}),
        (_target(level="all"), {"S", "A1", "A2", "C1", "m1", "m2", "m3"}),
        (_target(level=None, grids=("m3", "A1")), {"m3", "A1"}),
    ],
)
def test_scope_selection(target: Target, ids: set[str]) -> None:
    outcome = evaluate_target(target, _grids())
    assert {g.id for g in outcome.grids} == ids


def test_pass_fail_skip_and_worst_first() -> None:
    outcome = evaluate_target(_target(level="microgrid", minimum=0.9), _grids())
    assert [(g.id, g.passed) for g in outcome.grids] == [("m1", False), ("m3", True), ("m2", None)]
    assert not outcome.passed
    assert outcome.achieved == 0.7
    assert [g.id for g in outcome.failed] == ["m1"]
    assert evaluate_target(_target(level="microgrid", minimum=0.7), _grids()).passed


def test_value_equal_to_minimum_passes_despite_float_noise() -> None:
    outcome = evaluate_target(_target(grids=("m1",), level=None, minimum=0.7),
                              _grids({"m1": 0.1 * 7}))  # fmt: skip
    assert outcome.passed


def test_scope_with_only_missing_values_fails() -> None:
    outcome = evaluate_target(_target(grids=("m2",), level=None, minimum=0.0), _grids())
    assert not outcome.passed and math.isnan(outcome.achieved)
    root = ET.fromstring(report_to_junit(evaluate_targets([outcome.target], {"T1": _grids()})))
    assert root.get("failures") == "1" and root.get("skipped") == "1"


def test_unknown_grid_ids_and_empty_scope_raise_config_error() -> None:
    with pytest.raises(ConfigError, match=r's\.toml: targets\[3\]\.grids: unknown grid ids "x";'):
        evaluate_target(_target(3, grids=("x", "m1"), level=None), _grids(), label="s.toml")
    with pytest.raises(ConfigError, match="selects no grid"):
        evaluate_target(_target(level="microgrid", kind="commercial"), _grids())


def _report(values: dict[str, float] | None = None):
    targets = [
        _target(1, level="microgrid", minimum=0.9),
        _target(2, metric="seat_reach", level="subdistrict", minimum=0.85),
        _target(3, name="Areas <b>&</b> zones", level="area", minimum=0.6),
    ]
    tables = {t.id: _grids(values) for t in targets}
    return evaluate_targets(targets, tables, study="Demo 示范", synthetic=True)


def test_junit_has_one_case_per_target_and_grid_and_failures_for_misses() -> None:
    report = _report()
    root = ET.fromstring(report_to_junit(report))
    suites = root.findall("testsuite")
    assert len(suites) == 3
    cases = root.findall("testsuite/testcase")
    assert len(cases) == sum(len(o.grids) for o in report.outcomes) == int(root.get("tests"))
    failed = {(c.get("classname"), c.get("name").split()[0])
              for c in cases if c.find("failure") is not None}  # fmt: skip
    expected = {(f"lifecircle.{o.target.id}", g.id) for o in report.outcomes for g in o.failed}
    assert failed == expected == {("lifecircle.T1", "m1"), ("lifecircle.T3", "C1")}
    assert root.get("failures") == "2"
    assert suites[2].get("name") == "T3 Areas <b>&</b> zones"  # escaped in XML, intact here


def test_all_met_report_has_no_failures() -> None:
    report = _report({"m1": 0.95, "C1": 0.9})
    assert report.passed
    assert ET.fromstring(report_to_junit(report)).get("failures") == "0"
    assert "All 3 targets met." in report_to_text(report)


def test_json_is_deterministic_and_independent_of_row_order() -> None:
    report = _report()
    text = report_to_json(report)
    doc = json.loads(text)
    assert "generated_at" not in doc
    assert doc["passed"] is False
    t1 = doc["targets"][0]
    assert [g["id"] for g in t1["grids"]] == ["m1", "m3", "m2"]
    assert t1["grids"][2]["value"] is None and t1["grids"][2]["status"] == "skipped"
    shuffled = {t: _grids().sample(frac=1, random_state=3) for t in ("T1", "T2", "T3")}
    again = evaluate_targets([o.target for o in report.outcomes], shuffled, study="Demo 示范",
                             synthetic=True)  # fmt: skip
    assert report_to_json(again) == text
    stamped = json.loads(report_to_json(report, generated_at="2025-01-01T00:00:00+00:00"))
    assert stamped["generated_at"] == "2025-01-01T00:00:00+00:00"


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=7, max_size=7), st.floats(0, 1))
def test_target_passes_iff_every_scoped_value_reaches_minimum(values, minimum) -> None:
    """Property: verdict equals the brute-force check on the scope's values."""
    frame = _grids()
    frame["value"] = values
    outcome = evaluate_target(_target(level="leaf", minimum=minimum), frame)
    leaf = frame[frame["id"].isin(["C1", "m1", "m2", "m3"])]["value"]
    assert outcome.passed == bool((leaf >= minimum - 1e-9).all())
    assert outcome.achieved == leaf.min()


def test_text_and_markdown_in_both_languages() -> None:
    report = _report()
    en = report_to_text(report, lang="en")
    assert "T1 residents within 15 min of elderly (elderly)" in en
    assert "m1 (70.0%)" in en and "FAIL" in en and "2 of 3 targets missed." in en
    zh = report_to_text(report, lang="zh")
    assert "未达标" in zh and "微网格" in zh and "合成示范街道" in zh
    md = report_to_markdown(report, lang="en")
    assert md.startswith("## ❌ lifecircle check: Demo 示范")
    assert "| Target | Scope |" in md
    assert "- C1 Mall: 50.0%" in md
    assert "Area \\| 2" not in md  # A2 passes T3; only failing grids are listed
    assert md.count("\n|") == 5  # header, rule, three targets
    assert "<b>" not in md and "T3 Areas &lt;b&gt;&amp;&lt;/b&gt; zones" in md  # no raw HTML


def test_write_text_atomic_replaces_whole_file(tmp_path: Path) -> None:
    path = write_text_atomic(tmp_path / "out" / "r.json", "new")
    assert path.read_text(encoding="utf-8") == "new"
    assert os.listdir(tmp_path / "out") == ["r.json"]


def test_interrupted_write_leaves_old_file_and_no_temp(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "junit.xml"
    target.write_text("old", encoding="utf-8")

    def boom(src: str, dst: str) -> None:
        raise KeyboardInterrupt  # a killed run between writing and renaming

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        write_text_atomic(target, "x" * 100_000)
    assert target.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junit.xml"]


def test_run_study_rejects_duplicate_target_ids_before_any_work() -> None:
    import dataclasses

    from lifecircle.study import demo_study_path, load_study, run_study

    study = load_study(demo_study_path())
    twice = dataclasses.replace(study, targets=(*study.targets, study.targets[0]))
    with pytest.raises(ConfigError, match=r"demo_study\.toml: target ids must be unique"):
        run_study(twice)
    with pytest.raises(ConfigError, match="no \\[\\[targets\\]\\] to check"):
        run_study(dataclasses.replace(study, targets=()))


@pytest.mark.slow
def test_killed_writer_never_leaves_a_partial_output_file(tmp_path: Path) -> None:
    """SIGKILL between writing the temporary file and renaming it: the output path keeps its
    previous complete content (only a hidden ``.*.tmp.*`` file may remain)."""
    import subprocess
    import sys

    target = tmp_path / "report.json"
    target.write_text('{"old": true}\n', encoding="utf-8")
    script = (
        "import os, signal, sys\n"
        "from lifecircle.study import write_text_atomic\n"
        "os.replace = lambda *a: os.kill(os.getpid(), signal.SIGKILL)\n"
        "write_text_atomic(sys.argv[1], 'x' * 1_000_000)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script, str(target)], timeout=120, check=False)
    assert proc.returncode != 0
    assert target.read_text(encoding="utf-8") == '{"old": true}\n'
    assert all(p == target or (p.name.startswith(".") and ".tmp" in p.suffixes)
               for p in tmp_path.iterdir())  # fmt: skip
