"""Normalise a raw frame to a layer's canonical schema and validate it.

:func:`validate_layer` is the boundary check every reader runs before any expensive
work. It matches source headers to canonical columns (:mod:`lifecircle.geo.headers`:
case-, width- and spacing-insensitive, with the Chinese and English synonyms of
:mod:`lifecircle.geo.schema`), coerces values to the documented dtypes, checks the
geometries (:mod:`lifecircle.geo.geometry_problems`), converts to EPSG:4326 and collects
**every** problem into one :class:`~lifecircle.errors.LayerError`. Problems that have
a fix carry it as a :class:`~lifecircle.errors.Fix`, written as reader keywords or,
inside ``hint_style("toml")``, as study-file TOML.

Rules applied
-------------
- ``id`` becomes ``str`` (``12`` and ``12.0`` both become ``"12"``); blank or duplicate
  ids are errors. A layer *without* an id column gets stable ids ``<file stem>-<row>``
  (``<layer>-<feature>`` for frames) and a :class:`~lifecircle.errors.ColumnWarning`.
- ``int`` columns (seat counts) must be whole numbers >= 1; ``float`` columns
  (population, capacity) must be numeric and >= 0, blank means unknown (NaN).
- ``bool`` columns accept 是/否, 有/无, Y/N, yes/no, true/false, 1/0 (and ✓/×, full-width
  forms too); a blank cell means ``False``.
- ``category`` columns are mapped to canonical codes with
  :func:`~lifecircle.geo.schema.match_category`: a cell naming several values takes the
  highest for ranked vocabularies (levels) and is an error otherwise; unknown values
  are errors that list the allowed values with their Chinese labels.
- A column matched by a synonym whose non-blank values are at least 80 % unusable was
  probably the wrong column: a required one gets a problem saying so with the explicit
  ``columns=`` fix; an optional category (a list's 类别 holding 古建筑) is left out and
  kept as an extra column, with a :class:`~lifecircle.errors.ColumnWarning`.
- Two source columns filling one canonical column are an error when they differ.
- Geometries must be present, non-empty, of an allowed type and inside the valid
  coordinate range of their CRS. Invalid geometries are repaired with
  :func:`shapely.make_valid` when the result has an allowed type and its area changes
  by at most 1 % (a :class:`~lifecircle.errors.GeometryWarning` says so); otherwise they
  are rejected. Z coordinates are dropped. After conversion, features spanning more
  than 180° of longitude (whole world, antimeridian) are rejected.
- Point layers (seats, elderly) also accept lines and polygons, replaced by their
  :meth:`~shapely.Geometry.representative_point` (a point guaranteed to lie inside).

Problem messages identify a feature by its id when it has one, else by its number:
``feature N`` counts features from 1; ``row N`` is the spreadsheet row number of
tabular files (the header is row 1).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from lifecircle.errors import (
    ColumnWarning,
    CRSError,
    Fix,
    GeometryWarning,
    LayerError,
    Problem,
)
from lifecircle.geo.geometry_problems import (
    check_geometries,
    coordinate_range_problems,
    extent_problems,
)
from lifecircle.geo.headers import (
    explicit_fix,
    layer_schema,
    list_headers,
    match_columns,
    normalise_header,
    rival_headers,
    rival_problem,
)
from lifecircle.geo.problem_rows import MAX_EXAMPLES, Rows, first_few, grouped, warn_user
from lifecircle.geo.schema import ColumnSpec, LayerSchema
from lifecircle.geo.values import (
    Column,
    as_text,
    coerce,
    coerce_ids,
    default_column,
    is_blank,
    typed,
    warn_released,
)
from lifecircle.typing import BoolArray, CRSLike

__all__ = ["check_layer", "match_columns", "normalise_header", "validate_layer", "warn_user"]

logger = logging.getLogger(__name__)


def _duplicate_ids(ids: Sequence[str | None], rows: Rows, header: object) -> list[str]:
    seen: dict[str, list[int]] = {}
    for pos, ident in enumerate(ids):
        if ident is not None:
            seen.setdefault(ident, []).append(pos)
    dups = [
        f"{ident!r} ({first_few([rows.where(p) for p in where])})"
        for ident, where in seen.items()
        if len(where) > 1
    ]
    if not dups:
        return []
    what = grouped(f"column {'id'!r} has duplicate values", dups, "id", "every id to be unique")
    source = "" if normalise_header(header) == "id" else f" (read from column {str(header)!r})"
    return [
        Problem(
            f"{what}{source}; give each row its own id, or map a column whose values are "
            "unique with ",
            explicit_fix("<header>", "id"),
        )
    ]


def _generated_ids(source: str, layer: str, rows: Rows, n: int) -> list[str | None]:
    """Stable ids ``<file stem>-<row number>`` for a layer without an id column."""
    stem = layer if source.startswith("<") else PurePath(source).stem
    return [f"{stem}-{rows.where(pos).split()[-1]}" for pos in range(n)]


_ID_LIKE = ("id", "uri", "url", "code", "编号", "编码", "代码", "序号", "标识")


def _unique_column(frame: pd.DataFrame, headers: Sequence[object]) -> object | None:
    """A source column that looks like an identifier and has a unique value on every row."""
    for header in headers:
        key = normalise_header(header)
        if not any(word in key for word in _ID_LIKE):
            continue
        texts = frame[header].map(as_text)
        if texts.notna().all() and texts.is_unique:
            return header
    return None


def _warn_generated_ids(
    source: str, schema: LayerSchema, ids: Sequence[str | None], candidate: object | None
) -> None:
    accepted = ", ".join(dict.fromkeys((schema.columns[0].name, *schema.columns[0].aliases)))
    shown = ", ".join([repr(i) for i in ids[:2]] + ["..."] * (len(ids) > 2))
    header = "<header>" if candidate is None else str(candidate)
    tail = "" if candidate is None else f" ({header!r} has a different value on every row)"
    warn_user(
        str(
            Problem(
                f"{source}: no id column (accepted headers: {accepted}); generated stable ids "
                f"from the file name and row number ({shown}); to use your own ids, map a "
                "column with ",
                explicit_fix(header, "id"),
                tail,
            )
        ),
        ColumnWarning,
    )


def _missing_column(spec: ColumnSpec, headers: Sequence[object]) -> Problem:
    accepted = ", ".join(dict.fromkeys((spec.name, *spec.aliases)))
    return Problem(
        f"missing required column {spec.name!r} (accepted headers: {accepted}); the source "
        f"has columns: {list_headers(headers)} — map another header with ",
        explicit_fix("<header>", spec.name),
    )


def _rival_problems(
    frame: pd.DataFrame, rivals: Mapping[str, list[object]], rows: Rows
) -> tuple[list[str], set[str]]:
    """Columns that would all be read as one canonical column and disagree somewhere."""
    problems: list[str] = []
    bad: set[str] = set()
    for canon, headers in rivals.items():
        texts = [frame[h].map(as_text).to_numpy(dtype=object) for h in headers]
        differ = np.zeros(len(frame), dtype=bool)
        for other in texts[1:]:
            differ |= texts[0] != other
        if differ.any():
            problems.append(rival_problem(canon, headers, rows(int(np.flatnonzero(differ)[0]))))
            bad.add(canon)
    return problems, bad


@dataclass
class CheckedLayer:
    """The outcome of :func:`check_layer`: the normalised frame and every problem found."""

    frame: gpd.GeoDataFrame
    problems: list[str]
    bad_columns: set[str]
    geometry_ok: BoolArray


def check_layer(
    frame: gpd.GeoDataFrame,
    layer: str | LayerSchema,
    *,
    source: str = "<DataFrame>",
    crs: CRSLike | None = None,
    columns: Mapping[str, str] | None = None,
    first_row: int | None = None,
    geometry_notes: Mapping[int, str] | None = None,
    drop: Sequence[object] = (),
) -> CheckedLayer:
    """Normalise ``frame`` and collect its problems without raising (see :func:`validate_layer`).

    ``first_row`` is the spreadsheet row number of the first data row of a table (problems
    then name ``row N``); without it they name ``feature N``, counted from 1.
    ``geometry_notes`` explains missing geometries by position (e.g. a bad coordinate
    cell); ``drop`` names source columns left out of the output (coordinate columns).
    """
    schema = layer_schema(layer)
    rows = Rows("feature", 1) if first_row is None else Rows("row", first_row)
    headers = [c for c in frame.columns if c != frame.geometry.name and c not in drop]
    mapping, problems = match_columns(headers, schema, columns=columns)
    canon_to_src = {v: k for k, v in mapping.items()}
    n = len(frame)
    if n == 0:
        problems.append("the layer has no features; expected at least one")
    bad_columns: set[str] = set()
    for spec in schema.columns:
        if n == 0 and not headers:
            break  # an empty file has no columns either; "no features" says it all
        if spec.required and spec.name not in canon_to_src and spec.name != "id":
            problems.append(_missing_column(spec, headers))
            bad_columns.add(spec.name)
    data, value_problems, value_bad, released = _canonical_values(
        frame, schema, canon_to_src, rows, source
    )
    for header in released:
        del mapping[header]
    rival_found, rival_bad = _rival_problems(
        frame, rival_headers(headers, schema, mapping, columns=columns), rows
    )
    problems += rival_found + value_problems
    bad_columns |= rival_bad | value_bad
    gdf, ok, geom_problems = _checked_geometries(frame, schema, rows, geometry_notes, source, crs)
    problems += geom_problems
    out = pd.DataFrame(data, index=pd.RangeIndex(n))
    for header in headers:
        if header not in mapping:
            name = f"{header}_source" if header in schema.column_names else header
            out[name] = frame[header].to_numpy()
    gdf = gpd.GeoDataFrame(out, geometry=gdf.geometry.set_axis(out.index), crs=gdf.crs)
    if schema.geometry_types == ("Point",):
        points = gdf.geometry.to_numpy().copy()
        other = shapely.get_type_id(points) > 0  # not a Point (or missing): a point inside
        points[other] = shapely.point_on_surface(points[other])
        gdf = gdf.set_geometry(gpd.GeoSeries(points, index=gdf.index, crs=gdf.crs))
    return CheckedLayer(gdf, problems, bad_columns, ok)


def _canonical_values(
    frame: pd.DataFrame,
    schema: LayerSchema,
    canon_to_src: Mapping[str, object],
    rows: Rows,
    source: str,
) -> tuple[dict[str, pd.Series], list[str], set[str], set[object]]:
    """Coerce every canonical column (ids first, so messages can name rows by id).

    Returns the values, problems, the canonical columns with problems and the source
    headers *released*: optional columns matched by a synonym that hold something else
    (kept as extra columns, with a :class:`~lifecircle.errors.ColumnWarning`).
    """
    problems: list[str] = []
    bad: set[str] = set()
    released: set[object] = set()
    n = len(frame)
    if "id" in canon_to_src:
        header = canon_to_src["id"]
        column = Column(schema.columns[0], header)
        ids, id_problems = coerce_ids(column, list(frame[header]), rows)
        id_problems += _duplicate_ids(ids, rows, header)
        rows.ids = ids
        if id_problems:
            problems += id_problems
            bad.add("id")
    elif n:
        rows.ids = _generated_ids(source, schema.layer, rows, n)
        extra = [h for h in frame.columns if h not in canon_to_src.values()]
        candidate = _unique_column(frame, [h for h in extra if h != frame.geometry.name])
        _warn_generated_ids(source, schema, rows.ids, candidate)
    data: dict[str, pd.Series] = {}
    for spec in schema.columns:
        if spec.name == "id":
            data["id"] = typed(spec, list(rows.ids) if n else [])
        elif spec.name not in canon_to_src:
            data[spec.name] = default_column(spec, n)
        else:
            header = canon_to_src[spec.name]
            column = Column(spec, header)
            values, col_problems, misread = coerce(column, list(frame[header]), rows)
            if misread and not spec.required and spec.kind == "category":
                shown = [repr(v) for v in frame[header] if not is_blank(v)]
                warn_released(source, column, list(dict.fromkeys(shown)))
                released.add(header)
                data[spec.name] = default_column(spec, n)
                continue
            problems += col_problems
            if col_problems:
                bad.add(spec.name)
            data[spec.name] = typed(spec, values)
    return data, problems, bad, released


def _checked_geometries(
    frame: gpd.GeoDataFrame,
    schema: LayerSchema,
    rows: Rows,
    notes: Mapping[int, str] | None,
    source: str,
    crs: CRSLike | None,
) -> tuple[gpd.GeoDataFrame, BoolArray, list[str]]:
    """Check, range-check, convert to WGS-84 and extent-check the geometries."""
    from lifecircle.geo.crs import parse_crs

    geoms, ok, problems, repaired = check_geometries(
        frame.geometry.to_numpy(), schema, rows, notes or {}
    )
    if repaired:
        warn_user(
            f"{source}: repaired {len(repaired)} invalid geometr"
            f"{'y' if len(repaired) == 1 else 'ies'} with shapely.make_valid: "
            + ", ".join(repaired[:MAX_EXAMPLES]),
            GeometryWarning,
        )
    try:
        source_crs = parse_crs(crs) if crs is not None else frame.crs
    except CRSError:
        source_crs = None  # reported by the conversion below
    problems += coordinate_range_problems(geoms, ok, source_crs, rows)
    gdf = gpd.GeoDataFrame(geometry=gpd.GeoSeries(geoms, crs=frame.crs), crs=frame.crs)
    gdf, crs_problems = _convert_crs(gdf, ok, crs, source)
    wgs84 = gdf.geometry.to_numpy()
    if crs_problems:  # nothing was converted: the CRS problem says it all
        problems += crs_problems
        ok[:] = False
    else:
        problems += extent_problems(wgs84, ok, rows)
    gdf = gdf.set_geometry(gpd.GeoSeries(np.where(ok, wgs84, None), crs="EPSG:4326"))
    return gdf, ok, problems


def _convert_crs(
    gdf: gpd.GeoDataFrame, ok: BoolArray, crs: CRSLike | None, source: str
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Convert the valid rows to EPSG:4326; a missing/unusable CRS becomes a problem."""
    from lifecircle.geo.crs import to_wgs84

    geometry = gdf.geometry.to_numpy().copy()
    if ok.any():
        good = gpd.GeoDataFrame(geometry=gpd.GeoSeries(geometry[ok], crs=gdf.crs), crs=gdf.crs)
        projected = _projected_without_crs(good) if crs is None and gdf.crs is None else None
        if projected is not None:
            return gdf.set_crs("EPSG:4326", allow_override=True), [projected]
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


def _projected_without_crs(gdf: gpd.GeoDataFrame) -> Problem | None:
    """The problem of a layer without a CRS whose coordinates are not degrees."""
    coords = shapely.get_coordinates(gdf.geometry.to_numpy())
    bad = np.flatnonzero((np.abs(coords[:, 0]) > 180.0) | (np.abs(coords[:, 1]) > 90.0))
    if bad.size == 0:
        return None
    x, y = coords[bad[0]]
    return Problem(
        "the layer has no CRS and its coordinates look projected, not lon/lat degrees "
        f"(e.g. x={x:.1f}, y={y:.1f}); set the CRS of the coordinates, e.g. ",
        Fix((("crs", "EPSG:4549"),)),
        " (CGCS2000 / 3-degree Gauss-Kruger CM 120E), or EPSG:32651 (UTM zone 51N)",
        key=None,
    )


def validate_layer(
    frame: gpd.GeoDataFrame,
    layer: str | LayerSchema,
    *,
    source: str = "<DataFrame>",
    crs: CRSLike | None = None,
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
