"""The tutorial notebooks: committed without outputs, in sync with their generator, and run
top to bottom offline in a fresh python3 kernel (nbclient)."""

from __future__ import annotations

import importlib
import importlib.util
import json
import re
from pathlib import Path

import nbformat
import pytest

import lifecircle

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = REPO / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))

#: Public name -> module defining it, for every ``lc.<name>`` the notebooks use. The lead
#: exports these from ``lifecircle``; until then the execution tests inject them.
PUBLIC_NAMES = {
    "ConfigError": "lifecircle.errors",
    "ELDERLY_TYPES": "lifecircle.geo",
    "load_demo_layers": "lifecircle.geo",
    "load_layers": "lifecircle.geo",
    "read_elderly": "lifecircle.geo",
    "read_grids": "lifecircle.geo",
    "wgs84_to_gcj02": "lifecircle.geo",
    "load_demo_network": "lifecircle.coverage.network.build",
    "network_from_xml": "lifecircle.coverage.network.build",
    "compute_coverage": "lifecircle.coverage.measures.service_coverage",
    "coverage_map": "lifecircle.maps.coverage_map",
    "save_map": "lifecircle.maps.save",
    "seat_reach": "lifecircle.coverage.measures.seats",
    "rest_gaps": "lifecircle.coverage.measures.seats",
    "suggest_seats": "lifecircle.coverage.measures.seat_suggestions",
    "demo_study_path": "lifecircle.study",
    "load_study": "lifecircle.study",
    "report_to_junit": "lifecircle.study",
    "report_to_markdown": "lifecircle.study",
    "run_study": "lifecircle.study",
}


def _used_names(path: Path) -> set[str]:
    nb = nbformat.read(path, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    return set(re.findall(r"\blc\.([A-Za-z_][A-Za-z0-9_]*)", code))


def _available(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def test_there_are_four_tutorials() -> None:
    names = [p.stem for p in NOTEBOOKS]
    assert len(names) == 4
    for topic in ("quickstart", "own_data", "seat", "targets"):
        assert any(topic in n for n in names), topic


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_notebooks_have_no_outputs(path: Path) -> None:
    raw = json.loads(path.read_text(encoding="utf-8"))
    for cell in raw["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [], f"{path.name}: cell has outputs"
            assert cell["execution_count"] is None, f"{path.name}: cell has an execution count"
    nbformat.validate(nbformat.reads(path.read_text(encoding="utf-8"), as_version=4))


def test_notebooks_match_their_generator(tmp_path: Path, monkeypatch) -> None:
    spec = importlib.util.spec_from_file_location(
        "make_notebooks", NOTEBOOK_DIR / "make_notebooks.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "HERE", tmp_path)
    module.main()
    for path in NOTEBOOKS:
        assert (tmp_path / path.name).read_text(encoding="utf-8") == path.read_text(
            encoding="utf-8"
        ), f"{path.name} differs from make_notebooks.py output; rerun it"


def test_notebooks_use_only_documented_public_names() -> None:
    used = set().union(*(_used_names(p) for p in NOTEBOOKS))
    assert used <= set(PUBLIC_NAMES), sorted(used - set(PUBLIC_NAMES))
    code = "\n".join(p.read_text(encoding="utf-8") for p in NOTEBOOKS)
    assert "from lifecircle." not in code and "import lifecircle." not in code


def test_public_api_exports_the_notebook_names() -> None:
    lazy = getattr(lifecircle, "_LAZY", {})
    if not lazy:
        pytest.skip("the lead has not wired lifecircle's lazy exports yet")
    missing = sorted(n for n in PUBLIC_NAMES if n not in lazy and n not in vars(lifecircle))
    assert not missing, f"lifecircle does not export {missing}"


def _shim_cell(names: set[str]) -> nbformat.NotebookNode:
    """A first cell registering names the package does not export yet (same modules)."""
    lazy = getattr(lifecircle, "_LAZY", {})
    todo = {
        n: PUBLIC_NAMES[n] for n in sorted(names) if n not in lazy and n not in vars(lifecircle)
    }
    source = (
        "import lifecircle as _lc\n"
        f"for _n, _m in {todo!r}.items():\n"
        "    _lc._LAZY.setdefault(_n, _m)\n"
    )
    return nbformat.v4.new_code_cell(source)


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path: Path, tmp_path: Path) -> None:
    from nbclient import NotebookClient

    used = _used_names(path)
    missing_modules = sorted({PUBLIC_NAMES[n] for n in used if not _available(PUBLIC_NAMES[n])})
    if missing_modules:
        pytest.skip(f"{path.name} needs modules not written yet: {missing_modules}")
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(0, _shim_cell(used))
    client = NotebookClient(
        nb, kernel_name="python3", timeout=600, resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]  # fmt: skip
    assert not errors
    html = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
            if "text/html" in o.get("data", {})]  # fmt: skip
    assert html, f"{path.name} displays no table or map"
