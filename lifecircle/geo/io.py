"""Read planning layers from files or frames into validated GeoDataFrames.

One reader per layer (:func:`read_grids`, :func:`read_seats`, :func:`read_elderly`,
:func:`read_heritage`, :func:`read_conservation`, :func:`read_buildings`,
:func:`read_facilities`), all with the
same signature and all built on :func:`read_layer`.

Accepted sources
----------------
- Vector files read with pyogrio (through geopandas): GeoJSON (``.geojson``,
  ``.json``), GeoPackage (``.gpkg``, pick a layer with ``layer=``), Shapefile
  (``.shp``) and zipped Shapefile (``.zip``), and other formats GDAL reads.
- Tables with one point per row: CSV (``.csv``, ``.txt``, ``.tsv``; separator
  sniffed) and Excel (``.xlsx``, ``.xlsm``; ``.xls`` needs the optional ``xlrd``
  package; pick a sheet with ``layer=``). Coordinates come from the columns named by
  ``x=``/``y=``, else from headers such as 经度/lng/lon/longitude/x and
  纬度/lat/latitude/y, or (for any geometry type) from a WKT column named
  ``WKT``/``geometry``. The coordinate columns are not kept in the output (their
  values are in the geometry, converted to WGS-84).
- In-memory :class:`geopandas.GeoDataFrame` (copied, never modified) or
  :class:`pandas.DataFrame` with coordinate columns.

CSV encodings: UTF-8 (with or without BOM) is tried first, then GB18030 (a
superset of GBK and GB2312, what Chinese Excel writes); ``encoding=`` overrides.
Input files are only ever opened for reading.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Mapping
from os import PathLike
from pathlib import Path
from typing import TypeAlias, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from lifecircle.errors import Fix, InputWarning, LayerError, Problem
from lifecircle.geo.problem_rows import show_cell
from lifecircle.geo.schema import LATITUDE_ALIASES, LAYER_SCHEMAS, LONGITUDE_ALIASES, LayerSchema
from lifecircle.geo.shapefile import check_shapefile
from lifecircle.geo.tables import EXCEL_SUFFIXES, TEXT_SUFFIXES, read_table
from lifecircle.geo.validate import CheckedLayer, check_layer, normalise_header, warn_user
from lifecircle.geo.vector_files import (
    check_geojson_crs,
    geojson_encoding,
    read_vector,
    utf8_content,
)
from lifecircle.input_files import input_file_problem
from lifecircle.typing import CRSLike, FloatArray, GeometryArray

__all__ = [
    "read_buildings",
    "read_conservation",
    "read_elderly",
    "read_facilities",
    "read_grids",
    "read_heritage",
    "read_layer",
    "read_seats",
]

logger = logging.getLogger(__name__)

Source: TypeAlias = str | PathLike[str] | pd.DataFrame
_F = TypeVar("_F", bound=Callable[..., object])
_WKT_HEADERS = {"wkt", "geometry", "geom", "thegeom", "shape"}


def _source_name(source: Source) -> str:
    if isinstance(source, str | PathLike):
        return Path(source).name
    return f"<{type(source).__name__}>"


# --------------------------------------------------------------------------- vector files
# --------------------------------------------------------------------------- tables
def _find_coordinate(
    headers: list[Hashable], given: str | None, aliases: tuple[str, ...], axis: str
) -> tuple[Hashable | None, str | None]:
    if given is not None:
        for h in headers:
            if h == given or normalise_header(h) == normalise_header(given):
                return h, None
        return None, (
            f"{axis} column {given!r} (from {axis}=) is not in the source "
            f"(columns: {', '.join(repr(str(h)) for h in headers)})"
        )
    keys = {normalise_header(h): h for h in reversed(headers)}
    for alias in aliases:
        if normalise_header(alias) in keys:
            return keys[normalise_header(alias)], None
    return None, (
        f"no {axis} column found (looked for {', '.join(aliases)}); columns are "
        f"{', '.join(repr(str(h)) for h in headers)} — pass x= and y="
    )


def _numbers(values: pd.Series) -> FloatArray:
    """Float coordinates of a column (NaN where a cell is not a number)."""
    numbers: FloatArray
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numbers = values.to_numpy(dtype=float, na_value=np.nan)
    else:
        text = values.astype(str).str.strip()
        numbers = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return numbers


def _geometry_from_wkt(
    frame: pd.DataFrame, column: Hashable
) -> tuple[GeometryArray, dict[int, str]]:
    texts = frame[column]
    geoms: GeometryArray = shapely.from_wkt(
        np.array([None if pd.isna(t) else str(t) for t in texts], dtype=object),
        on_invalid="ignore",
    )
    notes = {
        int(pos): f"column {str(column)!r} holds {str(texts.iloc[pos])[:40]!r} (expected WKT)"
        for pos in np.flatnonzero(pd.isna(geoms))
        if not pd.isna(texts.iloc[pos])
    }
    return geoms, notes


def _points_from_table(
    frame: pd.DataFrame, name: str, *, x: str | None, y: str | None
) -> tuple[gpd.GeoDataFrame, dict[int, str], list[Hashable], list[str]]:
    """Build geometries from x/y (or WKT) columns.

    Returns the frame, per-row notes on missing geometries, the columns used and problems.
    """
    headers = list(frame.columns)
    wkt = [h for h in headers if normalise_header(h) in _WKT_HEADERS]
    xcol, xerr = _find_coordinate(headers, x, LONGITUDE_ALIASES, "longitude (x)")
    ycol, yerr = _find_coordinate(headers, y, LATITUDE_ALIASES, "latitude (y)")
    if wkt and x is None and y is None and (xerr or yerr):
        shapes, wkt_notes = _geometry_from_wkt(frame, wkt[0])
        return (
            gpd.GeoDataFrame(
                frame.copy(deep=False), geometry=gpd.GeoSeries(shapes, index=frame.index)
            ),
            wkt_notes,
            [wkt[0]],
            [],
        )
    problems = [e for e in (xerr, yerr) if e]
    if problems:
        raise LayerError(name, problems)
    xs = _numbers(frame[xcol])
    ys = _numbers(frame[ycol])
    good = np.isfinite(xs) & np.isfinite(ys)
    notes: dict[int, str] = {}
    for pos in np.flatnonzero(~good):
        cells = [(c, frame[c].iloc[pos]) for c in (xcol, ycol)]
        bad = [
            f"column {str(c)!r} is blank"
            if show_cell(v) == "blank"
            else f"column {str(c)!r} holds {show_cell(v)}"
            for c, v in cells
            if not np.isfinite(pd.to_numeric(str(v).strip(), errors="coerce"))
        ]
        notes[int(pos)] = "; ".join(bad) + " (expected a number)"
    if good.any() and np.all(
        (np.abs(xs[good]) <= 90) & (np.abs(ys[good]) > 90) & (np.abs(ys[good]) <= 180)
    ):
        problems.append(
            f"the coordinate columns look swapped: {str(xcol)!r} (used as longitude) holds "
            f"{xs[good][0]:g} and {str(ycol)!r} (used as latitude) holds {ys[good][0]:g}; "
            f"pass x={str(ycol)!r}, y={str(xcol)!r}"
        )
    points = np.where(good, shapely.points(np.where(good, xs, 0), np.where(good, ys, 0)), None)
    gdf = gpd.GeoDataFrame(
        frame.copy(deep=False), geometry=gpd.GeoSeries(points, index=frame.index)
    )
    return gdf, notes, [xcol, ycol], problems


# --------------------------------------------------------------------------- entry points
def read_layer(
    source: Source,
    kind: str,
    *,
    crs: CRSLike | None = None,
    layer: str | None = None,
    encoding: str | None = None,
    columns: Mapping[str, str] | None = None,
    x: str | None = None,
    y: str | None = None,
) -> gpd.GeoDataFrame:
    """Read one planning layer of type ``kind`` (see the layer readers for the parameters).

    Parameters
    ----------
    source : path or DataFrame
        File path or in-memory frame.
    kind : str
        ``"grids"``, ``"seats"``, ``"elderly"``, ``"heritage"``, ``"conservation"`` or
        ``"buildings"``.
    crs, layer, encoding, columns, x, y
        As for :func:`read_seats`.

    Returns
    -------
    geopandas.GeoDataFrame
        Validated, canonical, EPSG:4326.
    """
    checked = _check_source(
        source, kind, crs=crs, layer=layer, encoding=encoding, columns=columns, x=x, y=y
    )
    name = _source_name(source)
    problems = list(checked.problems)
    if kind == "grids" and not checked.bad_columns & {"id", "level", "parent_id"}:
        from lifecircle.geo.hierarchy import hierarchy_problems

        problems += hierarchy_problems(checked.frame)
    if problems:
        raise LayerError(name, problems)
    from lifecircle.geo.crs import check_coordinates

    check_coordinates(checked.frame, source=name)
    logger.info("%s: read %d %s", name, len(checked.frame), kind)
    return checked.frame


def _check_source(
    source: Source,
    kind: str,
    *,
    crs: CRSLike | None,
    layer: str | None,
    encoding: str | None,
    columns: Mapping[str, str] | None,
    x: str | None,
    y: str | None,
) -> CheckedLayer:
    from lifecircle.geo.crs import parse_crs

    if kind not in LAYER_SCHEMAS:
        raise ValueError(f"unknown layer kind {kind!r}; expected one of {', '.join(LAYER_SCHEMAS)}")
    schema = LAYER_SCHEMAS[kind]
    parse_crs(crs)  # an unknown crs= is an argument error: raise CRSError before reading
    name = _source_name(source)
    if isinstance(source, gpd.GeoDataFrame):
        return check_layer(source, schema, source=name, crs=crs, columns=columns)
    if isinstance(source, pd.DataFrame):
        return _check_table(source, schema, name, crs=crs, columns=columns, x=x, y=y, first_row=1)
    if not isinstance(source, str | PathLike):
        raise TypeError(f"source must be a path or a (Geo)DataFrame, got {type(source).__name__}")
    path = Path(source)
    problem = input_file_problem(path)
    if problem:
        raise LayerError(name, [f"{problem}: {path}"])
    if path.stat().st_size == 0:
        raise LayerError(name, ["the file is empty (0 bytes); export or copy it again"])
    content = None
    if path.suffix.lower() in (".geojson", ".json"):
        # GDAL reads GeoJSON as UTF-8 whatever encoding= says (and decodes the collection's
        # name with Python's strict UTF-8): hand it the text re-encoded as UTF-8
        codec = encoding or geojson_encoding(path)
        content = utf8_content(path, codec) if codec is not None else None
        encoding = None
        if crs is None:
            check_geojson_crs(path, content)
    if path.suffix.lower() in (*TEXT_SUFFIXES, *EXCEL_SUFFIXES):
        table = read_table(path, schema, layer=layer, encoding=encoding, columns=columns, x=x, y=y)
        return _check_table(
            table.frame,
            schema,
            name,
            crs=crs,
            columns=columns,
            x=x,
            y=y,
            first_row=table.first_row,
        )
    shapefile = None
    if path.suffix.lower() in (".shp", ".zip"):
        shapefile = check_shapefile(path, encoding=encoding)
        if shapefile.problems:
            raise LayerError(name, shapefile.problems)
        encoding = encoding or shapefile.encoding
    vector = read_vector(
        path,
        schema,
        layer=layer,
        encoding=encoding,
        gdal_path=shapefile.gdal_path if shapefile else None,
        content=content,
    )
    if shapefile is not None and not shapefile.missing_prj and vector.crs is None and crs is None:
        raise LayerError(
            name,
            [
                Problem(
                    f"the Shapefile's {Path(path.stem).with_suffix('.prj')} does not hold a "
                    "coordinate system that can be read (empty or damaged); export the Shapefile "
                    "again, or give its CRS, e.g. ",
                    Fix((("crs", "EPSG:4549"),)),
                )
            ],
        )
    checked = check_layer(vector, schema, source=name, crs=crs, columns=columns)
    if shapefile is not None and shapefile.missing_prj and crs is None and not checked.problems:
        fix = Problem(
            f"{name}: the Shapefile has no .prj file (its coordinate system), so its "
            "coordinates were taken as WGS-84 longitude/latitude (EPSG:4326); if they are "
            "not, set their CRS, e.g. ",
            Fix((("crs", "EPSG:4549"),)),
        )
        warn_user(str(fix), InputWarning)
    return checked


def _check_table(
    frame: pd.DataFrame,
    schema: LayerSchema,
    name: str,
    *,
    crs: CRSLike | None,
    columns: Mapping[str, str] | None,
    x: str | None,
    y: str | None,
    first_row: int,
) -> CheckedLayer:
    frame = frame.reset_index(drop=True)
    gdf, notes, coord_cols, problems = _points_from_table(frame, name, x=x, y=y)
    if problems:  # swapped axes: do not also complain that lat > 90 is not degrees
        crs = "EPSG:4326"
    checked = check_layer(
        gdf,
        schema,
        source=name,
        crs=crs,
        columns=columns,
        first_row=first_row,
        geometry_notes=notes,
        drop=coord_cols,
    )
    checked.problems[:0] = problems
    return checked


_READER_DOC = """Read the {kind} layer ({zh}) into a validated GeoDataFrame.

    Parameters
    ----------
    source : path or DataFrame
        GeoJSON/.json, GeoPackage, Shapefile, zipped Shapefile, CSV or XLSX file, or an
        in-memory GeoDataFrame/DataFrame (not modified).
    crs : optional
        CRS of the source coordinates when the file has none or a wrong one: an EPSG
        code, ``"EPSG:4549"`` (CGCS2000 Gauss–Krüger), ``"gcj02"`` (AMap/Tencent) or
        ``"bd09"`` (Baidu). Default: the file's CRS; degrees when there is none.
    layer : str, optional
        GeoPackage layer or spreadsheet sheet.
    encoding : str, optional
        Text encoding of a CSV/Shapefile (default: UTF-8, then GB18030 for CSV).
    columns : mapping, optional
        ``{{source header: canonical name}}`` for headers the synonyms do not cover.
    x, y : str, optional
        Longitude/latitude (or easting/northing) columns of a table.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326; columns {columns}, then the other source columns, then
        ``geometry`` ({geometry}).{extra}

    Raises
    ------
    lifecircle.errors.LayerError
        When the source cannot be read or has any problem; the message lists them all.
    lifecircle.errors.CRSError
        When ``crs`` is not a known CRS.
    """


def _documented(kind: str, extra: str = "") -> Callable[[_F], _F]:
    schema = LAYER_SCHEMAS[kind]

    def decorate(func: _F) -> _F:
        func.__doc__ = _READER_DOC.format(
            kind=kind,
            zh=schema.zh,
            columns=", ".join(schema.column_names),
            geometry=" or ".join(schema.geometry_types),
            extra=extra,
        )
        return func

    return decorate


_POINT_NOTE = (
    "\n        Lines and polygons are replaced by their representative point (a point inside)."
)
_GRID_NOTE = (
    "\n        The grid hierarchy is checked too (see "
    ":func:`lifecircle.geo.hierarchy.validate_hierarchy`)."
)


@_documented("grids", _GRID_NOTE)
def read_grids(
    source: Source,
    *,
    crs: CRSLike | None = None,
    layer: str | None = None,
    encoding: str | None = None,
    columns: Mapping[str, str] | None = None,
    x: str | None = None,
    y: str | None = None,
) -> gpd.GeoDataFrame:
    return read_layer(
        source, "grids", crs=crs, layer=layer, encoding=encoding, columns=columns, x=x, y=y
    )


@_documented("seats", _POINT_NOTE)
def read_seats(
    source: Source,
    *,
    crs: CRSLike | None = None,
    layer: str | None = None,
    encoding: str | None = None,
    columns: Mapping[str, str] | None = None,
    x: str | None = None,
    y: str | None = None,
) -> gpd.GeoDataFrame:
    return read_layer(
        source, "seats", crs=crs, layer=layer, encoding=encoding, columns=columns, x=x, y=y
    )


@_documented("elderly", _POINT_NOTE)
def read_elderly(
    source: Source,
    *,
    crs: CRSLike | None = None,
    layer: str | None = None,
    encoding: str | None = None,
    columns: Mapping[str, str] | None = None,
    x: str | None = None,
    y: str | None = None,
) -> gpd.GeoDataFrame:
    return read_layer(
        source, "elderly", crs=crs, layer=layer, encoding=encoding, columns=columns, x=x, y=y
    )


@_documented("heritage")
def read_heritage(
    source: Source,
    *,
    crs: CRSLike | None = None,
    layer: str | None = None,
    encoding: str | None = None,
    columns: Mapping[str, str] | None = None,
    x: str | None = None,
    y: str | None = None,
) -> gpd.GeoDataFrame:
    return read_layer(
        source, "heritage", crs=crs, layer=layer, encoding=encoding, columns=columns, x=x, y=y
    )


@_documented("conservation")
def read_conservation(
    source: Source,
    *,
    crs: CRSLike | None = None,
    layer: str | None = None,
    encoding: str | None = None,
    columns: Mapping[str, str] | None = None,
    x: str | None = None,
    y: str | None = None,
) -> gpd.GeoDataFrame:
    return read_layer(
        source, "conservation", crs=crs, layer=layer, encoding=encoding, columns=columns, x=x, y=y
    )


@_documented("buildings")
def read_buildings(
    source: Source,
    *,
    crs: CRSLike | None = None,
    layer: str | None = None,
    encoding: str | None = None,
    columns: Mapping[str, str] | None = None,
    x: str | None = None,
    y: str | None = None,
) -> gpd.GeoDataFrame:
    return read_layer(
        source, "buildings", crs=crs, layer=layer, encoding=encoding, columns=columns, x=x, y=y
    )


_FACILITY_NOTE = (
    _POINT_NOTE
    + "\n        ``category`` takes Chinese or English names (``幼儿园``, ``kindergarten``,"
    "\n        ``社区卫生服务中心（社区医院）``), resolved with"
    "\n        :func:`lifecircle.geo.facility_categories.resolve_category`."
)


@_documented("facilities", _FACILITY_NOTE)
def read_facilities(
    source: Source,
    *,
    crs: CRSLike | None = None,
    layer: str | None = None,
    encoding: str | None = None,
    columns: Mapping[str, str] | None = None,
    x: str | None = None,
    y: str | None = None,
) -> gpd.GeoDataFrame:
    return read_layer(
        source, "facilities", crs=crs, layer=layer, encoding=encoding, columns=columns, x=x, y=y
    )
