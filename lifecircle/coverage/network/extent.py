"""The study extent: the area a study is about, and the walking network clipped to it.

A real network file is rarely cut to the study: an OSM extract of central Shanghai holds
hundreds of kilometres of streets around a subdistrict of a few square kilometres. Used
whole, it dilutes every street-based figure (seat reach by street measured over 212 km of
which 84 km lie in the study area) and slows every computation. So a study has an
**extent** — by default the union of its grids (streets between grid outlines closed in),
or a boundary file, or a bounding box —
and the network is clipped to the extent **plus a walking buffer**:

- the buffer is the longest walk any analysis asks for (``walk_minutes × 60 × speed`` of
  the fastest profile in use, or a seat distance when longer) **plus** ``max_snap_m``
  (see :func:`walking_buffer_m`). A resident inside the extent walks at most that far, and
  every street of such a walk lies within that distance of the extent, so walking times
  within the budget are the same on the clipped and the whole network; facilities outside
  the extent but within the buffer are reached as before;
- edges are kept **whole** when they touch the buffered extent (never cut), which is the
  simple and conservative choice: a walk never ends at an artificial cut;
- each kept edge records ``inside_m``, its length inside the extent (not the buffer), so
  street-based measures (seat reach by street, rest gaps) count only the streets the
  study is about.

The clipped network's ``meta`` states what was done, in plain words for reports:
``extent_source`` (``"grids"``, ``"bbox"``, ``"boundary"`` or the boundary file's name),
``extent_area_km2``, ``extent_buffer_m``, ``length_inside_extent_m``, ``length_total_m``
(after clipping), ``length_input_m`` (before clipping) and ``extent_wkt`` (the extent in
EPSG:4326 as WKT, read back by :func:`network_extent`).
"""

from __future__ import annotations

import logging
import math
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
from shapely.geometry.base import BaseGeometry

from lifecircle.coverage.network.walk_network import WalkNetwork
from lifecircle.errors import LayerError, LifecircleWarning, NetworkError
from lifecircle.input_files import input_file_problem
from lifecircle.typing import BoolArray, CRSLike, FloatArray, GeometryArray

if TYPE_CHECKING:
    from lifecircle.geo.layers import Layers

__all__ = [
    "DEFAULT_BUFFER_M",
    "GRID_GAP_M",
    "LIKELY_CAUSE",
    "Extent",
    "bbox_problem",
    "beyond_reach",
    "check_overlap",
    "clip_network",
    "close_gaps",
    "grids_extent",
    "network_extent",
    "read_boundary",
    "resolve_extent",
    "study_extent",
    "walking_buffer_m",
]

#: Why layers usually miss the network altogether (a datum or a place mix-up).
LIKELY_CAUSE = (
    "are the layers and the network in the same place / coordinate system? GCJ-02 or BD-09 "
    "data read as WGS-84 lands 300\u2013600 m off \u2014 pass crs='gcj02' (or 'bd09') when "
    "reading the layers"
)

logger = logging.getLogger(__name__)

#: Default buffer of :func:`clip_network`: 15 minutes at the adult pace (1.3 m/s) + 100 m
#: snapping, i.e. every default analysis of lifecircle stays exact.
DEFAULT_BUFFER_M = 15 * 60 * 1.3 + 100.0
_MAX_LISTED = 5
#: Grids separated by a street are one study area: gaps narrower than 2 × 25 m = 50 m
#: between grids (a street between two grid outlines; Shanghai's wide roads are 40-50 m
#: between building lines) are closed in the default extent.
GRID_GAP_M = 25.0

#: What :func:`resolve_extent` accepts: the layers (their grids), a boundary file, a frame or
#: series of polygons, a polygon in EPSG:4326, or a bounding box ``(west, south, east, north)``.
Extent: TypeAlias = (
    "Layers | str | Path | gpd.GeoDataFrame | gpd.GeoSeries | BaseGeometry | Sequence[float]"
)


