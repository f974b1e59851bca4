"""Normalise a raw frame to a layer's canonical schema and validate it.

:func:`validate_layer` is the boundary check every reader runs before any expensive
work. It matches source headers to canonical columns (case-insensitively, ignoring
spaces, ``_`` and ``-``, with the Chinese and English synonyms of
:mod:`lifecircle.geo.schema`), coerces values to the documented dtypes, checks the
geometries, converts to EPSG:4326 and collects **every** problem into one
:class:`~lifecircle.errors.LayerError`.

Rules applied
-------------
- ``id`` becomes ``str`` (``12`` and ``12.0`` both become ``"12"``); missing or
  duplicate ids are errors.
- ``int`` columns (seat counts) must be whole numbers >= 1; ``float`` columns
  (population, capacity) must be numeric and >= 0, blank means unknown (NaN).
- ``bool`` columns accept 是/否, 有/无, Y/N, yes/no, true/false, 1/0 (and ✓/×); a blank
  cell means ``False``.
- ``category`` columns are mapped to canonical codes with
  :func:`~lifecircle.geo.schema.find_category`; unknown values are errors that list
  the allowed values with their Chinese labels.
- Geometries must be present, non-empty and of an allowed type. Invalid geometries
  are repaired with :func:`shapely.make_valid` when the result has an allowed type and
  its area changes by at most 1 % (a :class:`~lifecircle.errors.GeometryWarning` says
  so); otherwise they are rejected. Z coordinates are dropped.
- Point layers (seats, elderly) also accept lines and polygons, replaced by their
  :meth:`~shapely.Geometry.representative_point` (a point guaranteed to lie inside).

Problem messages identify a feature by its id when it has one, else by its number:
``feature N`` counts features from 1; ``row N`` is the spreadsheet row number of
tabular files (the header is row 1).
"""

from __future__ import annotations

import logging
import re
import sys
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from lifecircle.errors import CRSError, GeometryWarning, LayerError, LifecircleWarning
from lifecircle.geo.schema import LAYER_SCHEMAS, ColumnSpec, LayerSchema, find_category

__all__ = ["match_columns", "normalise_header", "validate_layer"]

logger = logging.getLogger(__name__)

#: How many offending rows a problem message lists before "and N more".
MAX_EXAMPLES = 5
#: Largest relative area change accepted when repairing an invalid polygon.
MAX_REPAIR_AREA_SHARE = 0.01

_TRUE = {"是", "有", "y", "yes", "true", "t", "1", "1.0", "✓", "√", "对"}
_FALSE = {"否", "无", "没有", "n", "no", "false", "f", "0", "0.0", "×", "x", "不"}
_POINT_CONVERTIBLE = {"MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"}


def normalise_header(header: object) -> str:
    """Return the matching key of a column header.

    Lower-cases, strips a byte-order mark and removes white space, ``_`` and ``-``,
    so ``"Seat Count"``, ``"seat_count"`` and ``" SEAT-COUNT "`` all match.
    """
    return re.sub(r"[\s_\-]+", "", str(header).replace("\ufeff", "").lower())


def _schema(layer: str | LayerSchema) -> LayerSchema:
    if isinstance(layer, LayerSchema):
        return layer
    try:
        return LAYER_SCHEMAS[layer]
    except KeyError:
        raise ValueError(
            f"unknown layer {layer!r}; expected one of {', '.join(LAYER_SCHEMAS)}"
        ) from None


