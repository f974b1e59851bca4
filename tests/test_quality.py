"""The house checks run with the tests: ruff lint, ruff format and mypy must be clean.

Each tool runs from the interpreter's own environment (``Path(sys.executable).parent``);
they are all in the test extra, so a missing tool fails its test rather than skipping it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
#: What ruff checks: the package, tests, benchmarks and the notebook generator.
RUFF_PATHS = ["lifecircle", "tests", "benchmarks", "notebooks/make_notebooks.py"]


def _run_tool(name: str, *args: str) -> None:
    exe = BIN / name
    if not exe.is_file():
        pytest.fail(
            f"{name} is not installed in {BIN}: it is part of the test extra "
            "(pip install -c constraints.txt -e '.[test]')",
            pytrace=False,
        )
    # mypy keeps its incremental cache in .mypy_cache at the repository root (gitignored)
    proc = subprocess.run(
        [str(exe), *args], cwd=REPO, capture_output=True, text=True, timeout=300, check=False
    )
    if proc.returncode != 0:
        pytest.fail(
            f"$ {name} {' '.join(args)} exited {proc.returncode}\n{proc.stdout}{proc.stderr}",
            pytrace=False,
        )


def test_ruff_check_is_clean():
    _run_tool("ruff", "check", *RUFF_PATHS)


def test_ruff_format_is_clean():
    _run_tool("ruff", "format", "--check", *RUFF_PATHS)


def test_mypy_is_clean():
    _run_tool("mypy", "lifecircle")
