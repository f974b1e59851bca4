"""The architecture holds: import contracts (import-linter) and no private name used across modules.

The contracts live in ``pyproject.toml`` under ``[tool.importlinter]`` (drawn in the README's
"Architecture" section). import-linter has no rule for private names, so the second half of
this file reads every module's imports with :mod:`ast`:

- a private *object* (``datums._in_china``, ``WalkNetwork._cache``) is used only inside the
  module that defines it;
- a private *module* (``geo/_report.py``, ``lifecircle/_cli_support.py``) is imported only by
  modules of its own package (its siblings and its package's ``__init__``), never from another
  package;
- the lazy top-level namespace (``lc.compute_coverage``) is for users, the CLI and notebooks:
  inside the package it would hide a dependency from import-linter, so only the top layer
  (``cli``, ``__main__``) may use it.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import grimp  # installed with import-linter
import pytest

import lifecircle

REPO = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
ROOT = "lifecircle"
#: The top layer: the only modules that may reach names through the lazy ``lifecircle.<name>``.
LAZY_NAMESPACE_USERS = {"lifecircle.cli", "lifecircle.__main__"}
#: Private uses across modules that are tolerated for now: (importer, private target). Keep it
#: empty; an entry needs a comment saying who removes it and when.
ALLOWED_PRIVATE_USES: set[tuple[str, str]] = set()
#: Underscored but public by convention: the named-tuple API (``Point._replace``).
NAMEDTUPLE_API = {"_asdict", "_field_defaults", "_fields", "_make", "_replace"}


def _lint_imports(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    if not LINT_IMPORTS.is_file():
        pytest.fail(
            f"lint-imports is not installed in {LINT_IMPORTS.parent}: it is part of the test "
            "extra (pip install -c constraints.txt -e '.[test]')",
            pytrace=False,
        )
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_import_contracts_are_kept() -> None:
    proc = _lint_imports(REPO)
    if proc.returncode != 0:
        pytest.fail(f"$ lint-imports\n{proc.stdout}{proc.stderr}", pytrace=False)
    assert "0 broken" in proc.stdout


def _copy_package(tmp_path: Path) -> Path:
    """A copy of the package's Python files and pyproject.toml to break on purpose."""
    shutil.copytree(
        REPO / ROOT,
        tmp_path / ROOT,
        ignore=lambda folder, names: (
            [n for n in names if not n.endswith(".py") and not (Path(folder) / n).is_dir()]
            + ["__pycache__"]
        ),
    )
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _first_sibling_import(package: str) -> tuple[str, str]:
    """An import between two modules directly inside ``package`` (importer, imported)."""
    graph = grimp.build_graph(ROOT)
    children = graph.find_children(package)
    for importer in sorted(children):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            if imported in children and not graph.find_children(imported):
                return importer, imported
    raise AssertionError(f"no import between two modules of {package}")


def _module_file(root: Path, module: str) -> Path:
    path = root.joinpath(*module.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("contract", "importer", "imported"),
    [
        ("packages", "lifecircle.geo", "lifecircle.coverage"),
        ("packages", "lifecircle.geo", "lifecircle.study"),
        ("packages", "lifecircle.maps", "lifecircle.coverage.measures"),
        ("packages", "lifecircle.coverage", "lifecircle.maps"),
        ("packages", "lifecircle.study", "lifecircle.cli"),
        ("coverage-folders", "lifecircle.coverage.network", "lifecircle.coverage.routing"),
        ("coverage-folders", "lifecircle.coverage.routing", "lifecircle.coverage.placement"),
        ("coverage-folders", "lifecircle.coverage.routing", "lifecircle.coverage.areas"),
        ("coverage-folders", "lifecircle.coverage.placement", "lifecircle.coverage.areas"),
        ("coverage-folders", "lifecircle.coverage.areas", "lifecircle.coverage.placement"),
        ("coverage-folders", "lifecircle.coverage.areas", "lifecircle.coverage.measures"),
        ("coverage-folders", "lifecircle.coverage.placement", "lifecircle.coverage.measures"),
        ("coverage-folders", "lifecircle.coverage.presets", "lifecircle.coverage.network"),
        ("coverage-folders", "lifecircle.coverage.network", "lifecircle.coverage.presets"),
        ("demo-generator", "lifecircle.data", "lifecircle.tables"),
        ("no-cycles", "", ""),
    ],
)
def test_each_contract_fails_on_a_forbidden_import(
    tmp_path: Path, contract: str, importer: str, imported: str
) -> None:
    root = _copy_package(tmp_path)
    if contract == "no-cycles":
        # reverse an existing import between two geo modules
        imported, importer = _first_sibling_import("lifecircle.geo")
    with _module_file(root, importer).open("a", encoding="utf-8") as f:
        f.write(f"\nimport {imported}\n")
    proc = _lint_imports(root, "--contract", contract)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "BROKEN" in proc.stdout and "1 broken" in proc.stdout, proc.stdout
    if contract == "no-cycles":  # named relative to their package
        tail = f".{importer.rpartition('.')[2]} -> .{imported.rpartition('.')[2]}"
        assert tail in proc.stdout, proc.stdout
    else:
        assert importer in proc.stdout and imported in proc.stdout, proc.stdout