def walking_buffer_m(
    walk_minutes: float,
    speed_m_s: float,
    *,
    max_snap_m: float = 100.0,
    reach_m: float = 0.0,
) -> float:
    """Buffer around the extent that keeps every walk of the analyses exact.

    ``max(walk_minutes × 60 × speed_m_s, reach_m) + max_snap_m``: the longest walk (the
    time budget at the fastest pace in use, or a seat distance when longer) plus the
    snapping distance, so that the street a far facility snaps to is kept too.

    Parameters
    ----------
    walk_minutes : float
        The longest time budget of the analyses.
    speed_m_s : float
        The fastest walking speed in use.
    max_snap_m : float, default 100
        The snapping distance of the analyses.
    reach_m : float, default 0
        The longest walking distance of the seat measures.

    Returns
    -------
    float
        Metres.
    """
    values = {"walk_minutes": walk_minutes, "speed_m_s": speed_m_s}
    values.update(max_snap_m=max_snap_m, reach_m=reach_m)
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"{name} must be a number, got {type(value).__name__}")
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(max(walk_minutes * 60.0 * speed_m_s, reach_m) + max_snap_m)


def bbox_problem(bbox: object) -> str | None:
    """Return why ``bbox`` is not ``[west, south, east, north]`` in degrees, or None."""
    if isinstance(bbox, str | bytes) or not isinstance(bbox, Sequence) or len(bbox) != 4:
        return "expected four numbers [west, south, east, north] in degrees (WGS-84)"
    if any(isinstance(v, bool) or not isinstance(v, int | float) for v in bbox):
        return "expected four numbers [west, south, east, north] in degrees (WGS-84)"
    west, south, east, north = (float(v) for v in bbox)
    if not all(math.isfinite(v) for v in (west, south, east, north)):
        return "expected finite numbers"
    if abs(south) > 90 and abs(west) <= 90 and abs(east) <= 90:
        return (
            f"latitude {south:g} is out of range; the order is [west, south, east, north] "
            f"(longitude first), e.g. [{south:g}, {west:g}, {north:g}, {east:g}]"
        )
    if max(abs(west), abs(east)) > 180 or max(abs(south), abs(north)) > 90:
        return "expected longitudes within ±180 and latitudes within ±90 degrees (WGS-84)"
    if not west < east or not south < north:
        return "expected west < east and south < north"
    return None


def _bbox_polygon(bbox: object) -> BaseGeometry:
    problem = bbox_problem(bbox)
    if problem or not isinstance(bbox, Sequence):  # no problem: a sequence of four numbers
        raise ValueError(f"bbox: {problem}")
    return shapely.box(*(float(v) for v in bbox))


def _listed(items: list[str], what: str) -> str:
    shown = ", ".join(items[:_MAX_LISTED])
    more = f" and {len(items) - _MAX_LISTED} more" if len(items) > _MAX_LISTED else ""
    return f"{what} {shown}{more}"


def _area_of(frame: gpd.GeoDataFrame, name: str) -> BaseGeometry:
    """Union of the polygons of ``frame`` (EPSG:4326); every non-area feature is a problem."""
    geoms = np.asarray(frame.geometry.to_numpy(), dtype=object)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    kinds = np.array([g.geom_type if g is not None else "" for g in geoms], dtype=object)
    bad = ~missing & ~np.isin(kinds, ["Polygon", "MultiPolygon"])
    problems = []
    if missing.any():
        problems.append(
            _listed([str(i + 1) for i in np.flatnonzero(missing)], "no geometry in feature")
        )
    if bad.any():
        found = sorted(set(kinds[bad]))
        listed = _listed([str(i + 1) for i in np.flatnonzero(bad)], "feature")
        problems.append(
            f"{listed} is a {'/'.join(found)}; a boundary must be an area (Polygon or MultiPolygon)"
        )
    if not len(geoms):
        problems.append("the file holds no feature; a boundary needs at least one polygon")
    if problems:
        raise LayerError(name, problems)
    area = shapely.union_all(shapely.make_valid(geoms))
    if area.is_empty or area.area == 0:
        raise LayerError(name, ["the polygons have no area"])
    west, south, east, north = area.bounds
    if max(abs(west), abs(east)) > 180 or max(abs(south), abs(north)) > 90:
        raise LayerError(
            name,
            [
                f"coordinates such as ({west:,.0f}, {south:,.0f}) are not longitude/latitude; "
                'give the file\'s projected CRS, e.g. crs = "EPSG:4549"'
            ],
        )
    return area