def match_columns(
    headers: Sequence[object],
    layer: str | LayerSchema,
    *,
    columns: Mapping[str, str] | None = None,
) -> tuple[dict[object, str], list[str]]:
    """Match source headers to the canonical columns of ``layer``.

    Parameters
    ----------
    headers : sequence
        The source column names.
    layer : str or LayerSchema
        ``"grids"``, ``"seats"``... or a schema.
    columns : mapping, optional
        Explicit ``{source header: canonical name}`` for unusual headers; wins over
        the synonyms.

    Returns
    -------
    mapping : dict
        ``{source header: canonical name}`` for every matched header.
    problems : list of str
        Problems with ``columns=`` (unknown header or canonical name).
    """
    schema = _schema(layer)
    mapping: dict[object, str] = {}
    problems: list[str] = []
    by_key: dict[str, object] = {}
    for h in headers:
        by_key.setdefault(normalise_header(h), h)
    for src, canon in (columns or {}).items():
        if canon not in schema.column_names:
            problems.append(
                f"columns= maps {src!r} to {canon!r}, which is not a column of the "
                f"{schema.layer} layer (expected one of {', '.join(schema.column_names)})"
            )
        elif src in headers:
            mapping[src] = canon
        elif normalise_header(src) in by_key:
            mapping[by_key[normalise_header(src)]] = canon
        else:
            problems.append(
                f"columns= names header {src!r}, which is not in the source "
                f"(columns: {_list_headers(headers)})"
            )
    for spec in schema.columns:
        if spec.name in mapping.values():
            continue
        for alias in (spec.name, *spec.aliases):
            header = by_key.get(normalise_header(alias))
            if header is not None and header not in mapping:
                mapping[header] = spec.name
                break
    return mapping, problems


def _list_headers(headers: Sequence[object]) -> str:
    shown = [repr(str(h)) for h in headers if str(h) != "geometry"]
    return ", ".join(shown) if shown else "none"


@dataclass
class _Rows:
    """Labels rows as ``id 'S1' (row 3)`` or ``feature 4``."""

    noun: str
    first: int
    ids: list[str | None] = field(default_factory=list)

    def __call__(self, pos: int) -> str:
        where = f"{self.noun} {pos + self.first}"
        ident = self.ids[pos] if pos < len(self.ids) else None
        return f"id {ident!r} ({where})" if ident is not None else where


def _grouped(what: str, hits: Sequence[str], noun: str, expected: str = "") -> str:
    count = len(hits)
    shown = ", ".join(hits[:MAX_EXAMPLES])
    more = f" and {count - MAX_EXAMPLES} more" if count > MAX_EXAMPLES else ""
    plural = noun if count == 1 else noun + "s"
    tail = f"; expected {expected}" if expected else ""
    return f"{what} in {count} {plural}: {shown}{more}{tail}"


def _is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _as_text(value: Any) -> str | None:
    """Text of an id-like cell: ``12.0`` -> ``"12"``, blank -> None."""
    if _is_blank(value):
        return None
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, np.integer):
        return str(int(value))
    return str(value).strip()


def _as_number(value: Any) -> float | None:
    """A float, NaN for blank, None when not numeric."""
    if _is_blank(value):
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


def _as_bool(value: Any) -> bool | None:
    if _is_blank(value):
        return False
    if isinstance(value, bool | np.bool_):
        return bool(value)
    key = _as_text(value)
    key = key.lower() if key is not None else ""
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


def _coerce(spec: ColumnSpec, values: Sequence[Any], rows: _Rows) -> tuple[list[Any], list[str]]:
    """Coerce one column; return the values and the problems found."""
    col = f"column {spec.name!r}"
    kind = spec.kind
    out: list[Any] = []
    bad: list[str] = []
    missing: list[str] = []
    low: list[str] = []
    for pos, raw in enumerate(values):
        if kind == "str":
            value: Any = _as_text(raw)
            if value is None and spec.name == "id":
                missing.append(rows(pos))
            elif value is None and spec.name == "name":
                value = ""
        elif kind == "bool":
            value = _as_bool(raw)
            if value is None:
                bad.append(f"{raw!r} at {rows(pos)}")
        elif kind in ("int", "float"):
            value = _as_number(raw)
            if value is None:
                bad.append(f"{raw!r} at {rows(pos)}")
            elif np.isnan(value):
                if spec.required and kind == "int":
                    missing.append(rows(pos))
            elif not (0 if kind == "float" else 1) <= value < _MAX_NUMBER or (
                kind == "int" and not value.is_integer()
            ):
                low.append(f"{raw!r} at {rows(pos)}")
        else:  # category
            value = None
            if not _is_blank(raw):
                cat = find_category(spec.vocabulary, _as_text(raw) or "")
                if cat is None:
                    bad.append(f"{raw!r} at {rows(pos)}")
                else:
                    value = cat.code
            elif spec.required:
                missing.append(rows(pos))
        out.append(value)
    expected = {
        "int": "a whole number >= 1",
        "float": "a number >= 0 (blank when unknown)",
        "bool": "是/否, 有/无, Y/N, yes/no, true/false or 1/0",
        "category": f"one of {_allowed(spec)}",
        "str": "a non-empty id",
    }[kind]
    problems = []
    if missing:
        problems.append(_grouped(f"{col} has missing values", missing, rows.noun, expected))
    if bad:
        what = "non-numeric" if kind in ("int", "float") else "unknown"
        problems.append(_grouped(f"{col} has {what} values", bad, rows.noun, expected))
    if low:
        problems.append(_grouped(f"{col} has out-of-range values", low, rows.noun, expected))
    return out, problems