@pytest.mark.slow
def test_every_module_under_the_package_is_placed_in_a_layer(tmp_path: Path) -> None:
    root = _copy_package(tmp_path)
    (root / ROOT / "helpers.py").write_text('"""Not placed in the architecture."""\n')
    proc = _lint_imports(root, "--contract", "packages")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "lifecircle.helpers" in proc.stdout, proc.stdout


# --- private names ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PrivateUse:
    """One use of a name that the importing module may not use."""

    path: str
    line: int
    importer: str
    target: str
    why: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.target} ({self.why})"


def _is_private(part: str) -> bool:
    dunder = part.startswith("__") and part.endswith("__")
    return part.startswith("_") and not dunder and part not in NAMEDTUPLE_API


def _module_name(root: Path, path: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(root: Path, dotted: str) -> bool:
    path = root.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _absolute(module: str | None, level: int, package: str) -> str:
    """The absolute module of ``from <dots><module> import ...`` inside ``package``."""
    if level == 0:
        return module or ""
    base = package.split(".")
    base = base[: len(base) - level + 1]
    return ".".join([*base, module] if module else base)


def _dotted(node: ast.expr) -> list[str] | None:
    """``a.b.c`` as ``["a", "b", "c"]``; None for anything that is not a plain name chain."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return [node.id, *reversed(parts)]


def _reached_targets(tree: ast.Module, package: str) -> list[tuple[int, str]]:
    """Every dotted ``lifecircle...`` name a module imports or reaches by attribute access."""
    bound: dict[str, str] = {}  # local name -> the lifecircle object it stands for
    targets: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] != ROOT:
                    continue
                targets.append((node.lineno, alias.name))
                if alias.asname:
                    bound[alias.asname] = alias.name
                else:
                    bound[ROOT] = ROOT
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(node.module, node.level, package)
            if module.split(".")[0] != ROOT:
                continue
            for alias in node.names:
                target = f"{module}.{alias.name}"
                targets.append((node.lineno, target))
                bound[alias.asname or alias.name] = target
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            parts = _dotted(node)
            if parts and parts[0] in bound:
                targets.append((node.lineno, ".".join([bound[parts[0]], *parts[1:]])))
    return targets


def private_uses(
    root: Path, allowed: set[tuple[str, str]] = ALLOWED_PRIVATE_USES
) -> list[PrivateUse]:
    """Uses of private names (or of the lazy namespace) that break the rules of this module.

    Parameters
    ----------
    root : pathlib.Path
        The folder holding the ``lifecircle`` package.
    allowed : set of (str, str)
        (importer, private target) pairs to tolerate.
    """
    lazy = set(getattr(lifecircle, "_LAZY", {}))
    problems: set[PrivateUse] = set()
    for path in sorted((root / ROOT).rglob("*.py")):
        importer = _module_name(root, path)
        package = importer if path.name == "__init__.py" else importer.rpartition(".")[0]
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, target in _reached_targets(tree, package):
            parts = target.split(".")
            where = str(path.relative_to(root))
            through_lazy = (
                len(parts) > 1 and parts[1] in lazy and not _is_module(root, ".".join(parts[:2]))
            )
            if through_lazy and importer not in LAZY_NAMESPACE_USERS:
                why = "the lazy top-level namespace hides the dependency from lint-imports"
                problems.add(PrivateUse(where, line, importer, ".".join(parts[:2]), why))
            n_module = max(
                k for k in range(1, len(parts) + 1) if _is_module(root, ".".join(parts[:k]))
            )
            for i, part in enumerate(parts[1:], start=1):
                if not _is_private(part):
                    continue
                owner = ".".join(parts[:i])
                private = ".".join(parts[: i + 1])
                if i < n_module and package != owner:
                    why = f"a private module of {owner}, used from {package}"
                elif i >= n_module and importer != owner:
                    why = f"private to {owner}"
                else:
                    continue
                if (importer, private) not in allowed:
                    problems.add(PrivateUse(where, line, importer, private, why))
                break
    return sorted(problems, key=lambda p: (p.path, p.line, p.target))


def test_no_private_name_is_used_across_modules() -> None:
    problems = private_uses(REPO)
    assert not problems, "\n".join(map(str, problems))


def test_the_allow_list_holds_only_live_entries() -> None:
    """An allowed private use that no longer occurs is removed from the list."""
    live = {(p.importer, p.target) for p in private_uses(REPO, allowed=set())}
    assert live >= ALLOWED_PRIVATE_USES, sorted(ALLOWED_PRIVATE_USES - live)


def _write(root: Path, module: str, text: str) -> None:
    path = root.joinpath(*module.split(".")).with_suffix(".py")
    path.parent.mkdir(parents=True, exist_ok=True)
    for folder in [path.parent, *path.parent.parents]:
        if folder == root:
            break
        (folder / "__init__.py").touch()
    path.write_text(text, encoding="utf-8")


def test_the_private_name_check_finds_each_kind_of_use(tmp_path: Path) -> None:
    """A tiny package: each ``bad`` line is found, no ``ok`` line is."""
    _write(tmp_path, "lifecircle.geo.datums", "def _in_china(): ...\ndef _local(): _in_china()\n")
    _write(tmp_path, "lifecircle.geo._report", "def grouped(): ...\n")
    _write(tmp_path, "lifecircle.geo.network", "class WalkNetwork:\n    _cache = None\n")
    _write(
        tmp_path,
        "lifecircle.geo.crs",
        "from lifecircle.geo.datums import _in_china  # bad 1\n"
        "from lifecircle.geo import datums\n"
        "datums._in_china()  # bad 2\n"
        "import lifecircle.geo.datums as d\n"
        "d._in_china()  # bad 3\n"
        "import lifecircle.geo.datums\n"
        "lifecircle.geo.datums._in_china()  # bad 4\n"
        "from lifecircle.geo._report import grouped  # ok: a sibling's private module\n"
        "from lifecircle.geo.network import WalkNetwork\n"
        "WalkNetwork._cache  # bad 5\n"
        "from lifecircle import __version__  # ok\n"
        "from .datums import _in_china as f  # bad 6\n",
    )
    _write(
        tmp_path,
        "lifecircle.maps.style",
        "from lifecircle.geo._report import grouped  # bad 7\n"
        "import lifecircle.geo._report  # bad 8\n"
        "import lifecircle as lc\n"
        "lc.compute_coverage  # bad 9\n"
        "from lifecircle import load_demo_layers  # bad 10\n"
        "from lifecircle import geo  # ok: a subpackage\n",
    )
    _write(tmp_path, "lifecircle.cli", "import lifecircle as lc\nlc.compute_coverage  # ok\n")
    found = private_uses(tmp_path, allowed=set())
    lines: dict[str, set[int]] = {}
    for p in found:
        lines.setdefault(p.importer, set()).add(p.line)
    assert lines == {
        "lifecircle.geo.crs": {1, 3, 5, 7, 10, 12},
        "lifecircle.maps.style": {1, 2, 4, 5},
    }, "\n".join(map(str, found))


# --- the public namespace ----------------------------------------------------------------------


def test_every_public_name_resolves() -> None:
    for name in lifecircle.__all__:
        assert getattr(lifecircle, name) is not None, name
    for sub in ("geo", "coverage", "maps", "study"):
        module = getattr(lifecircle, sub)
        assert module.__name__ == f"lifecircle.{sub}"
        missing = [n for n in module.__all__ if not hasattr(module, n)]
        assert not missing, (sub, missing)
    assert set(lifecircle.__all__) <= set(dir(lifecircle))


def test_every_error_and_warning_class_is_at_the_top_level() -> None:
    from lifecircle import errors

    classes = {
        name
        for name, value in vars(errors).items()
        if isinstance(value, type)
        and issubclass(value, errors.LifecircleError | errors.LifecircleWarning)
    }
    assert classes and classes <= set(lifecircle.__all__), sorted(classes - set(lifecircle.__all__))


def test_import_loads_no_subpackage_until_a_name_is_used() -> None:
    code = (
        "import sys, lifecircle as lc\n"
        "heavy = ('geopandas', 'folium', 'lifecircle.geo', 'lifecircle.coverage')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
        "lc.geo\n"
        "print('lifecircle.geo' in sys.modules, 'lifecircle.coverage' in sys.modules)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert proc.stdout.splitlines() == ["[]", "True False"], proc.stdout + proc.stderr