def read_boundary(
    source: str | Path | gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    crs: CRSLike | None = None,
    layer: str | None = None,
) -> BaseGeometry:
    """Read a study boundary: the union of the polygons of a file or frame, in EPSG:4326.

    Parameters
    ----------
    source : str, Path, GeoDataFrame or GeoSeries
        A GeoJSON / GeoPackage / Shapefile of one or more polygons, or a frame of them.
    crs : optional
        What the coordinates really are (``"gcj02"``, ``"bd09"``, ``"EPSG:4549"``...); by
        default the file's own CRS, else longitude/latitude.
    layer : str, optional
        The layer of a multi-layer file (GeoPackage).

    Returns
    -------
    shapely Polygon or MultiPolygon
        In EPSG:4326; invalid rings are repaired.

    Raises
    ------
    lifecircle.errors.LayerError
        Naming the file: missing, unreadable, no polygon, a feature that is not an area.
    """
    from lifecircle.geo.crs import to_wgs84

    if isinstance(source, gpd.GeoSeries):
        source = gpd.GeoDataFrame(geometry=source)
    if isinstance(source, gpd.GeoDataFrame):
        return _area_of(to_wgs84(source, crs, source="boundary"), "boundary")
    path = Path(source)
    problem = input_file_problem(path)
    if problem:
        raise LayerError(path.name, [problem])
    try:
        frame = gpd.read_file(path, engine="pyogrio", **({"layer": layer} if layer else {}))
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError,
            ValueError, UnicodeDecodeError) as exc:  # fmt: skip
        raise LayerError(
            path.name,
            ["cannot read the boundary; expected a GeoJSON, GeoPackage or Shapefile of polygons"],
        ) from exc
    if not isinstance(frame, gpd.GeoDataFrame):
        raise LayerError(path.name, ["the file has no geometry; a boundary must be polygons"])
    return _area_of(to_wgs84(frame, crs, source=path.name), path.name)


def study_extent(layers: Layers, boundary: Extent | None = None) -> BaseGeometry:
    """The area a study is about, in EPSG:4326.

    Parameters
    ----------
    layers : lifecircle.geo.Layers
        Its ``grids`` give the default extent: their union, with gaps narrower than
        50 m between them (streets between grid outlines) closed, see :func:`close_gaps`.
    boundary : optional
        Instead of the grids: a boundary file path, a GeoDataFrame/GeoSeries of polygons,
        a shapely polygon in EPSG:4326, or a bounding box ``(west, south, east, north)``.

    Returns
    -------
    shapely Polygon or MultiPolygon
    """
    if boundary is not None:
        return resolve_extent(boundary)[0]
    grids = getattr(layers, "grids", None)
    if not isinstance(grids, gpd.GeoDataFrame):
        raise TypeError(
            "layers must be a Layers object with a 'grids' GeoDataFrame, "
            f"got {type(layers).__name__}"
        )
    return grids_extent(grids)


def grids_extent(grids: gpd.GeoDataFrame) -> BaseGeometry:
    """The union of the grids in EPSG:4326, gaps narrower than ``2 × GRID_GAP_M`` closed."""
    return close_gaps(_area_of(grids.to_crs(4326), "grids"), GRID_GAP_M)


