"""Benchmark: CPU seconds of ``lifecircle demo`` beyond the imports, stage by stage.

Run: ``.venv/bin/python benchmarks/bench_demo.py [--runs 5] [--reference REV]``

What is timed: the ``demo`` command itself (``lifecircle demo -o <temporary folder>``), run
in a fresh Python process per run, so that every per-process cost (PROJ database, font
lookup, first-call caches) counts as it does for a planner. Each process first imports
every module the demo ends up importing (the list is found by one untimed demo run per
tree), timed separately as "imports"; then it runs the command and times each stage with
``time.process_time`` (CPU seconds of the process, not wall time: the machine is shared):

- ``layers``: ``load_demo_layers`` (read and validate the embedded layers);
- ``network``: ``load_demo_network`` (build the walking network from its lines);
- ``coverage``: ``echo_demo_coverage`` (elderly and adult pace, with isochrones);
- ``seats``: ``echo_demo_seats`` (seat reach, rest gaps, seat suggestions);
- ``study check``: ``load_study`` + ``run_study`` of the demo study's targets;
- ``map``: ``coverage_map`` + ``save_map``;
- ``report``: ``write_report`` (report HTML with its map and static PNG);
- ``other``: the rest of the command (printing, the layer summary...).

The reference is the same command at git revision ``--reference`` (default: the commit
before the demo was made faster), checked out with ``git worktree add`` into a temporary
folder and run in the same way, interleaved run by run with the current tree so that
machine load hits both alike. The table gives each stage's median over ``--runs`` runs
for both trees and the ratio (current / reference); peak memory is the largest resident
set of a run. Nothing here is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

#: The last commit before the demo was made faster (issue 12): the default reference.
REFERENCE = "5787533"

#: Stage name -> (module, attribute) of the function whose calls make up the stage.
STAGES: dict[str, list[tuple[str, str]]] = {
    "layers": [("lifecircle", "load_demo_layers")],
    "network": [("lifecircle", "load_demo_network")],
    "coverage": [("lifecircle.cli", "echo_demo_coverage")],
    "seats": [("lifecircle.cli", "echo_demo_seats")],
    "study check": [("lifecircle", "load_study"), ("lifecircle", "run_study")],
    "map": [("lifecircle", "coverage_map"), ("lifecircle", "save_map")],
    "report": [("lifecircle", "write_report")],
}
ORDER = [*STAGES, "other", "total beyond imports", "imports"]


# --------------------------------------------------------------------------- worker process
def _timed(func: Callable[..., Any], stage: str, spent: dict[str, float]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return func(*args, **kwargs)
        finally:
            spent[stage] = spent.get(stage, 0.0) + time.process_time() - start

    return wrapper


def _run_demo(out: Path) -> None:
    from lifecircle.cli import app

    try:
        code = app(["demo", "-o", str(out)], standalone_mode=False)
    except SystemExit as exc:
        code = exc.code
    if code not in (0, None):  # the command group turns errors into an exit code
        raise RuntimeError(f"lifecircle demo exited with {code}")


def worker(mode: str, out: Path, modules_file: Path) -> None:
    """One run in this process: ``discover`` the imported modules, or ``time`` the demo."""
    import contextlib
    import importlib
    import io

    if mode == "discover":
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            _run_demo(out)
        modules_file.write_text(json.dumps(sorted(sys.modules)))
        return
    start = time.process_time()
    for name in json.loads(modules_file.read_text()):
        if name == "__main__" or name.startswith("_pytest"):
            continue
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    imports = time.process_time() - start
    import lifecircle
    import lifecircle.cli

    spent: dict[str, float] = {}
    for stage, targets in STAGES.items():
        for module_name, attr in targets:
            module = sys.modules[module_name]
            setattr(module, attr, _timed(getattr(module, attr), stage, spent))
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        start = time.process_time()
        _run_demo(out)
        total = time.process_time() - start
    figures = {stage: spent.get(stage, 0.0) for stage in STAGES}
    figures["other"] = total - sum(figures.values())
    figures["total beyond imports"] = total
    figures["imports"] = imports
    figures["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures["package"] = str(Path(lifecircle.__file__).parent)  # type: ignore[assignment]
    print(json.dumps(figures))


# --------------------------------------------------------------------------- driver
def _spawn(tree: Path, mode: str, out: Path, modules_file: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(tree), "CI": "1"}
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--worker", mode, str(out),
         str(modules_file)],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        raise RuntimeError(f"demo run failed in {tree}:\n{proc.stderr[-3000:]}")
    if mode == "discover":
        return {}
    figures: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    if Path(figures["package"]) != tree / "lifecircle":
        raise RuntimeError(f"the run imported {figures['package']}, not {tree / 'lifecircle'}")
    return figures


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(float(r[key]) for r in runs)


def main() -> None:
    """Time the demo in the current tree and at the reference revision; print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per tree (median; >= 5)")
    parser.add_argument("--reference", default=REFERENCE, help="git revision to compare with")
    parser.add_argument("--no-reference", action="store_true", help="time the current tree only")
    parser.add_argument("--worker", nargs=3, metavar=("MODE", "OUT", "MODULES"), help="internal")
    args = parser.parse_args()
    if args.worker:
        mode, out, modules = args.worker
        worker(mode, Path(out), Path(modules))
        return
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as tmp_name:
        tmp = Path(tmp_name)
        trees = {"current": ROOT}
        ref_tree = tmp / "reference"
        if not args.no_reference:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(ref_tree),
                 args.reference],
                check=True,
            )  # fmt: skip
            trees["reference"] = ref_tree
        try:
            results = _measure(trees, tmp, runs=args.runs)
        finally:
            if "reference" in trees:
                subprocess.run(
                    ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(ref_tree)],
                    check=False,
                )
    _print_table(results, reference=None if args.no_reference else args.reference)


