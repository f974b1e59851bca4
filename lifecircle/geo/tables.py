"""Read one table (CSV/TXT/TSV or an Excel sheet) into a raw DataFrame, never mis-reading it.

One path for every table, so each kind of messy file is handled once:

- **What the file really is** is decided from its first bytes, not its name: a workbook
  renamed ``.csv``, an old Excel 97-2003 ``.xls``, a web page (HTML table) or a text file
  saved with an Excel name, a GeoPackage or a PDF get a message naming the fix.
- **Text encoding** (CSV): :mod:`lifecircle.geo.encoding` — detected, or refused when
  doubtful; invalid bytes and NUL characters are reported with their row.
- **Header row**: the first :data:`MAX_TITLE_ROWS` + 1 rows are compared with the layer's
  headers (Chinese and English synonyms, coordinate headers, ``columns=``, ``x=``/``y=``).
  When a later row matches clearly better than the first (a title such as
  "静安寺街道公共座椅普查" above the header, merged cells in Excel), the table is read from
  that row and an :class:`~lifecircle.errors.InputWarning` says so; row numbers in every
  message stay those of the file.
- **Excel**: the sheet is chosen with ``layer=``; when the first sheet holds no table of
  the layer but another one does, the message names it. Formulas without a saved result
  (files written by programs that do not calculate) are refused with the cell.
- **Text stays text**: id and name cells such as ``NA``, ``NULL`` or ``None`` are kept
  as written (only an empty cell is missing); numeric columns keep pandas' usual
  missing-value words.

Memory: CSV files are parsed by pandas straight from the file (no decoded copy in
memory); the encoding check streams the file in 1 MB chunks.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from lifecircle.errors import Fix, InputWarning, LayerError, Problem
from lifecircle.geo.encoding import scan_text_file
from lifecircle.geo.schema import LATITUDE_ALIASES, LONGITUDE_ALIASES, LayerSchema
from lifecircle.geo.validate import match_columns, normalise_header, warn_user

__all__ = ["RawTable", "find_header_row", "read_table"]

#: Rows above the header (titles, notes) that are looked through for the header row.
MAX_TITLE_ROWS = 20
#: Spreadsheet-style rows looked at to choose the CSV separator.
SNIFF_ROWS = 50
#: Bytes read to tell what a file really is (an encrypted workbook names its stream late).
SNIFF_BYTES = 1 << 16
#: Rows parsed at a time: pandas' single-pass parse holds about twice the final frame.
CHUNK_ROWS = 200_000
TEXT_SUFFIXES = (".csv", ".txt", ".tsv")
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
#: pandas' default missing-value words (kept for numeric columns, not for ids or names).
NA_WORDS = (
    "",
    "#N/A",
    "#N/A N/A",
    "#NA",
    "-1.#IND",
    "-1.#QNAN",
    "-NaN",
    "-nan",
    "1.#IND",
    "1.#QNAN",
    "<NA>",
    "N/A",
    "NA",
    "NULL",
    "NaN",
    "None",
    "n/a",
    "nan",
    "null",
)
_WKT_HEADERS = {"wkt", "geometry", "geom", "thegeom", "shape"}
_SEPARATORS = (",", "\t", ";", "|")


@dataclass(frozen=True)
class RawTable:
    """A table as read: the frame and the file row number of its first data row."""

    frame: pd.DataFrame
    first_row: int


# --------------------------------------------------------------------------- file kind
def _sniff_kind(head: bytes) -> str:
    """``xlsx``, ``ole``, ``html``, ``sqlite``, ``pdf`` or ``text`` from the first bytes."""
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "encrypted" if "EncryptedPackage".encode("utf-16-le") in head else "ole"
    if head.startswith(b"SQLite format 3\x00"):
        return "sqlite"
    if head.startswith(b"%PDF"):
        return "pdf"
    start = head.lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n").lower().replace(b"\x00", b"")
    if start.startswith((b"<!doctype html", b"<html", b"<table", b"<?xml", b"<meta")):
        return "html"
    return "text"


_WRONG_KIND = {
    "ole": (
        "is an old Excel 97-2003 workbook (.xls); open it in Excel, WPS or LibreOffice "
        "and save it as .xlsx or CSV (UTF-8)"
    ),
    "html": (
        "is a web page (an HTML table, as many systems export 'Excel' files), not a "
        "workbook; open it in Excel, WPS or LibreOffice and save it as .xlsx or CSV (UTF-8)"
    ),
    "encrypted": (
        "is a password-protected (encrypted) workbook; open it in Excel or WPS, remove the "
        "password and save it as .xlsx or CSV (UTF-8)"
    ),
    "sqlite": "is a GeoPackage/SQLite database; rename it to .gpkg",
    "pdf": "is a PDF document, not a table; export the table as CSV or .xlsx",
}


def _kind_problem(kind: str, suffix: str) -> str | None:
    """Why a file of ``kind`` cannot be read as ``suffix``, or None."""
    if suffix in TEXT_SUFFIXES:
        if kind == "xlsx":
            return f"is an Excel workbook (or another zip file) named {suffix}; rename it to .xlsx"
        return _WRONG_KIND.get(kind)
    if kind == "text":
        return (
            f"is a text file (CSV or tab-separated) named {suffix}, not a workbook; "
            "rename it to .csv"
        )
    return None if kind == "xlsx" else _WRONG_KIND.get(kind)


# --------------------------------------------------------------------------- header row
def _header_score(
    cells: Sequence[object],
    schema: LayerSchema,
    columns: Mapping[str, str] | None,
    xy: Sequence[str],
) -> int:
    """How many cells of a row are headers of this layer (or coordinate/WKT headers)."""
    texts = [str(c).strip() for c in cells if c is not None and str(c).strip()]
    if not texts:
        return 0
    mapping, _ = match_columns(texts, schema, columns=columns)
    coordinate = {normalise_header(a) for a in (*LONGITUDE_ALIASES, *LATITUDE_ALIASES, *xy)}
    keys = {normalise_header(t) for t in texts if t not in mapping}
    return len(mapping) + len(keys & (coordinate | _WKT_HEADERS))


def find_header_row(
    rows: Sequence[Sequence[object]],
    schema: LayerSchema,
    *,
    columns: Mapping[str, str] | None = None,
    x: str | None = None,
    y: str | None = None,
) -> int:
    """Return the index of the header among the first rows of a table (0 when unsure).

    A later row is chosen only when it holds at least two of the layer's headers and
    more than the first row does.
    """
    xy = [v for v in (x, y) if v]
    scores = [_header_score(r, schema, columns, xy) for r in rows[: MAX_TITLE_ROWS + 1]]
    if not scores:
        return 0
    best = max(range(len(scores)), key=lambda i: (scores[i], -i))
    return best if scores[best] >= 2 and scores[best] > scores[0] else 0


def _title_text(rows: Sequence[Sequence[object]], header: int) -> str:
    cells = [str(c).strip() for r in rows[:header] for c in r if c is not None and str(c).strip()]
    text = " / ".join(cells) or "empty rows"
    return text if len(text) <= 60 else text[:57] + "..."


def _warn_header(
    name: str, rows: Sequence[Sequence[object]], header: int, where: str, skipped: int = 0
) -> None:
    row = header + 1 + skipped
    warn_user(
        f"{name}: {where}the header is on row {row}, not row {1 + skipped} (above it: "
        f"'{_title_text(rows, header)}'); the table was read from row {row}. "
        "Delete the rows above the header to make this explicit",
        InputWarning,
    )


# --------------------------------------------------------------------------- CSV
def _sniff_separator(rows_text: str) -> str:
    """The separator giving most rows the same number (>= 2) of fields."""
    best, best_score = ",", 0
    for sep in _SEPARATORS:
        try:
            counts = [len(r) for r in csv.reader(io.StringIO(rows_text), delimiter=sep) if r]
        except csv.Error:
            continue
        counts = [c for c in counts[:SNIFF_ROWS] if c >= 2]
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        score = counts.count(mode)
        if score > best_score:
            best, best_score = sep, score
    return best


def _head_rows(head: str, sep: str) -> list[list[str]]:
    lines = head.splitlines(keepends=True)[: MAX_TITLE_ROWS + SNIFF_ROWS]
    rows: list[list[str]] = []
    try:
        for row in csv.reader(io.StringIO("".join(lines)), delimiter=sep):
            rows.append(row)
    except csv.Error:
        pass
    return rows


def _text_columns(
    header: Sequence[str], schema: LayerSchema, columns: Mapping[str, str] | None
) -> set[str]:
    """Source headers holding text (ids, names, parent/grid ids): kept as written."""
    mapping, _ = match_columns(list(header), schema, columns=columns)
    kinds = {spec.name: spec.kind for spec in schema.columns}
    return {str(h) for h, canon in mapping.items() if kinds.get(canon) == "str"}


def _csv_layout(path: Path, head: str) -> tuple[str, int, str]:
    """Separator, lines before the table (Excel's ``sep=;`` hint line) and the table's start."""
    first, _, rest = head.partition("\n")
    hint = re.fullmatch(r"sep=(.)", first.strip())
    if hint:
        return hint.group(1), 1, rest
    if path.suffix.lower() == ".tsv":
        return "\t", 0, head
    lines = head.splitlines(keepends=True)[: MAX_TITLE_ROWS + SNIFF_ROWS]
    return _sniff_separator("".join(lines)), 0, head


def _read_csv(
    path: Path,
    schema: LayerSchema,
    *,
    encoding: str | None,
    columns: Mapping[str, str] | None,
    x: str | None,
    y: str | None,
) -> RawTable:
    name = path.name
    text = scan_text_file(path, encoding)
    if not text.head.strip():
        raise LayerError(name, ["the file is empty; expected a header row and data rows"])
    sep, skipped, head = _csv_layout(path, text.head)
    rows = _head_rows(head, sep)
    header = find_header_row(rows, schema, columns=columns, x=x, y=y)
    if header:
        _warn_header(name, rows, header, "", skipped)
    names = rows[header] if header < len(rows) else []
    as_text = _text_columns(names, schema, columns)
    na_values = {h: [""] if h in as_text else list(NA_WORDS) for h in names}
    first_row = skipped + header + 2
    try:
        chunks = pd.read_csv(
            path,
            sep=sep,
            encoding=text.encoding,
            skiprows=skipped + header,
            dtype={h: str for h in as_text},
            keep_default_na=False,
            na_values=na_values,
            chunksize=CHUNK_ROWS,
        )
        with chunks:
            parts = list(chunks)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise LayerError(name, [_csv_failure(_first_line(exc))]) from exc
    if not parts:  # a header and no rows
        return RawTable(pd.DataFrame(columns=names), first_row=first_row)
    frame = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
    return RawTable(frame, first_row=first_row)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


_RAGGED = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_OPEN_QUOTE = re.compile(r"EOF inside string starting at row (\d+)")


def _csv_failure(reason: str) -> str:
    """pandas' parser error in the planner's words: the row as a spreadsheet numbers it
    (pandas counts the file's lines, title rows included) and the fix."""
    ragged = _RAGGED.search(reason)
    if ragged:
        expected, line, saw = (int(v) for v in ragged.groups())
        return (
            f"row {line} has {saw} cells but the header has {expected}: a cell "
            'holding the separator (a name with a comma, a number written "1,200") must be '
            "quoted, or remove the extra separators"
        )
    quote = _OPEN_QUOTE.search(reason)
    if quote:
        return (
            f'a quote (") opened in row {int(quote.group(1)) + 1} is never closed, '
            "so the rest of the file reads as one cell; close it or remove it"
        )
    return f"cannot parse the CSV ({reason})"


# --------------------------------------------------------------------------- Excel
def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(index + 1))


def _load_rows(
    path: Path, *, data_only: bool, sheet: str | None, limit: int | None = None
) -> tuple[list[str], list[list[object]]]:
    """Sheet names and the rows of ``sheet`` (none when None; at most ``limit`` rows)."""
    import openpyxl

    with path.open("rb") as handle:
        book = openpyxl.load_workbook(handle, read_only=True, data_only=data_only)
        try:
            names = list(book.sheetnames)
            rows: list[list[object]] = []
            if sheet is not None:
                cells = book[sheet].iter_rows(values_only=True, max_row=limit)
                rows = [list(r) for r in cells]
        finally:
            book.close()
    return names, rows


def _trim(rows: list[list[object]]) -> list[list[object]]:
    """Drop trailing empty rows and trailing empty columns."""

    def blank(value: object) -> bool:
        return value is None or (isinstance(value, str) and not value.strip())

    while rows and all(blank(v) for v in rows[-1]):
        rows.pop()
    width = max((i + 1 for r in rows for i, v in enumerate(r) if not blank(v)), default=0)
    return [r[:width] + [None] * (width - len(r)) for r in rows]


def _pick_sheet(
    path: Path,
    names: list[str],
    schema: LayerSchema,
    columns: Mapping[str, str] | None,
    x: str | None,
    y: str | None,
) -> tuple[str, list[list[object]]]:
    """The first sheet, unless it holds no table of the layer and another one does."""
    first = _trim(_load_rows(path, data_only=True, sheet=names[0])[1])
    xy = [v for v in (x, y) if v]
    if len(names) == 1 or any(
        _header_score(r, schema, columns, xy) >= 2 for r in first[: MAX_TITLE_ROWS + 1]
    ):
        return names[0], first
    for other in names[1:]:
        rows = _load_rows(path, data_only=True, sheet=other, limit=MAX_TITLE_ROWS + 1)[1]
        if any(_header_score(r, schema, columns, xy) >= 2 for r in rows):
            raise LayerError(
                path.name,
                [
                    Problem(
                        f"the first sheet '{names[0]}' holds no {schema.layer} table, but "
                        f"sheet '{other}' does; choose it with ",
                        Fix((("layer", other),)),
                    )
                ],
            )
    return names[0], first


def _formula_problem(path: Path, sheet: str, rows: list[list[object]], start: int) -> str | None:
    """Formula cells without a saved result (None in ``rows``), as one sentence."""
    if not any(v is None for r in rows[start:] for v in r):
        return None
    _, formulas = _load_rows(path, data_only=False, sheet=sheet)
    found: list[str] = []
    for i, row in enumerate(formulas[start : len(rows)], start=start):
        for j, value in enumerate(row[: len(rows[i])]):
            text = getattr(value, "text", value)
            if rows[i][j] is None and isinstance(text, str) and text.startswith("="):
                found.append(f"{_column_letter(j)}{i + 1} {text[:30]}")
    if not found:
        return None
    return (
        f"sheet '{sheet}' has {len(found)} formula cell{'s' if len(found) > 1 else ''} without "
        f"a saved result (e.g. {', '.join(found[:3])}): the workbook was written by a program "
        "that does not calculate formulas; open it in Excel, WPS or LibreOffice and save it "
        "again, or save the sheet as CSV"
    )


def _read_excel(
    path: Path,
    schema: LayerSchema,
    *,
    layer: str | None,
    columns: Mapping[str, str] | None,
    x: str | None,
    y: str | None,
) -> RawTable:
    name = path.name
    try:
        names, _ = _load_rows(path, data_only=True, sheet=None)
        if layer is not None and layer not in names:
            raise LayerError(
                name,
                [
                    f"the workbook has no sheet '{layer}' (layer=); its sheets are "
                    + ", ".join(f"'{s}'" for s in names)
                ],
            )
        if layer is None:
            sheet, rows = _pick_sheet(path, names, schema, columns, x, y)
        else:
            sheet, rows = layer, _trim(_load_rows(path, data_only=True, sheet=layer)[1])
    except LayerError:
        raise
    except (OSError, KeyError, ValueError, TypeError, zipfile.BadZipFile) as exc:
        raise LayerError(
            name,
            [
                f"cannot read the spreadsheet ({_first_line(exc)}); is it truncated or "
                "damaged? Open it in Excel, WPS or LibreOffice and save it again as .xlsx"
            ],
        ) from exc
    if not rows:
        raise LayerError(name, [f"sheet '{sheet}' is empty; expected a header row and data rows"])
    header = find_header_row(rows, schema, columns=columns, x=x, y=y)
    problem = _formula_problem(path, sheet, rows, header + 1)
    if problem:
        raise LayerError(name, [problem])
    if header:
        _warn_header(name, rows, header, f"sheet '{sheet}': ")
    return RawTable(_sheet_frame(rows, header), first_row=header + 2)


def _sheet_frame(rows: list[list[object]], header: int) -> pd.DataFrame:
    """The table below ``header``: labels as pandas' CSV reader makes them, no empty columns.

    A blank header cell becomes ``column C``; a repeated header gets ``.1``, ``.2``
    (as in a CSV, so two 座位数 columns are recognised as rivals); a column with neither
    a header nor any value (a spacer column) is dropped.
    """
    data = rows[header + 1 :]
    labels: list[str] = []
    keep: list[int] = []
    counts: dict[str, int] = {}
    for j, value in enumerate(rows[header]):
        text = str(value).strip() if value is not None else ""
        if not text and all(r[j] is None or not str(r[j]).strip() for r in data):
            continue
        label = text or f"column {_column_letter(j)}"
        seen = counts.get(label, 0)
        counts[label] = seen + 1
        labels.append(f"{label}.{seen}" if seen else label)
        keep.append(j)
    frame = pd.DataFrame([[r[j] for j in keep] for r in data], columns=labels, dtype=object)
    return frame.infer_objects()


# --------------------------------------------------------------------------- entry point
def read_table(
    path: Path,
    schema: LayerSchema,
    *,
    layer: str | None = None,
    encoding: str | None = None,
    columns: Mapping[str, str] | None = None,
    x: str | None = None,
    y: str | None = None,
) -> RawTable:
    """Read a CSV/TXT/TSV file or an Excel sheet into a raw table.

    Parameters
    ----------
    path : pathlib.Path
        A file whose suffix is one of :data:`TEXT_SUFFIXES` or :data:`EXCEL_SUFFIXES`.
    schema : LayerSchema
        The layer it should hold (used to find the header row and the text columns).
    layer, encoding, columns, x, y
        As for :func:`lifecircle.read_seats`.

    Returns
    -------
    RawTable
        The frame, with the source headers, and the file row number of its first row.

    Raises
    ------
    lifecircle.errors.LayerError
        When the file is not what its name says, cannot be decoded or parsed, or the
        sheet is missing, empty or holds formulas without results.
    """
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    suffix = path.suffix.lower()
    problem = _kind_problem(_sniff_kind(head), suffix)
    if problem:
        raise LayerError(path.name, [f"the file {problem}"])
    if suffix in TEXT_SUFFIXES:
        return _read_csv(path, schema, encoding=encoding, columns=columns, x=x, y=y)
    return _read_excel(path, schema, layer=layer, columns=columns, x=x, y=y)