def close_gaps(area: BaseGeometry, gap_m: float) -> BaseGeometry:
    """Close gaps narrower than ``2 × gap_m`` in an EPSG:4326 area (streets between grids).

    A morphological closing (buffer out, then in, with mitred corners so that square grid
    corners stay square) in the area's UTM zone.
    """
    if gap_m <= 0:
        return area
    series = gpd.GeoSeries([area], crs=4326)
    utm = series.estimate_utm_crs()
    grown = series.to_crs(utm).buffer(gap_m, join_style="mitre").buffer(-gap_m, join_style="mitre")
    closed = shapely.make_valid(grown.to_crs(4326).iloc[0])
    return shapely.union(closed, area)


def resolve_extent(extent: Extent) -> tuple[BaseGeometry, str]:
    """Turn any accepted form of an extent into ``(geometry in EPSG:4326, plain label)``.

    Accepted: a Layers object (its grids, label ``"grids"``), a bounding box
    ``(west, south, east, north)`` (``"bbox"``), a boundary file (its file name), a
    GeoDataFrame/GeoSeries of polygons or a shapely polygon in EPSG:4326 (``"boundary"``).
    """
    if isinstance(extent, str | Path):
        return read_boundary(extent), Path(extent).name
    if isinstance(extent, gpd.GeoDataFrame | gpd.GeoSeries):
        return read_boundary(extent), "boundary"
    if isinstance(extent, BaseGeometry):
        return _checked_geometry(extent), "boundary"
    if isinstance(extent, Sequence | np.ndarray):
        return _bbox_polygon(list(extent)), "bbox"
    if hasattr(extent, "grids"):
        return study_extent(extent), "grids"
    raise TypeError(
        "extent must be a Layers object, a boundary file, a GeoDataFrame of polygons, a "
        f"shapely polygon (EPSG:4326) or (west, south, east, north); got {type(extent).__name__}"
    )


def _checked_geometry(geom: BaseGeometry) -> BaseGeometry:
    if geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise ValueError(f"extent must be a Polygon or MultiPolygon, got {geom.geom_type}")
    west, south, east, north = geom.bounds
    if max(abs(west), abs(east)) > 180 or max(abs(south), abs(north)) > 90:
        raise ValueError(
            "extent polygon must be in EPSG:4326 (longitude, latitude); its coordinates look "
            "projected — pass a GeoDataFrame with its crs instead"
        )
    return shapely.make_valid(geom)


def check_overlap(area: BaseGeometry, grids: gpd.GeoDataFrame, *, name: str = "boundary") -> None:
    """Check that a boundary or bbox (EPSG:4326) holds the grids.

    Parameters
    ----------
    area : shapely geometry
        The boundary or bbox polygon in EPSG:4326.
    grids : GeoDataFrame
        The study's grids.
    name : str
        The boundary's file name (or ``"bbox"``), for messages.

    Raises
    ------
    lifecircle.errors.LayerError
        When no grid overlaps it (another place or another datum).

    Warns
    -----
    lifecircle.errors.LifecircleWarning
        When more than 1 % of the grids' area lies outside it: residents there may walk on
        streets the clipped network left out.
    """
    inside = grids_extent(grids)
    frame = gpd.GeoSeries([area, inside], crs=4326)
    metric = frame.to_crs(frame.estimate_utm_crs())
    outline, cells = metric.iloc[0], metric.iloc[1]
    if not outline.intersects(cells):
        raise LayerError(
            name,
            [
                f"it does not overlap any grid (the nearest is {outline.distance(cells):,.0f} m "
                'away); is it in another datum? add crs = "gcj02" (or "bd09") to it'
            ],
        )
    outside = cells.difference(outline).area / cells.area if cells.area else 0.0
    if outside > 0.01:
        warnings.warn(
            f"{outside:.0%} of the grids' area lies outside the study extent ({name}): residents "
            "there may walk on streets the clipped network left out; widen the boundary or "
            "set clip = false in [network]",
            LifecircleWarning,
            stacklevel=2,
        )


