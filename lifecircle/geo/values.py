"""Cell values of a layer: text, numbers, booleans and categories, coerced and checked.

Used by :mod:`lifecircle.geo.validate`; see its "Rules applied" for the behaviour.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
import pandas as pd

from lifecircle.errors import ColumnWarning, Problem
from lifecircle.geo.headers import explicit_fix, normalise_header
from lifecircle.geo.problem_rows import Rows, first_few, grouped, show_cell, warn_user
from lifecircle.geo.schema import ColumnSpec, match_category

__all__ = [
    "Column",
    "Value",
    "as_text",
    "coerce",
    "coerce_ids",
    "default_column",
    "is_blank",
    "typed",
    "warn_released",
]

#: A coerced cell: text (ids, names, category codes), a flag, a number (NaN when blank and
#: optional) or None (missing or unusable). Raw cells are ``object``: whatever a file holds.
Value: TypeAlias = str | bool | float | None

_TRUE = {"是", "有", "y", "yes", "true", "t", "1", "1.0", "✓", "√", "对"}
_FALSE = {"否", "无", "没有", "n", "no", "false", "f", "0", "0.0", "×", "x", "不"}
#: A column read through a synonym is probably the wrong column when at least this
#: share of its non-blank cells is unusable (e.g. a list's ``type`` read as ``level``).
_MISREAD_SHARE = 0.8


def is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def as_text(value: object) -> str | None:
    """Text of an id-like cell: ``12.0`` -> ``"12"``, blank -> None."""
    if is_blank(value):
        return None
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, np.integer):
        return str(int(value))
    return str(value).strip()


def _as_number(value: object) -> float | None:
    """A float, NaN for blank, None when not numeric."""
    if is_blank(value):
        return float("nan")
    if isinstance(value, bool | np.bool_):
        return None
    if isinstance(value, int | float | np.integer | np.floating):
        return float(value)
    text = str(value).strip().replace(",", "").replace("，", "")
    try:
        number = float(text)
    except ValueError:
        return None
    return number if np.isfinite(number) else None


def _as_bool(value: object) -> bool | None:
    if is_blank(value):
        return False
    if isinstance(value, bool | np.bool_):
        return bool(value)
    key = as_text(value)
    key = unicodedata.normalize("NFKC", key).lower() if key is not None else ""
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    return None


def _allowed(spec: ColumnSpec) -> str:
    return ", ".join(f"{c.code} ({c.zh})" for c in spec.vocabulary)


#: Counts (seats, population, capacity) at or above this are out of range (and inf/NaN
#: never pass): they would overflow int64 or make every share meaningless.
_MAX_NUMBER = 2.0**53


@dataclass
class Column:
    """One canonical column being coerced: its spec and the source header it comes from."""

    spec: ColumnSpec
    header: object

    @property
    def by_synonym(self) -> bool:
        return normalise_header(self.header) != normalise_header(self.spec.name)


def _coerce_one(spec: ColumnSpec, raw: object) -> tuple[Value, str | None]:
    """Coerce one cell; return the value and ``None``, ``"missing"``, ``"bad"``, ``"low"``
    or ``"several"`` (an unranked category cell naming several values)."""
    kind = spec.kind
    if kind == "str":
        value = as_text(raw)
        if value is None and spec.name == "id":
            return None, "missing"
        return ("" if value is None and spec.name == "name" else value), None
    if kind == "bool":
        flag = _as_bool(raw)
        return flag, (None if flag is not None else "bad")
    if kind in ("int", "float"):
        number = _as_number(raw)
        if number is None:
            return None, "bad"
        if np.isnan(number):
            return number, ("missing" if spec.required and kind == "int" else None)
        low = 0 if kind == "float" else 1
        if not low <= number < _MAX_NUMBER or (kind == "int" and not number.is_integer()):
            return number, "low"
        return number, None
    if is_blank(raw):
        return None, ("missing" if spec.required else None)
    cat, named = match_category(spec.vocabulary, as_text(raw) or "", ranked=spec.ranked)
    if cat is not None:
        return cat.code, None
    if not named and spec.resolve is not None:
        code = spec.resolve(as_text(raw) or "")
        if code is not None:
            return code, None
    return None, ("several" if len(named) > 1 else "bad")


_EXPECTED = {
    "int": "a whole number >= 1",
    "float": "a number >= 0 (blank when unknown)",
    "bool": "是/否, 有/无, Y/N, yes/no, true/false or 1/0",
    "str": "a non-empty id",
}


def _expected(spec: ColumnSpec) -> str:
    return _EXPECTED.get(spec.kind) or f"one of {_allowed(spec)}"


def coerce(
    column: Column, values: Sequence[object], rows: Rows
) -> tuple[list[Value], list[str], bool]:
    """Coerce one column; return the values, the problems found and whether the column
    was probably misread (matched by a synonym, yet its values are mostly unusable)."""
    spec = column.spec
    out: list[Value] = []
    found: dict[str, list[str]] = {"missing": [], "bad": [], "low": [], "several": []}
    for pos, raw in enumerate(values):
        value, trouble = _coerce_one(spec, raw)
        out.append(value)
        if trouble == "missing":
            found["missing"].append(rows(pos))
        elif trouble is not None:
            close = spec.suggest(str(raw)) if trouble == "bad" and spec.suggest else None
            hint = f" (did you mean {close!r}?)" if close else ""
            found[trouble].append(f"{show_cell(raw)} at {rows(pos)}{hint}")
    col = f"column {spec.name!r}"
    expected = _expected(spec)
    problems: list[str] = []
    if found["missing"]:
        problems.append(grouped(f"{col} has missing values", found["missing"], rows.noun, expected))
    if found["bad"]:
        what = "non-numeric" if spec.kind in ("int", "float") else "unknown"
        problems.append(grouped(f"{col} has {what} values", found["bad"], rows.noun, expected))
    if found["low"]:
        low = grouped(f"{col} has out-of-range values", found["low"], rows.noun, expected)
        problems.append(low)
    if found["several"]:
        problems.append(
            grouped(
                f"{col} has cells naming several values",
                found["several"],
                rows.noun,
                f"one value per row (put a site with two {spec.name}s on two rows)",
            )
        )
    unusable = len(found["bad"]) + len(found["low"]) + len(found["several"])
    filled = sum(not is_blank(v) for v in values)
    misread = column.by_synonym and unusable > 0 and unusable >= _MISREAD_SHARE * filled
    if misread and spec.required:
        problems.append(_misread_problem(column, unusable, filled))
    return out, problems, misread


def coerce_ids(
    column: Column, values: Sequence[object], rows: Rows
) -> tuple[list[str | None], list[str]]:
    """Coerce an id column (kind ``"str"``): the ids (None where missing) and the problems."""
    ids, problems, _ = coerce(column, values, rows)
    return [v if isinstance(v, str) else None for v in ids], problems


def _misread_problem(column: Column, unusable: int, filled: int) -> Problem:
    """A required column matched by a synonym whose values are mostly unusable."""
    name = column.spec.name
    return Problem(
        f"column {str(column.header)!r} was read as {name} (a synonym), but {unusable} of its "
        f"{filled} values {'names' if unusable == 1 else 'name'} no {name}; map it explicitly "
        "with ",
        explicit_fix("<header>", name),
        f" naming the column that holds {name}",
    )


def warn_released(source: str, column: Column, unusable: list[str]) -> None:
    """An optional category column matched by a generic synonym (类别, type) that holds
    another classification: kept as an extra column instead of failing the layer."""
    name = column.spec.name
    warn_user(
        str(
            Problem(
                f"{source}: column {str(column.header)!r} was not read as {name} (optional): "
                f"its values are not {name} values ({first_few(unusable)}); it is kept as an "
                f"extra column. If it does hold {name}, map it explicitly with ",
                explicit_fix(column.header, name),
                f" to see every unusable value (expected {_expected(column.spec)})",
            )
        ),
        ColumnWarning,
    )


def default_column(spec: ColumnSpec, n: int) -> pd.Series:
    if spec.kind == "bool":
        return pd.Series(np.zeros(n, dtype=bool))
    if spec.kind == "float":
        return pd.Series(np.full(n, np.nan))
    return pd.Series([None] * n, dtype=object)


def typed(spec: ColumnSpec, values: Sequence[Value]) -> pd.Series:
    if spec.kind == "bool":
        return pd.Series([bool(v) for v in values], dtype=bool)
    if spec.kind == "float":
        return pd.Series([np.nan if v is None else v for v in values], dtype=float)
    if spec.kind == "int":
        # an int column holds floats (None where unusable); the unusable ones are reported
        clean = [
            v if isinstance(v, float) and abs(v) < _MAX_NUMBER and v.is_integer() else 0
            for v in values
        ]
        return pd.Series(clean, dtype="int64")
    return pd.Series(values, dtype=object)
