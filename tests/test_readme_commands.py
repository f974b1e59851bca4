"""The README's commands run as written: the two opening commands and the Python quickstart."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
BIN = Path(sys.executable).parent


def _blocks(language: str) -> list[str]:
    return [b.strip() for b in re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)]


def test_readme_opens_with_exactly_two_commands_setup_demo_and_setup_tests() -> None:
    demo, tests = _blocks("bash")[:2]
    before = README.split("```bash", 1)[0]
    assert "```" not in before  # nothing comes before the two commands
    assert len(_blocks("bash")) == 2
    for command in (demo, tests):
        assert "\n" not in command
        assert command.startswith("python3 -m venv .venv && .venv/bin/pip install")
        assert "-c constraints.txt" in command
    assert demo.endswith(".venv/bin/lifecircle demo")
    assert tests.endswith(".venv/bin/python -m pytest -n 2")


def test_ci_runs_the_readme_test_command() -> None:
    proc = subprocess.run(
        [sys.executable, str(REPO / ".ci" / "readme_command.py"), "test"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert proc.stdout.strip() == _blocks("bash")[1]
    assert "readme_command.py test" in (REPO / ".ci" / "run").read_text(encoding="utf-8")


@pytest.mark.slow
def test_readme_demo_command_runs(tmp_path: Path) -> None:
    """The last step of the README's first command, from the test environment."""
    script = BIN / "lifecircle"
    demo = _blocks("bash")[0].rsplit("&&", 1)[1].strip()
    assert demo == ".venv/bin/lifecircle demo"
    env = {**os.environ, "CI": "true"}
    proc = subprocess.run([str(script), "demo"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=600, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "SYNTHETIC" in proc.stdout
    assert "grids reach >=90% of residents" in proc.stdout
    assert "suggested new seat sites" in proc.stdout
    assert "All 5 targets met." in proc.stdout
    out = tmp_path / "lifecircle-output"
    assert {p.name for p in out.iterdir()} >= {"map-elderly-zh.html", "report-zh.html"}
    assert not list(out.glob("*.tmp")) and not list(out.glob(".*"))


@pytest.mark.slow
def test_readme_python_quickstart_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    quickstart = _blocks("python")[0]
    assert "lc.load_demo_layers()" in quickstart
    monkeypatch.chdir(tmp_path)
    exec(compile(quickstart, "README.md:quickstart", "exec"), {"__name__": "__readme__"})
    saved = tmp_path / "lifecircle-output" / "quickstart-map.html"
    assert saved.stat().st_size > 10_000
    assert '<script src="http' not in saved.read_text(encoding="utf-8")
