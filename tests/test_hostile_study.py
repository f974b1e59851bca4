"""Hostile study files, scenario files and output paths on the command line.

Each case runs the real command on a copy of the ``lifecircle init --demo-data`` study and
asserts the whole outcome: exit code 2, one ``error:`` message naming the file and key (or
option) and the fix, no traceback or Python repr, and no file written or overwritten.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lifecircle.cli import app

runner = CliRunner()

#: What a planner must never see: Python internals in place of plain words.
_PYTHON = re.compile(r"Traceback|PosixPath\(|np\.float64\(|array\(|\{'|\['|<class |dtype=")


def _invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture()
def study(tmp_path: Path) -> Path:
    assert _invoke("init", tmp_path / "study.toml", "--demo-data").exit_code == 0
    return tmp_path / "study.toml"


def _edit(study: Path, old: str, new: str) -> Path:
    text = study.read_text(encoding="utf-8")
    assert old in text, old
    study.write_text(text.replace(old, new, 1), encoding="utf-8")
    return study


def _files(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and ".lifecircle-cache" not in p.parts
    }


def _refused(study: Path, *args: object, needles: tuple[str, ...]) -> str:
    """Run a command expected to refuse its input; nothing in the study folder changes."""
    before = _files(study.parent)
    result = _invoke(*args)
    message = result.stderr.strip()
    assert result.exit_code == 2, result.output
    assert message.startswith("error: "), message
    assert not _PYTHON.search(message), message
    for needle in needles:
        assert needle in message, message
    assert _files(study.parent) == before
    return message


# ------------------------------------------------------------------------------ TOML
@pytest.mark.parametrize("nested", ["[" * 3000 + "]" * 3000, "{a=" * 3000 + "1" + "}" * 3000])
def test_absurdly_nested_toml_is_refused_not_a_crash(study: Path, nested: str) -> None:
    """Python's TOML parser recurses per level: 3,000 levels hit its recursion limit
    (was exit 3, "unexpected internal error (RecursionError ...)")."""
    with study.open("a", encoding="utf-8") as handle:
        handle.write(f"\n[deep]\nx = {nested}\n")
    _refused(study, "validate", study, needles=("study.toml:", "nested", "brackets"))


def test_absurdly_nested_scenario_is_refused(study: Path) -> None:
    scenario = study.parent / "plan.toml"
    scenario.write_text("x = " + "[" * 3000 + "]" * 3000 + "\n", encoding="utf-8")
    _refused(study, "compare", study, scenario, needles=("plan.toml:", "nested"))