def _first_few(texts: Sequence[str]) -> str:
    """At most :data:`MAX_EXAMPLES` of ``texts``, then "and N more"."""
    more = len(texts) - MAX_EXAMPLES
    return ", ".join(texts[:MAX_EXAMPLES]) + (f" and {more} more" if more > 0 else "")


def _duplicate_ids(ids: Sequence[str | None], rows: _Rows) -> list[str]:
    seen: dict[str, list[int]] = {}
    for pos, ident in enumerate(ids):
        if ident is not None:
            seen.setdefault(ident, []).append(pos)
    dups = [
        f"{ident!r} ({_first_few([f'{rows.noun} {p + rows.first}' for p in where])})"
        for ident, where in seen.items()
        if len(where) > 1
    ]
    if not dups:
        return []
    return [_grouped("column 'id' has duplicate values", dups, "id", "every id to be unique")]


def _user_stacklevel() -> int:
    """Stack level of the first frame outside lifecircle (so warnings point at user code)."""
    frame = sys._getframe(1)
    level = 1
    while frame is not None and frame.f_globals.get("__name__", "").startswith("lifecircle"):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    return level


def warn_user(message: str, category: type[LifecircleWarning]) -> None:
    """Emit ``message`` pointing at the first caller outside the lifecircle package."""
    warnings.warn(message, category, stacklevel=_user_stacklevel())


def _repair(geom: shapely.Geometry, allowed: set[str]) -> tuple[shapely.Geometry | None, float]:
    """Return the repaired geometry (None when unusable) and its relative area change."""
    fixed = shapely.make_valid(geom)
    before = abs(float(shapely.area(geom)))
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        parts = [p for p in shapely.get_parts(fixed) if p.geom_type in ("Polygon", "MultiPolygon")]
        if not parts:
            return None, 1.0
        fixed = shapely.union_all(parts)
    if fixed.is_empty or fixed.geom_type not in allowed:
        return None, 1.0
    after = float(fixed.area)
    scale = max(before, after)
    return fixed, (abs(after - before) / scale if scale > 0 else 0.0)


def _geometries(expected: str) -> str:
    """``"Point (note)"`` -> ``"Point geometries (note)"``."""
    types, sep, note = expected.partition(" (")
    return f"{types} geometries{' (' if sep else ''}{note}"


def _check_geometries(
    geoms: np.ndarray, schema: LayerSchema, rows: _Rows, notes: Mapping[int, str]
) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """Check geometries; return (geometries, ok mask, problems, repair notes)."""
    allowed = set(schema.geometry_types)
    to_point = allowed == {"Point"}
    if to_point:
        allowed |= _POINT_CONVERTIBLE
    geoms = shapely.force_2d(np.asarray(geoms, dtype=object))
    ok = np.ones(len(geoms), dtype=bool)
    coords, owner = shapely.get_coordinates(geoms, return_index=True)
    infinite = np.zeros(len(geoms), dtype=bool)
    infinite[owner[~np.isfinite(coords).all(axis=1)]] = True
    missing, empty, broken, repaired, nonfinite = [], [], [], [], []
    wrong: dict[str, list[str]] = {}
    for pos, geom in enumerate(geoms):
        if geom is None:
            missing.append(f"{rows(pos)} ({notes[pos]})" if pos in notes else rows(pos))
        elif infinite[pos]:
            nonfinite.append(rows(pos))
        elif geom.is_empty:
            empty.append(rows(pos))
        elif geom.geom_type not in allowed:
            wrong.setdefault(geom.geom_type, []).append(rows(pos))
        elif not geom.is_valid:
            reason = shapely.is_valid_reason(geom)
            fixed, change = _repair(geom, allowed)
            if fixed is None or change > MAX_REPAIR_AREA_SHARE:
                broken.append(
                    f"{rows(pos)} ({reason}; repair would change its area by {change:.0%})"
                )
            else:
                geoms[pos] = fixed
                repaired.append(f"{rows(pos)} ({reason}; area changed by {change:.2%})")
                continue
        else:
            continue
        ok[pos] = False
    noun = rows.noun
    expected = " or ".join(schema.geometry_types)
    if to_point:
        expected += " (lines and polygons are replaced by a point inside them)"
    problems = []
    if missing:
        problems.append(_grouped("missing geometry", missing, noun, "a geometry"))
    if empty:
        problems.append(_grouped("empty geometry", empty, noun, "a non-empty geometry"))
    if nonfinite:
        problems.append(
            _grouped("NaN or infinite coordinates", nonfinite, noun, "finite coordinates")
        )
    for kind, where in wrong.items():
        what = f"read as {schema.layer}: expected {_geometries(expected)}, got {kind}"
        problems.append(_grouped(what, where, noun))
    if broken:
        problems.append(
            _grouped(
                "invalid geometry that cannot be repaired safely",
                broken,
                noun,
                f"a valid {expected}",
            )
        )
    return geoms, ok, problems, repaired


