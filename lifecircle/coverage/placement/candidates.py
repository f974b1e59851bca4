"""Candidate sites for new seats: points along walkable streets, filtered by planning rules."""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from lifecircle.coverage.network.extent import network_extent
from lifecircle.coverage.network.walk_network import WalkNetwork
from lifecircle.errors import InfeasibleError, LayerError
from lifecircle.typing import BoolArray, CRSLike, FloatArray

__all__ = [
    "candidate_points",
    "candidates_along_streets",
    "exclude_candidates",
    "thin_candidates",
]

logger = logging.getLogger(__name__)

#: Ways where a bench cannot go: steps, and ways closed to the public.
NO_SEAT_HIGHWAYS = frozenset({"steps", "motorway", "motorway_link", "trunk", "trunk_link"})
PRIVATE_ACCESS = frozenset({"private", "no"})


def _private(edges: pd.DataFrame) -> BoolArray:
    if "access" not in edges.columns:
        return np.zeros(len(edges), dtype=bool)
    private: BoolArray = edges["access"].astype(str).str.lower().isin(PRIVATE_ACCESS).to_numpy()
    return private


def candidates_along_streets(network: WalkNetwork, *, spacing_m: float = 20.0) -> gpd.GeoDataFrame:
    """Place candidate seat sites every ``spacing_m`` along the public walkable edges.

    Each edge gets ``max(1, round(length / spacing_m))`` sites at the centres of equal
    pieces. Steps, motorways/trunk roads and private ways (``access`` = private/no) get none.
    On a network clipped to a study extent
    (:func:`~lifecircle.coverage.network.extent.clip_network`) only sites inside
    the extent are kept: the walking buffer around it is not the study's
    to furnish.

    Parameters
    ----------
    network : WalkNetwork
    spacing_m : float, default 20
        Distance between neighbouring candidates on a street.

    Returns
    -------
    geopandas.GeoDataFrame
        In the network CRS, indexed ``C00000..``: ``edge``, ``offset_m``, ``street`` (name
        or None), ``highway`` and the point geometry.
    """
    if not spacing_m > 0:
        raise ValueError(f"spacing_m must be > 0 metres, got {spacing_m!r}")
    edges = network.edges
    ok = ~edges["highway"].astype(str).isin(NO_SEAT_HIGHWAYS).to_numpy() & ~_private(edges)
    length = edges["length_m"].to_numpy(dtype=float)
    count = np.where(ok, np.maximum(1, np.round(length / spacing_m)).astype(np.int64), 0)
    edge = np.repeat(np.arange(len(edges)), count)
    piece = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    fraction = (piece + 0.5) / count[edge]
    geoms = shapely.line_interpolate_point(
        edges.geometry.to_numpy()[edge], fraction, normalized=True
    )
    area = network_extent(network)
    if area is not None:
        inside = shapely.covers(area, geoms)
        edge, fraction, geoms = edge[inside], fraction[inside], geoms[inside]
    index = pd.Index([f"C{i:05d}" for i in range(len(edge))], name="candidate")
    return gpd.GeoDataFrame(
        {
            "edge": edge,
            "offset_m": fraction * length[edge],
            "street": edges["name"].to_numpy()[edge],
            "highway": edges["highway"].to_numpy()[edge],
        },
        geometry=gpd.GeoSeries(geoms, crs=network.crs, index=index),
        index=index,
    )


