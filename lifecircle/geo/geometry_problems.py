"""Geometry checks of the layer validator: presence, type, validity and coordinate ranges.

Coordinates are checked against the valid range of the CRS they are in *before* any
conversion, so an absurd vertex (``[1e308, -1e308]``) is reported with its feature
instead of overflowing in a transform later:

- geographic CRSs, GCJ-02 and BD-09: lon in [-180, 180], lat in [-90, 90];
- projected CRSs: the CRS's area of use (pyproj), transformed into the CRS and widened
  by half its width and height on every side (±21,000 km for a metric CRS without an
  area of use) (data a little outside a zone is common
  and harmless; a coordinate thousands of kilometres outside is a wrong CRS or a typo);
- no CRS: when most features look like degrees, the geographic range; otherwise the
  CRS conversion reports that the coordinates look projected.

After conversion to WGS-84, a feature spanning more than 180° of longitude is
rejected: it covers the whole world or crosses the antimeridian, and no walking
analysis of a neighbourhood can use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pyproj
import shapely

from lifecircle.geo.problem_rows import Rows, grouped
from lifecircle.geo.schema import LayerSchema
from lifecircle.typing import BoolArray, Bounds, FloatArray, GeometryArray, IndexArray

__all__ = ["check_geometries", "coordinate_range_problems", "extent_problems"]

#: Largest relative area change accepted when repairing an invalid polygon.
MAX_REPAIR_AREA_SHARE = 0.01
_POINT_CONVERTIBLE = {"MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"}
_DEGREES = (-180.0, -90.0, 180.0, 90.0)
#: Projected metres beyond this are off the Earth (its half circumference is ~20,038 km);
#: used for CRSs without an area of use (e.g. a custom PROJ string).
_METRE_LIMITS = (-2.1e7, -2.1e7, 2.1e7, 2.1e7)
#: A feature wider than this (degrees of longitude, after conversion) is not a place.
_MAX_SPAN_DEG = 180.0


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


@dataclass
class _Found:
    missing: list[str]
    empty: list[str]
    nonfinite: list[str]
    broken: list[str]
    repaired: list[str]
    wrong: dict[str, list[str]]


def check_geometries(
    geoms: GeometryArray, schema: LayerSchema, rows: Rows, notes: Mapping[int, str]
) -> tuple[GeometryArray, BoolArray, list[str], list[str]]:
    """Check geometries; return (geometries, ok mask, problems, repair notes)."""
    allowed = set(schema.geometry_types)
    to_point = allowed == {"Point"}
    if to_point:
        allowed |= _POINT_CONVERTIBLE
    geoms = np.array(geoms, dtype=object)  # copies references only; repairs never touch input
    if shapely.has_z(geoms).any():  # force_2d clones every geometry: only when needed
        geoms = shapely.force_2d(geoms)
    ok = np.ones(len(geoms), dtype=bool)
    coords, owner = shapely.get_coordinates(geoms, return_index=True)
    infinite = np.zeros(len(geoms), dtype=bool)
    infinite[owner[~np.isfinite(coords).all(axis=1)]] = True
    found = _Found([], [], [], [], [], {})
    for pos, geom in enumerate(geoms):
        if geom is None:
            found.missing.append(f"{rows(pos)} ({notes[pos]})" if pos in notes else rows(pos))
        elif infinite[pos]:
            found.nonfinite.append(rows(pos))
        elif geom.is_empty:
            found.empty.append(rows(pos))
        elif geom.geom_type not in allowed:
            found.wrong.setdefault(geom.geom_type, []).append(rows(pos))
        elif not geom.is_valid:
            reason = shapely.is_valid_reason(geom)
            fixed, change = _repair(geom, allowed)
            if fixed is None or change > MAX_REPAIR_AREA_SHARE:
                found.broken.append(
                    f"{rows(pos)} ({reason}; repair would change its area by {change:.0%})"
                )
            else:
                geoms[pos] = fixed
                found.repaired.append(f"{rows(pos)} ({reason}; area changed by {change:.2%})")
                continue
        else:
            continue
        ok[pos] = False
    return geoms, ok, _geometry_problems(found, schema, rows.noun, to_point), found.repaired


def _geometry_problems(found: _Found, schema: LayerSchema, noun: str, to_point: bool) -> list[str]:
    expected = " or ".join(schema.geometry_types)
    if to_point:
        expected += " (lines and polygons are replaced by a point inside them)"
    problems = []
    if found.missing:
        problems.append(grouped("missing geometry", found.missing, noun, "a geometry"))
    if found.empty:
        problems.append(grouped("empty geometry", found.empty, noun, "a non-empty geometry"))
    if found.nonfinite:
        problems.append(
            grouped("NaN or infinite coordinates", found.nonfinite, noun, "finite coordinates")
        )
    for kind, where in found.wrong.items():
        what = f"read as {schema.layer}: expected {_geometries(expected)}, got {kind}"
        problems.append(grouped(what, where, noun))
    if found.broken:
        problems.append(
            grouped(
                "invalid geometry that cannot be repaired safely",
                found.broken,
                noun,
                f"a valid {expected}",
            )
        )
    return problems


# --------------------------------------------------------------------------- coordinate ranges
def _crs_label(crs: pyproj.CRS | str | None) -> str:
    if crs is None:
        return "lon/lat degrees (the layer has no CRS)"
    if isinstance(crs, str):
        return {"gcj02": "GCJ-02 lon/lat degrees", "bd09": "BD-09 lon/lat degrees"}[crs]
    code = crs.to_epsg()
    if code:
        return f"EPSG:{code} ({crs.name})"
    if crs.name and crs.name != "unknown":
        return crs.name
    text = " ".join(str(crs.srs).split())
    return f"the layer's CRS ({text[:60]}{'…' if len(text) > 60 else ''})"


def _in_metres(crs: pyproj.CRS) -> bool:
    units = {axis.unit_name for axis in crs.axis_info}
    return units == {"metre"}


def _projected_range(crs: pyproj.CRS) -> Bounds | None:
    """The CRS's area of use in its own units, widened by half its size on every side."""
    area = crs.area_of_use
    if area is None:
        return _METRE_LIMITS if _in_metres(crs) else None
    try:
        to_crs = pyproj.Transformer.from_crs(4326, crs, always_xy=True)
        x0, y0, x1, y1 = to_crs.transform_bounds(*area.bounds, densify_pts=21)
    except pyproj.exceptions.ProjError:
        return None
    if not np.all(np.isfinite([x0, y0, x1, y1])) or x1 <= x0 or y1 <= y0:
        return None
    width, height = (x1 - x0) / 2, (y1 - y0) / 2
    return x0 - width, y0 - height, x1 + width, y1 + height