@dataclass
class CheckedLayer:
    """The outcome of :func:`check_layer`: the normalised frame and every problem found."""

    frame: gpd.GeoDataFrame
    problems: list[str]
    bad_columns: set[str]
    geometry_ok: np.ndarray


def check_layer(
    frame: gpd.GeoDataFrame,
    layer: str | LayerSchema,
    *,
    source: str = "<DataFrame>",
    crs: Any = None,
    columns: Mapping[str, str] | None = None,
    row_noun: str = "feature",
    first_row: int = 1,
    geometry_notes: Mapping[int, str] | None = None,
    drop: Sequence[object] = (),
) -> CheckedLayer:
    """Normalise ``frame`` and collect its problems without raising (see :func:`validate_layer`).

    ``geometry_notes`` explains missing geometries by position (e.g. a bad coordinate
    cell); ``drop`` names source columns left out of the output (coordinate columns).
    """
    from lifecircle.geo.crs import to_wgs84

    schema = _schema(layer)
    rows = _Rows(row_noun, first_row)
    headers = [c for c in frame.columns if c != frame.geometry.name and c not in drop]
    mapping, problems = match_columns(headers, schema, columns=columns)
    canon_to_src = {v: k for k, v in mapping.items()}
    bad_columns: set[str] = set()
    n = len(frame)
    if n == 0:
        problems.append("the layer has no features; expected at least one")
    for spec in schema.columns:
        if n == 0 and not headers:
            break  # an empty file has no columns either; "no features" says it all
        if spec.required and spec.name not in canon_to_src:
            accepted = ", ".join(dict.fromkeys((spec.name, *spec.aliases)))
            problems.append(
                f"missing required column {spec.name!r} (accepted headers: {accepted}); "
                f"the source has columns: {_list_headers(headers)} — map another header with "
                f"columns={{'<header>': {spec.name!r}}}"
            )
            bad_columns.add(spec.name)
    data: dict[str, Any] = {}
    if "id" in canon_to_src:
        ids, id_problems = _coerce(schema.columns[0], list(frame[canon_to_src["id"]]), rows)
        rows.ids = ids
        id_problems += _duplicate_ids(ids, rows)
        problems += id_problems
        if id_problems:
            bad_columns.add("id")
    for spec in schema.columns:
        if spec.name not in canon_to_src:
            data[spec.name] = _default_column(spec, n)
            continue
        if spec.name == "id":
            values: list[Any] = rows.ids
        else:
            values, col_problems = _coerce(spec, list(frame[canon_to_src[spec.name]]), rows)
            problems += col_problems
            if col_problems:
                bad_columns.add(spec.name)
        data[spec.name] = _typed(spec, values)
    geoms, ok, geom_problems, repaired = _check_geometries(
        frame.geometry.to_numpy(), schema, rows, geometry_notes or {}
    )
    problems += geom_problems
    if repaired:
        warn_user(
            f"{source}: repaired {len(repaired)} invalid geometr"
            f"{'y' if len(repaired) == 1 else 'ies'} with shapely.make_valid: "
            + ", ".join(repaired[:MAX_EXAMPLES]),
            GeometryWarning,
        )
    out = pd.DataFrame(data, index=pd.RangeIndex(n))
    for header in headers:
        if header not in mapping:
            name = f"{header}_source" if header in schema.column_names else header
            out[name] = frame[header].to_numpy()
    gdf = gpd.GeoDataFrame(out, geometry=gpd.GeoSeries(geoms, crs=frame.crs), crs=frame.crs)
    gdf, crs_problems = _convert_crs(gdf, ok, crs, source, to_wgs84)
    problems += crs_problems
    if schema.geometry_types == ("Point",):
        points = shapely.point_on_surface(gdf.geometry.to_numpy())
        gdf = gdf.set_geometry(gpd.GeoSeries(points, index=gdf.index, crs=gdf.crs))
    return CheckedLayer(gdf, problems, bad_columns, ok)


