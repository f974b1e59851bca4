"""The tutorial notebooks: committed without outputs, in sync with their generator, and run
top to bottom offline in a fresh python3 kernel (nbclient)."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType

import nbformat
import pytest

import lifecircle

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = REPO / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))


def _used_chains(path: Path) -> set[str]:
    """Every ``lc.<name>[.<name>...]`` chain in the notebook's code cells."""
    nb = nbformat.read(path, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    return set(re.findall(r"\blc\.([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)", code))


def test_there_are_five_tutorials() -> None:
    names = [p.stem for p in NOTEBOOKS]
    assert len(names) == 5
    for topic in ("quickstart", "own_data", "seat", "targets", "scenarios"):
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


def test_notebooks_use_only_the_public_api() -> None:
    """Each ``lc.x`` is exported at the top level and each ``lc.sub.y`` by that subpackage."""
    chains = set().union(*(_used_chains(p) for p in NOTEBOOKS))
    assert chains
    private = sorted(c for c in chains if any(part.startswith("_") for part in c.split(".")))
    assert not private, private
    missing = []
    for chain in sorted(chains):
        head, *rest = chain.split(".")
        value = getattr(lifecircle, head, None)
        in_subpackage = not rest or not isinstance(value, ModuleType) or rest[0] in value.__all__
        if head not in lifecircle.__all__ or not in_subpackage:
            missing.append(chain)
    assert not missing, f"not exported: {missing}"
    code = "\n".join(p.read_text(encoding="utf-8") for p in NOTEBOOKS)
    assert "from lifecircle." not in code and "import lifecircle." not in code


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path: Path, tmp_path: Path) -> None:
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
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
