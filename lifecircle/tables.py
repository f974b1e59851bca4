"""Tables planners open in Excel: ``.xlsx`` workbooks and UTF-8 CSVs that are safe to open.

Why these choices:

- **CSV with a UTF-8 byte-order mark** (``utf-8-sig``): Excel on Chinese Windows reads a
  CSV without a BOM in the ANSI code page (GBK) and shows Chinese names as mojibake; with
  the BOM it reads UTF-8.
- **Formula injection** (OWASP, "CSV Injection"): a cell whose text starts with ``=``,
  ``+``, ``-``, ``@``, a tab or a carriage return is run as a formula by spreadsheet
  programs (``=HYPERLINK(...)``, DDE ``=cmd|...``). Such text is written with a leading
  apostrophe ``'``, in CSV and in XLSX; in XLSX the cell is also stored as text (never as
  a formula) with Excel's "quote prefix" style. Numbers stay numbers: a numeric value, or a
  text that is a plain number such as ``-12.5``, is not touched. Full-width look-alikes
  (``＝``, ``＋``, ``－``, ``＠``) are treated the same way.
- **XLSX** is written with openpyxl (already a dependency for reading ``.xlsx`` layers):
  bold header row, frozen header, column widths fitted to the text (CJK counts double).
  Characters XML forbids (control characters pasted from other programs) become U+FFFD,
  texts longer than Excel's 32,767-character cell limit are cut with ``…``.
- Files are written atomically (:mod:`lifecircle.atomic_files`): an interrupted run leaves no
  partial table behind.
"""

from __future__ import annotations

import math
import os
import re
import unicodedata
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import numpy as np
import pandas as pd

from lifecircle.atomic_files import atomic_path

if TYPE_CHECKING:
    from openpyxl.cell.cell import Cell
    from openpyxl.worksheet.worksheet import Worksheet

__all__ = [
    "TABLE_SUFFIXES",
    "neutralise_formula",
    "neutralise_frame",
    "round_coordinates",
    "write_csv",
    "write_table",
    "write_xlsx",
]

#: File suffixes :func:`write_table` understands.
TABLE_SUFFIXES = (".csv", ".xlsx")

#: First characters that make a spreadsheet treat a cell as a formula (OWASP CSV injection,
#: plus full-width forms an input method may produce).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_XLSX_MAX_CHARS = 32_767
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")

_T = TypeVar("_T")