def _valid_range(
    crs: pyproj.CRS | str | None, coords: FloatArray, owner: IndexArray, ok: BoolArray
) -> Bounds | None:
    if crs is None:
        inside = _outside(coords, owner, len(ok), _DEGREES) == 0
        return _DEGREES if inside[ok].mean() > 0.5 else None
    if isinstance(crs, str) or crs.is_geographic:
        return _DEGREES
    if crs.is_projected:
        return _projected_range(crs)
    return None


def _outside_vertices(coords: FloatArray, box: Bounds) -> BoolArray:
    """Mask of the vertices outside ``box``."""
    x, y = coords[:, 0], coords[:, 1]
    return np.asarray((x < box[0]) | (x > box[2]) | (y < box[1]) | (y > box[3]))


def _outside(coords: FloatArray, owner: IndexArray, n: int, box: Bounds) -> IndexArray:
    """Per feature: how many vertices lie outside ``box``."""
    return np.bincount(owner[_outside_vertices(coords, box)], minlength=n)


def coordinate_range_problems(
    geoms: GeometryArray, ok: BoolArray, crs: pyproj.CRS | str | None, rows: Rows
) -> list[str]:
    """Report features with a vertex outside the valid range of ``crs``; clear their ``ok``.

    Parameters
    ----------
    geoms : numpy.ndarray
        Geometries in the source CRS.
    ok : numpy.ndarray
        Mask of usable geometries, updated in place.
    crs : pyproj.CRS, "gcj02", "bd09" or None
        The CRS of the coordinates (None: none known).
    rows : Rows
        Row labels for messages.
    """
    if not ok.any():
        return []
    coords, owner = shapely.get_coordinates(geoms, return_index=True)
    box = _valid_range(crs, coords, owner, ok)
    if box is None:
        return []
    vertices = np.flatnonzero(_outside_vertices(coords, box) & ok[owner])
    if vertices.size == 0:
        return []
    bad, first = np.unique(owner[vertices], return_index=True)  # first bad vertex of each
    hits = [
        f"{rows(int(pos))} ({coords[i, 0]:.6g}, {coords[i, 1]:.6g})"
        for pos, i in zip(bad, vertices[first], strict=True)
    ]
    ok[bad] = False
    span = (
        "lon -180..180, lat -90..90"
        if box == _DEGREES
        else f"x {box[0]:,.0f}..{box[2]:,.0f}, y {box[1]:,.0f}..{box[3]:,.0f}"
    )
    return [
        grouped(
            f"coordinates outside the valid range of {_crs_label(crs)}",
            hits,
            rows.noun,
            f"{span} — is the layer's CRS right, or are these cells typos?",
        )
    ]


