"""Vector files read through GDAL (pyogrio): GeoJSON, GeoPackage, Shapefile.

Used by :mod:`lifecircle.geo.io`. Problems name the user's file (never the path GDAL was
given) and say what to do; a GeoJSON file in a legacy encoding (GBK, Big5, Latin-1) is
handed to GDAL re-encoded as UTF-8, the only encoding GDAL's GeoJSON driver reads.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pyogrio.raw
import shapely

from lifecircle.errors import Fix, LayerError, Problem
from lifecircle.geo.encoding import scan_text_file
from lifecircle.geo.headers import normalise_header
from lifecircle.geo.schema import LayerSchema
from lifecircle.geo.tables import EXCEL_SUFFIXES, TEXT_SUFFIXES

__all__ = [
    "VECTOR_SUFFIXES",
    "check_geojson_crs",
    "geojson_encoding",
    "pick_layer",
    "read_vector",
    "utf8_content",
]

#: The suffixes of the vector formats read through GDAL (tables have their own reader).
VECTOR_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".zip")


def pick_layer(path: str | Path | bytes, schema: LayerSchema, name: str) -> str | None:
    """The layer to read from a multi-layer file when ``layer=`` was not given."""
    layers = [str(row[0]) for row in pyogrio.list_layers(path)]
    if len(layers) <= 1:
        return None
    for candidate in layers:
        if normalise_header(candidate) == schema.layer:
            return candidate
    raise LayerError(
        name,
        [
            Problem(
                f"the file holds {len(layers)} layers ({', '.join(layers)}); choose one, e.g. ",
                Fix((("layer", layers[0]),)),
            )
        ],
    )


def read_vector(
    path: Path,
    schema: LayerSchema,
    *,
    layer: str | None,
    encoding: str | None,
    gdal_path: str | None = None,
    content: bytes | None = None,
) -> gpd.GeoDataFrame:
    name = path.name
    kwargs: dict[str, str] = {}
    if encoding is not None:
        kwargs["encoding"] = encoding
    try:
        target: str | Path | bytes = content if content is not None else (gdal_path or path)
        with warnings.catch_warnings():
            # GDAL's own notes ("Non closed ring detected. To avoid accepting it, set the
            # OGR_GEOMETRY_ACCEPT_UNCLOSED_RING configuration option...", "Could not parse
            # column as JSON") speak of GDAL settings; what they are about is checked and
            # reported in the planner's words by the validators
            warnings.simplefilter("ignore", RuntimeWarning)
            warnings.filterwarnings("ignore", message="Could not parse column")
            chosen = layer if layer is not None else pick_layer(target, schema, name)
            if chosen is not None:
                kwargs["layer"] = chosen
            frame = gpd.read_file(target, engine="pyogrio", **kwargs)
    except LayerError:
        raise
    except shapely.errors.GEOSException as exc:  # GDAL read a shape GEOS cannot build
        raise LayerError(name, [_unbuildable(target, kwargs, _first_line(exc))]) from exc
    except (
        pyogrio.errors.DataSourceError,
        pyogrio.errors.DataLayerError,
        pyogrio.errors.FieldError,
        pyogrio.errors.GeometryError,
        OSError,
        ValueError,
        UnicodeDecodeError,
        LookupError,
    ) as exc:
        if layer is not None and "could not be opened" in str(exc):
            raise LayerError(name, [_missing_layer(target, layer)]) from exc
        raise LayerError(name, [_read_failure(exc, path, gdal_path)]) from exc
    if not isinstance(frame, gpd.GeoDataFrame):
        raise LayerError(
            name,
            [
                "the file has no geometry column; for a table of points use "
                "CSV/XLSX with coordinate columns"
            ],
        )
    return frame


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _read_failure(exc: BaseException, path: Path, gdal_path: str | None) -> str:
    """Why GDAL could not read ``path``, in words about the user's file: its name, not
    the path GDAL was given, and no advice about GDAL's driver prefixes."""
    text = _first_line(exc)
    if "not recognized as being in a supported file format" in text:
        suffix = path.suffix.lower()
        if suffix not in VECTOR_SUFFIXES:
            known = ", ".join((*VECTOR_SUFFIXES, *TEXT_SUFFIXES, *EXCEL_SUFFIXES))
            return (
                f"a file ending in {suffix or 'no suffix'!r} is not a format lifecircle reads "
                f"({known}); export the layer in one of them"
            )
        kind = "GeoJSON FeatureCollection" if suffix in (".geojson", ".json") else suffix
        return (
            f"the content is not a {kind} (nor another format GDAL recognises); is it "
            "truncated, or another kind of file renamed? Export the layer again"
        )
    if "file is not a database" in text:
        return "the file is not a GeoPackage (an SQLite database); is it damaged, or renamed?"
    if "/vsizip/" in text:
        return (
            "the zip file is damaged or holds no Shapefile (.shp with its .shx and .dbf); "
            "zip the Shapefile's files again"
        )
    for shown in sorted({gdal_path or "", str(path), str(path.absolute())} - {""}, key=len)[::-1]:
        text = text.replace(shown, path.name)
    return f"cannot read the file ({text}); is it truncated or in another format?"