def _measure(trees: dict[str, Path], tmp: Path, *, runs: int) -> dict[str, list[dict[str, Any]]]:
    modules = {name: tmp / f"modules-{name}.json" for name in trees}
    for name, tree in trees.items():
        _spawn(tree, "discover", tmp / f"out-{name}", modules[name])
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in trees}
    for i in range(runs):  # interleaved: load on the machine hits both trees alike
        for name, tree in trees.items():
            figures = _spawn(tree, "time", tmp / f"out-{name}-{i}", modules[name])
            results[name].append(figures)
            total = figures["total beyond imports"]
            print(f"  run {i + 1}/{runs} {name}: {total:.2f} s", file=sys.stderr)
    return results


def _print_table(results: dict[str, list[dict[str, Any]]], *, reference: str | None) -> None:
    runs = len(results["current"])
    load = os.getloadavg()[0]
    print(
        f"lifecircle demo: CPU seconds (time.process_time), median of {runs} runs, each in a "
        f"fresh process; machine: {os.cpu_count()} cores, load average {load:.1f}, "
        f"Python {platform.python_version()}"
    )
    header = f"{'stage':<22} {'current':>9}"
    if reference:
        header += f" {'reference ' + reference:>18} {'ratio':>7}"
    print(header)
    for key in ORDER:
        now = _median(results["current"], key)
        line = f"{key:<22} {now:9.3f}"
        if reference:
            ref = _median(results["reference"], key)
            line += f" {ref:18.3f} {now / ref if ref else float('nan'):7.2f}"
        print(line)
    peak = max(float(r["peak_mb"]) for r in results["current"])
    line = f"{'peak memory (MB)':<22} {peak:9.0f}"
    if reference:
        ref_peak = max(float(r["peak_mb"]) for r in results["reference"])
        line += f" {ref_peak:18.0f} {peak / ref_peak:7.2f}"
    print(line)
    print("target (issue 12): total beyond imports <= 2.5 s CPU")


if __name__ == "__main__":
    main()