def _unconverted_problems(geoms: GeometryArray, ok: BoolArray, rows: Rows) -> list[str]:
    """Features whose WGS-84 coordinates are not finite lon/lat degrees; clears their ``ok``."""
    coords, owner = shapely.get_coordinates(np.asarray(geoms, dtype=object), return_index=True)
    finite = np.isfinite(coords).all(axis=1)
    bad_vertex = ~finite | (np.abs(np.nan_to_num(coords[:, 0])) > 180.0)
    bad_vertex |= np.abs(np.nan_to_num(coords[:, 1])) > 90.0
    bad = ok & (np.bincount(owner[bad_vertex], minlength=len(ok)) > 0)
    if not bad.any():
        return []
    ok[bad] = False
    hits = [rows(int(pos)) for pos in np.flatnonzero(bad)]
    return [
        grouped(
            "coordinates that do not convert to valid WGS-84 lon/lat",
            hits,
            rows.noun,
            "coordinates inside the area the CRS is made for — is the layer's CRS right?",
        )
    ]


def extent_problems(geoms: GeometryArray, ok: BoolArray, rows: Rows) -> list[str]:
    """Report features (in WGS-84) wider than 180° of longitude; clear their ``ok``.

    Features whose converted coordinates are not finite lon/lat degrees (a projected
    CRS without an area of use can send absurd values anywhere) are reported too.
    """
    if not ok.any():
        return []
    problems = _unconverted_problems(geoms, ok, rows)
    shapes = np.asarray(geoms, dtype=object).copy()
    shapes[~ok] = None
    bounds = shapely.bounds(shapes)
    width = bounds[:, 2] - bounds[:, 0]
    height = bounds[:, 3] - bounds[:, 1]
    wide = ok & (width > _MAX_SPAN_DEG)
    if not wide.any():
        return problems
    world: list[str] = []
    crossing: list[str] = []
    for pos in np.flatnonzero(wide):
        label = f"{rows(int(pos))} (lon {bounds[pos, 0]:g}..{bounds[pos, 2]:g})"
        (world if height[pos] > 90.0 else crossing).append(label)
    ok[wide] = False
    if world:
        problems.append(
            grouped(
                "a geometry covering (nearly) the whole world",
                world,
                rows.noun,
                "the outline of one place (is this a background or frame polygon?)",
            )
        )
    if crossing:
        problems.append(
            grouped(
                "a geometry spanning more than 180° of longitude (it crosses the antimeridian "
                "at 180°, or its longitudes mix -180..180 and 0..360)",
                crossing,
                rows.noun,
                "a geometry on one side of 180° (split it there, or write longitudes -180..180)",
            )
        )
    return problems
