"""The README's "Scenarios" section runs as written: its TOML, its Python and its command."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from lifecircle.study import demo_scenario_path, demo_study_path
from lifecircle.study.scenario_files import load_scenario, scenario_from_text

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
SECTION = (
    (REPO / "README.md").read_text(encoding="utf-8")
    .split("## Scenarios / 方案比较", 1)[1].split("\n## ", 1)[0]
)  # fmt: skip


def _block(language: str) -> str:
    return SECTION.split(f"```{language}\n", 1)[1].split("```", 1)[0]


def test_readme_toml_is_the_shipped_demo_scenario():
    shown = scenario_from_text(_block("toml"), "README.toml")
    shipped = load_scenario(demo_scenario_path())
    assert shown.name == shipped.name
    assert [(type(c), c.id) for c in shown.changes] == [(type(c), c.id) for c in shipped.changes]
    assert (shown.changes[0].lon, shown.changes[0].lat) == (
        shipped.changes[0].lon, shipped.changes[0].lat,
    )  # fmt: skip


def test_readme_python_runs(capsys):
    exec(compile(_block("python"), "README.md:scenarios", "exec"), {"__name__": "__readme__"})
    out = capsys.readouterr().out
    assert "new station" in out and "passed_after" in out and "gain" in out


def test_readme_compare_command_runs(tmp_path):
    command = _block("text").strip()
    words = shlex.split(command)
    assert words[:2] == ["lifecircle", "compare"]
    closures = tmp_path / "closures.toml"
    closures.write_text('[scenario]\nname = "closures"\n[[remove]]\nid = "E03"\n', "utf-8")
    files = {"study.toml": demo_study_path(), "new-station.toml": demo_scenario_path(),
             "closures.toml": closures}  # fmt: skip
    args = [str(files.get(w, tmp_path / w if w.endswith((".html", ".xlsx")) else w))
            for w in words[2:]]  # fmt: skip
    done = subprocess.run([sys.executable, "-m", "lifecircle", "compare", *args],
                          capture_output=True, text=True, timeout=600, check=False)  # fmt: skip
    assert done.returncode in (0, 1), done.stderr
    assert (tmp_path / "diff.html").is_file() and (tmp_path / "diff-2.html").is_file()
    assert (tmp_path / "compare.xlsx").is_file()
    assert "方案比较" in done.stdout  # the demo study's language