def _unbuildable(target: str | Path | bytes, kwargs: dict[str, str], reason: str) -> str:
    """Which features hold a shape GEOS cannot build (e.g. a polygon ring that is not
    closed, accepted by GDAL's GeoJSON driver with a warning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # GDAL's "Non closed ring detected" again
        _, _, wkb, _ = pyogrio.raw.read(target, read_geometry=True, columns=[], **kwargs)
    shapes = shapely.from_wkb(wkb, on_invalid="ignore")
    built = ~shapely.is_missing(shapes) | np.array([raw is None for raw in wkb], dtype=bool)
    bad = (np.flatnonzero(~built) + 1).tolist()
    more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
    where = f"feature {', '.join(map(str, bad[:5]))}{more}" if bad else "a feature"
    if "closed linestring" in reason:
        what = "a polygon ring that is not closed (its last point must repeat its first)"
    else:
        what = f"a shape that cannot be built ({reason})"
    return f"{where} holds {what}; redraw or repair it in GIS and export again"


def _missing_layer(target: str | Path | bytes, layer: str) -> str | Problem:
    try:
        layers = [str(row[0]) for row in pyogrio.list_layers(target)]
    except (pyogrio.errors.DataSourceError, OSError):
        layers = []
    if not layers:
        return f"the file has no layer {layer!r}"
    held = ", ".join(repr(n) for n in layers)
    return Problem(
        f"the file has no layer {layer!r}; it holds {held}: choose one, e.g. ",
        Fix((("layer", layers[0]),)),
    )


def utf8_content(path: Path, codec: str) -> bytes:
    """The file's text, decoded from ``codec``, as UTF-8 bytes (for GDAL's GeoJSON driver)."""
    try:
        return path.read_bytes().decode(codec).encode("utf-8")
    except LookupError:
        raise LayerError(
            path.name, [f"unknown encoding {codec!r}; use e.g. 'utf-8', 'gb18030' or 'big5'"]
        ) from None
    except UnicodeDecodeError as exc:
        raise LayerError(
            path.name,
            [f"byte {exc.start} is not valid {codec} text; save the file as UTF-8 (GeoJSON's "
             "own encoding), or give the encoding it is really in"],
        ) from None  # fmt: skip


def geojson_encoding(path: Path) -> str | None:
    """The text encoding of a GeoJSON file that is not UTF-8 (as the standard requires).

    Legacy files (GBK, Big5, Latin-1) are detected like CSVs and decoded; UTF-16/32 ones,
    which GDAL cannot read, are refused.
    """
    codec = scan_text_file(path).encoding
    if codec in ("utf-8", "utf-8-sig"):
        return None
    if codec.startswith("utf-"):
        raise LayerError(
            path.name,
            [f"the GeoJSON file is in {codec.upper()}; GeoJSON must be UTF-8: save it as UTF-8"],
        )
    return codec


#: How much of a GeoJSON file is searched for a ``crs`` member before its features.
_HEAD_BYTES = 1 << 16


def check_geojson_crs(path: Path, content: bytes | None = None) -> None:
    """Refuse a GeoJSON ``crs`` member that names no coordinate system.

    GDAL falls back to WGS-84 without a word when it cannot read the (pre-RFC 7946)
    ``crs`` member, so coordinates in, say, a local system would be read as degrees.
    The member is looked for in the first and last 64 KB of the file, as an object with
    a ``type`` (``{"type": "name", "properties": {"name": ...}}``).

    Raises
    ------
    LayerError
        Naming the file, the ``crs`` it gives and the fix.
    """
    for text in _head_and_tail(path, content):
        for found in re.finditer(r'"crs"\s*:\s*(?=\{)', text):
            try:
                member, _ = json.JSONDecoder().raw_decode(text, found.end())
            except json.JSONDecodeError:
                continue  # cut off where the head ends, or broken: GDAL reports that
            if isinstance(member, dict) and "type" in member:
                _check_crs_member(path, member)
                return


def _check_crs_member(path: Path, member: dict[str, object]) -> None:
    from pyproj import CRS
    from pyproj.exceptions import CRSError as ProjError

    props = member.get("properties")
    name = props.get("name") if isinstance(props, dict) else None
    if isinstance(name, str):
        try:
            CRS.from_user_input(name)
            return
        except ProjError:
            pass
    shown = json.dumps(name if isinstance(name, str) else member, ensure_ascii=False)[:80]
    raise LayerError(
        path.name,
        [
            f'the file\'s "crs" member ({shown}) names no known coordinate system, so its '
            "coordinates cannot be placed; remove the member if they are WGS-84 longitude/"
            'latitude, or write e.g. "urn:ogc:def:crs:EPSG::4549", or give crs = "..." for '
            "the layer"
        ],
    )


def _head_and_tail(path: Path, content: bytes | None) -> list[str]:
    if content is None:
        with path.open("rb") as handle:
            head = handle.read(_HEAD_BYTES)
            size = handle.seek(0, 2)
            handle.seek(max(size - _HEAD_BYTES, len(head)))
            tail = handle.read()
    else:
        head, tail = content[:_HEAD_BYTES], content[max(len(content) - _HEAD_BYTES, _HEAD_BYTES) :]
    return [part.decode("utf-8", errors="replace") for part in (head, tail) if part]
