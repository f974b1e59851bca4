"""Hostile and messy input files: each is read right or refused with the file, place and fix.

Every file is generated in ``tmp_path``. A case either asserts the exactly decoded
values (names in the right script, ids kept as written) or the message: file name,
row/sheet/cell, column and the fix (``encoding=``, ``layer=``, header row, save as...).
The CLI cases run ``lifecircle validate study.toml`` and expect exit code 2, one
``error:`` line and no traceback.
"""

from __future__ import annotations

import codecs
import os
import re
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import openpyxl
import pytest
from shapely.geometry import Point
from typer.testing import CliRunner

import lifecircle.geo as geo
from lifecircle.cli import app
from lifecircle.errors import InputWarning, LayerError

X0, Y0 = 121.44, 31.22
runner = CliRunner()


def _rows(names: list[str], ids: list[str] | None = None) -> list[list[str]]:
    ids = ids or [f"S{i + 1}" for i in range(len(names))]
    return [
        [ident, name, f"{X0 + i * 1e-3:.4f}", f"{Y0 + i * 1e-3:.4f}", str(i + 2)]
        for i, (ident, name) in enumerate(zip(ids, names, strict=True))
    ]


def _csv(rows: list[list[str]], header: str = "id,name,lng,lat,seats", sep: str = ",") -> str:
    lines = [header.replace(",", sep)] + [sep.join(r) for r in rows]
    return "\n".join(lines) + "\n"


GERMAN = ["Müller Straße", "Café Größe", "Königsplatz Süd"]
FRENCH = ["Théâtre de l'Opéra", "Rue de la Paix – 2€"]
SIMPLIFIED = ["静安寺公园长椅", "南京西路1601号门前", "愚园路口座椅"]
TRADITIONAL = ["靜安寺公園長椅", "南京西路門前座椅", "愚園路口"]


# --------------------------------------------------------------------------- encodings
def _bytes_case(text: str, encoding: str, bom: bytes = b"") -> bytes:
    return bom + text.encode(encoding)


#: case -> (file bytes, names expected after reading)
DECODED: dict[str, tuple[Callable[[], bytes], list[str]]] = {
    "latin1_german": (lambda: _bytes_case(_csv(_rows(GERMAN)), "latin-1"), GERMAN),
    "cp1252_french_euro": (lambda: _bytes_case(_csv(_rows(FRENCH)), "cp1252"), FRENCH),
    "latin1_single_row": (lambda: _bytes_case(_csv(_rows(GERMAN[:1])), "latin-1"), GERMAN[:1]),
    "big5_names": (lambda: _bytes_case(_csv(_rows(TRADITIONAL)), "big5"), TRADITIONAL),
    "gbk_chinese_headers": (
        lambda: _bytes_case(_csv(_rows(SIMPLIFIED), "编号,名称,经度,纬度,座位数"), "gbk"),
        SIMPLIFIED,
    ),
    "gb18030_rare_char": (
        lambda: _bytes_case(_csv(_rows(["𠀀字座椅", *SIMPLIFIED[:2]])), "gb18030"),
        ["𠀀字座椅", *SIMPLIFIED[:2]],
    ),
    "utf8_bom": (
        lambda: _bytes_case(_csv(_rows(SIMPLIFIED)), "utf-8", codecs.BOM_UTF8),
        SIMPLIFIED,
    ),
    "utf8_mixed_scripts": (
        lambda: _bytes_case(_csv(_rows([GERMAN[0], SIMPLIFIED[0], TRADITIONAL[0]])), "utf-8"),
        [GERMAN[0], SIMPLIFIED[0], TRADITIONAL[0]],
    ),
    "utf16_excel_unicode_text": (
        lambda: _bytes_case(_csv(_rows(SIMPLIFIED), sep="\t"), "utf-16-le", codecs.BOM_UTF16_LE),
        SIMPLIFIED,
    ),
    "utf16_be_with_bom": (
        lambda: _bytes_case(_csv(_rows(GERMAN), sep="\t"), "utf-16-be", codecs.BOM_UTF16_BE),
        GERMAN,
    ),
    "utf16_without_bom": (
        lambda: _bytes_case(_csv(_rows(TRADITIONAL), sep="\t"), "utf-16-le"),
        TRADITIONAL,
    ),
    "latin1_after_first_megabyte": (
        lambda: _bytes_case(_csv(_rows(["Plain name"] * 30000 + [GERMAN[0]])), "latin-1"),
        ["Plain name"] * 30000 + [GERMAN[0]],
    ),
    "semicolon_separated_gbk": (
        lambda: _bytes_case(_csv(_rows(SIMPLIFIED), sep=";"), "gb18030"),
        SIMPLIFIED,
    ),
}


