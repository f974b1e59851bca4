"""The CI snippets in the README run exactly as written."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from lifecircle.data import demo_path
from lifecircle.study import demo_study_path

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
BIN = Path(sys.executable).parent


def _coverage_only(text: str) -> str:
    """Drop the seat targets (the slow part of a check) from a study text."""
    head, *blocks = text.split("[[targets]]")
    tail = blocks[-1][blocks[-1].index("[outputs]") :]
    kept = [b.split("[outputs]")[0] for b in blocks if 'metric = "coverage"' in b]
    return "[[targets]]".join([head, *kept]) + tail


def _check_commands(path: Path) -> list[str]:
    """Every `lifecircle check ...` command inside the yaml code blocks of ``path``."""
    if not path.is_file():
        return []
    blocks = re.findall(r"```ya?ml\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.S)
    commands = []
    for block in blocks:
        for line in block.splitlines():
            match = re.match(r"^\s*(?:-\s+|run:\s+|-\s+run:\s+)(lifecircle check .+?)\s*$", line)
            if match:
                commands.append(match.group(1))
    return commands


def test_readme_holds_github_and_gitlab_snippets_with_one_command() -> None:
    commands = _check_commands(README)
    assert len(commands) == 2, commands  # GitHub Actions and GitLab CI
    assert len(set(commands)) == 1
    text = README.read_text(encoding="utf-8")
    assert "GITHUB_STEP_SUMMARY" in text and "junit: reports/" in text


@pytest.mark.slow
def test_ci_command_runs_on_the_demo_study(tmp_path: Path) -> None:
    (command,) = set(_check_commands(README))
    data = demo_path("grids.geojson").parent
    text = demo_study_path().read_text(encoding="utf-8").replace('"demo/', f'"{data.as_posix()}/')
    (tmp_path / "study.toml").write_text(_coverage_only(text), encoding="utf-8")
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "CI": "true"}
    proc = subprocess.run(["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=300, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    junit = sorted(tmp_path.rglob("*junit*.xml"))
    assert len(junit) == 1
    root = ET.parse(junit[0]).getroot()
    assert root.tag == "testsuites" and root.get("failures") == "0"
    assert any(p.suffix == ".md" for p in (tmp_path / "reports").iterdir())
    assert shutil.which("lifecircle", path=env["PATH"]) is not None