def _default_column(spec: ColumnSpec, n: int) -> pd.Series:
    if spec.kind == "bool":
        return pd.Series(np.zeros(n, dtype=bool))
    if spec.kind == "float":
        return pd.Series(np.full(n, np.nan))
    return pd.Series([None] * n, dtype=object)


def _typed(spec: ColumnSpec, values: list[Any]) -> pd.Series:
    if spec.kind == "bool":
        return pd.Series([bool(v) for v in values], dtype=bool)
    if spec.kind == "float":
        return pd.Series([np.nan if v is None else v for v in values], dtype=float)
    if spec.kind == "int":
        clean = [
            v if v is not None and abs(v) < _MAX_NUMBER and v.is_integer() else 0 for v in values
        ]
        return pd.Series(clean, dtype="int64")
    return pd.Series(values, dtype=object)


def _convert_crs(
    gdf: gpd.GeoDataFrame, ok: np.ndarray, crs: Any, source: str, to_wgs84: Callable[..., Any]
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Convert the valid rows to EPSG:4326; a missing/unusable CRS becomes a problem."""
    geometry = gdf.geometry.to_numpy().copy()
    if ok.any():
        good = gpd.GeoDataFrame(geometry=gpd.GeoSeries(geometry[ok], crs=gdf.crs), crs=gdf.crs)
        try:
            converted = to_wgs84(good, crs, source=source)
        except CRSError as exc:
            message = str(exc)
            prefix = f"{source}: "
            return gdf.set_crs("EPSG:4326", allow_override=True), [message.removeprefix(prefix)]
        geometry[ok] = converted.geometry.to_numpy()
    geometry[~ok] = None
    gdf = gdf.set_geometry(gpd.GeoSeries(geometry, index=gdf.index, crs="EPSG:4326"))
    return gdf, []


def validate_layer(
    frame: gpd.GeoDataFrame,
    layer: str | LayerSchema,
    *,
    source: str = "<DataFrame>",
    crs: Any = None,
    columns: Mapping[str, str] | None = None,
) -> gpd.GeoDataFrame:
    """Return ``frame`` normalised to the canonical schema of ``layer``, in EPSG:4326.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        The raw layer (any headers the synonyms recognise). Not modified.
    layer : str or LayerSchema
        ``"grids"``, ``"seats"``, ``"elderly"``, ``"heritage"``, ``"conservation"`` or
        ``"buildings"``.
    source : str
        Name used in messages (the file name).
    crs : optional
        CRS of the coordinates when ``frame.crs`` is missing or wrong (anything
        :func:`~lifecircle.geo.crs.parse_crs` accepts, incl. ``"gcj02"`` and ``"bd09"``).
    columns : mapping, optional
        ``{source header: canonical name}`` for headers the synonyms do not cover.

    Returns
    -------
    geopandas.GeoDataFrame
        Canonical columns in schema order with proper dtypes, then the other source
        columns unchanged (renamed ``<name>_source`` when they clash), then geometry.

    Raises
    ------
    lifecircle.errors.LayerError
        Listing every problem found (columns, values, ids, geometries, CRS).
    """
    if not isinstance(frame, gpd.GeoDataFrame):
        raise TypeError(f"frame must be a GeoDataFrame, got {type(frame).__name__}")
    checked = check_layer(frame, layer, source=source, crs=crs, columns=columns)
    if checked.problems:
        raise LayerError(source, checked.problems)
    return checked.frame
