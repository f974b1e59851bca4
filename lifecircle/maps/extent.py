"""The study extent of a map: where it opens and which context features it draws.

The extent is the union of the grids, or the boundary given as ``extent=`` (or the layers'
``boundary``) when there is one.
Context layers (heritage, conservation areas) often come as city-wide lists; a map shows
only the features that meet the extent plus a small margin (:data:`CONTEXT_MARGIN_M`), cut
to that margin, so a committee sees the study area and not the whole city. Maps open on
the grids, never on the far corners of a city-wide layer.
"""

from __future__ import annotations

from typing import TypeAlias

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from lifecircle.errors import OptionError, OptionTypeError
from lifecircle.geo.crs import utm_crs_for

#: A CRS as the readers accept it: a pyproj CRS, an EPSG code or a string.
CRSLike: TypeAlias = pyproj.CRS | str | int

__all__ = [
    "CONTEXT_MARGIN_M",
    "clip_to_extent",
    "extent_bounds",
    "extent_geometry",
    "study_extent",
]

#: Context features are kept up to this distance outside the study extent (about one
#: street block: enough to show what borders the study area).
CONTEXT_MARGIN_M = 200.0


def extent_geometry(extent: object, crs: CRSLike = 4326) -> tuple[BaseGeometry, CRSLike] | None:
    """The study area given as ``extent`` as one geometry and its CRS.

    Parameters
    ----------
    extent : shapely geometry, GeoSeries or GeoDataFrame, or None
        A boundary. Several features are merged (made valid first); a frame keeps its CRS.
    crs : CRS-like, default EPSG:4326
        The CRS of a shapely geometry.

    Returns
    -------
    tuple of (shapely geometry, CRS) or None
        ``None`` when there is no extent, or nothing but empty geometries.

    Raises
    ------
    lifecircle.errors.OptionTypeError
        For anything else (a list, a bbox tuple...).
    lifecircle.errors.OptionError
        For a frame without a CRS.
    """
    if extent is None:
        return None
    if isinstance(extent, gpd.GeoDataFrame | gpd.GeoSeries):
        geoms = extent.geometry if isinstance(extent, gpd.GeoDataFrame) else extent
        if geoms.crs is None:
            raise OptionError(
                "extent has no CRS; set it (e.g. extent.set_crs(4326))",
                option="extent", value=extent, expected="a boundary with a CRS",
            )  # fmt: skip
        merged = _union(geoms) if len(geoms) else None
        return None if merged is None else (merged.iloc[0], geoms.crs)
    if isinstance(extent, BaseGeometry):
        return None if extent.is_empty else (extent, crs)
    raise OptionTypeError(
        "extent must be a shapely geometry (EPSG:4326), a GeoSeries or a GeoDataFrame, got "
        f"{type(extent).__name__}",
        option="extent", value=extent, expected="a boundary",
    )  # fmt: skip


def study_extent(
    layers: object, grids: gpd.GeoDataFrame | None, area: gpd.GeoSeries | None = None
) -> gpd.GeoSeries | None:
    """Return the study extent as a one-row GeoSeries (CRS of its source), or ``None``.

    Parameters
    ----------
    layers : Layers-like
        Its ``boundary`` attribute, if any, is used when ``area`` is not given.
    grids : geopandas.GeoDataFrame or None
        Their union is the extent when there is no boundary.
    area : geopandas.GeoSeries, optional
        The study area as one geometry (``MapOptions.study_area()``).
    """
    if area is not None:
        return area
    boundary = extent_geometry(getattr(layers, "boundary", None))
    if boundary is not None:
        return gpd.GeoSeries([boundary[0]], crs=boundary[1])
    if grids is None or len(grids) == 0:
        return None
    return _union(grids.geometry)


def _union(geoms: gpd.GeoSeries) -> gpd.GeoSeries | None:
    valid = geoms[~(geoms.isna() | geoms.is_empty)]
    if valid.empty:
        return None
    merged = shapely.union_all(shapely.make_valid(valid.to_numpy()))
    return gpd.GeoSeries([merged], crs=geoms.crs)


def extent_bounds(extent: gpd.GeoSeries | None) -> list[list[float]] | None:
    """``[[south, west], [north, east]]`` of the extent in WGS-84 (Leaflet order)."""
    if extent is None:
        return None
    box = extent.to_crs(4326).total_bounds
    if not np.isfinite(box).all():
        return None
    west, south, east, north = (float(v) for v in box)
    return [[south, west], [north, east]]


def clip_to_extent(
    frame: gpd.GeoDataFrame | None,
    extent: gpd.GeoSeries | None,
    *,
    margin_m: float = CONTEXT_MARGIN_M,
) -> gpd.GeoDataFrame | None:
    """Keep the features of ``frame`` that meet ``extent`` + ``margin_m``, cut to that area.

    Returns ``None`` when nothing is left (or ``frame`` is ``None``); ``frame`` unchanged
    when there is no extent.
    """
    if frame is None or len(frame) == 0:
        return None
    if extent is None:
        return frame
    utm = utm_crs_for(tuple(float(v) for v in extent.to_crs(4326).total_bounds))
    area = extent.to_crs(utm).buffer(margin_m).to_crs(frame.crs).iloc[0]
    geoms = frame.geometry
    keep = geoms.notna() & ~geoms.is_empty & geoms.intersects(area)
    if not keep.any():
        return None
    kept = frame[keep].copy()
    inside = kept.geometry.within(area)
    if not inside.all():
        cut = kept.geometry.intersection(area)
        kept[kept.geometry.name] = cut.where(~inside, kept.geometry)
        kept = kept[~kept.geometry.is_empty]
    return kept if len(kept) else None