def _to_network_crs(geom: BaseGeometry, network: WalkNetwork) -> BaseGeometry:
    return gpd.GeoSeries([geom], crs=4326).to_crs(network.crs).iloc[0]


def network_extent(network: WalkNetwork, extent: Extent | None = None) -> BaseGeometry | None:
    """The study extent in the network's metric CRS.

    Parameters
    ----------
    network : WalkNetwork
    extent : optional
        Any form :func:`resolve_extent` accepts; by default the extent the network was
        clipped to (``meta["extent_wkt"]``).

    Returns
    -------
    shapely geometry or None
        None when no extent is given and the network was not clipped.
    """
    if extent is not None:
        return _to_network_crs(resolve_extent(extent)[0], network)
    wkt = network.meta.get("extent_wkt")
    if not isinstance(wkt, str) or not wkt:
        return None
    return _to_network_crs(shapely.from_wkt(wkt), network)


def beyond_reach(
    network: WalkNetwork, points: gpd.GeoSeries | gpd.GeoDataFrame, *, max_snap_m: float
) -> BoolArray:
    """Which points lie beyond the clipped network's walking buffer (all False when unclipped).

    A point farther than ``extent_buffer_m - max_snap_m`` from the extent is farther than
    the longest walk the buffer was sized for, so no resident of the extent reaches it.

    Parameters
    ----------
    network : WalkNetwork
        A network from :func:`clip_network` (else nothing is beyond reach).
    points : GeoSeries or GeoDataFrame
        In any CRS.
    max_snap_m : float
        The snapping distance of the analysis.
    """
    area = network_extent(network)
    buffer_m = network.meta.get("extent_buffer_m")
    if area is None or not isinstance(buffer_m, int | float) or len(points) == 0:
        return np.zeros(len(points), dtype=bool)
    geoms = points.geometry.to_crs(network.crs).to_numpy()
    return np.asarray(shapely.distance(area, geoms) > max(buffer_m - max_snap_m, 0.0))


def inside_lengths(
    geoms: GeometryArray, length_m: FloatArray, extent_m: BaseGeometry
) -> FloatArray:
    """Length (in ``length_m`` units) of each line that lies inside ``extent_m``."""
    geoms = np.asarray(geoms, dtype=object)
    length_m = np.asarray(length_m, dtype=float)
    shapely.prepare(extent_m)
    whole = shapely.covers(extent_m, geoms)
    cut = ~whole & shapely.intersects(extent_m, geoms)
    out = np.where(whole, length_m, 0.0)
    if cut.any():
        part = shapely.length(shapely.intersection(geoms[cut], extent_m))
        full = shapely.length(geoms[cut])
        out[cut] = np.where(full > 0, np.minimum(part / np.maximum(full, 1e-12), 1.0), 0.0)
        out[cut] *= length_m[cut]
    return out


