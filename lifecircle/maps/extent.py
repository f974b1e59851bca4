"""The study extent of a map: where it opens and which context features it draws.

The extent is the union of the grids, or the layers' ``boundary`` when one is given.
Context layers (heritage, conservation areas) often come as city-wide lists; a map shows
only the features that meet the extent plus a small margin (:data:`CONTEXT_MARGIN_M`), cut
to that margin, so a committee sees the study area and not the whole city. Maps open on
the grids, never on the far corners of a city-wide layer.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

__all__ = ["CONTEXT_MARGIN_M", "clip_to_extent", "extent_bounds", "study_extent"]

#: Context features are kept up to this distance outside the study extent (about one
#: street block: enough to show what borders the study area).
CONTEXT_MARGIN_M = 200.0


def study_extent(
    layers: Any, grids: gpd.GeoDataFrame | None, boundary: Any = None
) -> gpd.GeoSeries | None:
    """Return the study extent as a one-row GeoSeries (CRS of its source), or ``None``.

    Parameters
    ----------
    layers : Layers-like
        Its ``boundary`` attribute, if any, is used when ``boundary`` is not given.
    grids : geopandas.GeoDataFrame or None
        Their union is the extent when there is no boundary.
    boundary : GeoDataFrame, GeoSeries or shapely geometry (EPSG:4326), optional
        The study area, e.g. a study's ``[study] boundary``.
    """
    if boundary is None and layers is not None:
        boundary = getattr(layers, "boundary", None)
    if isinstance(boundary, gpd.GeoDataFrame | gpd.GeoSeries) and len(boundary):
        geoms = boundary.geometry if isinstance(boundary, gpd.GeoDataFrame) else boundary
        return _union(geoms)
    if isinstance(boundary, BaseGeometry) and not boundary.is_empty:
        return gpd.GeoSeries([boundary], crs=4326)
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
    utm = extent.to_crs(4326).estimate_utm_crs()
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