@pytest.mark.parametrize("case", sorted(DECODED))
def test_text_is_decoded_right(tmp_path, case):
    make, names = DECODED[case]
    path = tmp_path / f"{case}.csv"
    path.write_bytes(make())
    seats = geo.read_seats(path)
    assert seats["name"].tolist() == names
    assert seats["id"].iloc[0] == "S1"


#: case -> (file bytes, read keyword arguments, fragments of the one problem)
REFUSED: dict[str, tuple[Callable[[], bytes], dict[str, str], list[str]]] = {
    "gbk_or_big5_too_short_to_tell": (
        lambda: _bytes_case(_csv(_rows(["长安"])), "gbk"),
        {},
        [
            "cannot tell the text encoding",
            "as GB18030/GBK (简体中文) 'S1,长安,",
            "as Big5 (繁體中文) 'S1,酗假,",
            "check which is right and pass encoding='gb18030', or save the file as UTF-8",
        ],
    ),
    "undecodable_bytes": (
        lambda: b"id,name,lng,lat,seats\nS1,ok,121.44,31.22,2\nS2,\x81\xff\x81,121.45,31.23,2\n",
        {},
        ["cannot decode the file (row 3 holds byte 0x81)", "encoding=", "save the file as UTF-8"],
    ),
    "utf8_then_gbk_rows_pasted": (
        lambda: (
            _csv(_rows(SIMPLIFIED[:1])).encode("utf-8")
            + ("S9,静安寺,121.45,31.23,2\n" * 3).encode("gbk")
        ),
        {},
        ["row 3 (byte 69) is not valid UTF-8 text, although the rows before it are", "mixes"],
    ),
    "wrong_encoding_given": (
        lambda: _bytes_case(_csv(_rows(SIMPLIFIED)), "gbk"),
        {"encoding": "utf-8"},
        ["row 2 (byte 25) is not valid UTF-8 text, the encoding= given", "check encoding="],
    ),
    "unknown_encoding_given": (
        lambda: _csv(_rows(GERMAN)).encode("utf-8"),
        {"encoding": "klingon"},
        ["unknown encoding= 'klingon'", "'gb18030'"],
    ),
    "nul_byte_in_a_name": (
        lambda: _csv(_rows(["a", "b\x00c", "d"])).encode("utf-8"),
        {},
        ["row 3 holds a NUL character", "export the table again as CSV"],
    ),
    "workbook_named_csv": (
        lambda: _xlsx_bytes(),
        {},
        ["is an Excel workbook (or another zip file) named .csv; rename it to .xlsx"],
    ),
    "utf8_file_with_legacy_encoding_given": (
        lambda: _csv(_rows(SIMPLIFIED)).encode("utf-8"),
        {"encoding": "gbk"},
        [
            "encoding='gbk' was given, but the file is UTF-8 text",
            "reads 'S1,静安寺公园长椅,",
            "remove encoding=",
        ],
    ),
    "empty_file": (lambda: b"", {}, ["the file is empty (0 bytes); export or copy it again"]),
    "only_blank_lines": (
        lambda: b"\n\n  \n",
        {},
        ["the file is empty; expected a header row and data rows"],
    ),
    "geopackage_named_csv": (
        lambda: b"SQLite format 3\x00" + b"\x00" * 100,
        {},
        ["is a GeoPackage/SQLite database; rename it to .gpkg"],
    ),
}