def neutralise_formula(value: _T) -> _T | str:
    """Return ``value`` safe to put in a spreadsheet cell.

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab, a line break (or their
    full-width forms) gets a leading ``'`` so no spreadsheet runs it as a formula. Text that
    is a plain number (``"-12.5"``) and every non-text value are returned unchanged.

    Parameters
    ----------
    value : object
        A cell value.

    Returns
    -------
    object

    Examples
    --------
    >>> neutralise_formula('=HYPERLINK("http://x","y")')
    '\\'=HYPERLINK("http://x","y")'
    >>> neutralise_formula("-12.5"), neutralise_formula(-3)
    ('-12.5', -3)
    """
    if not isinstance(value, str) or not value.startswith(_FORMULA_STARTS):
        return value
    if _PLAIN_NUMBER.fullmatch(value):
        return value
    return "'" + value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``frame`` whose text cells and headers are formula-safe."""
    out = frame.copy()
    for column in out.columns:
        if not (pd.api.types.is_numeric_dtype(out[column]) or out[column].dtype == bool):
            out[column] = out[column].map(neutralise_formula)
    out.columns = [neutralise_formula(str(c)) for c in out.columns]
    return out


def round_coordinates(
    frame: pd.DataFrame, columns: tuple[str, ...] = ("lon", "lat"), *, decimals: int = 6
) -> pd.DataFrame:
    """Round degree columns to ``decimals`` places (6 places is about 0.1 m)."""
    out = frame.copy()
    for column in columns:
        if column in out:
            out[column] = pd.to_numeric(out[column], errors="coerce").round(decimals)
    return out


def write_table(
    tables: pd.DataFrame | Mapping[str, pd.DataFrame], path: str | os.PathLike[str]
) -> Path:
    """Write one table (or several sheets) as ``.xlsx`` or ``.csv``, chosen by the suffix.

    A CSV holds one table: given several sheets, the first is written.

    Raises
    ------
    ValueError
        For any other suffix.
    """
    path = Path(path)
    sheets = {"Sheet1": tables} if isinstance(tables, pd.DataFrame) else dict(tables)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return write_xlsx(sheets, path)
    if suffix == ".csv":
        return write_csv(next(iter(sheets.values())), path)
    raise ValueError(f"{path.name}: expected a .xlsx or .csv file name")


def write_csv(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write ``frame`` as a formula-safe CSV in UTF-8 with a byte-order mark, atomically."""
    safe = neutralise_frame(frame)
    with atomic_path(path) as staged:
        safe.to_csv(staged, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    return Path(path)


def write_xlsx(sheets: Mapping[str, pd.DataFrame], path: str | os.PathLike[str]) -> Path:
    """Write each table to its own sheet of a formula-safe ``.xlsx`` workbook, atomically.

    Parameters
    ----------
    sheets : mapping of str to DataFrame
        Sheet name -> table (in order). Names are cut to Excel's 31 characters.
    path : path-like
        The ``.xlsx`` file.

    Returns
    -------
    pathlib.Path
    """
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    for name, frame in sheets.items():
        title = _sheet_title(name, used)
        _fill_sheet(workbook.create_sheet(title), frame)
    with atomic_path(path) as staged:
        workbook.save(staged)
    return Path(path)


def _sheet_title(name: str, used: set[str]) -> str:
    """A valid, unique sheet title (Excel: at most 31 characters, none of ``[]:*?/\\``)."""
    base = _SHEET_FORBIDDEN.sub("_", _XML_ILLEGAL.sub("", str(name))).strip("'")[:31] or "Sheet"
    title, number = base, 2
    while title.lower() in used:
        suffix = f" ({number})"
        title, number = base[: 31 - len(suffix)] + suffix, number + 1
    used.add(title.lower())
    return title


def _fill_sheet(sheet: Worksheet, frame: pd.DataFrame) -> None:
    """Header row in bold and frozen, one row per record, text cells never formulas."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    widths = []
    for col, header in enumerate(frame.columns, start=1):
        cell = _put(sheet, 1, col, str(header))
        cell.font = Font(bold=True)
        widths.append(_text_width(str(header)))
    for row, values in enumerate(frame.itertuples(index=False, name=None), start=2):
        for col, value in enumerate(values, start=1):
            cell = _put(sheet, row, col, value)
            widths[col - 1] = max(widths[col - 1], _text_width(_shown(cell.value)))
    for col, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(col)].width = min(60, width + 2)
    sheet.freeze_panes = "A2"


def _put(sheet: Worksheet, row: int, col: int, value: object) -> Cell:
    """Store one value: numbers as numbers, text as text (quote prefix when neutralised)."""
    plain = _cell_value(value)
    cell = sheet.cell(row=row, column=col)
    if isinstance(plain, str):
        safe = neutralise_formula(plain)
        cell.value = safe
        cell.data_type = "s"  # openpyxl would store text starting with "=" as a formula
        if safe is not plain:
            cell.quotePrefix = True
    else:
        cell.value = plain
    return cell


def _cell_value(value: object) -> bool | int | float | datetime | str | None:
    """A plain Python value openpyxl can store (None for missing or non-finite numbers)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, pd.Timestamp):
        moment: datetime = value.to_pydatetime()
        return moment
    text = _XML_ILLEGAL.sub("\ufffd", str(value))
    return text if len(text) <= _XLSX_MAX_CHARS else text[: _XLSX_MAX_CHARS - 1] + "…"


def _shown(value: object) -> str:
    return "" if value is None else str(value)


def _text_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text[:200])