def candidate_points(candidates: gpd.GeoDataFrame, *, crs: CRSLike) -> gpd.GeoDataFrame:
    """Return user candidate sites as points in ``crs``, checked.

    A polygon or line stands for its representative point (a point inside it, see
    :func:`shapely.point_on_surface`); the index (the candidate ids) is kept.

    Raises
    ------
    TypeError
        When ``candidates`` is not a GeoDataFrame.
    lifecircle.errors.LayerError
        When it has no CRS or features without geometry.
    InfeasibleError
        When it is empty.
    """
    if not isinstance(candidates, gpd.GeoDataFrame):
        raise TypeError(
            f"candidates must be a GeoDataFrame indexed by candidate id, got "
            f"{type(candidates).__name__}"
        )
    if len(candidates) == 0:
        raise InfeasibleError("the candidate layer is empty")
    if candidates.crs is None:
        raise LayerError("candidates", ["no CRS; set one (e.g. candidates.set_crs(4326))"])
    geoms = candidates.geometry.to_numpy()
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        ids = [repr(i) for i in candidates.index[missing]]
        more = f" and {len(ids) - 5} more" if len(ids) > 5 else ""
        raise LayerError(
            "candidates", [f"{len(ids)} features have no geometry: ids {', '.join(ids[:5])}{more}"]
        )
    points = np.where(
        shapely.get_type_id(geoms) == shapely.GeometryType.POINT,
        geoms,
        shapely.point_on_surface(geoms),
    )
    return candidates.set_geometry(
        gpd.GeoSeries(points, index=candidates.index, crs=candidates.crs)
    ).to_crs(crs)


def exclude_candidates(
    candidates: gpd.GeoDataFrame,
    *,
    heritage: gpd.GeoDataFrame | None = None,
    heritage_buffer_m: float = 0.0,
    existing_seats: gpd.GeoDataFrame | None = None,
    min_spacing_m: float = 0.0,
) -> gpd.GeoDataFrame:
    """Drop candidates inside heritage footprints (+ buffer) or too close to existing seats.

    Distances are straight-line metres in the candidates' (metric) CRS. Heritage points
    exclude a disc of ``heritage_buffer_m``.

    Raises
    ------
    InfeasibleError
        When no candidate survives (the message says which rule removed them).
    """
    keep = np.ones(len(candidates), dtype=bool)
    pts = candidates.geometry.to_numpy()
    reasons = []
    if heritage is not None and len(heritage):
        zones = heritage.to_crs(candidates.crs).geometry.to_numpy()
        tree = shapely.STRtree(zones)
        hit, _ = tree.query(pts, predicate="dwithin", distance=max(heritage_buffer_m, 0.0))
        keep[hit] = False
        reasons.append(f"{len(np.unique(hit))} within {heritage_buffer_m:g} m of heritage")
    if existing_seats is not None and len(existing_seats) and min_spacing_m > 0:
        seat_pts = existing_seats.to_crs(candidates.crs).geometry.to_numpy()
        hit, _ = shapely.STRtree(seat_pts).query(pts, predicate="dwithin", distance=min_spacing_m)
        keep[hit] = False
        reasons.append(f"{len(np.unique(hit))} within {min_spacing_m:g} m of an existing seat")
    logger.info("candidates: %d of %d kept (%s)", keep.sum(), len(keep), "; ".join(reasons))
    if not keep.any():
        raise InfeasibleError(
            f"no candidate seat sites left: all {len(keep)} were excluded ({'; '.join(reasons)})"
        )
    return candidates[keep]


def thin_candidates(
    candidates: gpd.GeoDataFrame, *, min_spacing_m: float, priority: FloatArray | None = None
) -> gpd.GeoDataFrame:
    """Keep a subset in which no two candidates are closer than ``min_spacing_m``.

    Candidates are visited by decreasing ``priority`` (default: their order) and kept when
    no kept one lies within ``min_spacing_m``; so any selection from the result respects
    the spacing between new seats.
    """
    if min_spacing_m <= 0 or len(candidates) < 2:
        return candidates
    xy = shapely.get_coordinates(candidates.geometry.to_numpy())
    pairs = cKDTree(xy).query_pairs(min_spacing_m, output_type="ndarray")
    neighbours: list[list[int]] = [[] for _ in range(len(xy))]
    for a, b in pairs:
        neighbours[a].append(b)
        neighbours[b].append(a)
    order = np.arange(len(xy)) if priority is None else np.argsort(-priority, kind="stable")
    blocked = np.zeros(len(xy), dtype=bool)
    keep = np.zeros(len(xy), dtype=bool)
    for i in order:
        if not blocked[i]:
            keep[i] = True
            blocked[neighbours[i]] = True
    return candidates[keep]