def _xlsx_bytes() -> bytes:
    import io

    book = openpyxl.Workbook()
    book.active.append(["id", "seats", "lng", "lat"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_doubtful_text_is_refused_with_the_fix(tmp_path, case):
    make, kwargs, fragments = REFUSED[case]
    path = tmp_path / f"{case}.csv"
    path.write_bytes(make())
    with pytest.raises(LayerError) as info:
        geo.read_seats(path, **kwargs)
    message = str(info.value)
    assert message.startswith(f"{case}.csv: 1 problem: "), message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_excel_sep_hint_line_sets_the_separator(tmp_path):
    """Excel's ``sep=;`` first line is a setting, not a title row: no warning, rows right."""
    path = tmp_path / "hint.csv"
    rows = _rows(GERMAN)
    rows[2][4] = "viele"
    path.write_text("sep=;\n" + _csv(rows, sep=";"), encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(LayerError, match=r"'viele' at id 'S3' \(row 5\)"):
            geo.read_seats(path)


@pytest.mark.parametrize(
    ("encoding", "names"), [("gbk", SIMPLIFIED), ("big5", TRADITIONAL), ("latin-1", GERMAN)]
)
def test_geojson_in_a_legacy_encoding_is_decoded(tmp_path, encoding, names):
    path = tmp_path / "seats.geojson"
    frame = gpd.GeoDataFrame(
        {"id": ["S1", "S2", "S3"], "name": names, "seats": [2, 3, 4]},
        geometry=[Point(X0 + i * 1e-3, Y0) for i in range(3)],
        crs=4326,
    )
    path.write_bytes(frame.to_json(ensure_ascii=False).encode(encoding))
    assert geo.read_seats(path)["name"].tolist() == names


def test_utf16_geojson_is_refused(tmp_path):
    path = tmp_path / "seats.geojson"
    path.write_bytes(codecs.BOM_UTF16_LE + '{"type": "FeatureCollection"}'.encode("utf-16-le"))
    with pytest.raises(LayerError, match=r"seats\.geojson: 1 problem: .*must be UTF-8: save it"):
        geo.read_seats(path)


def test_big5_file_with_traditional_headers_reads(tmp_path):
    """Big5 is detected and 編號/名稱/經度/緯度/座位數 match like their simplified forms."""
    path = tmp_path / "big5.csv"
    path.write_bytes(_csv(_rows(TRADITIONAL), "編號,名稱,經度,緯度,座位數").encode("big5"))
    got = geo.read_seats(path)
    assert got["name"].tolist() == TRADITIONAL
    assert got["seats"].tolist() == [2, 3, 4]


# --------------------------------------------------------------------------- text stays text
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_na_and_null_ids_and_names_stay_text(tmp_path, fmt):
    ids = ["NA", "NULL", "None", "nan", "N/A"]
    rows = _rows(["NA", "null", "x", "y", "z"], ids)
    path = tmp_path / f"ids.{fmt}"
    if fmt == "csv":
        path.write_text(_csv(rows), encoding="utf-8")
    else:
        book = openpyxl.Workbook()
        book.active.append(["id", "name", "lng", "lat", "seats"])
        for row in rows:
            book.active.append([row[0], row[1], float(row[2]), float(row[3]), int(row[4])])
        book.save(path)
    got = geo.read_seats(path)
    assert got["id"].tolist() == ids
    assert got["name"].tolist()[:2] == ["NA", "null"]


def test_blank_id_is_still_missing_and_na_seat_count_is_missing(tmp_path):
    path = tmp_path / "blank.csv"
    path.write_text("id,name,lng,lat,seats\n,a,121.44,31.22,2\nS2,b,121.45,31.23,NA\n")
    with pytest.raises(LayerError) as info:
        geo.read_seats(path)
    message = str(info.value)
    assert "column 'id' has missing values in 1 row: row 2" in message
    assert "column 'seats' has missing values in 1 row: id 'S2' (row 3)" in message


# --------------------------------------------------------------------------- header row
def test_title_rows_above_a_csv_header_are_skipped_with_a_warning(tmp_path):
    path = tmp_path / "titled.csv"
    body = _csv(_rows(SIMPLIFIED), "编号,名称,经度,纬度,座位数")
    path.write_text("静安寺街道公共座椅普查,,,,\n2024年,,,,\n" + body, encoding="utf-8")
    with pytest.warns(InputWarning, match=r"titled\.csv: the header is on row 3, not row 1"):
        got = geo.read_seats(path)
    assert got["name"].tolist() == SIMPLIFIED


def test_row_numbers_count_the_title_rows(tmp_path):
    path = tmp_path / "titled.csv"
    rows = _rows(SIMPLIFIED)
    rows[1][4] = "很多"
    path.write_text("座椅普查\n" + _csv(rows), encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InputWarning)
        with pytest.raises(LayerError, match=r"'很多' at id 'S2' \(row 4\)"):
            geo.read_seats(path)


def test_merged_title_row_in_excel_is_skipped_with_a_warning(tmp_path):
    path = tmp_path / "merged.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "座椅"
    sheet.append(["静安寺街道公共座椅点位表"])
    sheet.merge_cells("A1:E1")
    sheet.append(["编号", "名称", "经度", "纬度", "座位数"])
    for row in _rows(SIMPLIFIED):
        sheet.append([row[0], row[1], float(row[2]), float(row[3]), int(row[4])])
    book.save(path)
    pattern = r"merged\.xlsx: sheet '座椅': the header is on row 2.*静安寺街道公共座椅点位表"
    with pytest.warns(InputWarning, match=pattern):
        got = geo.read_seats(path)
    assert got["seats"].tolist() == [2, 3, 4]


# --------------------------------------------------------------------------- Excel
def _book(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


SEAT_SHEET: list[list[object]] = [
    ["编号", "名称", "经度", "纬度", "座位数"],
    ["S1", "长椅", X0, Y0, 2],
    ["S2", "石凳", X0 + 1e-3, Y0, 3],
]


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _formulas(path: Path) -> Path:
    """openpyxl writes formulas without a cached result, like many export tools."""
    rows = [list(r) for r in SEAT_SHEET]
    rows[1][4], rows[2][4] = "=1+1", "=2+1"
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


#: case -> (writer, read keyword arguments, fragments of the one problem)
EXCEL: dict[str, tuple[Callable[[Path], Path], dict[str, str], list[str]]] = {
    "data_on_second_sheet": (
        lambda p: _book(p, {"说明": [["本表为座椅普查"]], "座椅": SEAT_SHEET}),
        {},
        [
            "first sheet '说明' holds no seats table",
            "sheet '座椅' does; choose it with layer='座椅'",
        ],
    ),
    "sheet_name_not_in_workbook": (
        lambda p: _book(p, {"座椅": SEAT_SHEET}),
        {"layer": "benches"},
        ["no sheet 'benches' (layer=)", "its sheets are '座椅'"],
    ),
    "formulas_without_saved_results": (
        _formulas,
        {},
        ["sheet 'Sheet' has 2 formula cells without a saved result", "E2 =1+1", "E3 =2+1"],
    ),
    "html_table_saved_as_xls": (
        lambda p: _write(p, b"<html><body><table><tr><td>id</td></tr></table></body></html>"),
        {},
        ["is a web page (an HTML table", "save it as .xlsx or CSV"],
    ),
    "csv_text_saved_as_xlsx": (
        lambda p: _write(p, _csv(_rows(SIMPLIFIED)).encode("utf-8")),
        {},
        ["is a text file (CSV or tab-separated) named", "rename it to .csv"],
    ),
    "old_excel_97_xls": (
        lambda p: _write(p, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512),
        {},
        ["old Excel 97-2003 workbook (.xls)", "save it as .xlsx or CSV"],
    ),
    "password_protected_workbook": (
        lambda p: _write(
            p,
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
            + b"\x00" * 1000
            + "EncryptedPackage".encode("utf-16-le"),
        ),
        {},
        ["is a password-protected (encrypted) workbook", "remove the password"],
    ),
    "empty_file_named_xlsx": (
        lambda p: _write(p, b""),
        {},
        ["the file is empty (0 bytes)"],
    ),
    "empty_sheet": (
        lambda p: _book(p, {"空": []}),
        {},
        ["sheet '空' is empty"],
    ),
}


_SUFFIX = {"html_table_saved_as_xls": ".xls", "old_excel_97_xls": ".xls"}


@pytest.mark.parametrize("case", sorted(EXCEL))
def test_excel_problem_is_named_with_the_fix(tmp_path, case):
    write, kwargs, fragments = EXCEL[case]
    path = write(tmp_path / f"{case}{_SUFFIX.get(case, '.xlsx')}")
    with pytest.raises(LayerError) as info:
        geo.read_seats(path, **kwargs)
    message = str(info.value)
    assert message.startswith(f"{path.name}: 1 problem: "), message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_excel_spacer_column_dropped_and_repeated_header_is_a_rival(tmp_path):
    """A blank spacer column disappears; a second 座位数 is found like in a CSV."""
    rows = [[r[0], None, *r[1:]] for r in SEAT_SHEET]
    path = _book(tmp_path / "spacer.xlsx", {"座椅": rows})
    got = geo.read_seats(path)
    assert list(got.columns) == ["id", "name", "seats", "armrest", "charging", "geometry"]
    twice = [[*r, r[4] if i == 0 else 9] for i, r in enumerate(SEAT_SHEET)]
    with pytest.raises(LayerError, match="座位数"):
        geo.read_seats(_book(tmp_path / "twice.xlsx", {"座椅": twice}))


def test_second_sheet_read_with_layer(tmp_path):
    path = _book(tmp_path / "two.xlsx", {"说明": [["本表为座椅普查"]], "座椅": SEAT_SHEET})
    assert geo.read_seats(path, layer="座椅")["name"].tolist() == ["长椅", "石凳"]


# --------------------------------------------------------------------------- Shapefiles
def _shapefile(folder: Path, encoding: str = "utf-8") -> Path:
    folder.mkdir()
    frame = gpd.GeoDataFrame(
        {"id": ["S1", "S2"], "名称": SIMPLIFIED[:2], "座位数": [2, 3]},
        geometry=[Point(X0, Y0), Point(X0 + 1e-3, Y0)],
        crs=4326,
    )
    path = folder / "seats.shp"
    frame.to_file(path, encoding=encoding)
    return path


def test_shapefile_without_prj_warns_that_wgs84_was_assumed(tmp_path):
    path = _shapefile(tmp_path / "noprj")
    path.with_suffix(".prj").unlink()
    pattern = r"seats\.shp: the Shapefile has no \.prj file.*set their CRS, e\.g\. crs='EPSG:4549'"
    with pytest.warns(InputWarning, match=pattern):
        got = geo.read_seats(path)
    assert got.geometry.x.tolist() == pytest.approx([X0, X0 + 1e-3])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        geo.read_seats(path, crs="EPSG:4326")  # said explicitly: no warning


@pytest.mark.parametrize(("sidecar", "what"), [(".dbf", "attribute table"), (".shx", "index")])
def test_shapefile_without_sidecar_names_it(tmp_path, sidecar, what):
    path = _shapefile(tmp_path / "part")
    path.with_suffix(sidecar).unlink()
    with pytest.raises(LayerError) as info:
        geo.read_seats(path)
    assert str(info.value) == (
        f"seats.shp: 1 problem: the Shapefile's {what} seats{sidecar} is missing next to "
        "seats.shp; a Shapefile is several files (.shp, .shx, .dbf, usually .prj and .cpg): "
        "copy all of them together, or send it as one zip or GeoPackage"
    )


def test_zipped_shapefile_without_dbf_names_it(tmp_path):
    path = _shapefile(tmp_path / "z")
    archive = tmp_path / "seats.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for part in path.parent.iterdir():
            if part.suffix != ".dbf":
                out.write(part, part.name)
    with pytest.raises(LayerError, match=r"seats\.zip: 1 problem: .*attribute table seats\.dbf"):
        geo.read_seats(archive)


@pytest.mark.parametrize("zipped", [False, True])
def test_gbk_shapefile_without_cpg_is_decoded(tmp_path, zipped):
    path = _shapefile(tmp_path / "gbk", encoding="gbk")
    path.with_suffix(".cpg").unlink()
    if zipped:
        archive = tmp_path / "seats.zip"
        with zipfile.ZipFile(archive, "w") as out:
            for part in path.parent.iterdir():
                out.write(part, f"data/{part.name}")
        path = archive
    got = geo.read_seats(path)
    assert got["name"].tolist() == SIMPLIFIED[:2]


# --------------------------------------------------------------------------- not a file
def _fifo(tmp_path: Path) -> Path:
    path = tmp_path / "seats.csv"
    os.mkfifo(path)
    return path


def _loop(tmp_path: Path) -> Path:
    a, b = tmp_path / "a.csv", tmp_path / "seats.csv"
    a.symlink_to(b)
    b.symlink_to(a)
    return b


def _dangling(tmp_path: Path) -> Path:
    path = tmp_path / "seats.csv"
    path.symlink_to(tmp_path / "gone.csv")
    return path


SPECIAL: dict[str, tuple[Callable[[Path], Path], str]] = {
    "fifo": (_fifo, "is not a regular file (a named pipe (FIFO)); expected a file of data"),
    "symlink_loop": (_loop, "is not a regular file (a symbolic link that loops back on itself)"),
    "device": (lambda _: Path("/dev/null"), "is not a regular file (a character device)"),
    "dangling_symlink": (_dangling, "file not found (a symbolic link to a missing file)"),
    "folder": (lambda p: p, "is a folder, expected a file"),
}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX special files")
@pytest.mark.parametrize("case", sorted(SPECIAL))
def test_special_files_are_not_regular_files(tmp_path, case):
    make, fragment = SPECIAL[case]
    path = make(tmp_path)
    with pytest.raises(LayerError) as info:
        geo.read_seats(path)  # a FIFO must not block
    assert str(info.value).startswith(f"{path.name}: 1 problem: {fragment}")


# --------------------------------------------------------------------------- CLI
@pytest.fixture()
def study(tmp_path):
    result = runner.invoke(app, ["init", str(tmp_path / "study.toml"), "--demo-data"])
    assert result.exit_code == 0, result.output
    return tmp_path / "study.toml"


def _point_seats_at(study: Path, file_name: str, extra: str = "") -> None:
    text = study.read_text(encoding="utf-8")
    table = f'{{ path = "data/{file_name}"{extra} }}'
    text = re.sub(r'^seats = "data/seats.geojson"', f"seats = {table}", text, flags=re.M)
    study.write_text(text, encoding="utf-8")


CLI: dict[str, tuple[str, Callable[[Path], None], list[str]]] = {
    "ambiguous_encoding": (
        "seats.csv",
        lambda p: p.write_bytes(_csv(_rows(["长安"])).encode("gbk")),
        [
            "seats.csv",
            "cannot tell the text encoding",
            'pass encoding = "gb18030" in [layers.seats], or save the file as UTF-8',
        ],
    ),
    "nul_byte": (
        "seats.csv",
        lambda p: p.write_bytes(_csv(_rows(["a\x00b"])).encode("utf-8")),
        ["seats.csv", "row 2 holds a NUL character"],
    ),
    "html_as_xls": (
        "seats.xls",
        lambda p: p.write_bytes(b"<table><tr><td>1</td></tr></table>"),
        ["seats.xls", "web page"],
    ),
    "formulas": ("seats.xlsx", lambda p: _formulas(p).touch(), ["E2 =1+1", "save it"]),
    "fifo": ("seats.csv", lambda p: os.mkfifo(p), ["seats.csv", "not a regular file"]),
    "data_on_second_sheet": (
        "seats.xlsx",
        lambda p: _book(p, {"说明": [["本表为座椅普查"]], "座椅": SEAT_SHEET}).touch(),
        ["seats.xlsx", 'choose it with layer = "座椅" in [layers.seats]'],
    ),
}


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX special files")
@pytest.mark.parametrize("case", sorted(CLI))
def test_cli_validate_gives_one_error_line_and_exit_2(study, case):
    file_name, make, fragments = CLI[case]
    make(study.parent / "data" / file_name)
    _point_seats_at(study, file_name)
    result = runner.invoke(app, ["validate", str(study)])
    assert result.exit_code == 2, result.output
    # one error message (a study-file problem is listed under its key on the next line)
    assert result.stderr.startswith("error: ") and result.stderr.count("error:") == 1
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)


def test_cli_validate_reads_a_study_encoding(study):
    path = study.parent / "data" / "seats.csv"
    demo = geo.read_seats(study.parent / "data" / "seats.geojson")
    rows = [
        [str(r.id), "长椅", f"{r.geometry.x:.7f}", f"{r.geometry.y:.7f}", str(r.seats)]
        for r in demo.itertuples()
    ]
    path.write_bytes(_csv(rows).encode("gbk"))
    _point_seats_at(study, "seats.csv", ', encoding = "gbk"')
    result = runner.invoke(app, ["validate", str(study)])
    assert result.exit_code == 0, result.output


# --------------------------------------------------------------------------- benchmark
@pytest.mark.slow
def test_large_csv_benchmark_runs_on_a_small_file(tmp_path):
    """``benchmarks/bench_read_large.py`` (README) stays runnable; numbers are not asserted."""
    import subprocess
    import sys

    script = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_read_large.py"
    done = subprocess.run(
        [sys.executable, str(script), "3000", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    assert "read 3,000 seats" in done.stdout
    assert re.search(r"peak:\s+\d+ MB \(\d+\.\d\dx the file\)", done.stdout)
    assert list(tmp_path.iterdir()) == []  # the generated file is removed