def clip_network(
    network: WalkNetwork,
    extent: Extent,
    *,
    buffer_m: float | None = None,
    extent_source: str | None = None,
) -> WalkNetwork:
    """Keep the streets that touch the extent plus a walking buffer.

    Parameters
    ----------
    network : WalkNetwork
        The whole network (not modified).
    extent : Layers, bbox, boundary file, GeoDataFrame or shapely polygon (EPSG:4326)
        The study area (see :func:`resolve_extent`).
    buffer_m : float, optional
        Metres around the extent whose streets are kept; default :data:`DEFAULT_BUFFER_M`
        (15 minutes at the adult pace + 100 m). Use :func:`walking_buffer_m` for your
        own walk budget and fastest speed.
    extent_source : str, optional
        Plain words for ``meta["extent_source"]`` (e.g. a boundary file's name); by default
        ``"grids"``, ``"bbox"``, the file name or ``"boundary"`` after the form of ``extent``.

    Returns
    -------
    WalkNetwork
        Whole edges that intersect ``extent.buffer(buffer_m)``, re-indexed, with an
        ``inside_m`` edge column (length inside the extent) and the extent facts in
        ``meta`` (see the module docstring).

    Raises
    ------
    lifecircle.errors.NetworkError
        When no street lies within ``buffer_m`` of the extent (different places or datums).
    """
    if not isinstance(network, WalkNetwork):
        raise TypeError(f"network must be a WalkNetwork, got {type(network).__name__}")
    buffer_m = DEFAULT_BUFFER_M if buffer_m is None else buffer_m
    if isinstance(buffer_m, bool) or not isinstance(buffer_m, int | float):
        raise TypeError(f"buffer_m must be a number of metres, got {type(buffer_m).__name__}")
    if not math.isfinite(buffer_m) or buffer_m < 0:
        raise ValueError(f"buffer_m must be a finite number of metres >= 0, got {buffer_m!r}")
    started = time.perf_counter()
    area, label = resolve_extent(extent)
    label = label if extent_source is None else extent_source
    area_m = _to_network_crs(area, network)
    region = area_m.buffer(buffer_m) if buffer_m > 0 else area_m
    shapely.prepare(region)
    geoms = network.edges.geometry.to_numpy()
    keep = shapely.intersects(region, geoms)
    if not keep.any():
        raise NetworkError(
            f"none of the {network.n_edges:,} streets of the walking network lies within "
            f"{buffer_m:,.0f} m of the study extent ({label}): {LIKELY_CAUSE}"
        )
    clipped = _subnetwork(network, keep)
    inside = inside_lengths(
        clipped.edges.geometry.to_numpy(), clipped.edges["length_m"].to_numpy(), area_m
    )
    clipped.edges["inside_m"] = inside
    _record_extent(clipped, network, area, area_m, label, float(buffer_m), inside)
    logger.info(
        "clipped %s to %s + %.0f m in %.2f s: %.1f of %.1f km kept, %.1f km inside",
        network.source, label, buffer_m, time.perf_counter() - started,
        clipped.edges["length_m"].sum() / 1000, network.edges["length_m"].sum() / 1000,
        inside.sum() / 1000,
    )  # fmt: skip
    return clipped


def _subnetwork(network: WalkNetwork, keep: BoolArray) -> WalkNetwork:
    """The edges where ``keep`` and their nodes, re-indexed ``0..n-1``."""
    edges = network.edges[keep]
    u = edges["u"].to_numpy(dtype=np.int64)
    v = edges["v"].to_numpy(dtype=np.int64)
    used = np.unique(np.concatenate([u, v]))
    remap = np.full(network.n_nodes, -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    nodes = network.nodes.iloc[used].reset_index(drop=True)
    edges = edges.assign(u=remap[u], v=remap[v]).reset_index(drop=True)
    return WalkNetwork(nodes, edges, network.crs, network.source, dict(network.meta))


def _record_extent(
    clipped: WalkNetwork,
    whole: WalkNetwork,
    area: BaseGeometry,
    area_m: BaseGeometry,
    label: str,
    buffer_m: float,
    inside: FloatArray,
) -> None:
    total = float(clipped.edges["length_m"].sum())
    meta = clipped.meta
    meta.update(
        extent_source=label,
        extent_area_km2=float(area_m.area) / 1e6,
        extent_buffer_m=buffer_m,
        length_inside_extent_m=float(inside.sum()),
        length_total_m=total,
        length_input_m=float(whole.edges["length_m"].sum()),
        extent_wkt=shapely.to_wkt(area, rounding_precision=7),
    )
    comps = clipped.components()
    meta["n_components"] = len(comps)
    meta["length_outside_largest_m"] = float(total - comps["length_m"].iloc[0])
    meta["share_outside_largest"] = float(1 - comps["share_of_length"].iloc[0])
